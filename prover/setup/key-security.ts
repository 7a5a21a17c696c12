/**
 * The key-provenance rules live in the pure core (node/core/key-security.ts) so that deploy, the node
 * and the browser light client judge a key the same way; the setup pipeline re-exports them.
 */
export * from "../../core/key-security.js";
