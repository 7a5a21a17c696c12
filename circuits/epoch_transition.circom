pragma circom 2.1.0;

// EpochTransition(B, depth): B chained ImtStep steps of the indexed state tree, oldRoot -> newRoot,
// plus the batch commitment.
//
// Public signals (snarkjs order = declaration order, there are no public outputs):
//   [0] oldRoot      the state root before the batch (the contract's stored root)
//   [1] newRoot      the state root after the batch
//   [2] header       batchNumber · 2^192 + chainId · 2^160 + anchorContract (prover/circuit-inputs.ts
//                    `batchHeader`); the anchor contract computes it from its own counter, block.chainid
//                    and address(this), so a proof is bound to one batch of one deployment
//   [3] commitment   Poseidon(3)(header, updatesHash, eventsHash)
//
// A state root is Poseidon(2)(treeRoot, size): the tree of leaves and the number of leaves in it (the
// next free position). Private: eventsHash (a field element the sequencer computes from the batch's
// event CIDs), the old tree root and size, and the B steps. The header is packed into one field
// element because each public input costs ~7k gas (an ecMul + ecAdd) in the on-chain verifier.
//
//   updatesHash = h_B,   h_0 = 0,   h_j = (isUpdate_j + isNew_j) ? Poseidon(3)(h_{j-1}, key_j, newValue_j) : h_{j-1}
//
// so the commitment binds the ordered list of KV writes (an update, or the "new" half of an insert)
// and nothing else: "low" steps and no-op padding leave h unchanged, and a batch has the same
// commitment in every circuit size B that fits it, wherever the no-ops sit.
//
// An insert is two consecutive steps, "low" (j-1) then "new" (j): isNew_j = isLow_{j-1}, and the new
// leaf carries the key the low leaf now points to and the low leaf's old nextKey. A low step in the
// last slot would point to a key that is never written, so isLow_{B-1} = 0 and isNew_0 = 0.

include "circomlib/circuits/poseidon.circom";
include "imt.circom";

template EpochTransition(B, depth) {
    signal input oldRoot;
    signal input newRoot;
    signal input header;
    signal input commitment;

    signal input eventsHash;
    signal input oldTreeRoot;
    signal input oldSize;

    signal input isUpdate[B];
    signal input isLow[B];
    signal input isNew[B];
    signal input index[B];
    signal input key[B];
    signal input nextKey[B];
    signal input oldValue[B];
    signal input newValue[B];
    signal input insKey[B];
    signal input siblings[B][depth][3];

    component open = Poseidon(2);
    open.inputs[0] <== oldTreeRoot;
    open.inputs[1] <== oldSize;
    open.out === oldRoot;

    component step[B];
    component link[B];
    signal h[B + 1];
    h[0] <== 0;
    isNew[0] === 0;
    isLow[B - 1] === 0;
    for (var j = 0; j < B; j++) {
        step[j] = ImtStep(depth);
        if (j == 0) {
            step[j].oldTreeRoot <== oldTreeRoot;
            step[j].oldSize <== oldSize;
        } else {
            step[j].oldTreeRoot <== step[j - 1].newTreeRoot;
            step[j].oldSize <== step[j - 1].newSize;
            // The second half of an insert: right after its low step, for the key it points to.
            isNew[j] === isLow[j - 1];
            isNew[j] * (key[j] - insKey[j - 1]) === 0;
            isNew[j] * (nextKey[j] - nextKey[j - 1]) === 0;
        }
        step[j].isUpdate <== isUpdate[j];
        step[j].isLow <== isLow[j];
        step[j].isNew <== isNew[j];
        step[j].index <== index[j];
        step[j].key <== key[j];
        step[j].nextKey <== nextKey[j];
        step[j].oldValue <== oldValue[j];
        step[j].newValue <== newValue[j];
        step[j].insKey <== insKey[j];
        for (var i = 0; i < depth; i++) {
            for (var k = 0; k < 3; k++) step[j].siblings[i][k] <== siblings[j][i][k];
        }

        link[j] = Poseidon(3);
        link[j].inputs[0] <== h[j];
        link[j].inputs[1] <== key[j];
        link[j].inputs[2] <== newValue[j];
        h[j + 1] <== h[j] + (isUpdate[j] + isNew[j]) * (link[j].out - h[j]);
    }

    component close = Poseidon(2);
    close.inputs[0] <== step[B - 1].newTreeRoot;
    close.inputs[1] <== step[B - 1].newSize;
    close.out === newRoot;

    component c = Poseidon(3);
    c.inputs[0] <== header;
    c.inputs[1] <== h[B];
    c.inputs[2] <== eventsHash;
    c.out === commitment;
}
