pragma circom 2.1.0;

// EpochTransition(B = 32, depth = 16): public [oldRoot, newRoot, header, commitment].
include "../epoch_transition.circom";

component main {public [oldRoot, newRoot, header, commitment]} = EpochTransition(32, 16);
