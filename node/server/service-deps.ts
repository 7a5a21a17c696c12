import type { Ed25519Verify } from "../../core/keys.js";
import type { NodeStore } from "../store/store.js";
import type { NodeKeys } from "./node-keys.js";

/** What the request services (DelegationService, InvokeService) share: the store, the node's keys, the Ed25519 check, the clock (Unix seconds) and its tolerance. */
export interface ServiceDeps {
  readonly store: NodeStore;
  readonly keys: NodeKeys;
  readonly verify: Ed25519Verify;
  readonly now: () => number;
  /** Tolerance applied to every token's nbf/exp (config `clockSkewSeconds`). */
  readonly clockSkewSeconds: number;
}
