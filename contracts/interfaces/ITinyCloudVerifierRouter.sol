// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice Maps a verifier id (keccak256 of the JCS-canonical verification key) to the contract that
/// checks proofs made with that key. The anchor only knows the router, so circuits can be added or
/// retired without moving the anchor (the RISC Zero / SP1 verifier-router pattern).
interface ITinyCloudVerifierRouter {
    error TinyCloudVerifierRouter__NotOwner(address caller);
    error TinyCloudVerifierRouter__UnknownVerifier(bytes32 id);
    error TinyCloudVerifierRouter__VerifierExists(bytes32 id);
    error TinyCloudVerifierRouter__VerifierRemoved(bytes32 id);
    error TinyCloudVerifierRouter__BadKind(uint8 kind);
    error TinyCloudVerifierRouter__ZeroAddress();
    error TinyCloudVerifierRouter__NotYetActive(bytes32 id, uint64 activeAt);
    error TinyCloudVerifierRouter__DelayTooLong(uint64 delay);
    error TinyCloudVerifierRouter__LengthMismatch();

    /// @param activeAt the first block timestamp at which verifyBatch routes to it (deployment or
    /// addVerifier time + verifierDelay).
    event VerifierAdded(bytes32 indexed id, address verifier, uint8 kind, uint64 activeAt);
    event VerifierRemoved(bytes32 indexed id);
    event OwnershipTransferred(address indexed from, address indexed to);

    function routes(bytes32 id) external view returns (address verifier, uint8 kind, bool removed, uint64 activeAt);
    /// @notice Seconds between addVerifier and the first proof it may verify (fixed at deployment).
    function verifierDelay() external view returns (uint64);
    function addVerifier(bytes32 id, address verifier, uint8 kind) external;
    function removeVerifier(bytes32 id) external;

    /// @return true iff the verifier registered under `id` accepts `proof` for `publicInputs`.
    /// Reverts for an unknown or removed id, and for one whose delay has not passed yet.
    function verifyBatch(bytes32 id, bytes calldata proof, uint256[4] calldata publicInputs) external view returns (bool);

    function owner() external view returns (address);
    function transferOwnership(address newOwner) external;
}
