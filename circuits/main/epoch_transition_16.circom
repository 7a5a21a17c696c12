pragma circom 2.1.0;

// epoch_transition_16: EpochTransition(32 steps, depth 16), any 16 KV writes (an insert takes 2 steps).
// ~360k constraints (2^19): built on purpose only (`tinycloud setup --circuit epoch_transition_16`).
// Public [oldRoot, newRoot, header, commitment].
include "../epoch_transition.circom";

component main {public [oldRoot, newRoot, header, commitment]} = EpochTransition(32, 16);
