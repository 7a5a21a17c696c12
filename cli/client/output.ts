/** Output of the space client: `--json` prints one JSON document on stdout, otherwise human lines. */
export function print(json: boolean | undefined, value: unknown, human: () => string): void {
  process.stdout.write(json === true ? `${JSON.stringify(value)}\n` : `${human()}\n`);
}

export function isoSeconds(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
}
