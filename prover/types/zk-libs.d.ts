/**
 * Minimal type declarations for the untyped ZK libraries the prover uses: snarkjs 0.7.6 and the
 * ffjavascript 0.3.1 / @iden3/binfileutils 0.0.12 it depends on. Only what prover/ calls is typed.
 */

declare module "ffjavascript" {
  /** A field element or point in the library's internal (Montgomery) byte representation. */
  export type FieldBuffer = Uint8Array;

  export interface WasmField {
    readonly n8: number;
    readonly one: FieldBuffer;
    readonly zero: FieldBuffer;
    /** Roots of unity: w[k] has order 2^k (k <= s). */
    readonly w: FieldBuffer[];
    readonly s: number;
    e(value: bigint | number | string): FieldBuffer;
    toObject(a: FieldBuffer): bigint;
    fromRng(rng: ChaCha): FieldBuffer;
  }

  export interface WasmCurveGroup {
    readonly F: WasmField;
    readonly g: Uint8Array;
    readonly oneAffine: Uint8Array;
    readonly zeroAffine: Uint8Array;
    fromRng(rng: ChaCha): Uint8Array;
    toAffine(p: Uint8Array): Uint8Array;
    timesFr(p: Uint8Array, s: FieldBuffer): Uint8Array;
    toUncompressed(p: Uint8Array): Uint8Array;
    toRprUncompressed(arr: Uint8Array, offset: number, p: Uint8Array): void;
    toRprLEM(arr: Uint8Array, offset: number, p: Uint8Array): void;
    fromRprLEM(arr: Uint8Array, offset?: number): Uint8Array;
    eq(a: Uint8Array, b: Uint8Array): boolean;
    batchLEMtoC(buff: Uint8Array): Promise<Uint8Array>;
    batchLEMtoU(buff: Uint8Array): Promise<Uint8Array>;
  }

  export interface ThreadManager {
    readonly memory: WebAssembly.Memory;
    readonly instance: WebAssembly.Instance;
    readonly pG1gen: number;
    readonly pG2gen: number;
    u8: Uint8Array;
    u32: Uint32Array;
    alloc(length: number): number;
  }

  export interface Curve {
    readonly name: string;
    readonly r: bigint;
    readonly q: bigint;
    readonly Fr: WasmField;
    readonly F1: WasmField & { readonly n64: number };
    readonly F2: WasmField;
    readonly G1: WasmCurveGroup;
    readonly G2: WasmCurveGroup;
    readonly tm: ThreadManager;
    terminate(): Promise<void>;
  }

  export function buildBn128(singleThread?: boolean): Promise<Curve>;

  export class ChaCha {
    constructor(seed?: number[]);
    nextU32(): number;
  }
}

declare module "@iden3/binfileutils" {
  /** A fastfile file descriptor (random access, buffered). */
  export interface FastFile {
    pos: number;
    readonly fileName: string;
    readonly pageSize: number;
    write(buff: Uint8Array, pos?: number): Promise<void>;
    writeULE32(value: number, pos?: number): Promise<void>;
    writeULE64(value: number, pos?: number): Promise<void>;
    read(length: number, pos?: number): Promise<Uint8Array>;
    readULE32(pos?: number): Promise<number>;
    readULE64(pos?: number): Promise<number>;
    close(): Promise<void>;
  }
  export interface SectionRef {
    readonly p: number;
    readonly size: number;
  }
  export type Sections = Array<SectionRef[] | undefined>;

  export function createBinFile(fileName: string, type: string, version: number, nSections: number, cacheSize?: number, pageSize?: number): Promise<FastFile>;
  export function readBinFile(fileName: string, type: string, maxVersion: number, cacheSize?: number, pageSize?: number): Promise<{ fd: FastFile; sections: Sections }>;
  export function startWriteSection(fd: FastFile, sectionId: number): Promise<void>;
  export function endWriteSection(fd: FastFile): Promise<void>;
  export function readSection(fd: FastFile, sections: Sections, sectionId: number, offset?: number, length?: number): Promise<Uint8Array>;
}

declare module "snarkjs" {
  import type { Curve } from "ffjavascript";

  export interface SnarkjsLogger {
    debug(message: string): void;
    info(message: string): void;
    warn(message: string): void;
    error(message: string): void;
  }

  export interface Groth16Proof {
    pi_a: string[];
    pi_b: string[][];
    pi_c: string[];
    protocol: string;
    curve: string;
  }
  export type PublicSignals = string[];
  export type VerificationKey = Record<string, unknown> & { protocol: string; curve: string; nPublic: number };

  export const groth16: {
    fullProve(input: Record<string, unknown>, wasmFile: string, zkeyFile: string, logger?: SnarkjsLogger): Promise<{ proof: Groth16Proof; publicSignals: PublicSignals }>;
    verify(vk: VerificationKey, publicSignals: PublicSignals, proof: Groth16Proof, logger?: SnarkjsLogger): Promise<boolean>;
  };

  export const zKey: {
    /** Resolves to -1 (after logging the reason) when the ptau is too small or not prepared. */
    newZKey(r1csFile: string, ptauFile: string, zkeyFile: string, logger?: SnarkjsLogger): Promise<unknown>;
    /** Resolves to false (after logging) on invalid arguments. */
    beacon(oldZkey: string, newZkey: string, name: string, beaconHashHex: string, numIterationsExp: number, logger?: SnarkjsLogger): Promise<unknown>;
    /** Resolves to the contribution hash (64 bytes). The entropy is hashed with 64 random bytes of snarkjs' own. */
    contribute(oldZkey: string, newZkey: string, name: string, entropy: string, logger?: SnarkjsLogger): Promise<unknown>;
    /** Resolves to true when the zkey's whole contribution chain checks out against the r1cs and ptau. */
    verifyFromR1cs(r1csFile: string, ptauFile: string, zkeyFile: string, logger?: SnarkjsLogger): Promise<unknown>;
    exportVerificationKey(zkeyFile: string, logger?: SnarkjsLogger): Promise<VerificationKey>;
    exportSolidityVerifier(zkeyFile: string, templates: Record<string, string>, logger?: SnarkjsLogger): Promise<string>;
  };

  export const powersOfTau: {
    newAccumulator(curve: Curve, power: number, fileName: string, logger?: SnarkjsLogger): Promise<Uint8Array>;
    beacon(oldPtau: string, newPtau: string, name: string, beaconHashHex: string, numIterationsExp: number, logger?: SnarkjsLogger): Promise<unknown>;
    preparePhase2(oldPtau: string, newPtau: string, logger?: SnarkjsLogger): Promise<void>;
    contribute(oldPtau: string, newPtau: string, name: string, entropy: string, logger?: SnarkjsLogger): Promise<unknown>;
  };
}
