/**
 * Private spaces stay private, and stay auditable by whom the owner chooses (issue 12 §2), against a real
 * node that proves and anchors its batches (embedded chain, depth-8 test circuits):
 *
 * - anonymous `audit`: every batch passes; a private space's updates are sealed (counted in the roots and
 *   the commitment, reported "skip: private space, no read capability");
 * - an auditor holding a delegation of tinycloud.kv/get on `<space>/kv` audits that space in full (salted
 *   keys, hiding leaves, the salt leaf), through the library and the CLI; tampered salts are caught;
 * - an auditor whose delegation is for ANOTHER space still sees the space sealed, and cannot claim it;
 * - `tinycloud verify` of a private URI with the reader's key passes end to end (salt proof, salted key,
 *   hiding leaf, value fetched with POST /invoke); without a key it fails with PRIVATE_SPACE.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import * as snarkjs from "snarkjs";
import { signIn, type TinyCloudSession } from "../../node/client/client.js";
import { bytesToHex } from "../../core/encoding.js";
import { ed25519Signer, type Ed25519Signer } from "../../core/keys.js";
import { releaseSnarkjsWorkers } from "../../prover/setup/artifacts.js";
import { auditBatch, type AuditReport, FixtureSource, formatAuditReport, type Groth16Verify, HttpAuditSource, RecordingSource, ViemAuditChain } from "../../lightclient/audit/index.js";
import { spacesAuthorization } from "../../lightclient/transports/read-auth.js";
import type { VerifyReport } from "../../lightclient/index.js";
import { startTestNode, type TestNode } from "../helpers/node.js";
import { testWallet } from "../helpers/wallets.js";
import { until } from "../helpers/until.js";

const DEPTH = 8;
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const NODE_BIN = join(ROOT, "node_modules/.bin/node");
const CLI = join(ROOT, "bin/tinycloud.js");

interface Status {
  latestBatch: number;
  anchoredBatch: number;
  pending: number;
  chain: { chainId: number; rpcUrl: string; anchor: `0x${string}` } | null;
}

const vkey = async (circuit: string) => JSON.parse(await readFile(join(ROOT, "circuits/keys", `${circuit}.vkey.json`), "utf8")) as object;
const groth16: Groth16Verify = (key, signals, proof) => snarkjs.groth16.verify(key as snarkjs.VerificationKey, [...signals], proof as snarkjs.Groth16Proof);

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(NODE_BIN, [CLI, ...args], { cwd: ROOT, timeout: 120_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof (error as { code?: unknown }).code === "number" ? (error as { code: number }).code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

async function healthy(url: string): Promise<void> {
  assert.equal((await fetch(`${url}/healthz`)).status, 200);
}

describe("private spaces: sealed to anyone, audited and verified by a delegated reader", () => {
  let node: TestNode | undefined;
  let dataDir: string;
  let scratch: string;
  let status: Status;
  let notes: TinyCloudSession;
  let diary: TinyCloudSession;
  let pub: TinyCloudSession;
  /** The auditor of "notes", and one whose delegation is for "diary". */
  let auditor: Ed25519Signer;
  let other: Ed25519Signer;
  let auditorProof: string;
  let otherProof: string;
  let auditorKeyFile: string;
  let otherKeyFile: string;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "tinycloud-private-audit-"));
    scratch = await mkdtemp(join(tmpdir(), "tinycloud-private-audit-scratch-"));
    node = await startTestNode({
      dataDir,
      prove: true,
      chain: "embedded",
      chainPort: 0,
      stateTreeDepth: DEPTH,
      circuits: ["epoch_transition_1_d8", "epoch_transition_2_d8"],
      batchMaxUpdates: 2,
      batchMaxDelayMs: 150,
    });
    const wallet = testWallet(0x71);
    notes = await signIn({ url: node.url, wallet, space: "notes" });
    diary = await signIn({ url: node.url, wallet, space: "diary" });
    pub = await signIn({ url: node.url, wallet, space: "public" });
    await notes.kv.put("medical/result", "positive", { metadata: { patient: "Jane Doe" } });
    await pub.kv.put("hello.txt", "hello, world");
    await notes.kv.put("medical/result", "negative");
    await diary.kv.put("day1", "dear diary");
    await notes.kv.put("todo", "buy milk");
    await notes.kv.del("todo");

    // The owner delegates tinycloud.kv/get on the whole kv service of a space (<space>/kv: path "") to an auditor's key.
    auditor = ed25519Signer(new Uint8Array(32).fill(0x41));
    other = ed25519Signer(new Uint8Array(32).fill(0x42));
    auditorProof = (await notes.share({ to: auditor.did, path: "", abilities: ["tinycloud.kv/get"] })).cid.toString();
    otherProof = (await diary.share({ to: other.did, path: "", abilities: ["tinycloud.kv/get"] })).cid.toString();
    auditorKeyFile = join(scratch, "auditor.json");
    otherKeyFile = join(scratch, "other.json");
    await writeFile(auditorKeyFile, JSON.stringify({ did: auditor.did, secretKeyHex: bytesToHex(new Uint8Array(32).fill(0x41)) }));
    await writeFile(otherKeyFile, bytesToHex(new Uint8Array(32).fill(0x42)));

    status = await until(
      async () => {
        const s = (await (await fetch(`${node!.url}/rollup/status`)).json()) as Status;
        return s.pending === 0 && s.latestBatch >= 3 && s.anchoredBatch === s.latestBatch ? s : undefined;
      },
      "every batch anchored",
      // Generous: a checkout's first run also builds the depth-8 test circuits' keys (cached in .cache/ after).
      { timeoutMs: 900_000, intervalMs: 250 },
    );
  });

  after(async () => {
    await node?.stop();
    await rm(dataDir, { recursive: true, force: true });
    await rm(scratch, { recursive: true, force: true });
    await releaseSnarkjsWorkers();
  });

  function audit(n: number, source: HttpAuditSource | FixtureSource | RecordingSource): Promise<AuditReport> {
    assert.ok(status.chain);
    return auditBatch({ batch: n, source, chain: new ViemAuditChain({ rpcUrl: status.chain.rpcUrl, anchor: status.chain.anchor }), vkey, groth16 });
  }
  const anonymous = () => new HttpAuditSource(node!.url);
  const authorized = (key: Ed25519Signer, proof: string, spaceId: string) => new HttpAuditSource(node!.url, fetch, spacesAuthorization({ signer: key, proofs: [proof] }, [spaceId]));

  /** Audit every batch; return the reports. */
  async function auditAll(source: () => HttpAuditSource): Promise<AuditReport[]> {
    const reports: AuditReport[] = [];
    for (let n = 1; n <= status.latestBatch; n++) reports.push(await audit(n, source()));
    return reports;
  }

  function batchChecksPass(report: AuditReport): void {
    for (const c of report.checks) assert.equal(c.status, "pass", `batch ${report.batch} ${c.name}: ${c.code} ${c.reason}`);
  }

  test("anonymous audit: every batch passes, private updates are sealed and skipped, public ones checked", async () => {
    const reports = await auditAll(anonymous);
    let sealed = 0;
    const checked: string[] = [];
    for (const report of reports) {
      assert.equal(report.ok, true, formatAuditReport(report));
      batchChecksPass(report);
      for (const e of report.events) {
        if (e.sealed === true) {
          sealed++;
          assert.equal(e.reason, "skip: private space, no read capability");
          assert.equal(e.spaceId, "");
        } else checked.push(`${e.op} ${e.spaceId.split(":").pop()}/${e.path}`);
      }
      assert.equal(report.summary.eventsSealed, report.events.filter((e) => e.sealed === true).length);
    }
    // notes: salt leaf + 4 writes; diary: salt leaf + 1 write. Only the public write is event-checked.
    assert.equal(sealed, 7);
    assert.deepEqual(checked, ["put public/hello.txt"]);
    const text = formatAuditReport(reports.find((r) => r.summary.eventsSealed > 0)!);
    assert.match(text, /sealed: skip: private space, no read capability/);
    assert.doesNotMatch(text, /medical|todo|Jane/);
    await healthy(node!.url);
  });

  test("an auditor delegated kv/get on notes audits it in full: salt leaf, salted keys, hiding leaves", async () => {
    const reports = await auditAll(() => authorized(auditor, auditorProof, notes.spaceId));
    const seen: string[] = [];
    let sealed = 0;
    for (const report of reports) {
      assert.equal(report.ok, true, formatAuditReport(report));
      batchChecksPass(report);
      for (const e of report.events) {
        if (e.sealed === true) {
          sealed++;
          continue;
        }
        assert.equal(e.ok, true, `${e.code} ${e.reason}`);
        seen.push(`${e.op} ${e.spaceId.split(":").pop()}/${e.path}`);
        if (e.op === "salt") {
          assert.deepEqual(
            e.checks.map((c) => [c.name, c.status]),
            [
              ["salt-leaf", "pass"],
              ["salt-first", "pass"],
              ["salt-justified", "pass"],
            ],
          );
        } else assert.ok(e.checks.every((c) => c.status === "pass"));
      }
    }
    // The diary space (salt leaf + 1 write) stays sealed: the delegation is for notes only.
    assert.equal(sealed, 2);
    assert.deepEqual(seen, ["salt notes/salt", "put notes/medical/result", "put public/hello.txt", "put notes/medical/result", "put notes/todo", "del notes/todo"]);
    await healthy(node!.url);
  });

  test("an auditor whose delegation is for another space still sees notes sealed, and cannot claim notes with it", async () => {
    const reports = await auditAll(() => authorized(other, otherProof, diary.spaceId));
    const open = reports.flatMap((r) => r.events.filter((e) => e.sealed !== true).map((e) => e.spaceId.split(":").pop()));
    assert.ok(reports.every((r) => r.ok));
    assert.deepEqual([...new Set(open)].sort(), ["diary", "public"]);
    assert.equal(
      reports.reduce((n, r) => n + r.summary.eventsSealed, 0),
      5,
    );
    // Claiming notes with diary's delegation: the node refuses the token itself (the audit cannot start).
    await assert.rejects(audit(1, authorized(other, otherProof, notes.spaceId)), /answered 40[13]/);
    const r = await cli(["audit", "--batch", "1", "--node", node!.url, "--auth-key", otherKeyFile, "--proof", otherProof, "--space", notes.spaceId]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    await healthy(node!.url);
  });

  test("the CLI audits a private batch with --auth-key/--proof/--space (exit 0), and bad usage exits 2", async () => {
    assert.ok(status.chain);
    const chainArgs = ["--rpc", status.chain.rpcUrl, "--contract", status.chain.anchor];
    for (let n = 1; n <= status.latestBatch; n++) {
      const r = await cli(["audit", "--batch", String(n), "--node", node!.url, ...chainArgs, "--auth-key", auditorKeyFile, "--proof", auditorProof, "--space", notes.spaceId, "--json"]);
      assert.equal(r.code, 0, r.stderr + r.stdout);
      const report = JSON.parse(r.stdout) as AuditReport;
      assert.equal(report.ok, true);
      assert.ok(report.events.every((e) => e.sealed !== true || !e.spaceId.endsWith(":notes")));
    }
    const anon = await cli(["audit", "--batch", "1", "--node", node!.url, ...chainArgs]);
    assert.equal(anon.code, 0, anon.stderr + anon.stdout);
    assert.match(anon.stdout, /sealed update\(s\) of private spaces skipped/);
    assert.equal((await cli(["audit", "--batch", "1", "--node", node!.url, "--auth-key", auditorKeyFile, "--proof", auditorProof])).code, 2, "--auth-key without --space");
    assert.equal((await cli(["audit", "--batch", "1", "--node", node!.url, "--proof", auditorProof, "--space", notes.spaceId])).code, 2, "--proof without --auth-key");
    assert.equal((await cli(["audit", "--batch", "1", "--node", node!.url, "--auth-key", auditorKeyFile, "--proof", "not-a-cid", "--space", notes.spaceId])).code, 2, "a bad CID");
  });

  test("tampered salts in the full records are caught (salt leaf, space salt of a write)", async () => {
    const recorder = new RecordingSource(authorized(auditor, auditorProof, notes.spaceId));
    // The batch with notes' salt leaf.
    let n = 0;
    for (let k = 1; k <= status.latestBatch && n === 0; k++) {
      const report = await audit(k, recorder);
      if (report.events.some((e) => e.op === "salt" && e.spaceId === notes.spaceId)) n = k;
    }
    assert.ok(n > 0, "a batch holds notes' salt leaf");
    const fixture = recorder.fixture;
    const edit = (change: (updates: Record<string, unknown>[]) => void) => {
      const copy = structuredClone(fixture);
      change((copy.batches[String(n)] as { updates: Record<string, unknown>[] }).updates);
      return new FixtureSource(copy);
    };
    assert.equal((await audit(n, new FixtureSource(structuredClone(fixture)))).ok, true);

    // The write after the salt leaf claims another space salt (its key and value unchanged: roots still hold).
    const otherSalt = edit((updates) => {
      const write = updates.find((u) => u["service"] === "kv" && u["spaceId"] === notes.spaceId)!;
      write["spaceSalt"] = "12345";
    });
    const r1 = await audit(n, otherSalt);
    assert.equal(r1.ok, false);
    const write = r1.events.find((e) => e.op === "put" && e.spaceId === notes.spaceId)!;
    assert.equal(write.code, "UPDATE_MISMATCH");
    assert.match(write.reason, /not the salt the space's salt leaf commits/);
    const salt = r1.events.find((e) => e.op === "salt")!;
    assert.equal(salt.code, "SALT_UNJUSTIFIED");

    // The salt leaf names another space salt than the one its value commits.
    const r2 = await audit(
      n,
      edit((updates) => {
        const leaf = updates.find((u) => u["service"] === "space")!;
        leaf["spaceSalt"] = "12345";
      }),
    );
    assert.equal(r2.events.find((e) => e.op === "salt")?.code, "SALT_LEAF_MISMATCH");

    // A wrong leaf salt on the write.
    const r3 = await audit(
      n,
      edit((updates) => {
        const w = updates.find((u) => u["service"] === "kv" && u["spaceId"] === notes.spaceId)!;
        w["salt"] = "7";
      }),
    );
    assert.equal(r3.events.find((e) => e.op === "put" && e.spaceId === notes.spaceId)?.code, "UPDATE_MISMATCH");

    // The salt leaf moved after the write it belongs to (a salted key committed before its salt).
    const r4 = await audit(
      n,
      edit((updates) => {
        const i = updates.findIndex((u) => u["service"] === "space" && u["spaceId"] === notes.spaceId);
        const [leaf] = updates.splice(i, 1);
        updates.push(leaf!);
      }),
    );
    assert.equal(r4.ok, false);
    const moved = r4.events.find((e) => e.op === "salt")!;
    assert.equal(moved.code, "SALT_NOT_FIRST");
    // Now last in its batch, it would be justified by batch n+1's first update, which the fixture does not hold.
    assert.notEqual(moved.checks.find((c) => c.name === "salt-justified")?.status, "pass");
  });

  const verifyArgs = (uri: string, extra: string[] = []) => {
    assert.ok(status.chain);
    // The depth-8 test circuits are not built in: pin them from this checkout.
    return ["verify", uri, "--node", node!.url, "--rpc", status.chain.rpcUrl, "--contract", status.chain.anchor, "--vkeys", join(ROOT, "circuits/keys"), "--json", ...extra];
  };

  test("verify of a private URI with the reader's key passes end to end; without a key it fails with PRIVATE_SPACE", async () => {
    const uri = `${notes.spaceId}/kv/medical/result`;
    const ok = await cli(verifyArgs(uri, ["--auth-key", auditorKeyFile, "--proof", auditorProof]));
    const report = JSON.parse(ok.stdout) as VerifyReport;
    assert.equal(ok.code, 0, JSON.stringify(report.steps, null, 1));
    assert.deepEqual(
      report.steps.map((s) => s.code),
      ["VKEY_OK", "PROOF_OK", "ROOT_ANCHORED", "PATH_OK", "VALUE_OK"],
    );
    assert.equal(report.steps[3]!.data?.["private"], true);
    assert.deepEqual(report.entry && { kind: report.entry.kind, version: (report.entry as { version: number }).version }, { kind: "value", version: 2 });

    // A deleted private key is proven a tombstone with the same key.
    const deleted = JSON.parse((await cli(verifyArgs(`${notes.spaceId}/kv/todo`, ["--auth-key", auditorKeyFile, "--proof", auditorProof]))).stdout) as VerifyReport;
    assert.equal(deleted.steps[4]!.code, "VALUE_DELETED", JSON.stringify(deleted.steps));

    const none = await cli(verifyArgs(uri));
    assert.equal(none.code, 1, none.stdout);
    const failed = JSON.parse(none.stdout) as VerifyReport;
    assert.equal(failed.failedStep, "path");
    assert.match(failed.steps[3]!.reason, /403.*PRIVATE_SPACE/);

    // The key of another space's reader is refused the same way.
    const wrong = JSON.parse((await cli(verifyArgs(uri, ["--auth-key", otherKeyFile, "--proof", otherProof]))).stdout) as VerifyReport;
    assert.equal(wrong.ok, false);
    assert.equal(wrong.failedStep, "path");

    // Bad usage: --proof without --auth-key.
    assert.equal((await cli(verifyArgs(uri, ["--proof", auditorProof]))).code, 2);
    await healthy(node!.url);
  });
});
