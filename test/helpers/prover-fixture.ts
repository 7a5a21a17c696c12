/**
 * A throwaway Groth16 circuit for prover tests and benchmarks: circomlib `Poseidon(2)` (240
 * constraints) compiled with circom2, a power-8 powers-of-tau made on the spot (new + contribute +
 * prepare phase2, a couple of seconds) and its zkey + vkey. INSECURE by construction (the toxic waste
 * is known to this process): tests only.
 *
 * Built once per machine into `$TMPDIR/tinycloud-prover-fixture-<hash>` (atomic rename, so parallel
 * test files share it) and reused while the circuit source and tool versions are unchanged.
 */
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { CircuitArtifacts } from "../../prover/backends/groth16.js";
import { loadSnarkjs, terminateCurves } from "../../prover/backends/snarkjs-api.js";
import { circomlibParent } from "../mutation/compile.js";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const FIXTURE_CIRCUIT = "poseidon2";

const SOURCE = `pragma circom 2.1.6;
include "circomlib/circuits/poseidon.circom";
template Main() {
  signal input a;
  signal input b;
  signal output h;
  component p = Poseidon(2);
  p.inputs[0] <== a;
  p.inputs[1] <== b;
  h <== p.out;
}
component main { public [a] } = Main();
`;

export interface ProverFixture {
  readonly dir: string;
  readonly circuit: string;
  readonly artifacts: CircuitArtifacts;
  /** `{ [circuit]: artifacts }`, the table the Groth16 backend takes. */
  readonly circuits: Record<string, CircuitArtifacts>;
  /** Circuit input for batch `n` (distinct per batch). */
  input(n: number): Record<string, string>;
}

function version(pkg: string): string {
  return (JSON.parse(readFileSync(join(ROOT, "node_modules", pkg, "package.json"), "utf8")) as { version: string }).version;
}

export async function proverFixture(): Promise<ProverFixture> {
  const key = createHash("sha256").update(SOURCE).update(version("circom2")).update(version("snarkjs")).update(version("circomlib")).digest("hex").slice(0, 16);
  const dir = join(tmpdir(), `tinycloud-prover-fixture-${key}`);
  const artifacts: CircuitArtifacts = {
    wasm: join(dir, `${FIXTURE_CIRCUIT}_js`, `${FIXTURE_CIRCUIT}.wasm`),
    zkey: join(dir, `${FIXTURE_CIRCUIT}.zkey`),
    vkey: join(dir, `${FIXTURE_CIRCUIT}.vkey.json`),
  };
  if (!existsSync(join(dir, "READY"))) await build(dir);
  return {
    dir,
    circuit: FIXTURE_CIRCUIT,
    artifacts,
    circuits: { [FIXTURE_CIRCUIT]: artifacts },
    input: (n) => ({ a: String(1000 + n), b: String(7 * n + 3) }),
  };
}

async function build(dir: string): Promise<void> {
  const work = `${dir}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  await mkdir(work, { recursive: true });
  try {
    const src = join(work, `${FIXTURE_CIRCUIT}.circom`);
    await writeFile(src, SOURCE);
    await run(join(ROOT, "node_modules/.bin/circom2"), [src, "--O2", "--r1cs", "--wasm", "-l", circomlibParent(), "-o", work], { cwd: "/" }); // WASI: from / every absolute path is reachable
    const snarkjs = await loadSnarkjs();
    const curve = await snarkjs.curves.getCurveFromName("bn128");
    await snarkjs.powersOfTau.newAccumulator(curve, 8, join(work, "pot_0.ptau"));
    await snarkjs.powersOfTau.contribute(join(work, "pot_0.ptau"), join(work, "pot_1.ptau"), "test", randomBytes(32).toString("hex"));
    await snarkjs.powersOfTau.preparePhase2(join(work, "pot_1.ptau"), join(work, "pot_final.ptau"));
    await snarkjs.zKey.newZKey(join(work, `${FIXTURE_CIRCUIT}.r1cs`), join(work, "pot_final.ptau"), join(work, `${FIXTURE_CIRCUIT}.zkey`));
    const vkey = await snarkjs.zKey.exportVerificationKey(join(work, `${FIXTURE_CIRCUIT}.zkey`));
    await writeFile(join(work, `${FIXTURE_CIRCUIT}.vkey.json`), JSON.stringify(vkey));
    await terminateCurves();
    await writeFile(join(work, "READY"), new Date().toISOString());
    try {
      await rename(work, dir);
    } catch (error) {
      // Another process finished first: keep theirs.
      if (!existsSync(join(dir, "READY"))) throw error;
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
