/** The node's policy gate and its decision log: Cedar metered once and cached in the key cache dir. */
import { resolve } from "node:path";
import { defaultRoot } from "../../prover/setup/artifacts.js";
import type { NodeConfig } from "../server/config.js";
import type { ServiceDeps } from "../server/service-deps.js";
import { loadCedarEngine, type WasmBindgenMeter } from "./cedar-module.js";
import { cedarMeter } from "./cedar-meter.js";
import { PolicyDecisionLog } from "./decision-log.js";
import { type PolicyFunctionRunner, PolicyGate } from "./policy-gate.js";

/** Where and how the node's Cedar binary is built: an auditor builds its own engine from the same options. */
export function nodeCedarOptions(config: NodeConfig): { meter: WasmBindgenMeter; cacheDir: string } {
  return { meter: cedarMeter, cacheDir: resolve(defaultRoot(), config.cacheDir ?? ".cache") };
}

export function createPolicyGate(deps: ServiceDeps, config: NodeConfig, options: { functions?: PolicyFunctionRunner } = {}): { gate: PolicyGate; log: PolicyDecisionLog } {
  const log = new PolicyDecisionLog(deps.store);
  const gate = new PolicyGate({
    verify: deps.verify,
    now: deps.now,
    clockSkewSeconds: deps.clockSkewSeconds,
    log,
    cedar: () => loadCedarEngine(nodeCedarOptions(config)),
    ...(options.functions !== undefined ? { functions: options.functions } : {}),
  });
  return { gate, log };
}
