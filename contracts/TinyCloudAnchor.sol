// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ITinyCloudAnchor} from "./interfaces/ITinyCloudAnchor.sol";
import {ITinyCloudVerifierRouter} from "./interfaces/ITinyCloudVerifierRouter.sol";
import {EmptyTreeRoots} from "./generated/EmptyTreeRoots.sol";

/// @title TinyCloudAnchor
/// @notice Stores the TinyCloud state root per batch. `submitBatch` accepts batch n = latestBatch + 1
/// only with a proof that the circuit moved the tree from roots[latestBatch] (read from storage, never
/// from the caller) to `newRoot`, for this contract on this chain (the `header` public input binds the
/// batch number, block.chainid and address(this)), committing to `commitment` (Poseidon of the header
/// and the batch's update and event hashes, for data availability checks off-chain).
///
/// Genesis is not trusted: roots[0] is the empty tree of the chosen depth, a constant of
/// EmptyTreeRoots, so every stored root is reached from a well-formed empty tree through proven
/// transitions. The BatchAnchored event names the verifier id of every batch: a light client accepts a
/// root only when every batch up to it was proven under a key it pins.
contract TinyCloudAnchor is ITinyCloudAnchor {
    /// @dev BN254 scalar field order: every public input of the circuit is an element of this field.
    uint256 private constant SNARK_SCALAR_FIELD =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    /// @inheritdoc ITinyCloudAnchor
    address public immutable router;
    /// @inheritdoc ITinyCloudAnchor
    uint256 public immutable genesisRoot;
    /// @inheritdoc ITinyCloudAnchor
    uint8 public immutable treeDepth;
    /// @inheritdoc ITinyCloudAnchor
    uint64 public immutable deployedAt;

    // owner (20 bytes) and latestBatch (8 bytes) share one slot, so submitBatch pays one cold SLOAD
    // for latestBatch and a non-zero to non-zero SSTORE to advance it, never a fresh slot.
    /// @inheritdoc ITinyCloudAnchor
    address public owner;
    /// @inheritdoc ITinyCloudAnchor
    uint64 public latestBatch;

    /// @inheritdoc ITinyCloudAnchor
    /// @dev Every anchored root is kept (one new slot per batch): light clients and auditors can check
    /// any historical root on chain, and batch n's old root is roots[n - 1].
    mapping(uint64 batchNumber => uint256 root) public roots;

    mapping(address account => bool authorized) private sequencers;

    modifier onlyOwner() {
        if (msg.sender != owner) revert TinyCloudAnchor__NotOwner(msg.sender);
        _;
    }

    /// @param initialOwner manages sequencers and ownership.
    /// @param verifierRouter the TinyCloudVerifierRouter; immutable, so the set of accepted proof
    ///        systems changes only through the router's own (owned, tombstoning) registry.
    /// @param depth the state tree depth of the circuits; roots[0] is the empty tree of that depth.
    constructor(address initialOwner, address verifierRouter, uint8 depth) {
        if (initialOwner == address(0) || verifierRouter == address(0)) revert TinyCloudAnchor__ZeroAddress();
        // The header packs the chain id into 32 bits (bits 160..191); a larger id would overlap the
        // batch number and break the binding.
        if (block.chainid >> 32 != 0) revert TinyCloudAnchor__ChainIdTooLarge(block.chainid);
        uint256 genesis = EmptyTreeRoots.rootOf(depth);
        if (genesis == 0) revert TinyCloudAnchor__UnsupportedDepth(depth);
        router = verifierRouter;
        owner = initialOwner;
        genesisRoot = genesis;
        treeDepth = depth;
        deployedAt = uint64(block.number);
        roots[0] = genesis;
        emit OwnershipTransferred(address(0), initialOwner);
    }

    /// @inheritdoc ITinyCloudAnchor
    function submitBatch(bytes32 verifierId, uint64 batchNumber, uint256 newRoot, uint256 commitment, bytes calldata proof)
        external
    {
        if (!sequencers[msg.sender]) revert TinyCloudAnchor__NotSequencer(msg.sender);
        uint64 previous = latestBatch;
        // Batches are anchored strictly in order: a replayed or stale proof names a batch number that is
        // no longer latestBatch + 1. latestBatch < 2^61 in practice, so the increment cannot overflow.
        uint64 expected;
        unchecked {
            expected = previous + 1;
        }
        if (batchNumber != expected) revert TinyCloudAnchor__WrongBatchNumber(expected, batchNumber);
        // The verifier would reject these too, but an explicit error tells the sequencer why, and it
        // keeps a root that is not a field element (and so could never be an old root) out of storage.
        if (newRoot >= SNARK_SCALAR_FIELD) revert TinyCloudAnchor__FieldElementOutOfRange(newRoot);
        if (commitment >= SNARK_SCALAR_FIELD) revert TinyCloudAnchor__FieldElementOutOfRange(commitment);

        uint256[4] memory publicInputs = [roots[previous], newRoot, _header(batchNumber), commitment];
        if (!ITinyCloudVerifierRouter(router).verifyBatch(verifierId, proof, publicInputs)) {
            revert TinyCloudAnchor__InvalidProof(batchNumber);
        }

        roots[batchNumber] = newRoot;
        latestBatch = batchNumber;
        emit BatchAnchored(batchNumber, newRoot, commitment, verifierId);
    }

    /// @inheritdoc ITinyCloudAnchor
    function header(uint64 batchNumber) external view returns (uint256) {
        return _header(batchNumber);
    }

    /// @inheritdoc ITinyCloudAnchor
    function latestRoot() external view returns (uint256) {
        return roots[latestBatch];
    }

    /// @inheritdoc ITinyCloudAnchor
    function setSequencer(address sequencer, bool authorized) external onlyOwner {
        if (sequencer == address(0)) revert TinyCloudAnchor__ZeroAddress();
        sequencers[sequencer] = authorized;
        emit SequencerSet(sequencer, authorized);
    }

    /// @inheritdoc ITinyCloudAnchor
    function isSequencer(address account) external view returns (bool) {
        return sequencers[account];
    }

    /// @inheritdoc ITinyCloudAnchor
    function transferOwnership(address newOwner) external onlyOwner {
        if (newOwner == address(0)) revert TinyCloudAnchor__ZeroAddress();
        emit OwnershipTransferred(owner, newOwner);
        owner = newOwner;
    }

    /// @dev batchNumber << 192 | chainid << 160 | address(this): one field element (< 2^253 for
    /// batchNumber < 2^61 and chainid < 2^32) that ties a proof to one batch of one anchor on one
    /// chain, so a proof can be replayed neither on another deployment nor on a fork with a new chain
    /// id. block.chainid is read live (not cached at deployment) for exactly that fork case; the check
    /// keeps a chain id that grew past 32 bits after a fork from overlapping the batch number.
    function _header(uint64 batchNumber) private view returns (uint256) {
        if (block.chainid >> 32 != 0) revert TinyCloudAnchor__ChainIdTooLarge(block.chainid);
        return (uint256(batchNumber) << 192) | (block.chainid << 160) | uint256(uint160(address(this)));
    }
}
