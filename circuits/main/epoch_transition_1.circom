pragma circom 2.1.0;

// EpochTransition(B = 1, depth = 16): public [oldRoot, newRoot, header, commitment].
include "../epoch_transition.circom";

component main {public [oldRoot, newRoot, header, commitment]} = EpochTransition(1, 16);
