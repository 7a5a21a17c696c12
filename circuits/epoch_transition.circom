pragma circom 2.1.0;

// EpochTransition(B, depth): B chained QuadSmtProcessor steps, oldRoot -> newRoot, plus the batch
// commitment.
//
// Public signals (snarkjs order = declaration order, there are no public outputs):
//   [0] oldRoot      the state root before the batch (the contract's stored root)
//   [1] newRoot      the state root after the batch
//   [2] header       batchNumber · 2^192 + chainId · 2^160 + anchorContract (prover/circuit-inputs.ts
//                    `batchHeader`); the anchor contract computes it from its own counter, block.chainid
//                    and address(this), so a proof is bound to one batch of one deployment
//   [3] commitment   Poseidon(3)(header, updatesHash, eventsHash)
//
// Private: eventsHash (a field element the sequencer computes from the batch's event CIDs) and the B
// step witnesses. The header is packed into one field element rather than given as separate public
// inputs because each public input costs ~7k gas (an ecMul + ecAdd) in the on-chain verifier.
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
    signal input header;
    signal input commitment;

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

    component c = Poseidon(3);
    c.inputs[0] <== header;
    c.inputs[1] <== h[B];
    c.inputs[2] <== eventsHash;
    c.out === commitment;
}
