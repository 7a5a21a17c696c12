/**
 * Cedar (`@cedar-policy/cedar-wasm` 4.13.0) as a metered policy function.
 *
 * The cedar-wasm module is metered once per process (node/policy/cedar-module.ts) and compiled once. A
 * policy text is prepared once: a new instance runs wasm-bindgen's start and `preparsePolicySet`, and its
 * linear memory is recorded as the policy's snapshot. Every decision then starts from exactly that state —
 * the instance's memory is reset to the snapshot (or, in "fresh" mode, a new instance is made and the
 * snapshot written into it) — so the decision and its gas are a function of (metered binary, policy text,
 * request) only: an auditor gets the same numbers in another process. A decision that traps (out of gas,
 * a Cedar panic) discards the instance: its internal globals (the Rust stack pointer) are then unknown.
 */
import { type PolicyVerdict, CEDAR_POLICY_SET_ID, cedarCall, cedarVerdict } from "../../core/policy/cedar-call.js";
import { functionCid } from "../../core/compute/cid.js";
import { cedarPolicyCid } from "../../core/policy/policy-cid.js";
import type { PolicyRequest } from "../../core/policy/request.js";
import { type CedarExports, cedarImports, passString } from "./cedar-glue.js";

export interface CedarDecision extends PolicyVerdict {
  /** Gas the decision used (0n when the engine is not metered). */
  readonly gasUsed: bigint;
}

/** Gas to prepare (parse) one policy set: the first call into cedar-wasm initialises its runtime (~46 M gas). */
const PREPARE_GAS = 2_000_000_000n;

/** Prepared policies kept per engine (by policy CID); the least recently used goes first. */
const PREPARED_MAX = 64;

const WARM_UP_REQUEST: PolicyRequest = {
  principal: "did:key:z6MkwarmUp",
  action: "tinycloud.kv/get",
  resource: { uri: "tinycloud:warm-up", space: "", service: "kv", path: "warm/up" },
  context: { now_ms: 0, attestations: [{ issuer: "did:key:z6MkwarmUp", claim: "warm-up" }] },
};

export type ResetMode = "reset" | "fresh";

export class CedarEngine {
  private readonly prepared = new Map<string, PreparedCedar>();

  constructor(
    private readonly module: WebAssembly.Module,
    /** CID of the binary that runs (the metered build): what a decision record names as its engine. */
    readonly engineCid: string,
    readonly metered: boolean,
    private readonly mode: ResetMode = "reset",
  ) {}

  static fromBytes(bytes: Uint8Array, metered: boolean, mode: ResetMode = "reset"): CedarEngine {
    return new CedarEngine(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), functionCid(bytes), metered, mode);
  }

  /** The prepared policy set for `text` (cached). A text Cedar cannot parse gives one whose every decision denies. */
  prepare(text: string): PreparedCedar {
    const cid = cedarPolicyCid(text);
    let prepared = this.prepared.get(cid);
    if (prepared !== undefined) {
      this.prepared.delete(cid);
    } else {
      prepared = new PreparedCedar(this.module, text, this.metered, this.mode);
      if (this.prepared.size >= PREPARED_MAX) this.prepared.delete(this.prepared.keys().next().value as string);
    }
    this.prepared.set(cid, prepared);
    return prepared;
  }
}

interface Snapshot {
  readonly memory: Uint8Array;
  readonly tableLength: number;
}

export class PreparedCedar {
  /** Why the policy text does not parse, if it does not (every decision then denies with it). */
  readonly parseError: string | undefined;
  private readonly snapshot: Snapshot | undefined;
  private instance: CedarExports | undefined;

  constructor(
    private readonly module: WebAssembly.Module,
    text: string,
    private readonly metered: boolean,
    private readonly mode: ResetMode,
  ) {
    const ex = this.instantiate();
    if (ex.__gas !== undefined) ex.__gas.value = PREPARE_GAS;
    ex.__wbindgen_start();
    const [ptr, len] = passString(ex, CEDAR_POLICY_SET_ID);
    const answer = ex.preparsePolicySet(ptr, len, { staticPolicies: text }) as { type?: string; errors?: { message?: string }[] };
    if (answer?.type !== "success") {
      this.parseError = `the Cedar policy does not parse: ${(answer?.errors ?? []).map((e) => e.message ?? "?").join("; ")}`.slice(0, 500);
      return;
    }
    this.parseError = undefined;
    // One fixed warm-up decision before the snapshot: cedar-wasm initialises lazily on its first evaluation
    // (~10× the gas of later ones) and grows its heap; from the warmed snapshot a decision neither pays the
    // initialisation nor, usually, grows memory (which would force a new instance). The warm-up request
    // is a constant, so the snapshot stays a function of (binary, policy text).
    ex.statefulIsAuthorized(cedarCall(WARM_UP_REQUEST));
    this.snapshot = { memory: new Uint8Array(ex.memory.buffer).slice(), tableLength: ex.__wbindgen_externrefs.length };
    this.instance = ex;
  }

  /** Decide `request` within `gasLimit`. Never throws: any failure is a deny with its reason (fail closed). */
  decide(request: PolicyRequest, gasLimit: bigint): CedarDecision {
    if (this.snapshot === undefined) return { allow: false, reasons: [this.parseError ?? "the policy is not prepared"], gasUsed: 0n };
    let ex: CedarExports | undefined;
    try {
      ex = this.fromSnapshot(this.snapshot);
      if (ex.__gas !== undefined) ex.__gas.value = gasLimit;
      const answer = ex.statefulIsAuthorized(cedarCall(request));
      const gasUsed = this.gasUsed(ex, gasLimit);
      // Memory that grew cannot be reset to the snapshot's size: the next decision starts a new instance.
      if (ex.memory.buffer.byteLength !== this.snapshot.memory.length) this.instance = undefined;
      return { ...cedarVerdict(answer), gasUsed };
    } catch (error) {
      this.instance = undefined;
      const gasUsed = ex === undefined ? 0n : this.gasUsed(ex, gasLimit);
      const outOfGas = ex?.__gas !== undefined && (ex.__gas.value as bigint) < 0n;
      const reason = outOfGas ? `the policy ran out of gas (limit ${gasLimit})` : `the policy engine failed: ${error instanceof Error ? error.message.slice(0, 200) : "?"}`;
      return { allow: false, reasons: [reason], gasUsed: outOfGas ? gasLimit : gasUsed };
    }
  }

  private gasUsed(ex: CedarExports, gasLimit: bigint): bigint {
    if (!this.metered || ex.__gas === undefined) return 0n;
    const left = ex.__gas.value as bigint;
    return left < 0n ? gasLimit : gasLimit - left;
  }

  /** An instance whose memory is the snapshot's. */
  private fromSnapshot(snapshot: Snapshot): CedarExports {
    let ex = this.mode === "reset" ? this.instance : undefined;
    if (ex === undefined) {
      ex = this.instantiate();
      // wasm-bindgen's start fills the externref table's constant slots (undefined, null, true, false),
      // which live outside linear memory; the memory it touched is overwritten by the snapshot below.
      if (ex.__gas !== undefined) ex.__gas.value = PREPARE_GAS;
      ex.__wbindgen_start();
      const grow = snapshot.memory.length - ex.memory.buffer.byteLength;
      if (grow > 0) ex.memory.grow(grow / 65_536);
      const table = ex.__wbindgen_externrefs;
      if (table.length < snapshot.tableLength) table.grow(snapshot.tableLength - table.length);
      if (this.mode === "reset") this.instance = ex;
    }
    new Uint8Array(ex.memory.buffer).set(snapshot.memory);
    if (ex.__depth !== undefined) ex.__depth.value = 0;
    return ex;
  }

  private instantiate(): CedarExports {
    let exports: CedarExports | undefined;
    const instance = new WebAssembly.Instance(
      this.module,
      cedarImports(this.module, () => exports as CedarExports),
    );
    exports = instance.exports as unknown as CedarExports;
    return exports;
  }
}
