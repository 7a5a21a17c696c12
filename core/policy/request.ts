/**
 * The request a policy decides, built only from the VERIFIED invocation (never from unsigned input or the
 * node's clock), and its canonical form: an auditor holding the request and the policy re-runs the
 * decision and gets the same answer and gas.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import type { Capability } from "../capability.js";
import { bytesToHex, canonicalJson, utf8ToBytes } from "../encoding.js";
import { formatCapabilityResource, formatSpaceId } from "../resource.js";
import type { Attestation } from "./attestation.js";

export interface PolicyRequest {
  /** The invoker's canonical DID. */
  readonly principal: string;
  /** The invoked ability (`tinycloud.kv/get`). */
  readonly action: string;
  readonly resource: {
    readonly uri: string;
    /** Space id, service and path ("" where the resource has none, e.g. a `urn:`). */
    readonly space: string;
    readonly service: string;
    readonly path: string;
  };
  readonly context: {
    /** The invocation's signed time (its `nbf`), in ms since the epoch. */
    readonly now_ms: number;
    readonly attestations: readonly Attestation[];
  };
}

/**
 * The invocation's signed time, in seconds: its `nbf`. A UCAN has no issued-at; `nbf` is what the invoker
 * signed as "from now", and the node refuses it far from its own clock (`requireFreshSignedTime`), so an
 * invoker can neither backdate a request into a time window nor sign one that is valid for long.
 */
export function signedTimeSeconds(notBefore: number | undefined): number | string {
  if (notBefore === undefined) return "an invocation under a policy must carry nbf: the policy's time is the invocation's signed time";
  return notBefore;
}

/** `undefined` when the signed time is within `skewSeconds` of the node's clock, else why not. */
export function requireFreshSignedTime(signedSeconds: number, nowSeconds: number, skewSeconds: number): string | undefined {
  if (Math.abs(signedSeconds - nowSeconds) <= skewSeconds) return undefined;
  return `the invocation's signed time (nbf ${signedSeconds}) is ${Math.round(Math.abs(signedSeconds - nowSeconds))} s from the node's clock; a policy decision takes it within ${skewSeconds} s`;
}

export function buildPolicyRequest(invoker: string, capability: Capability, signedSeconds: number, attestations: readonly Attestation[]): PolicyRequest {
  const r = capability.resource;
  return {
    principal: invoker,
    action: capability.ability,
    resource: {
      uri: formatCapabilityResource(r),
      space: r.kind === "tinycloud" ? formatSpaceId(r.space) : "",
      service: r.kind === "tinycloud" ? (r.service ?? "") : "",
      path: r.kind === "tinycloud" ? (r.path ?? "") : "",
    },
    context: { now_ms: Math.floor(signedSeconds * 1000), attestations },
  };
}

/** RFC 8785 JSON of the request: what is logged and hashed. */
export function policyRequestJson(request: PolicyRequest): string {
  return canonicalJson(request);
}

/** sha256 (hex) of the canonical request. */
export function policyRequestHash(request: PolicyRequest): string {
  return bytesToHex(sha256(utf8ToBytes(policyRequestJson(request))));
}
