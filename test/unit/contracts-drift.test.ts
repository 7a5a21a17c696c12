/**
 * Drift check of the generated contract artifacts:
 *   - recompiling contracts/ with solcjs gives byte-identical contracts/generated/artifacts.json,
 *     contracts/generated/verifiers.json and contracts/abi.ts (prover/setup/contracts.ts, write: false);
 *   - every contracts/generated/<Name>Verifier.sol is exactly what snarkjs exports (and `tinycloud setup`
 *     publishes) for the committed circuits/keys/<name>.vkey.json and the current circuit sources;
 *   - verifier ids are keccak256(JCS(vkey)) of the committed keys;
 *   - hardhat.config.ts compiles with the generator's compiler settings.
 * On failure: `npm run generate` (or `npx tinycloud setup`) and commit the result.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { circuitSource, contractName, loadManifest } from "../../prover/setup/artifacts.js";
import { ANCHOR_CIRCUIT_PREFIX, generateContractArtifacts, renderVerifierSolidity, SOLC_SETTINGS, SOLC_VERSION } from "../../prover/setup/contracts.js";
import { verifierIdOf } from "../../core/rollup/verifier-id.js";
import { keccak256 } from "viem";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const HINT = "stale generated file: run `npm run generate` and commit the result";

describe("generated contract artifacts", () => {
  it("artifacts.json, verifiers.json and abi.ts match a fresh solcjs compile", async () => {
    const generated = await generateContractArtifacts({ write: false, root: ROOT });
    for (const file of Object.values(generated.files)) {
      assert.ok(existsSync(file.path), `${relative(ROOT, file.path)} is missing: ${HINT}`);
      assert.equal(readFileSync(file.path, "utf8"), file.text, `${relative(ROOT, file.path)}: ${HINT}`);
    }
    for (const name of ["TinyCloudAnchor", "TinyCloudVerifierRouter"]) {
      assert.ok((generated.artifacts.contracts[name]?.deployedBytecode.length ?? 0) > 2, `${name} compiled`);
    }
  });

  it("every verifier .sol is what snarkjs exports from the committed verification key", async () => {
    const manifest = await loadManifest(join(ROOT, "circuits", "circuits.json"));
    const published = new Set<string>();
    for (const entry of manifest.circuits) {
      const vkeyFile = join(ROOT, "circuits", "keys", `${entry.name}.vkey.json`);
      if (!existsSync(vkeyFile)) continue;
      const contract = contractName(entry.name);
      const solFile = join(ROOT, "contracts", "generated", `${contract}.sol`);
      assert.ok(existsSync(solFile), `${relative(ROOT, solFile)} is missing for ${entry.name}`);
      const source = await circuitSource(entry, ROOT);
      const expected = renderVerifierSolidity({
        vkey: JSON.parse(readFileSync(vkeyFile, "utf8")) as object,
        contract,
        circuitFile: relative(ROOT, source.file).split(sep).join("/"),
        shortHash: source.hash.slice(0, 16),
      });
      assert.equal(
        readFileSync(solFile, "utf8"),
        expected,
        `${relative(ROOT, solFile)} does not match ${relative(ROOT, vkeyFile)} and the circuit sources: run \`npx tinycloud setup --circuit ${entry.name}\``,
      );
      published.add(`${contract}.sol`);
    }
    const onDisk = readdirSync(join(ROOT, "contracts", "generated")).filter((f) => f.endsWith("Verifier.sol"));
    assert.deepEqual(
      onDisk.filter((f) => !published.has(f)),
      [],
      "verifier contracts without a verification key in circuits/keys",
    );
  });

  it("verifiers.json has keccak256(JCS(vkey)) for every anchor circuit with keys", async () => {
    const verifiers = JSON.parse(readFileSync(join(ROOT, "contracts", "generated", "verifiers.json"), "utf8")) as Record<string, { contract: string; verifierId: string; publicSignals: number }>;
    const manifest = await loadManifest(join(ROOT, "circuits", "circuits.json"));
    const artifactsFile = JSON.parse(readFileSync(join(ROOT, "contracts", "generated", "artifacts.json"), "utf8")) as { contracts: Record<string, { deployedBytecode: string }> };
    const expected = manifest.circuits.filter((c) => c.name.startsWith(ANCHOR_CIRCUIT_PREFIX) && existsSync(join(ROOT, "circuits", "keys", `${c.name}.vkey.json`)));
    assert.deepEqual(Object.keys(verifiers).sort(), expected.map((c) => c.name).sort());
    for (const entry of expected) {
      const vkey = JSON.parse(readFileSync(join(ROOT, "circuits", "keys", `${entry.name}.vkey.json`), "utf8")) as { nPublic: number };
      // codeHash: keccak256 of the runtime code viem computes independently of the generator.
      const runtime = artifactsFile.contracts[contractName(entry.name)]!.deployedBytecode as `0x${string}`;
      assert.deepEqual(verifiers[entry.name], { contract: contractName(entry.name), verifierId: verifierIdOf(vkey), publicSignals: vkey.nPublic, codeHash: keccak256(runtime) });
      assert.equal(vkey.nPublic, 4, `${entry.name}: the anchor passes 4 public inputs`);
    }
    // The id is of the canonical JSON: formatting and key order do not change it.
    const vkey = JSON.parse(readFileSync(join(ROOT, "circuits", "keys", `${expected[0]!.name}.vkey.json`), "utf8")) as Record<string, unknown>;
    const reordered = Object.fromEntries(Object.entries(vkey).reverse());
    assert.equal(verifierIdOf(reordered), verifierIdOf(vkey));
    assert.notEqual(verifierIdOf({ ...vkey, nPublic: 5 }), verifierIdOf(vkey));
  });

  it("hardhat.config.ts uses the generator's compiler and settings", async () => {
    const config = (await import("../../hardhat.config.js")).default as { solidity: { version: string; path: string; settings: unknown } };
    assert.equal(config.solidity.version, SOLC_VERSION);
    assert.deepEqual(config.solidity.settings, SOLC_SETTINGS);
    assert.equal(config.solidity.path, join(ROOT, "node_modules", "solc", "soljson.js"));
  });
});
