/**
 * A deployed WASM function as a policy (node/policy/function-policy.ts): metered like any compute function,
 * run in the compute runtime with the canonical request as its one input and the request's signed time as
 * its clock; only status 0 with the output `allow` allows. The gate logs it like a Cedar decision.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeCapability } from "../../core/capability.js";
import { functionCid } from "../../core/compute/cid.js";
import { nobleEd25519Verify } from "../../core/keys.js";
import { meterModule } from "../../node/compute/meter.js";
import { ComputeRuntime } from "../../node/compute/runtime.js";
import { PolicyDecisionLog } from "../../node/policy/decision-log.js";
import { functionPolicyRunner } from "../../node/policy/function-policy.js";
import { PolicyGate } from "../../node/policy/policy-gate.js";
import { NodeStore } from "../../node/store/store.js";
import { createUcan, decodeUcan } from "../../core/auth/ucan.js";
import { sessionKey } from "../helpers/actors.js";
import { wat } from "../helpers/compute.js";

const SPACE = "tinycloud:pkh:eip155:1:0x00000000000000000000000000000000000000A1:default";
const WINDOW_END_MS = 1_900_000_000_000;

/** Allows while the signed time is before WINDOW_END_MS; `deny` after. */
const WINDOW_POLICY = wat(`(module
  (import "tc" "time_ms" (func $time (result i64)))
  (import "tc" "output_write" (func $out (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "allow")
  (data (i32.const 16) "deny: after the window")
  (func (export "run") (result i32)
    (if (i64.lt_s (call $time) (i64.const ${WINDOW_END_MS}))
      (then (drop (call $out (i32.const 0) (i32.const 5))))
      (else (drop (call $out (i32.const 16) (i32.const 22)))))
    (i32.const 0)))`);
/** A 403 POLICY_DENIED whose message matches. */
function denied(reason: RegExp): (error: unknown) => boolean {
  return (error) => (error as { code?: string }).code === "POLICY_DENIED" && reason.test((error as Error).message);
}

const SPIN = wat(`(module (memory (export "memory") 1) (func (export "run") (result i32) (loop $l (br $l)) (i32.const 0)))`);

describe("WASM policy functions", async () => {
  const runtime = new ComputeRuntime({ workers: 1, wallClockMs: 5_000, maxOutputBytes: 1024, maxQueue: 4 });
  const dir = await mkdtemp(join(tmpdir(), "policy-function-"));
  const store = new NodeStore(join(dir, "db"));
  await store.open();
  after(async () => {
    await runtime.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  const deployed = new Map<string, { metered: Uint8Array; meteredCid: string }>();
  for (const bytes of [WINDOW_POLICY, SPIN]) {
    const { metered } = await meterModule(bytes);
    deployed.set(`${functionCid(bytes)}|${SPACE}`, { metered, meteredCid: functionCid(metered) });
  }
  const log = new PolicyDecisionLog(store);
  let clock = WINDOW_END_MS / 1000 - 100;
  const gate = new PolicyGate({
    verify: nobleEd25519Verify,
    now: () => clock,
    clockSkewSeconds: 30,
    log,
    cedar: () => Promise.reject(new Error("no Cedar in this test")),
    functions: functionPolicyRunner(runtime, async (cid, space) => deployed.get(`${cid}|${space}`)),
  });
  const invoker = sessionKey(0x81);
  const capability = makeCapability(`${SPACE}/kv/docs/a`, "tinycloud.kv/get");
  const invocation = (nbf: number) => {
    const ucan = decodeUcan(createUcan({ issuer: invoker, capabilities: [capability], expiration: nbf + 60, notBefore: nbf }));
    return { ucan, invoker: invoker.did, tokenHash: new Uint8Array(32) };
  };
  const window = [{ kind: "function" as const, functionCid: functionCid(WINDOW_POLICY) }];

  test("allowed inside the window (signed time), denied after; each decision logged with its gas", async () => {
    await gate.check(invocation(clock), capability, window);
    clock = WINDOW_END_MS / 1000 + 5;
    await assert.rejects(gate.check(invocation(clock), capability, window), denied(/after the window/));
    const logged = await log.list(SPACE, 0, 10);
    assert.deepEqual(
      logged.map((d) => [d.record.kind, d.record.decision]),
      [
        ["function", "allow"],
        ["function", "deny"],
      ],
    );
    assert.ok(BigInt(logged[0]?.record.gas_used ?? "0") > 0n);
  });

  test("fail closed: a function that is not deployed, or that runs out of gas, denies", async () => {
    await assert.rejects(gate.check(invocation(clock), capability, [{ kind: "function", functionCid: functionCid(new Uint8Array([1])) }]), denied(/not deployed/));
    await assert.rejects(gate.check(invocation(clock), capability, [{ kind: "function", functionCid: functionCid(SPIN) }]), denied(/OUT_OF_GAS/));
  });
});
