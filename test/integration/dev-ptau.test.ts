/**
 * The INSECURE dev ptau generator (prover/ptau/dev-ptau.ts):
 *  - its power-8 output is byte-identical to snarkjs `powersoftau new` + `beacon` (same beacon) +
 *    `prepare phase2`, section by section (tau powers, contribution record, Lagrange sections);
 *  - a tiny circuit (circomlib Poseidon(2), circom2 --O2) gets a zkey from it through
 *    snarkjs zKey.newZKey, proves with groth16.fullProve and verifies with groth16.verify;
 *  - the fixed-base worker pool agrees with ffjavascript's scalar multiplication.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";
import * as binFileUtils from "@iden3/binfileutils";
import { buildBn128, type Curve } from "ffjavascript";
import * as snarkjs from "snarkjs";
import { DEFAULT_DEV_NAME, devPtauBeacon, generateDevPtau, type DevPtauResult } from "../../prover/ptau/dev-ptau.js";
import { FixedBasePool } from "../../prover/ptau/fixed-base.js";
import { releaseSnarkjsWorkers } from "../../prover/setup/artifacts.js";
import { circomlibParent } from "../mutation/compile.js";

const POWER = 8;
const PTAU_SECTIONS = [1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15];

let dir: string;
let dev: DevPtauResult;
let devFile: string;
let curve: Curve;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "tinycloud-dev-ptau-"));
  devFile = join(dir, `dev-${POWER}.ptau`);
  curve = await buildBn128(true);
});

after(async () => {
  await releaseSnarkjsWorkers();
  await curve.terminate();
  await rm(dir, { recursive: true, force: true });
});

async function sections(file: string): Promise<Map<number, Uint8Array>> {
  const { fd, sections } = await binFileUtils.readBinFile(file, "ptau", 1);
  try {
    const out = new Map<number, Uint8Array>();
    sections.forEach((list, id) => {
      assert.equal(list?.length ?? 1, 1, `section ${id} appears once`);
    });
    for (const id of PTAU_SECTIONS) out.set(id, await binFileUtils.readSection(fd, sections, id));
    return out;
  } finally {
    await fd.close();
  }
}

describe("dev ptau", () => {
  test(`power ${POWER}: byte-identical to snarkjs new + beacon + prepare phase2`, async () => {
    const phases = new Set<string>();
    let last = 0;
    let total = 0;
    dev = await generateDevPtau(devFile, {
      power: POWER,
      onProgress: (done, t, phase) => {
        assert.ok(done >= last, "progress never goes back");
        last = done;
        total = t;
        phases.add(phase);
      },
    });
    assert.equal(last, total, "progress reaches its total");
    for (const p of ["tauG1", "tauG2", "alphaTauG1", "betaTauG1", "betaG2", "lagrange tauG1", "lagrange tauG2", "lagrange alphaTauG1", "lagrange betaTauG1", "done"])
      assert.ok(phases.has(p), `phase ${p} reported`);

    const { beaconHashHex, numIterationsExp } = devPtauBeacon();
    assert.equal(dev.beaconHashHex, beaconHashHex);
    const p0 = join(dir, "snarkjs-0.ptau");
    const p1 = join(dir, "snarkjs-1.ptau");
    const final = join(dir, "snarkjs-final.ptau");
    await snarkjs.powersOfTau.newAccumulator(curve, POWER, p0);
    const response = await snarkjs.powersOfTau.beacon(p0, p1, DEFAULT_DEV_NAME, beaconHashHex, numIterationsExp);
    assert.ok(response instanceof Uint8Array, "snarkjs beacon succeeded");
    assert.equal(Buffer.from(response).toString("hex"), dev.responseHashHex, "same contribution response hash");
    await snarkjs.powersOfTau.preparePhase2(p1, final);

    const mine = await sections(devFile);
    const theirs = await sections(final);
    for (const id of PTAU_SECTIONS) {
      assert.ok(Buffer.from(mine.get(id)!).equals(Buffer.from(theirs.get(id)!)), `section ${id} equal (${mine.get(id)!.byteLength} / ${theirs.get(id)!.byteLength} bytes)`);
    }
    assert.ok((await readFile(devFile)).equals(await readFile(final)), "whole files byte-identical");
  });

  test("rejects powers outside 1..27 and bad names", async () => {
    await assert.rejects(generateDevPtau(join(dir, "x.ptau"), { power: 0 }), /power must be an integer in 1\.\.27/);
    await assert.rejects(generateDevPtau(join(dir, "x.ptau"), { power: 28 }), /power must be an integer in 1\.\.27/);
    await assert.rejects(generateDevPtau(join(dir, "x.ptau"), { power: 4, name: "ü" }), /printable ASCII/);
  });

  test("a Poseidon(2) circuit gets a zkey from the dev ptau, proves and verifies", async () => {
    assert.ok(dev, "needs the power-8 file from the first test");
    const circuit = join(dir, "poseidon2_main.circom");
    await writeFile(
      circuit,
      [
        "pragma circom 2.0.0;",
        'include "circomlib/circuits/poseidon.circom";',
        "template T() { signal input a; signal input b; signal output out; component h = Poseidon(2); h.inputs[0] <== a; h.inputs[1] <== b; out <== h.out; }",
        "component main {public [a]} = T();",
        "",
      ].join("\n"),
    );
    const cli = createRequire(import.meta.url).resolve("circom2/cli.js");
    await promisify(execFile)(process.execPath, [cli, circuit, "--O2", "--r1cs", "--wasm", "-l", circomlibParent(), "-o", dir], { cwd: "/" });
    const r1cs = join(dir, "poseidon2_main.r1cs");
    const wasm = join(dir, "poseidon2_main_js", "poseidon2_main.wasm");
    const zkey = join(dir, "poseidon2.zkey");
    const errors: string[] = [];
    const logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (m: string) => void errors.push(m) };
    const created = await snarkjs.zKey.newZKey(r1cs, devFile, zkey, logger);
    assert.notEqual(created, -1, errors.join("; "));
    const vk = await snarkjs.zKey.exportVerificationKey(zkey);

    const { proof, publicSignals } = await snarkjs.groth16.fullProve({ a: "1", b: "2" }, wasm, zkey);
    // Poseidon(1, 2) with circomlib's constants.
    assert.deepEqual(publicSignals, ["7853200120776062878684798364095072458815029376092732009249414926327459813530", "1"]);
    assert.equal(await snarkjs.groth16.verify(vk, publicSignals, proof), true);
    assert.equal(await snarkjs.groth16.verify(vk, [publicSignals[0]!, "2"], proof), false, "a changed public input fails");
  });

  test("fixed-base pool matches ffjavascript scalar multiplication", async () => {
    const r = curve.r;
    const scalars = [1n, 2n, 3n, 255n, 256n, 4095n, 4096n, r - 1n, (1n << 253n) + 12345n];
    for (let i = 0; i < 7; i++) scalars.push(BigInt(`0x${randomBytes(32).toString("hex")}`) % r);
    const bytes = () => {
      const out = new Uint8Array(scalars.length * 32);
      const view = new DataView(out.buffer);
      scalars.forEach((s, i) => {
        for (let j = 0; j < 4; j++) view.setBigUint64(i * 32 + j * 8, (s >> BigInt(64 * j)) & ((1n << 64n) - 1n), true);
      });
      return out;
    };
    for (const windowBits of [8, 11]) {
      const pool = await FixedBasePool.create({ threads: 2, windowBits });
      try {
        for (const group of ["G1", "G2"] as const) {
          const G = curve[group];
          const size = group === "G1" ? 64 : 128;
          const points = await pool.multiply(group, bytes());
          scalars.forEach((s, i) => {
            const expected = G.toAffine(G.timesFr(G.g, curve.Fr.e(s)));
            assert.ok(Buffer.from(points.subarray(i * size, (i + 1) * size)).equals(Buffer.from(expected)), `${group} window ${windowBits}: scalar #${i}`);
          });
        }
      } finally {
        await pool.close();
      }
    }
  });
});
