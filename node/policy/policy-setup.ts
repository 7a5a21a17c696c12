/** The node's policy gate: the decision log in the node's store, Cedar metered and cached in the key cache dir. */
import { resolve } from "node:path";
import { defaultRoot } from "../../prover/setup/artifacts.js";
import type { NodeConfig } from "../server/config.js";
import type { ServiceDeps } from "../server/service-deps.js";
import { loadCedarEngine, type WasmBindgenMeter } from "./cedar-module.js";
import { PolicyDecisionLog } from "./decision-log.js";
import { type PolicyFunctionRunner, PolicyGate } from "./policy-gate.js";

export function createPolicyGate(deps: ServiceDeps, config: NodeConfig, options: { meter?: WasmBindgenMeter; functions?: PolicyFunctionRunner } = {}): PolicyGate {
  const cacheDir = resolve(defaultRoot(), config.cacheDir ?? ".cache");
  return new PolicyGate({
    verify: deps.verify,
    now: deps.now,
    clockSkewSeconds: deps.clockSkewSeconds,
    log: new PolicyDecisionLog(deps.store),
    cedar: () => loadCedarEngine({ cacheDir, ...(options.meter !== undefined ? { meter: options.meter } : {}) }),
    ...(options.functions !== undefined ? { functions: options.functions } : {}),
  });
}
