pragma circom 2.0.0;

// Tiny test circuit for the setup pipeline (prover/setup): out = Poseidon(a, b).
// It has no main component: circuits/circuits.json declares it (template, params, public signals).
include "circomlib/circuits/poseidon.circom";

template Poseidon2Hash() {
    signal input a;
    signal input b;
    signal output out;

    component h = Poseidon(2);
    h.inputs[0] <== a;
    h.inputs[1] <== b;
    out <== h.out;
}
