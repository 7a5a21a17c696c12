/**
 * RISC Zero and SP1 adapters. Their toolchains cannot be installed on this machine (no internet), so
 * these tests check OUR side of the contract only: the missing-binary error, the command line we build,
 * the input file we write, parsing of the output the CLI leaves, non-zero exits, and the time limit
 * (the whole process group is killed, SIGKILL after a grace period if SIGTERM is ignored). Shell scripts
 * written into a temp dir stand in for r0vm and the host binaries; they prove nothing.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ProverError, type ProofJob } from "../../prover/backends/backend.js";
import { runCli } from "../../prover/backends/cli-runner.js";
import { Risc0Backend, parseHostOutput, type Risc0Proof } from "../../prover/backends/risc0.js";
import { Sp1Backend, parseSp1Output, type Sp1Proof } from "../../prover/backends/sp1.js";

let dir: string;
const job: ProofJob = { batch: 5, circuit: "epoch", input: { oldRoot: 12345678901234567890n, writes: [1, 2] } };
const IMAGE_ID = `0x${"ab".repeat(32)}`;
const noProgress = () => undefined;

async function script(name: string, body: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `#!/bin/bash\n${body}\n`);
  await chmod(path, 0o755);
  return path;
}

function isProverError(code: string, pattern?: RegExp) {
  return (e: unknown) => e instanceof ProverError && e.code === code && (pattern === undefined || pattern.test(e.message));
}

/** Running (a zombie left to a PID 1 that does not reap, as in some containers, counts as gone). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "tinycloud-cli-backends-"));
});
after(() => rm(dir, { recursive: true, force: true }));

describe("RISC Zero backend", () => {
  test("r0vm absent → PROVER_BACKEND_UNAVAILABLE naming the binary and how to install it", async () => {
    const backend = new Risc0Backend({ r0vm: "r0vm-not-installed-here", guests: { epoch: "/x/guest.elf" } });
    await assert.rejects(backend.prove(job, noProgress), isProverError("PROVER_BACKEND_UNAVAILABLE", /"r0vm-not-installed-here" not found.*rzup install/));
  });

  test("unknown guest → PROVER_CIRCUIT_UNKNOWN", async () => {
    const backend = new Risc0Backend({ r0vm: "r0vm", guests: {} });
    await assert.rejects(backend.prove(job, noProgress), isProverError("PROVER_CIRCUIT_UNKNOWN"));
  });

  test("command lines: r0vm mode and host mode", () => {
    const files = { input: "/t/in.json", output: "/t/out" };
    assert.deepEqual(new Risc0Backend({ r0vm: "/opt/r0vm", guests: { epoch: "/g/epoch.elf" }, receiptKind: "groth16" }).commandFor(job, files), {
      command: "/opt/r0vm",
      args: ["--elf", "/g/epoch.elf", "--initial-input", "/t/in.json", "--receipt", "/t/out", "--receipt-kind", "groth16"],
    });
    assert.deepEqual(new Risc0Backend({ host: "/h/host", hostArgs: ["--verbose"] }).commandFor(job, files), {
      command: "/h/host",
      args: ["--verbose", "--circuit", "epoch", "--input", "/t/in.json", "--output", "/t/out", "--receipt-kind", "succinct"],
    });
  });

  test("r0vm mode: input written as JSON (bigints as strings), receipt read back, image ID from `r0vm --id`, RISC0_DEV_MODE passed", async () => {
    const r0vm = await script(
      "r0vm",
      `if [ "$1" = "--id" ]; then echo "${IMAGE_ID.slice(2)}"; exit 0; fi
       while [ $# -gt 0 ]; do case "$1" in --initial-input) IN="$2"; shift;; --receipt) OUT="$2"; shift;; esac; shift; done
       { printf 'RECEIPT dev=%s ' "$RISC0_DEV_MODE"; cat "$IN"; } > "$OUT"`,
    );
    const backend = new Risc0Backend({ r0vm, guests: { epoch: "/g/epoch.elf" }, devMode: true });
    const phases: string[] = [];
    const result = await backend.prove(job, (_f, phase) => phases.push(phase));
    const proof = result.proof as Risc0Proof;
    assert.equal(result.backend, "risc0");
    assert.equal(proof.imageId, IMAGE_ID);
    assert.equal(proof.devMode, true);
    assert.equal(Buffer.from(proof.receipt as string, "base64").toString(), 'RECEIPT dev=1 {"oldRoot":"12345678901234567890","writes":[1,2]}');
    assert.deepEqual(result.publicSignals, [IMAGE_ID]);
    assert.deepEqual(phases, ["prepare", "prove", "parse", "done"]);
    assert.ok(result.proveSeconds > 0);
  });

  test("host mode: output.json parsed (imageId, journal, seal); malformed output → PROVER_OUTPUT_INVALID", async () => {
    const host = await script(
      "r0-host",
      `while [ $# -gt 0 ]; do case "$1" in --output) OUT="$2"; shift;; esac; shift; done
       echo '{"imageId":"${IMAGE_ID}","journal":"0x0102","seal":"0xDEAD"}' > "$OUT"`,
    );
    const result = await new Risc0Backend({ host }).prove(job, noProgress);
    const proof = result.proof as Risc0Proof;
    assert.equal(proof.journal, "0x0102");
    assert.equal(proof.seal, "0xdead");
    assert.deepEqual(result.publicSignals, [IMAGE_ID, "0x0102"]);

    assert.throws(() => parseHostOutput(new TextEncoder().encode("not json")), isProverError("PROVER_OUTPUT_INVALID", /not JSON/));
    assert.throws(() => parseHostOutput(new TextEncoder().encode('{"imageId":"0x12","journal":"0x"}')), isProverError("PROVER_OUTPUT_INVALID", /imageId/));
    const silent = await script("r0-host-silent", "exit 0");
    await assert.rejects(new Risc0Backend({ host: silent }).prove(job, noProgress), isProverError("PROVER_OUTPUT_INVALID", /wrote no output/));
  });

  test("non-zero exit → PROVER_BACKEND_FAILED with the end of stderr", async () => {
    const host = await script("r0-host-fails", `echo "guest panicked: root mismatch" >&2; exit 3`);
    await assert.rejects(new Risc0Backend({ host }).prove(job, noProgress), isProverError("PROVER_BACKEND_FAILED", /code 3: guest panicked: root mismatch/));
  });
});

describe("SP1 backend", () => {
  test("no host configured, or host absent → PROVER_BACKEND_UNAVAILABLE with install instructions", async () => {
    const saved = process.env.SP1_HOST_BIN;
    delete process.env.SP1_HOST_BIN;
    try {
      await assert.rejects(new Sp1Backend({}).prove(job, noProgress), isProverError("PROVER_BACKEND_UNAVAILABLE", /no host binary configured.*sp1up/));
    } finally {
      if (saved !== undefined) process.env.SP1_HOST_BIN = saved;
    }
    await assert.rejects(new Sp1Backend({ host: join(dir, "missing-sp1-script") }).prove(job, noProgress), isProverError("PROVER_BACKEND_UNAVAILABLE", /missing-sp1-script" not found.*cargo build --release/));
  });

  test("command line, SP1_PROVER from options, fixture-style output parsed", async () => {
    const backend = new Sp1Backend({ host: "/s/script", proofSystem: "plonk" });
    assert.deepEqual(backend.commandFor(job, { input: "/t/in.json", output: "/t/out.json" }).args, [
      "--prove", "--circuit", "epoch", "--input", "/t/in.json", "--output", "/t/out.json", "--system", "plonk",
    ]);
    const host = await script(
      "sp1-script",
      `while [ $# -gt 0 ]; do case "$1" in --output) OUT="$2"; shift;; --input) IN="$2"; shift;; esac; shift; done
       [ "$SP1_PROVER" = "mock" ] || { echo "expected SP1_PROVER=mock" >&2; exit 4; }
       grep -q '"oldRoot":"12345678901234567890"' "$IN" || exit 5
       echo '{"vkey":"0x${"11".repeat(32)}","publicValues":"0xAABB","proof":"0x"}' > "$OUT"`,
    );
    const result = await new Sp1Backend({ host, prover: "mock" }).prove(job, noProgress);
    const proof = result.proof as Sp1Proof;
    assert.equal(result.backend, "sp1");
    assert.equal(proof.mock, true);
    assert.equal(proof.system, "groth16");
    assert.deepEqual(result.publicSignals, [`0x${"11".repeat(32)}`, "0xaabb"]);
    assert.throws(() => parseSp1Output(new TextEncoder().encode('{"vkey":"0x11","publicValues":"0x","proof":"0x"}')), isProverError("PROVER_OUTPUT_INVALID", /vkey/));
    assert.deepEqual(parseSp1Output(new TextEncoder().encode(`{"vkey":"0x${"22".repeat(32)}","public_values":"0x01","proof":"0x02"}`)).publicValues, "0x01");
  });

  test("time limit: the host and its children are killed; PROVER_TIMEOUT; SIGTERM ignored → SIGKILL after the grace period", async () => {
    const pids = join(dir, "pids");
    const host = await script(
      "sp1-script-hangs",
      `trap '' TERM
       sleep 30 & echo $! >> "${pids}"
       echo $$ >> "${pids}"
       wait`,
    );
    const started = performance.now();
    await assert.rejects(new Sp1Backend({ host, timeoutMs: 400, killGraceMs: 300 }).prove(job, noProgress), isProverError("PROVER_TIMEOUT", /killed after 400 ms/));
    const seconds = (performance.now() - started) / 1000;
    assert.ok(seconds < 5, `gave up after ${seconds.toFixed(2)} s`);
    const [child, shell] = (await readFile(pids, "utf8")).trim().split("\n").map(Number) as [number, number];
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(alive(shell), false, "host killed");
    assert.equal(alive(child), false, "its child killed too");
  });
});

test("runCli: a process that ends on time returns its output; exit by signal is reported", async () => {
  const echo = await script("echo-ok", `echo out; echo err >&2`);
  const ok = await runCli({ command: echo, args: [], timeoutMs: 5000, label: "echo", installHint: "" });
  assert.equal(ok.stdout, "out\n");
  assert.equal(ok.stderr, "err\n");
  const selfKill = await script("self-kill", "kill -9 $$");
  await assert.rejects(runCli({ command: selfKill, args: [], timeoutMs: 5000, label: "self-kill", installHint: "" }), isProverError("PROVER_BACKEND_FAILED", /signal SIGKILL/));
});
