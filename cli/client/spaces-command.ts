/** `tinycloud spaces`: the spaces the stored sessions reach, with node, abilities and expiry (no network). */
import type { Command } from "commander";
import { runClient, usageErrorsExitTwo } from "./errors.js";
import { isoSeconds, print } from "./output.js";
import { configDirOf, listSessions } from "./session-store.js";

export function registerSpacesCommand(program: Command): void {
  usageErrorsExitTwo(program.command("spaces"))
    .description("list the spaces your stored sessions can reach (* marks the one kv/share use)")
    .option("--config-dir <dir>", "where sessions are stored ($TINYCLOUD_CONFIG_DIR, default ~/.config/tinycloud)")
    .option("--json", "machine-readable output")
    .action((options: { configDir?: string; json?: boolean }) =>
      runClient(async () => {
        const dir = configDirOf(options.configDir);
        const { current, sessions } = await listSessions(dir);
        const now = Math.floor(Date.now() / 1000);
        const rows = sessions.map((s) => ({
          spaceId: s.spaceId,
          name: s.spaceName,
          node: s.node,
          owner: s.owner,
          abilities: s.abilities,
          expiresAt: s.expiresAt,
          expired: s.expiresAt <= now,
          current: s.spaceId === current,
        }));
        print(options.json, { spaces: rows }, () =>
          rows.length === 0
            ? `no sessions in ${dir}: run tinycloud login`
            : rows.map((r) => `${r.current ? "*" : " "} ${r.spaceId}\n    node ${r.node}  ${r.expired ? "EXPIRED" : "expires"} ${isoSeconds(r.expiresAt)}  ${r.abilities.join(", ")}`).join("\n"),
        );
      }),
    );
}
