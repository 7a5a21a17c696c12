// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice The verifier snarkjs exports (`snarkjs zkey export solidityverifier`, template
/// verifier_groth16.sol.ejs) for a circuit with four public signals
/// [oldRoot, newRoot, header, commitment]. It returns false (never reverts) for a bad proof or a
/// public signal outside the scalar field.
interface IGroth16Verifier {
    function verifyProof(
        uint256[2] calldata pA,
        uint256[2][2] calldata pB,
        uint256[2] calldata pC,
        uint256[4] calldata pubSignals
    ) external view returns (bool);
}
