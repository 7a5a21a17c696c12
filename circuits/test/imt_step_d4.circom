pragma circom 2.1.0;

// Test main: one bare ImtStep at depth 4, every input free, so tests can play an adversarial prover
// step by step (test/unit/circuits.test.ts).
include "../imt.circom";

component main {public [oldTreeRoot]} = ImtStep(4);
