pragma circom 2.1.0;

// epoch_transition_4: EpochTransition(8 steps, depth 16), any 4 KV writes (an insert takes 2 steps).
// Public [oldRoot, newRoot, header, commitment].
include "../epoch_transition.circom";

component main {public [oldRoot, newRoot, header, commitment]} = EpochTransition(8, 16);
