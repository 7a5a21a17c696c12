// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice On-chain anchor of the TinyCloud state root: a new root is stored only when a proof of the
/// transition from the stored root verifies.
interface ITinyCloudAnchor {
    error TinyCloudAnchor__NotOwner(address caller);
    error TinyCloudAnchor__NotSequencer(address caller);
    error TinyCloudAnchor__WrongBatchNumber(uint64 expected, uint64 given);
    error TinyCloudAnchor__InvalidProof(uint64 batchNumber);
    error TinyCloudAnchor__FieldElementOutOfRange(uint256 value);
    error TinyCloudAnchor__ChainIdTooLarge(uint256 chainId);
    error TinyCloudAnchor__ZeroAddress();
    error TinyCloudAnchor__UnsupportedDepth(uint8 depth);

    event BatchAnchored(uint64 indexed batchNumber, uint256 newRoot, uint256 commitment, bytes32 indexed verifierId);
    event SequencerSet(address indexed sequencer, bool authorized);
    event OwnershipTransferred(address indexed from, address indexed to);

    function submitBatch(bytes32 verifierId, uint64 batchNumber, uint256 newRoot, uint256 commitment, bytes calldata proof) external;

    function header(uint64 batchNumber) external view returns (uint256);
    function latestBatch() external view returns (uint64);
    function latestRoot() external view returns (uint256);
    function roots(uint64 batchNumber) external view returns (uint256);
    function router() external view returns (address);
    /// @notice roots(0): the root of the empty indexed tree of `treeDepth`, fixed by the contract
    /// (EmptyTreeRoots, generated from the TypeScript oracle), never chosen by the deployer.
    function genesisRoot() external view returns (uint256);
    function treeDepth() external view returns (uint8);
    /// @notice The block of the deployment: BatchAnchored log scans start here.
    function deployedAt() external view returns (uint64);

    function setSequencer(address sequencer, bool authorized) external;
    function isSequencer(address account) external view returns (bool);

    function owner() external view returns (address);
    function transferOwnership(address newOwner) external;
}
