/**
 * Issue 10: Groth16 keys must not be forgeable.
 *
 * The attacker only reads what is published (circuits/keys/<name>.provenance.json and .vkey.json),
 * recomputes δ of the published phase-2 beacon with a port of snarkjs' beacon key derivation
 * (test/helpers/groth16-forge.ts) and forges A = α, B = β, C = −δ⁻¹·vk_x for public signals of its
 * choice. For insecure-deterministic keys (the committed dev keys) that δ is the key's δ and snarkjs
 * accepts the forgery, which shows the test can fail; for CSPRNG keys the recomputed δ is wrong and the
 * forgery is rejected. keySecurity() labels each case.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { buildBn128 } from "ffjavascript";
import * as snarkjs from "snarkjs";
import { releaseSnarkjsWorkers, runSetup, type CircuitBuild, type SetupOptions } from "../../prover/setup/artifacts.js";
import { INSECURE_REASONS, keySecurity, type ProvenanceV2 } from "../../prover/setup/key-security.js";
import { createReporter } from "../../prover/setup/progress.js";
import { beaconDelta, deltaMatches, FR, forgeProof, publishedBeaconDelta } from "../helpers/groth16-forge.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CIRCUIT = "circuits/test/poseidon2.circom";
/** Public signals the attacker picks: out = Poseidon(a, b) is claimed for an `out` nobody computed. */
const FORGED_SIGNALS = ["4242424242", "77"];

let root: string;
let options: SetupOptions;

before(async () => {
  root = await mkdtemp(join(tmpdir(), "tinycloud-forgery-"));
  await mkdir(join(root, "circuits", "test"), { recursive: true });
  await cp(join(ROOT, CIRCUIT), join(root, CIRCUIT));
  const manifest = JSON.parse(await readFile(join(ROOT, "circuits", "circuits.json"), "utf8")) as { circuits: Array<{ name: string }> };
  await writeFile(join(root, "circuits", "circuits.json"), JSON.stringify({ circuits: manifest.circuits.filter((c) => c.name === "poseidon2") }));
  options = { root, circuits: ["poseidon2"], reporter: createReporter({ silent: true }) };
});

after(async () => {
  await releaseSnarkjsWorkers();
  await rm(root, { recursive: true, force: true });
});

async function published(build: CircuitBuild): Promise<{ provenance: ProvenanceV2; vkey: snarkjs.VerificationKey }> {
  return {
    provenance: JSON.parse(await readFile(build.published.provenance, "utf8")) as ProvenanceV2,
    vkey: JSON.parse(await readFile(build.published.verificationKey, "utf8")) as snarkjs.VerificationKey,
  };
}

/** The attacker's best δ from published data: the published beacon, else the deterministic recipe. */
function attackerDelta(provenance: ProvenanceV2, ptauId: string): bigint {
  return publishedBeaconDelta(provenance) ?? beaconDelta(createDeterministicBeacon(provenance.hash as string, ptauId), 10);
}

/** The recipe insecure-deterministic keys use (prover/setup/artifacts.ts makeKeys): the first thing an attacker tries. */
function createDeterministicBeacon(hash: string, ptauId: string): string {
  return createHash("sha256").update(`tinycloud dev zkey beacon v1\0${hash}\0${ptauId}`).digest("hex");
}

describe("Groth16 key forgery (issue 10)", () => {
  test("the ported beacon derivation matches snarkjs: the committed dev keys are forgeable", async () => {
    const provenance = JSON.parse(await readFile(join(ROOT, "circuits", "keys", "poseidon2.provenance.json"), "utf8")) as Record<string, unknown>;
    const vkey = JSON.parse(await readFile(join(ROOT, "circuits", "keys", "poseidon2.vkey.json"), "utf8")) as snarkjs.VerificationKey;
    const delta = publishedBeaconDelta(provenance);
    assert.ok(delta !== undefined, "the committed provenance publishes its beacon");
    assert.ok(deltaMatches(vkey, delta), "δ·G2 == vk_delta_2: δ follows from the published beacon");
    const proof = forgeProof(vkey, FORGED_SIGNALS, delta);
    assert.equal(await snarkjs.groth16.verify(vkey, FORGED_SIGNALS, proof), true, "snarkjs accepts a proof nobody computed");
    assert.equal(keySecurity(provenance).insecure, true, "and keySecurity says so");
  });

  test("insecure-deterministic keys: δ recomputed from the provenance reproduces vk_delta_2 and the forgery is ACCEPTED", async () => {
    // In the checkout itself (the content hash is root-relative), publishing into temporary directories:
    // this is what `npm run generate` does for the committed keys.
    const [build] = await runSetup({
      root: ROOT,
      circuits: ["poseidon2"],
      cacheDir: join(root, "checkout-cache"),
      keysDir: join(root, "checkout-keys"),
      contractsDir: join(root, "checkout-contracts"),
      phase2: "insecure-deterministic",
      reporter: createReporter({ silent: true }),
    });
    const { provenance, vkey } = await published(build!);
    assert.equal(provenance.phase2.kind, "insecure-deterministic");
    const delta = attackerDelta(provenance, build!.ptau.id);
    assert.ok(deltaMatches(vkey, delta));
    assert.equal(await snarkjs.groth16.verify(vkey, FORGED_SIGNALS, forgeProof(vkey, FORGED_SIGNALS, delta)), true);
    assert.deepEqual(keySecurity(provenance), { insecure: true, reasons: [INSECURE_REASONS.devPtau, INSECURE_REASONS.deterministicPhase2] });
    // The mode `npm run generate` uses reproduces the committed dev key exactly (only the provenance format changes).
    const committedVkey = JSON.parse(await readFile(join(ROOT, "circuits", "keys", "poseidon2.vkey.json"), "utf8")) as snarkjs.VerificationKey;
    assert.deepEqual(vkey, committedVkey);
    // Control: an honest proof verifies too.
    const honest = await snarkjs.groth16.fullProve({ a: "3", b: "4" }, build!.wasm, build!.zkey);
    assert.equal(await snarkjs.groth16.verify(vkey, honest.publicSignals, honest.proof), true);
  });

  test("CSPRNG keys on the dev ptau: the recomputed δ is wrong and the forgery is REJECTED (still insecure: dev ptau)", async () => {
    const [build] = await runSetup({ ...options, phase2: "csprng" });
    const { provenance, vkey } = await published(build!);
    assert.equal(provenance.phase2.kind, "csprng");
    assert.equal(provenance.phase2.beacon, undefined, "no beacon is published");
    const delta = attackerDelta(provenance, build!.ptau.id);
    assert.equal(deltaMatches(vkey, delta), false);
    assert.equal(await snarkjs.groth16.verify(vkey, FORGED_SIGNALS, forgeProof(vkey, FORGED_SIGNALS, delta)), false);
    // A random guess fares no better.
    const guess = BigInt(`0x${randomBytes(32).toString("hex")}`) % FR;
    assert.equal(await snarkjs.groth16.verify(vkey, FORGED_SIGNALS, forgeProof(vkey, FORGED_SIGNALS, guess)), false);
    assert.deepEqual(keySecurity(provenance), { insecure: true, reasons: [INSECURE_REASONS.devPtau] });
    const honest = await snarkjs.groth16.fullProve({ a: "3", b: "4" }, build!.wasm, build!.zkey);
    assert.equal(await snarkjs.groth16.verify(vkey, honest.publicSignals, honest.proof), true);
  });

  test("CSPRNG keys on a secret ptau: forgery REJECTED and keySecurity reports a secure key", async () => {
    const dir = join(root, "ptau");
    await mkdir(dir, { recursive: true });
    const curve = await buildBn128(true);
    await snarkjs.powersOfTau.newAccumulator(curve, 8, join(dir, "p0.ptau"));
    await curve.terminate();
    await snarkjs.powersOfTau.contribute(join(dir, "p0.ptau"), join(dir, "p1.ptau"), "test", randomBytes(32).toString("hex"));
    await snarkjs.powersOfTau.preparePhase2(join(dir, "p1.ptau"), join(dir, "final.ptau"));
    const [build] = await runSetup({ ...options, ptau: join(dir, "final.ptau") });
    const { provenance, vkey } = await published(build!);
    assert.equal(provenance.ptau.kind, "file");
    assert.match(provenance.ptau.sha256 ?? "", /^[0-9a-f]{64}$/);
    assert.deepEqual(keySecurity(provenance), { insecure: false, reasons: [] });
    assert.equal(provenance.insecure, false);
    const delta = attackerDelta(provenance, build!.ptau.id);
    assert.equal(deltaMatches(vkey, delta), false);
    assert.equal(await snarkjs.groth16.verify(vkey, FORGED_SIGNALS, forgeProof(vkey, FORGED_SIGNALS, delta)), false);
  });

  test("keySecurity does not trust a hand-edited flag", () => {
    const forged = { format: 2, ptau: { kind: "dev", insecure: false }, phase2: { kind: "csprng", contributions: [{ name: "x", hash: "00", type: "secret" }] }, insecure: false, insecureReasons: [] };
    assert.deepEqual(keySecurity(forged).reasons, [INSECURE_REASONS.devPtau]);
    const beaconOnly = { format: 2, ptau: { kind: "file", insecure: false }, phase2: { kind: "ceremony", contributions: [{ name: "b", hash: "00", type: "beacon" }] } };
    assert.deepEqual(keySecurity(beaconOnly).reasons, [INSECURE_REASONS.noSecretContribution]);
    assert.equal(keySecurity(null).insecure, true);
    assert.deepEqual(keySecurity({ ptau: { kind: "file", insecure: false } }).reasons, [INSECURE_REASONS.legacyFormat]);
  });
});
