pragma circom 2.1.0;

// One bare ImtStep at depth 16, for constraint counts (circuits/README.md).
include "../imt.circom";

component main {public [oldTreeRoot]} = ImtStep(16);
