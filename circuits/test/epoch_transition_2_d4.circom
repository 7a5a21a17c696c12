pragma circom 2.1.0;

// Test size: EpochTransition(4 steps, depth 4), any 2 KV writes. Public [oldRoot, newRoot, header, commitment].
include "../epoch_transition.circom";

component main {public [oldRoot, newRoot, header, commitment]} = EpochTransition(4, 4);
