/** PLACEHOLDER until h-runtime lands: the host ABI's version (compute-design.md). */
export const COMPUTE_ABI = "tc:compute/abi@1";
