pragma circom 2.1.0;

// Test size: EpochTransition(B = 1, depth = 4). Public [oldRoot, newRoot, batchNumber, commitment].
include "../epoch_transition.circom";

component main {public [oldRoot, newRoot, batchNumber, commitment]} = EpochTransition(1, 4);
