/** Shared commander option parsers. */

/** A repeatable, comma-separated option: each use adds its trimmed, non-empty items to the earlier ones. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [
    ...(previous ?? []),
    ...value
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  ];
}
