pragma circom 2.1.0;

// One step of the indexed Merkle tree of circuits/state-tree.md (oracle: node/core/state-tree.ts,
// `recomputeRoots` and the table on `UpdateWitness`):
//
//   leaf at position i = Poseidon(3)(key, nextKey, value), an unused position = 0
//   node               = Poseidon(4)(c0, c1, c2, c3), fixed depth (no compression, no level hints)
//   digit of i at level l (0 = the root's children) = (i >> 2(depth-1-l)) & 3
//
// A step writes ONE leaf at `index`, old leaf -> new leaf, under one set of siblings:
//
//   op       old leaf                        new leaf                          extra rules
//   update   H3(key, nextKey, oldValue)      H3(key, nextKey, newValue)        -
//   low      H3(key, nextKey, oldValue)      H3(key, insKey, oldValue)         key < insKey < nextKey (or nextKey = 0)
//   new      0 (the position is empty)       H3(key, nextKey, newValue)        index = oldSize, size + 1
//   noop     the step is disabled: newTreeRoot = oldTreeRoot, nothing is checked against it
//
// That a "new" step follows its "low" step, with key = low.insKey and nextKey = low's old nextKey, is
// constrained by EpochTransition, which sees both steps. Together they insert a key into the sorted
// linked list of leaves; keys stay below 2^248 because every inserted key (insKey) is range-checked
// here and the genesis tree holds only key 0, so LessThan(248) on stored keys is sound.

include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";

// One level of two paths (old leaf and new leaf) that share their siblings. `bit` is the path digit
// as 2 bits, least significant first; `sib` the 3 other children in child order. The children are
//   digit 0: (x, s0, s1, s2)   1: (s0, x, s1, s2)   2: (s0, s1, x, s2)   3: (s0, s1, s2, x)
// written with the one-hot e0..e3 of the digit (e3 = b0·b1, e1 = b0 − e3, e2 = b1 − e3,
// e0 = 1 − b0 − b1 + e3) so that the sibling products are shared by both paths:
//   a = e0·s0, b = b1·s1 (= (e2 + e3)·s1), d = e3·s2, and per path x_i = e_i·x
//   c0 = s0 − a + x0,  c1 = a + b + x1,  c2 = s1 − b + d + x2,  c3 = s2 − d + x3
template ImtLevel() {
    signal input bit[2];
    signal input sib[3];
    signal input oldChild;
    signal input newChild;
    signal output oldNode;
    signal output newNode;

    signal e3 <== bit[0] * bit[1];
    signal a <== (1 - bit[0] - bit[1] + e3) * sib[0];
    signal b <== bit[1] * sib[1];
    signal d <== e3 * sib[2];

    signal o1 <== (bit[0] - e3) * oldChild;
    signal o2 <== (bit[1] - e3) * oldChild;
    signal o3 <== e3 * oldChild;
    component ho = Poseidon(4);
    ho.inputs[0] <== sib[0] - a + (oldChild - o1 - o2 - o3);
    ho.inputs[1] <== a + b + o1;
    ho.inputs[2] <== sib[1] - b + d + o2;
    ho.inputs[3] <== sib[2] - d + o3;
    oldNode <== ho.out;

    signal n1 <== (bit[0] - e3) * newChild;
    signal n2 <== (bit[1] - e3) * newChild;
    signal n3 <== e3 * newChild;
    component hn = Poseidon(4);
    hn.inputs[0] <== sib[0] - a + (newChild - n1 - n2 - n3);
    hn.inputs[1] <== a + b + n1;
    hn.inputs[2] <== sib[1] - b + d + n2;
    hn.inputs[3] <== sib[2] - d + n3;
    newNode <== hn.out;
}

template ImtStep(depth) {
    signal input oldTreeRoot;
    signal input oldSize;
    signal input isUpdate;
    signal input isLow;
    signal input isNew;
    signal input index;
    signal input key;
    signal input nextKey;
    signal input oldValue;
    signal input newValue;
    signal input insKey;
    signal input siblings[depth][3];
    signal output newTreeRoot;
    signal output newSize;

    // At most one op; enabled = 1 for every op but noop.
    isUpdate * (isUpdate - 1) === 0;
    isLow * (isLow - 1) === 0;
    isNew * (isNew - 1) === 0;
    signal enabled <== isUpdate + isLow + isNew;
    enabled * (enabled - 1) === 0;

    // The position: 2·depth bits (also bounds it below 4^depth, the capacity).
    component pos = Num2Bits(2 * depth);
    pos.in <== index;

    // A new leaf takes the next free position, so positions follow insertion order and the size
    // (part of the state root) counts the leaves.
    isNew * (index - oldSize) === 0;
    newSize <== oldSize + isNew;

    // low: the inserted key is a 248-bit key strictly between the leaf's key and its nextKey
    // (nextKey = 0 ends the list), and the leaf's value is unchanged.
    component insBits = Num2Bits(248);
    insBits.in <== insKey;
    component below = LessThan(248);
    below.in[0] <== key;
    below.in[1] <== insKey;
    isLow * (1 - below.out) === 0;
    component above = LessThan(248);
    above.in[0] <== insKey;
    above.in[1] <== nextKey;
    component last = IsZero();
    last.in <== nextKey;
    signal lowOpen <== isLow * (1 - above.out);
    lowOpen * (1 - last.out) === 0;
    isLow * (newValue - oldValue) === 0;

    // The leaves. A new step opens an empty position (0); low re-points nextKey to insKey.
    component oldLeafHash = Poseidon(3);
    oldLeafHash.inputs[0] <== key;
    oldLeafHash.inputs[1] <== nextKey;
    oldLeafHash.inputs[2] <== oldValue;
    signal oldLeaf <== (1 - isNew) * oldLeafHash.out;
    signal newNext <== nextKey + isLow * (insKey - nextKey);
    component newLeafHash = Poseidon(3);
    newLeafHash.inputs[0] <== key;
    newLeafHash.inputs[1] <== newNext;
    newLeafHash.inputs[2] <== newValue;

    // Both paths, leaf level up to the root, under the same siblings.
    component level[depth];
    for (var l = depth - 1; l >= 0; l--) {
        level[l] = ImtLevel();
        // Level l's digit is bits 2(depth-1-l) (low) and 2(depth-1-l)+1 (high) of index.
        level[l].bit[0] <== pos.out[2 * (depth - 1 - l)];
        level[l].bit[1] <== pos.out[2 * (depth - 1 - l) + 1];
        for (var k = 0; k < 3; k++) level[l].sib[k] <== siblings[l][k];
        if (l == depth - 1) {
            level[l].oldChild <== oldLeaf;
            level[l].newChild <== newLeafHash.out;
        } else {
            level[l].oldChild <== level[l + 1].oldNode;
            level[l].newChild <== level[l + 1].newNode;
        }
    }

    // The old path must open the current tree; a disabled step changes nothing.
    enabled * (level[0].oldNode - oldTreeRoot) === 0;
    newTreeRoot <== oldTreeRoot + enabled * (level[0].newNode - oldTreeRoot);
}
