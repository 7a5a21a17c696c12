pragma circom 2.1.0;

// EpochTransition(B, depth): B chained QuadSmtProcessor steps, oldRoot -> newRoot, plus the batch
// commitment.
//
// Public signals (snarkjs order = declaration order, there are no public outputs):
//   [0] oldRoot      the state root before the batch (the contract's stored root)
//   [1] newRoot      the state root after the batch
//   [2] batchNumber  the batch's sequence number (the contract checks it against its counter)
//   [3] commitment   Poseidon(4)(context, batchNumber, updatesHash, eventsHash)
//
// Private: context (chainId/contract, see prover/circuit-inputs.ts `epochContext`), eventsHash
// (a field element the sequencer computes from the batch's event CIDs) and the B step witnesses.
//
//   updatesHash = h_B,   h_0 = 0,   h_j = enabled_j ? Poseidon(3)(h_{j-1}, key_j, newValue_j) : h_{j-1}
//
// so the commitment binds the ordered list of real (enabled) updates and nothing else: padding
// (no-op) steps change neither the root nor h, and a batch of m updates has the same commitment
// in every circuit size B >= m, wherever the no-op steps sit.

include "circomlib/circuits/poseidon.circom";
include "quad_smt.circom";

template EpochTransition(B, depth) {
    signal input oldRoot;
    signal input newRoot;
    signal input batchNumber;
    signal input commitment;

    signal input context;
    signal input eventsHash;

    signal input enabled[B];
    signal input isInsert[B];
    signal input isOld0[B];
    signal input key[B];
    signal input oldValue[B];
    signal input newValue[B];
    signal input oldKey[B];
    signal input oldLeafValue[B];
    signal input siblings[B][depth][3];

    component step[B];
    component link[B];
    signal h[B + 1];
    h[0] <== 0;
    for (var j = 0; j < B; j++) {
        step[j] = QuadSmtProcessor(depth);
        step[j].enabled <== enabled[j];
        step[j].isInsert <== isInsert[j];
        step[j].isOld0 <== isOld0[j];
        if (j == 0) {
            step[j].oldRoot <== oldRoot;
        } else {
            step[j].oldRoot <== step[j - 1].newRoot;
        }
        step[j].key <== key[j];
        step[j].oldValue <== oldValue[j];
        step[j].newValue <== newValue[j];
        step[j].oldKey <== oldKey[j];
        step[j].oldLeafValue <== oldLeafValue[j];
        for (var i = 0; i < depth; i++) {
            for (var k = 0; k < 3; k++) step[j].siblings[i][k] <== siblings[j][i][k];
        }

        link[j] = Poseidon(3);
        link[j].inputs[0] <== h[j];
        link[j].inputs[1] <== key[j];
        link[j].inputs[2] <== newValue[j];
        h[j + 1] <== h[j] + enabled[j] * (link[j].out - h[j]);
    }
    step[B - 1].newRoot === newRoot;

    component c = Poseidon(4);
    c.inputs[0] <== context;
    c.inputs[1] <== batchNumber;
    c.inputs[2] <== h[B];
    c.inputs[3] <== eventsHash;
    c.out === commitment;
}
