pragma circom 2.1.0;

// One insert/update in the compressed quaternary Poseidon sparse Merkle tree of
// circuits/state-tree.md:
//
//   leaf  = Poseidon(3)(key, value, 1)
//   node  = Poseidon(4)(c0, c1, c2, c3)
//   empty = 0
//   digit i of a key = (key >> 2i) & 3, digit 0 chooses the child of the root
//
// The behaviour follows circomlib's SMTProcessor (smt/smtprocessor.circom), ported to arity 4
// and restated as "pass-through" levels instead of circomlib's six-state machine:
//
//   level i (0 = the root's children) hashes node i from the 4 children at depth i+1;
//   newNode[depth] = newLeaf, and going up, newNode[i] = n[i] ? Hash(children) : newNode[i+1]
//   oldNode[depth] = oldEnd,  and going up, oldNode[i] = t[i] ? Hash(children) : oldNode[i+1]
//
// so a compressed leaf simply travels up unchanged until the level where it stops being alone.
// n[i] = 1 for i < Lnew (the new leaf's depth), t[i] = 1 for i < Lold (where the old path ends).
//
// The three kinds of enabled step:
//   update          (isInsert = 0):              Lold = Lnew, oldEnd = Poseidon(3)(key, oldValue, 1)
//   insert, empty   (isInsert = 1, isOld0 = 1):  Lold = Lnew, oldEnd = 0
//   insert, split   (isInsert = 1, isOld0 = 0):  the old path ends at depth Lold in the leaf of
//        oldKey (value oldLeafValue). The new key pushes that leaf down: levels Lold..D-1 ("bot")
//        have no siblings and the two keys' digits agree there; level D ("new1", the first
//        digit where they differ, D >= Lold) holds exactly the two leaves; Lnew = D + 1.
//        Those levels are built by the circuit itself: the witness siblings are used only on
//        the levels where t = 1 (both paths hash), and there they are bound by oldRoot.
//
// n and t are computed by the witness generator (hints, in QuadSmtProcessor) and constrained in
// QuadSmtCore: both are thermometers (1…1 0…0); t = n outside a split; in a split n[0] = 1 and t is
// 0 on the new1 level (hence t[i] <= n[i+1]); bot levels force equal digits, the new1 level unequal
// digits. Soundness rests on Poseidon collision resistance and on oldRoot being a canonical tree
// (every root the chain of proofs reaches is): the opening of the old path (its siblings, its end,
// its length Lold) is then unique, which pins every other choice; in particular oldKey's digits
// above Lold are not compared with key's (the oracle's recomputeRoots does compare them), since a
// leaf at that position of a canonical tree has them. Likewise the witness siblings on the
// divergence level are ignored (rebuilt from the two leaves), where recomputeRoots checks them.
//
// A disabled step (enabled = 0) outputs newRoot = oldRoot and checks nothing against oldRoot;
// the all-zero witness satisfies every constraint.

include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/bitify.circom";

// One level. `b` / `ob`: the new / old key's digit at this level as 2 bits (LSB first).
// `sib`: the 3 siblings in child order (the children other than the path's), used when t = 1.
// `bot` / `new1`: this level is a bot / the new1 level of a split insert (else 0).
template QuadSmtLevel() {
    signal input b[2];
    signal input ob[2];
    signal input sib[3];
    signal input t;
    signal input n;
    signal input bot;
    signal input new1;
    signal input oldLeaf;
    signal input oldChild;
    signal input newChild;
    signal output oldNode;
    signal output newNode;

    // One-hot of the new digit: e0 = 1 - b0 - b1 + e3, e1 = b0 - e3, e2 = b1 - e3, e3 = b0*b1.
    signal e3 <== b[0] * b[1];

    // Siblings, zeroed below the top levels (bot/new1 levels are rebuilt from the leaves).
    signal s[3];
    for (var k = 0; k < 3; k++) s[k] <== t * sib[k];

    // A[j]: the siblings placed around the gap at position `digit`:
    //   digit 0: [0, s0, s1, s2]  1: [s0, 0, s1, s2]  2: [s0, s1, 0, s2]  3: [s0, s1, s2, 0]
    signal p0 <== (1 - b[0] - b[1] + e3) * s[0];
    signal p1 <== b[1] * s[1];
    signal p2 <== e3 * s[2];
    var A[4] = [s[0] - p0, p0 + p1, s[1] - p1 + p2, s[2] - p2];

    // The other key's leaf, placed at its own digit on the new1 level.
    signal x <== new1 * oldLeaf;
    signal oe3 <== ob[0] * ob[1];
    signal r1 <== ob[0] * x;
    signal r2 <== ob[1] * x;
    signal r3 <== oe3 * x;
    var Bv[4] = [x - r1 - r2 + r3, r1 - r3, r2 - r3, r3];

    // The path's own child at position `digit`.
    signal nq1 <== b[0] * newChild;
    signal nq2 <== b[1] * newChild;
    signal nq3 <== e3 * newChild;
    var NC[4] = [newChild - nq1 - nq2 + nq3, nq1 - nq3, nq2 - nq3, nq3];
    signal oq1 <== b[0] * oldChild;
    signal oq2 <== b[1] * oldChild;
    signal oq3 <== e3 * oldChild;
    var OC[4] = [oldChild - oq1 - oq2 + oq3, oq1 - oq3, oq2 - oq3, oq3];

    component newHash = Poseidon(4);
    component oldHash = Poseidon(4);
    for (var j = 0; j < 4; j++) {
        newHash.inputs[j] <== A[j] + Bv[j] + NC[j];
        oldHash.inputs[j] <== A[j] + OC[j];
    }
    newNode <== newChild + n * (newHash.out - newChild);
    oldNode <== oldChild + t * (oldHash.out - oldChild);

    // Digits: equal on bot levels, different on the new1 level (so the two leaves do not overlap).
    // diff = (ob0 - b0) + 2 (ob1 - b1) is 0 exactly when the digits are equal.
    signal diff <== ob[0] + 2 * ob[1] - b[0] - 2 * b[1];
    bot * diff === 0;
    signal inv;
    inv <-- diff != 0 ? 1 / diff : 0;
    signal z <== new1 * diff;
    z * inv === new1;
}

// All the constraints of one step; the level thermometers n (i < Lnew) and t (i < Lold) are inputs
// here, so a test main can drive them freely (QuadSmtProcessor computes them as hints).
template QuadSmtCore(depth) {
    signal input enabled;       // 0: no-op step (newRoot = oldRoot)
    signal input isInsert;      // 1: insert, 0: update
    signal input isOld0;        // insert: 1 if the old path ends in an empty slot
    signal input oldRoot;
    signal input key;
    signal input oldValue;      // update: the key's current value
    signal input newValue;
    signal input oldKey;        // split insert: the key whose leaf ends the old path
    signal input oldLeafValue;  // split insert: that key's value
    signal input siblings[depth][3];
    signal input n[depth];
    signal input t[depth];
    signal output newRoot;

    enabled * (enabled - 1) === 0;
    isInsert * (isInsert - 1) === 0;
    isOld0 * (isOld0 - 1) === 0;
    signal isSplit <== isInsert * (1 - isOld0);

    // Key digits; Num2Bits(248) is also the range check key < 2^248 (spec: keys are 248 bits).
    component keyBits = Num2Bits(248);
    keyBits.in <== key;
    component oldKeyBits = Num2Bits(248);
    oldKeyBits.in <== oldKey;

    // Leaves.
    component newLeaf = Poseidon(3);
    newLeaf.inputs[0] <== key;
    newLeaf.inputs[1] <== newValue;
    newLeaf.inputs[2] <== 1;
    component oldLeaf = Poseidon(3);
    oldLeaf.inputs[0] <== key + isInsert * (oldKey - key);
    oldLeaf.inputs[1] <== oldValue + isInsert * (oldLeafValue - oldValue);
    oldLeaf.inputs[2] <== 1;
    signal isOld0Insert <== isInsert * isOld0;
    signal oldEnd <== oldLeaf.out * (1 - isOld0Insert);

    // ---- control constraints ----
    signal new1[depth];
    signal bot[depth];
    for (var i = 0; i < depth; i++) {
        n[i] * (n[i] - 1) === 0;
        t[i] * (t[i] - 1) === 0;
        if (i + 1 < depth) {
            n[i + 1] * (1 - n[i]) === 0;
            t[i + 1] * (1 - t[i]) === 0;
        }
        (1 - isSplit) * (t[i] - n[i]) === 0;
        if (i + 1 < depth) {
            new1[i] <== isSplit * (n[i] - n[i + 1]);
            bot[i] <== isSplit * (n[i + 1] - t[i]);
        } else {
            new1[i] <== isSplit * n[i];
            bot[i] <== -isSplit * t[i];
        }
        t[i] * new1[i] === 0;
    }
    isSplit * (1 - n[0]) === 0;

    // ---- levels, bottom-up ----
    component level[depth];
    for (var i = depth - 1; i >= 0; i--) {
        level[i] = QuadSmtLevel();
        level[i].b[0] <== keyBits.out[2 * i];
        level[i].b[1] <== keyBits.out[2 * i + 1];
        level[i].ob[0] <== oldKeyBits.out[2 * i];
        level[i].ob[1] <== oldKeyBits.out[2 * i + 1];
        for (var k = 0; k < 3; k++) level[i].sib[k] <== siblings[i][k];
        level[i].t <== t[i];
        level[i].n <== n[i];
        level[i].bot <== bot[i];
        level[i].new1 <== new1[i];
        level[i].oldLeaf <== oldLeaf.out;
        if (i == depth - 1) {
            level[i].oldChild <== oldEnd;
            level[i].newChild <== newLeaf.out;
        } else {
            level[i].oldChild <== level[i + 1].oldNode;
            level[i].newChild <== level[i + 1].newNode;
        }
    }

    enabled * (level[0].oldNode - oldRoot) === 0;
    newRoot <== oldRoot + enabled * (level[0].newNode - oldRoot);
}

template QuadSmtProcessor(depth) {
    signal input enabled;       // 0: no-op step (newRoot = oldRoot)
    signal input isInsert;      // 1: insert, 0: update
    signal input isOld0;        // insert: 1 if the old path ends in an empty slot
    signal input oldRoot;
    signal input key;
    signal input oldValue;      // update: the key's current value
    signal input newValue;
    signal input oldKey;        // split insert: the key whose leaf ends the old path
    signal input oldLeafValue;  // split insert: that key's value
    signal input siblings[depth][3];
    signal output newRoot;

    // ---- hints: n[i] = (i < Lnew), t[i] = (i < Lold), as recomputeRoots derives n and L ----
    var lastNonZero = 0;  // 1 + the deepest level with a non-zero sibling
    for (var i = 0; i < depth; i++) {
        lastNonZero = (siblings[i][0] != 0 || siblings[i][1] != 0 || siblings[i][2] != 0) ? i + 1 : lastNonZero;
    }
    var firstDiff = depth;  // first digit where key and oldKey differ
    for (var i = depth - 1; i >= 0; i--) {
        firstDiff = ((key >> (2 * i)) & 3) != ((oldKey >> (2 * i)) & 3) ? i : firstDiff;
    }
    var lastNonZeroAbove = 0;  // 1 + the deepest level above firstDiff with a non-zero sibling
    for (var i = 0; i < depth; i++) {
        lastNonZeroAbove = (i < firstDiff && (siblings[i][0] != 0 || siblings[i][1] != 0 || siblings[i][2] != 0)) ? i + 1 : lastNonZeroAbove;
    }
    var split = (isInsert == 1 && isOld0 == 0) ? 1 : 0;
    var lNew = split == 1 ? firstDiff + 1 : lastNonZero;
    var lOld = split == 1 ? lastNonZeroAbove : lastNonZero;

    component core = QuadSmtCore(depth);
    core.enabled <== enabled;
    core.isInsert <== isInsert;
    core.isOld0 <== isOld0;
    core.oldRoot <== oldRoot;
    core.key <== key;
    core.oldValue <== oldValue;
    core.newValue <== newValue;
    core.oldKey <== oldKey;
    core.oldLeafValue <== oldLeafValue;
    for (var i = 0; i < depth; i++) {
        for (var k = 0; k < 3; k++) core.siblings[i][k] <== siblings[i][k];
    }
    signal n[depth];
    signal t[depth];
    for (var i = 0; i < depth; i++) {
        n[i] <-- i < lNew ? 1 : 0;
        t[i] <-- i < lOld ? 1 : 0;
        core.n[i] <== n[i];
        core.t[i] <== t[i];
    }
    newRoot <== core.newRoot;
}
