/**
 * Hardhat 3, offline: compiles contracts/ with the npm solcjs build (no compiler download) using the
 * same settings as the artifact generator (prover/setup/contracts.ts SOLC_SETTINGS), so Hardhat's
 * bytecode equals contracts/generated/artifacts.json; test/contracts/ runs under node:test with viem.
 * Build output goes to .cache/hardhat (git-ignored). Needs Node >= 22; runs under the bundled Node 26
 * (`npm run test:contracts` puts node_modules/.bin/node first on PATH).
 */
import hardhatNodeTestRunner from "@nomicfoundation/hardhat-node-test-runner";
import hardhatViem from "@nomicfoundation/hardhat-viem";
import { defineConfig } from "hardhat/config";
import { fileURLToPath } from "node:url";

export default defineConfig({
  plugins: [hardhatViem, hardhatNodeTestRunner],
  solidity: {
    version: "0.8.37",
    // A non-native file is loaded as solcjs (WASM); without `path` Hardhat tries to download solc.
    path: fileURLToPath(new URL("./node_modules/solc/soljson.js", import.meta.url)),
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: "cancun",
      metadata: { bytecodeHash: "none", appendCBOR: false },
    },
  },
  paths: {
    sources: "contracts",
    tests: { nodejs: "test/contracts" },
    artifacts: ".cache/hardhat/artifacts",
    cache: ".cache/hardhat/cache",
  },
});
