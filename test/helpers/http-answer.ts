/** What e2e attack tests share: a wallet for the client, a POST that keeps the answer, and the `<CODE>: <message>` assertion. */
import assert from "node:assert/strict";
import { privateKeyToAccount } from "viem/accounts";
import type { WalletSigner } from "../../node/client/client.js";

/** A viem wallet on chain 1 whose private key is `seedByte` repeated (the same keys as actors.ts `wallet`). */
export function clientWallet(seedByte: number): WalletSigner & { did: string } {
  const account = privateKeyToAccount(`0x${seedByte.toString(16).padStart(2, "0").repeat(32)}`);
  return {
    address: account.address,
    chainId: 1,
    did: `did:pkh:eip155:1:${account.address}`,
    signMessage: (message: string) => account.signMessage({ message }),
  };
}

export interface Answer {
  readonly status: number;
  readonly text: string;
  readonly headers: Headers;
}

export async function post(url: string, path: string, headers: Record<string, string>, body?: Uint8Array | string): Promise<Answer> {
  const response = await fetch(`${url}${path}`, { method: "POST", headers, ...(body !== undefined ? { body: body as unknown as BodyInit } : {}) });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

/** Assert a `<CODE>: <message>` plain-text error with this status. */
export function assertError(answer: Answer, status: number, code: string): void {
  assert.equal(answer.status, status, `expected ${status} ${code}, got ${answer.status}: ${answer.text}`);
  assert.ok(answer.text.startsWith(`${code}: `), `expected body to start with "${code}: ", got ${JSON.stringify(answer.text.slice(0, 200))}`);
  assert.ok(answer.text.length > code.length + 2, "the error carries a message");
}

/** The node still answers after an attack. */
export async function assertHealthy(url: string): Promise<void> {
  assert.equal((await fetch(`${url}/healthz`)).status, 200, "GET /healthz after the attack");
}
