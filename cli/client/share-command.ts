/**
 * `tinycloud share <path>`: delegate part of the logged-in session, to a DID (`--to`) or, without one, to a
 * fresh key carried in a `tc1:` share link (whoever holds the link can use it: treat it as a secret).
 * `tinycloud revoke <cid>`: revoke a delegation this session made. Both print the delegation's CID.
 */
import type { Command } from "commander";
import { parseCid } from "../../core/cid.js";
import { parseDid } from "../../core/did.js";
import { collect } from "../options.js";
import { CliClientError, usageErrorsExitTwo } from "./errors.js";
import { isoSeconds, print } from "./output.js";
import { parseDuration, parseKvAbilities } from "./parse.js";
import { withCurrentSession as withSession } from "./session-store.js";

interface Common {
  configDir?: string;
  json?: boolean;
}

export function registerShareCommands(program: Command): void {
  usageErrorsExitTwo(program.command("share"))
    .description("delegate access to a key or prefix: to a DID (--to), or as a tc1: share link")
    .argument("<path>", "key or prefix in the space's KV store")
    .option("--to <did>", "the recipient's DID (did:key:… or did:pkh:…); without it, a share link")
    .option("--abilities <list>", "get,put,del,list,metadata or all (default get,metadata)", collect)
    .option("--expires <duration>", "lifetime, capped by the session's (30m, 1h, 7d, …)", "1h")
    .option("--terminal", "forbid the recipient to re-delegate")
    .option("--config-dir <dir>", "where sessions are stored ($TINYCLOUD_CONFIG_DIR, default ~/.config/tinycloud)")
    .option("--json", "machine-readable output")
    .action((path: string, options: Common & { to?: string; abilities?: string[]; expires: string; terminal?: boolean }) =>
      withSession(options, async (session) => {
        if (options.to !== undefined) {
          try {
            parseDid(options.to);
          } catch {
            throw new CliClientError("CLI_USAGE", `--to "${options.to.slice(0, 80)}" is not a DID (did:key:… or did:pkh:…)`);
          }
        }
        const abilities = parseKvAbilities(options.abilities ?? ["get", "metadata"]);
        const expiresInSeconds = parseDuration(options.expires);
        const share = await session.share({ path, abilities, expiresInSeconds, ...(options.to === undefined ? {} : { to: options.to }), ...(options.terminal === true ? { terminal: true } : {}) });
        const expiresAt = Math.min(Math.floor(Date.now() / 1000) + expiresInSeconds, session.expiresAt ?? Number.POSITIVE_INFINITY);
        print(options.json, { cid: share.cid.toString(), path, abilities, to: options.to ?? null, link: share.link ?? null, expiresAt, delegation: share.delegation }, () =>
          [
            `delegation ${share.cid.toString()}`,
            `  ${abilities.join(", ")} on ${path} until ${isoSeconds(expiresAt)}`,
            share.link === undefined ? `  to ${options.to}` : `  link (a secret: whoever holds it can use it)\n${share.link}`,
          ].join("\n"),
        );
      }),
    );

  usageErrorsExitTwo(program.command("revoke"))
    .description("revoke a delegation this session made (by its CID, as share printed it)")
    .argument("<cid>")
    .option("--config-dir <dir>", "where sessions are stored ($TINYCLOUD_CONFIG_DIR, default ~/.config/tinycloud)")
    .option("--json", "machine-readable output")
    .action((cid: string, options: Common) =>
      withSession(options, async (session) => {
        let parsed: ReturnType<typeof parseCid>;
        try {
          parsed = parseCid(cid);
        } catch {
          throw new CliClientError("CLI_USAGE", `"${cid.slice(0, 80)}" is not a CID`);
        }
        await session.revoke(parsed);
        print(options.json, { revoked: parsed.toString() }, () => `revoked ${parsed.toString()}`);
      }),
    );
}
