// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice Adapter interface for proof systems whose proof is an opaque byte string (future RISC Zero /
/// SP1 wrappers): the adapter decodes `proof` itself and checks it against the same four public inputs
/// a Groth16 proof of EpochTransition has: [oldRoot, newRoot, header, commitment].
interface IBatchVerifier {
    function verifyBatch(bytes calldata proof, uint256[4] calldata publicInputs) external view returns (bool);
}
