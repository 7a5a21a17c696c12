pragma circom 2.1.0;

// Constraint-count probe: one QuadSmtProcessor step at depth 4.
include "../quad_smt.circom";

component main {public [oldRoot]} = QuadSmtProcessor(4);
