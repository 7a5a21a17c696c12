/**
 * The multi-party phase-2 ceremony (prover/setup/ceremony.ts, `tinycloud ceremony`) on the tiny
 * poseidon2 circuit with a secret power-8 ptau: start → two contributors → verify → finalize with a
 * public beacon → an honest proof verifies with the exported key and a forgery from the published data
 * does not. Refusals: finalize with no contribution, tampered keys (with a non-zero CLI exit), contributing
 * after finalize. The entropy of every contribution is captured at the CSPRNG and must appear in no file.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { syncBuiltinESMExports } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import * as binFileUtils from "@iden3/binfileutils";
import { buildBn128 } from "ffjavascript";
import * as snarkjs from "snarkjs";
import { publishedPhase2, releaseSnarkjsWorkers, runSetup, SetupError } from "../../prover/setup/artifacts.js";
import { contributeCeremony, finalizeCeremony, startCeremony, verifyCeremony, type CeremonyContribution } from "../../prover/setup/ceremony.js";
import { keySecurity, type KeyTranscript, type ProvenanceV2 } from "../../prover/setup/key-security.js";
import { KeyError } from "../../prover/setup/phase2.js";
import { createReporter } from "../../prover/setup/progress.js";
import { deltaMatches, forgeProof, publishedBeaconDelta } from "../helpers/groth16-forge.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CLI = fileURLToPath(new URL("../../bin/tinycloud.js", import.meta.url));
const CIRCUIT = "circuits/test/poseidon2.circom";
const BEACON = "5bd1e995ab3c47fb0000000000000000000000000000000000000000c0ffee01";

let root: string;
let dir: string;
let ptau: string;
const options = () => ({ root, reporter: createReporter({ silent: true }) });
const contributions: CeremonyContribution[] = [];
/** Every buffer the CSPRNG produced while contributions ran (our entropy and snarkjs' own). */
const drawn: Buffer[] = [];

before(async () => {
  root = await mkdtemp(join(tmpdir(), "tinycloud-ceremony-"));
  await mkdir(join(root, "circuits", "test"), { recursive: true });
  await cp(join(ROOT, CIRCUIT), join(root, CIRCUIT));
  const manifest = JSON.parse(await readFile(join(ROOT, "circuits", "circuits.json"), "utf8")) as { circuits: Array<{ name: string }> };
  await writeFile(join(root, "circuits", "circuits.json"), JSON.stringify({ circuits: manifest.circuits.filter((c) => c.name === "poseidon2") }));
  const p = join(root, "ptau");
  await mkdir(p);
  const curve = await buildBn128(true);
  await snarkjs.powersOfTau.newAccumulator(curve, 8, join(p, "p0.ptau"));
  await curve.terminate();
  await snarkjs.powersOfTau.contribute(join(p, "p0.ptau"), join(p, "p1.ptau"), "phase 1", crypto.randomBytes(32).toString("hex"));
  ptau = join(p, "final.ptau");
  await snarkjs.powersOfTau.preparePhase2(join(p, "p1.ptau"), ptau);
  dir = join(root, "ceremony");
});

after(async () => {
  await releaseSnarkjsWorkers();
  await rm(root, { recursive: true, force: true });
});

async function rejectsWith(promise: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof KeyError, `a KeyError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    return true;
  });
}

/** Run `fn` with crypto.randomBytes / randomFillSync recording their output (the ESM bindings follow). */
async function capturingEntropy<T>(fn: () => Promise<T>): Promise<T> {
  const { randomBytes, randomFillSync } = crypto;
  crypto.randomBytes = ((size: number, ...rest: unknown[]) => {
    const out = (randomBytes as (n: number) => Buffer)(size);
    drawn.push(Buffer.from(out));
    if (typeof rest[0] === "function") (rest[0] as (e: null, b: Buffer) => void)(null, out);
    return out;
  }) as typeof crypto.randomBytes;
  crypto.randomFillSync = (<T extends NodeJS.ArrayBufferView>(buffer: T, offset?: number, size?: number): T => {
    const out = randomFillSync(buffer, offset, size);
    drawn.push(Buffer.from(new Uint8Array(out.buffer, out.byteOffset, out.byteLength)));
    return out;
  }) as typeof crypto.randomFillSync;
  syncBuiltinESMExports();
  try {
    return await fn();
  } finally {
    crypto.randomBytes = randomBytes;
    crypto.randomFillSync = randomFillSync;
    syncBuiltinESMExports();
  }
}

async function copyDir(to: string): Promise<string> {
  await cp(dir, to, { recursive: true });
  return to;
}

async function flipByte(file: string, offset: number): Promise<void> {
  const bytes = await readFile(file);
  bytes[offset] = bytes[offset]! ^ 0xff;
  await writeFile(file, bytes);
}

async function sectionOffset(file: string, section: number): Promise<{ p: number; size: number }> {
  const { fd, sections } = await binFileUtils.readBinFile(file, "zkey", 2);
  await fd.close();
  return sections[section]![0]!;
}

describe("phase-2 ceremony", () => {
  test("start compiles the circuit and writes the initial key; finalize with no contribution is refused", async () => {
    const state = await startCeremony("poseidon2", dir, { ...options(), ptau });
    assert.equal(state.circuit.name, "poseidon2");
    assert.equal(state.contributions.length, 0);
    assert.equal(state.ptau.info.kind, "file");
    assert.match(state.circuitHash, /^[0-9a-f]{128}$/);
    assert.deepEqual((await readdir(dir)).sort(), ["ceremony.json", "poseidon2.r1cs", "poseidon2.wasm", "poseidon2_0000.zkey"]);
    await rejectsWith(finalizeCeremony(dir, { ...options(), beacon: BEACON }), "CEREMONY_NO_CONTRIBUTIONS", /at least one secret contribution/);
    await rejectsWith(startCeremony("poseidon2", dir, { ...options(), ptau }), "CEREMONY_BAD_DIR");
  });

  test("two contributors, each with CSPRNG entropy; verify reports both", async () => {
    await capturingEntropy(async () => {
      contributions.push(await contributeCeremony(dir, "Alice", { reporter: createReporter({ silent: true }) }));
      // Bob checks the chain before adding to it.
      contributions.push(await contributeCeremony(dir, "Bob", { ...options(), verify: true }));
    });
    assert.deepEqual(
      contributions.map((c) => [c.index, c.name, c.zkey]),
      [
        [1, "Alice", "poseidon2_0001.zkey"],
        [2, "Bob", "poseidon2_0002.zkey"],
      ],
    );
    assert.ok(
      drawn.some((b) => b.length === 64),
      "the entropy came from the CSPRNG",
    );
    const v = await verifyCeremony(dir, options());
    assert.deepEqual(
      v.contributions.map((c) => ({ name: c.name, hash: c.hash, type: c.type })),
      contributions.map((c) => ({ name: c.name, hash: c.hash, type: "secret" })),
    );
  });

  test("tampered keys fail verification with a clear error (and a non-zero CLI exit)", async () => {
    // A byte of Bob's contribution record (its transcript, near the end of the MPC section).
    const a = await copyDir(join(root, "tampered-mpc"));
    const mpc = await sectionOffset(join(a, "poseidon2_0002.zkey"), 10);
    await flipByte(join(a, "poseidon2_0002.zkey"), mpc.p + mpc.size - 40);
    await rejectsWith(verifyCeremony(a, options()), "KEY_VERIFY_FAILED", /does not verify.*Inconsistent transcript/s);
    await rejectsWith(contributeCeremony(a, "Carol", { reporter: createReporter({ silent: true }) }), "CEREMONY_STATE_MISMATCH", /differ from the 2 in ceremony\.json/);

    // A byte of the key material (L section) that the contributions are supposed to have produced.
    const b = await copyDir(join(root, "tampered-l"));
    const l = await sectionOffset(join(b, "poseidon2_0002.zkey"), 8);
    await flipByte(join(b, "poseidon2_0002.zkey"), l.p + 70);
    await rejectsWith(verifyCeremony(b, options()), "KEY_VERIFY_FAILED");
    await rejectsWith(finalizeCeremony(b, options()), "KEY_VERIFY_FAILED");
    await rejectsWith(contributeCeremony(b, "Carol", { ...options(), verify: true }), "KEY_VERIFY_FAILED");
    await rejectsWith(contributeCeremony(dir, " ", options()), "CEREMONY_BAD_NAME");

    // Not a zkey at all.
    const c = await copyDir(join(root, "tampered-file"));
    await writeFile(join(c, "poseidon2_0002.zkey"), "not a key");
    await rejectsWith(verifyCeremony(c, options()), "KEY_BAD_ZKEY");

    // The wrong ptau (the unprepared phase-1 file the fixture started from).
    await rejectsWith(verifyCeremony(dir, { ...options(), ptau: join(root, "ptau", "p1.ptau") }), "CEREMONY_BAD_PTAU", /not the ptau this ceremony started with/);

    const cli = spawnSync(process.execPath, [CLI, "ceremony", "verify", a], { encoding: "utf8", env: { ...process.env, NODE_PRESERVE_SYMLINKS: "1" } });
    assert.notEqual(cli.status, 0, cli.stdout);
    assert.match(cli.stderr, /error KEY_VERIFY_FAILED: .*does not verify/);
  });

  test("finalize with a public beacon and --publish; an honest proof verifies, a forgery from the published data does not", async () => {
    // --publish compiles the contracts of the checkout: give the temporary root the real ones.
    await mkdir(join(root, "contracts", "interfaces"), { recursive: true });
    for (const sub of ["contracts", "contracts/interfaces"]) {
      for (const f of (await readdir(join(ROOT, sub))).filter((n) => n.endsWith(".sol"))) await cp(join(ROOT, sub, f), join(root, sub, f));
    }
    const r = await finalizeCeremony(dir, { ...options(), beacon: BEACON, iterations: 10, publish: true });
    assert.equal(r.verification.contributions.length, 3);
    assert.deepEqual(
      r.verification.contributions.map((c) => c.type),
      ["secret", "secret", "beacon"],
    );
    assert.deepEqual(r.security, { insecure: false, reasons: [] });
    const provenance = JSON.parse(await readFile(join(dir, "poseidon2.provenance.json"), "utf8")) as ProvenanceV2;
    assert.equal(provenance.format, 2);
    assert.equal(provenance.phase2.kind, "ceremony");
    assert.deepEqual(provenance.phase2.beacon, { hashHex: BEACON, numIterationsExp: 10 });
    assert.equal(provenance.insecure, false);
    assert.deepEqual(keySecurity(provenance), { insecure: false, reasons: [] });
    const transcript = JSON.parse(await readFile(join(dir, "poseidon2.transcript.json"), "utf8")) as KeyTranscript;
    assert.deepEqual(
      transcript.contributions.slice(0, 2).map((c) => [c.name, c.hash]),
      contributions.map((c) => [c.name, c.hash]),
      "every contributor finds their hash",
    );
    const sol = await readFile(join(dir, "Poseidon2Verifier.sol"), "utf8");
    assert.match(sol, /\bcontract Poseidon2Verifier\b/);

    const vkey = JSON.parse(await readFile(join(dir, "poseidon2.vkey.json"), "utf8")) as snarkjs.VerificationKey;
    const { proof, publicSignals } = await snarkjs.groth16.fullProve({ a: "3", b: "4" }, join(dir, "poseidon2.wasm"), join(dir, "poseidon2.zkey"));
    assert.equal(await snarkjs.groth16.verify(vkey, publicSignals, proof), true);

    // The attacker recomputes the beacon's δ from the provenance: the secret contributions make it useless.
    const delta = publishedBeaconDelta(provenance)!;
    assert.equal(deltaMatches(vkey, delta), false);
    assert.equal(await snarkjs.groth16.verify(vkey, ["4242", "77"], forgeProof(vkey, ["4242", "77"], delta)), false);

    // Published into the checkout, and installed where setup (and so the node) finds it.
    assert.ok(r.published.some((f) => f.endsWith(join("circuits", "keys", "poseidon2.provenance.json"))));
    assert.equal(await readFile(join(root, "circuits", "keys", "poseidon2.vkey.json"), "utf8"), await readFile(join(dir, "poseidon2.vkey.json"), "utf8"));
    const artifacts = JSON.parse(await readFile(join(root, "contracts", "generated", "artifacts.json"), "utf8")) as { contracts: Record<string, unknown> };
    assert.ok(artifacts.contracts["Poseidon2Verifier"], "the ceremony verifier is compiled");
    assert.equal(await publishedPhase2(["poseidon2"], { root }), "ceremony");
    const [build] = await runSetup({ root, circuits: ["poseidon2"], ptau, phase2: "ceremony", reporter: createReporter({ silent: true }) });
    assert.deepEqual(build!.cached, { compile: true, keys: true });
    assert.equal(await readFile(build!.verificationKey, "utf8"), await readFile(join(dir, "poseidon2.vkey.json"), "utf8"));
    assert.deepEqual(build!.published.changed, [], "setup republishes the ceremony's files byte for byte");
    await assert.rejects(
      runSetup({ root, circuits: ["poseidon2"], phase2: "ceremony", reporter: createReporter({ silent: true }) }),
      (e: unknown) => e instanceof SetupError && e.code === "SETUP_NO_CEREMONY_KEYS",
    );

    const again = await verifyCeremony(dir, options());
    assert.equal(again.zkey, "poseidon2.zkey");
    await rejectsWith(contributeCeremony(dir, "Late", { reporter: createReporter({ silent: true }) }), "CEREMONY_FINALIZED");
    await rejectsWith(finalizeCeremony(dir, options()), "CEREMONY_FINALIZED");
  });

  test("no contribution's entropy appears in any file of the ceremony directory", async () => {
    const secrets = drawn.filter((b) => b.length >= 32);
    assert.ok(secrets.length >= 2);
    const needles = secrets.flatMap((b) => [b, Buffer.from(b.toString("hex")), Buffer.from(b.toString("hex").toUpperCase()), Buffer.from(b.toString("base64"))]);
    const files = await readdir(dir);
    for (const f of files) {
      const bytes = await readFile(join(dir, f));
      for (const needle of needles) assert.equal(bytes.includes(needle.subarray(0, 16)), false, `${f} holds entropy`);
    }
  });
});
