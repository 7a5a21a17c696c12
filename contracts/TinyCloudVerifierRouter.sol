// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IBatchVerifier} from "./interfaces/IBatchVerifier.sol";
import {IGroth16Verifier} from "./interfaces/IGroth16Verifier.sol";
import {ITinyCloudVerifierRouter} from "./interfaces/ITinyCloudVerifierRouter.sol";

/// @title TinyCloudVerifierRouter
/// @notice Routes a proof to the verifier registered under its verifier id. An id is
/// keccak256(utf8(JCS(vkey))), so it pins one exact verification key: the anchor (which only stores
/// this router's address) never has to change when a circuit is added, and a compromised or retired
/// key is switched off by tombstoning its id, which can then never be reused for a different verifier.
///
/// Owner powers are bounded in time: a verifier added after deployment routes proofs only once
/// `verifierDelay` seconds have passed (fixed at deployment), so anyone who relies on the anchor sees a
/// new proof system, and can leave, before it can write a root. Removing a verifier is immediate: it
/// can only stop roots from being written, never write one. The verifiers routed at deployment are
/// constructor arguments and active at once (they are part of what a user checks when they pin a
/// deployment).
contract TinyCloudVerifierRouter is ITinyCloudVerifierRouter {
    /// @notice snarkjs-exported Groth16 verifier: `verifyProof(uint[2],uint[2][2],uint[2],uint[4])`.
    uint8 public constant KIND_GROTH16_SNARKJS = 1;
    /// @notice Adapter implementing IBatchVerifier.verifyBatch(bytes, uint256[4]).
    uint8 public constant KIND_BATCH_VERIFIER = 2;

    /// @dev abi.encode(uint256[2] a, uint256[2][2] b, uint256[2] c): eight 32-byte words.
    uint256 private constant GROTH16_PROOF_BYTES = 256;

    /// @dev Longest delay the constructor accepts: a year (a typo in seconds must not lock the router).
    uint64 private constant MAX_VERIFIER_DELAY = 365 days;

    /// @dev 20 + 1 + 1 + 8 bytes: one storage slot, so a lookup is a single SLOAD.
    struct Route {
        address verifier;
        uint8 kind;
        bool removed;
        uint64 activeAt;
    }

    /// @inheritdoc ITinyCloudVerifierRouter
    uint64 public immutable verifierDelay;

    /// @inheritdoc ITinyCloudVerifierRouter
    address public owner;
    /// @inheritdoc ITinyCloudVerifierRouter
    mapping(bytes32 id => Route) public routes;

    modifier onlyOwner() {
        if (msg.sender != owner) revert TinyCloudVerifierRouter__NotOwner(msg.sender);
        _;
    }

    /// @dev The owner is an argument (not msg.sender) so a deployer key or factory can hand the router
    /// straight to a multisig.
    /// @param delay seconds before a verifier added later may verify a proof (at most a year).
    /// @param ids, verifiers, kinds the routes of the deployment, active at once.
    constructor(address initialOwner, uint64 delay, bytes32[] memory ids, address[] memory verifiers, uint8[] memory kinds) {
        if (initialOwner == address(0)) revert TinyCloudVerifierRouter__ZeroAddress();
        if (delay > MAX_VERIFIER_DELAY) revert TinyCloudVerifierRouter__DelayTooLong(delay);
        if (ids.length != verifiers.length || ids.length != kinds.length) revert TinyCloudVerifierRouter__LengthMismatch();
        owner = initialOwner;
        verifierDelay = delay;
        emit OwnershipTransferred(address(0), initialOwner);
        for (uint256 i = 0; i < ids.length; i++) {
            _add(ids[i], verifiers[i], kinds[i], uint64(block.timestamp));
        }
    }

    /// @inheritdoc ITinyCloudVerifierRouter
    function addVerifier(bytes32 id, address verifier, uint8 kind) external onlyOwner {
        _add(id, verifier, kind, uint64(block.timestamp) + verifierDelay);
    }

    function _add(bytes32 id, address verifier, uint8 kind, uint64 activeAt) private {
        if (verifier == address(0)) revert TinyCloudVerifierRouter__ZeroAddress();
        if (kind != KIND_GROTH16_SNARKJS && kind != KIND_BATCH_VERIFIER) revert TinyCloudVerifierRouter__BadKind(kind);
        // A tombstoned route keeps its verifier address, so this also refuses to revive a removed id.
        if (routes[id].verifier != address(0)) revert TinyCloudVerifierRouter__VerifierExists(id);
        routes[id] = Route({verifier: verifier, kind: kind, removed: false, activeAt: activeAt});
        emit VerifierAdded(id, verifier, kind, activeAt);
    }

    /// @inheritdoc ITinyCloudVerifierRouter
    function removeVerifier(bytes32 id) external onlyOwner {
        Route storage route = routes[id];
        if (route.verifier == address(0)) revert TinyCloudVerifierRouter__UnknownVerifier(id);
        if (route.removed) revert TinyCloudVerifierRouter__VerifierRemoved(id);
        route.removed = true;
        emit VerifierRemoved(id);
    }

    /// @inheritdoc ITinyCloudVerifierRouter
    /// @dev A verifier that reverts or returns anything but `true` counts as rejecting the proof, so
    /// callers see one failure mode (false) for every bad proof. The verifier runs under STATICCALL.
    function verifyBatch(bytes32 id, bytes calldata proof, uint256[4] calldata publicInputs) external view returns (bool) {
        Route memory route = routes[id];
        if (route.verifier == address(0)) revert TinyCloudVerifierRouter__UnknownVerifier(id);
        if (route.removed) revert TinyCloudVerifierRouter__VerifierRemoved(id);
        if (block.timestamp < route.activeAt) revert TinyCloudVerifierRouter__NotYetActive(id, route.activeAt);

        bytes memory callData;
        if (route.kind == KIND_GROTH16_SNARKJS) {
            // Only the canonical encoding is accepted (no trailing bytes).
            if (proof.length != GROTH16_PROOF_BYTES) return false;
            // Every argument of verifyProof is a static array, whose ABI encoding is its words in
            // order, so selector ‖ abi.encode(a, b, c) ‖ publicInputs is exactly
            // abi.encodeCall(verifyProof, (a, b, c, publicInputs)) without decoding into memory first.
            callData = abi.encodePacked(IGroth16Verifier.verifyProof.selector, proof, publicInputs);
        } else {
            callData = abi.encodeCall(IBatchVerifier.verifyBatch, (proof, publicInputs));
        }
        (bool ok, bytes memory ret) = route.verifier.staticcall(callData);
        return ok && ret.length == 32 && abi.decode(ret, (uint256)) == 1;
    }

    /// @inheritdoc ITinyCloudVerifierRouter
    function transferOwnership(address newOwner) external onlyOwner {
        // No renouncing by accident: a router without owner can never retire a broken key.
        if (newOwner == address(0)) revert TinyCloudVerifierRouter__ZeroAddress();
        emit OwnershipTransferred(owner, newOwner);
        owner = newOwner;
    }
}
