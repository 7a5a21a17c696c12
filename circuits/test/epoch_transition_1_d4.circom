pragma circom 2.1.0;

// Test size: EpochTransition(B = 1, depth = 4). Public [oldRoot, newRoot, header, commitment].
include "../epoch_transition.circom";

component main {public [oldRoot, newRoot, header, commitment]} = EpochTransition(1, 4);
