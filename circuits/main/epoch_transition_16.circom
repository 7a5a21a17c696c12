pragma circom 2.1.0;

// epoch_transition_16: EpochTransition(32 steps, depth 16), any 16 KV writes (an insert takes 2 steps).
// Public [oldRoot, newRoot, header, commitment].
include "../epoch_transition.circom";

component main {public [oldRoot, newRoot, header, commitment]} = EpochTransition(32, 16);
