pragma circom 2.1.0;

// epoch_transition_1: EpochTransition(2 steps, depth 16), any 1 KV writes (an insert takes 2 steps).
// Public [oldRoot, newRoot, header, commitment].
include "../epoch_transition.circom";

component main {public [oldRoot, newRoot, header, commitment]} = EpochTransition(2, 16);
