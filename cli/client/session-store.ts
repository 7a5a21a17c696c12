/**
 * Where `tinycloud login` keeps its sessions: `<config dir>/sessions.json` (dir 0700, file 0600), written
 * atomically (a temp file in the same dir, then rename) so a crash never leaves half a file. The file
 * holds session keys (Ed25519 secrets limited to the delegated capabilities and expiry), never the wallet key.
 */
import { chmod, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { parseCid } from "../../core/cid.js";
import { hexToBytes } from "../../core/encoding.js";
import { ed25519Signer } from "../../core/keys.js";
import { NodeHttp, TinyCloudSession } from "../../node/client/client.js";
import { CliClientError, runClient } from "./errors.js";

export interface StoredSession {
  readonly node: string;
  readonly spaceId: string;
  readonly spaceName: string;
  /** The wallet's DID (`did:pkh:eip155:1:0x…`), the space owner. */
  readonly owner: string;
  /** The session key's DID. */
  readonly sessionDid: string;
  /** Hex Ed25519 secret of the session key. */
  readonly sessionKey: string;
  /** CIDs of the delegations that empower the session key. */
  readonly proofs: readonly string[];
  readonly abilities: readonly string[];
  /** Unix seconds. */
  readonly expiresAt: number;
  readonly createdAt: number;
}

interface SessionFile {
  readonly version: 1;
  /** The space id of the session the kv/share commands use. */
  readonly current: string | undefined;
  readonly sessions: readonly StoredSession[];
}

const FILE = "sessions.json";

/** `--config-dir`, else $TINYCLOUD_CONFIG_DIR, else ~/.config/tinycloud (XDG_CONFIG_HOME honoured). */
export function configDirOf(option: string | undefined): string {
  if (option !== undefined && option !== "") return option;
  const env = process.env["TINYCLOUD_CONFIG_DIR"];
  if (env !== undefined && env !== "") return env;
  const xdg = process.env["XDG_CONFIG_HOME"];
  return join(xdg !== undefined && xdg !== "" ? xdg : join(homedir(), ".config"), "tinycloud");
}

async function readSessionFile(dir: string): Promise<SessionFile> {
  let text: string;
  try {
    text = await readFile(join(dir, FILE), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { version: 1, current: undefined, sessions: [] };
    throw new CliClientError("CLI_CONFIG", `cannot read ${join(dir, FILE)}: ${(error as Error).message}`);
  }
  try {
    const parsed = JSON.parse(text) as SessionFile;
    if (parsed.version !== 1 || !Array.isArray(parsed.sessions)) throw new Error("unknown format");
    return parsed;
  } catch (error) {
    throw new CliClientError("CLI_CONFIG", `${join(dir, FILE)} is damaged (${(error as Error).message}): remove it and run tinycloud login`);
  }
}

/** Add (or replace: same node and space) a session and make it the current one. */
export async function saveSession(dir: string, session: StoredSession): Promise<string> {
  const file = await readSessionFile(dir);
  const now = Math.floor(Date.now() / 1000);
  // Expired sessions are dropped: their keys are useless and need not stay on disk.
  const others = file.sessions.filter((s) => !(s.node === session.node && s.spaceId === session.spaceId) && s.expiresAt > now);
  const next: SessionFile = { version: 1, current: session.spaceId, sessions: [...others, session] };
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // mkdir's mode only applies to a dir it creates (and is masked by the umask): make it private either way.
  await chmod(dir, 0o700);
  const path = join(dir, FILE);
  const temp = join(dir, `.${FILE}.${process.pid}.${Date.now()}.tmp`);
  try {
    await writeFile(temp, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600, flag: "wx" });
    await chmod(temp, 0o600);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw new CliClientError("CLI_CONFIG", `cannot write ${path}: ${(error as Error).message}`);
  }
  return path;
}

/** Every stored session (expired ones included, for `tinycloud spaces`) and which is current. */
export async function listSessions(dir: string): Promise<{ current: string | undefined; sessions: readonly StoredSession[] }> {
  const file = await readSessionFile(dir);
  return { current: file.current, sessions: file.sessions };
}

/** The current session, live; a missing or expired one is a usage error that says to log in. */
async function currentSession(dir: string): Promise<{ stored: StoredSession; session: TinyCloudSession }> {
  const file = await readSessionFile(dir);
  const stored = file.sessions.find((s) => s.spaceId === file.current);
  if (stored === undefined) throw new CliClientError("CLI_NO_SESSION", `no session in ${dir}: run tinycloud login`);
  if (stored.expiresAt <= Math.floor(Date.now() / 1000)) {
    throw new CliClientError("CLI_SESSION_EXPIRED", `the session for ${stored.spaceId} expired at ${new Date(stored.expiresAt * 1000).toISOString()}: run tinycloud login`);
  }
  const session = new TinyCloudSession(
    new NodeHttp(stored.node, fetch),
    stored.spaceId,
    ed25519Signer(hexToBytes(stored.sessionKey)),
    stored.proofs.map((cid) => parseCid(cid)),
    stored.expiresAt,
  );
  return { stored, session };
}

/** Run a command body with the current session (`--config-dir`); failures become one line and an exit code. */
export function withCurrentSession(options: { configDir?: string }, body: (session: TinyCloudSession) => Promise<void>): Promise<void> {
  return runClient(async (setNode) => {
    const { stored, session } = await currentSession(configDirOf(options.configDir));
    setNode(stored.node);
    await body(session);
  });
}
