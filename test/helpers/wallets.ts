/** Client-side wallets for e2e tests: viem accounts exposed as `WalletSigner`s. */
import { privateKeyToAccount } from "viem/accounts";
import type { WalletSigner } from "../../node/client/client.js";

export function testWallet(seedByte: number, chainId = 1): WalletSigner {
  const account = privateKeyToAccount(`0x${seedByte.toString(16).padStart(2, "0").repeat(32)}`);
  return { address: account.address, chainId, signMessage: (message) => account.signMessage({ message }) };
}
