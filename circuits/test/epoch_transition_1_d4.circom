pragma circom 2.1.0;

// Test size: EpochTransition(2 steps, depth 4), any 1 KV writes. Public [oldRoot, newRoot, header, commitment].
include "../epoch_transition.circom";

component main {public [oldRoot, newRoot, header, commitment]} = EpochTransition(2, 4);
