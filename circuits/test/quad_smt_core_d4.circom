pragma circom 2.1.0;

// Test main: one step with the level thermometers n and t as free inputs (no hints), so tests can
// play a prover that picks them adversarially.
include "../quad_smt.circom";

component main {public [oldRoot]} = QuadSmtCore(4);
