/**
 * Which proving keys the node accepts (node/server/node.ts checkProvingKeys, node/chain/key-policy.ts):
 * only the keys its deployment pins, and INSECURE keys (dev ptau / deterministic phase 2, forgeable:
 * test/integration/keys-forgery.test.ts) only on the local dev chain or with --allow-insecure-keys.
 * `tinycloud deploy`'s side of the same policy runs against anvil in test/e2e/deploy-cli.test.ts.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import type { Deployment } from "../../node/chain/deployment.js";
import { isDevChain } from "../../node/chain/key-policy.js";
import { checkProvingKeys } from "../../node/server/node.js";
import { verifierIdOf } from "../../core/rollup/verifier-id.js";

const CIRCUIT = "epoch_transition_1_d8";
const read = (file: string): unknown => JSON.parse(readFileSync(new URL(`../../circuits/keys/${file}`, import.meta.url), "utf8"));
const vkey = read(`${CIRCUIT}.vkey.json`) as object;
const devProvenance = read(`${CIRCUIT}.provenance.json`);
/** The same key as if `tinycloud setup` had made it (ceremony ptau file, CSPRNG phase 2). */
const secureProvenance = {
  ...(devProvenance as object),
  ptau: { kind: "file", sha256: "ab".repeat(32), insecure: false },
  phase2: { kind: "csprng", contributions: [{ name: "operator", hash: "cd".repeat(64), type: "secret" }] },
  insecure: false,
  insecureReasons: [],
};

function chainWith(chainId: number, rpcUrl: string, verifierId: string, embedded = false) {
  const deployment = {
    chainId,
    anchor: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    router: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
    owner: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
    genesisRoot: "0",
    depth: 8,
    verifierDelay: 0,
    verifiers: { [CIRCUIT]: { verifierId, address: "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0", codeHash: `0x${"00".repeat(32)}` } },
    deployBlock: 1,
    deployTx: `0x${"00".repeat(32)}`,
  } as unknown as Deployment;
  return { deployment, rpcUrl, embedded };
}

const codeOf = (f: () => void): string | undefined => {
  try {
    f();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
};

describe("the node's proving keys", () => {
  test("error: keys the deployment does not pin are refused (their proofs could never anchor)", () => {
    const keys = { [CIRCUIT]: { vkey, provenance: secureProvenance } };
    assert.equal(
      codeOf(() => checkProvingKeys(keys, chainWith(8453, "https://mainnet.base.org", `0x${"11".repeat(32)}`), false, () => {})),
      "CHAIN_KEYS_NOT_DEPLOYED",
    );
    const pinned = chainWith(8453, "https://mainnet.base.org", verifierIdOf(vkey));
    assert.equal(
      codeOf(() => checkProvingKeys({}, { ...pinned, deployment: { ...pinned.deployment, verifiers: {} } }, false, () => {})),
      undefined,
      "no keys: nothing to check",
    );
    assert.equal(
      codeOf(() => checkProvingKeys(keys, { ...pinned, deployment: { ...pinned.deployment, verifiers: {} } }, false, () => {})),
      "CHAIN_KEYS_NOT_DEPLOYED",
    );
  });

  test("error: INSECURE keys are refused on a public chain; --allow-insecure-keys runs them with a warning", () => {
    const keys = { [CIRCUIT]: { vkey, provenance: devProvenance } };
    const chain = chainWith(8453, "https://mainnet.base.org", verifierIdOf(vkey));
    assert.equal(
      codeOf(() => checkProvingKeys(keys, chain, false, () => {})),
      "CHAIN_INSECURE_KEYS",
    );
    const warnings: string[] = [];
    checkProvingKeys(keys, chain, true, (line) => warnings.push(line));
    assert.match(warnings[0] ?? "", /INSECURE proving keys \(--allow-insecure-keys\)/);
    // Chain id 31337 behind a public URL is not the local dev chain.
    assert.equal(
      codeOf(() => checkProvingKeys(keys, chainWith(31337, "https://rpc.example.org", verifierIdOf(vkey)), false, () => {})),
      "CHAIN_INSECURE_KEYS",
    );
  });

  test("default: INSECURE keys run on the local dev chain with a warning; secure keys run silently anywhere", () => {
    const insecure = { [CIRCUIT]: { vkey, provenance: devProvenance } };
    for (const chain of [chainWith(31337, "http://127.0.0.1:8545", verifierIdOf(vkey)), chainWith(1, "http://anything", verifierIdOf(vkey), true)]) {
      const warnings: string[] = [];
      checkProvingKeys(insecure, chain, false, (line) => warnings.push(line));
      assert.match(warnings[0] ?? "", /fine on the local dev chain only/);
    }
    const warnings: string[] = [];
    checkProvingKeys({ [CIRCUIT]: { vkey, provenance: secureProvenance } }, chainWith(8453, "https://mainnet.base.org", verifierIdOf(vkey)), false, (line) => warnings.push(line));
    assert.deepEqual(warnings, []);
  });

  test("behavior: the dev chain is 31337 on a loopback URL, or the embedded anvil", () => {
    assert.equal(isDevChain(31337, "http://127.0.0.1:8545"), true);
    assert.equal(isDevChain(31337, "http://localhost:8545"), true);
    assert.equal(isDevChain(31337, "http://[::1]:8545"), true);
    assert.equal(isDevChain(31337, "http://10.0.0.2:8545"), false);
    assert.equal(isDevChain(1, "http://127.0.0.1:8545"), false);
    assert.equal(isDevChain(1, undefined, true), true);
  });
});
