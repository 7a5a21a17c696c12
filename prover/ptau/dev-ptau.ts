/**
 * Development-only powers-of-tau generator. INSECURE: tau, alpha and beta come from a seed, so
 * anyone who knows the seed (the default one is in this file) can forge proofs for every key made
 * from the output. Use it for tests and local development only; production keys need the ptau of a
 * public ceremony (e.g. Hermez `powersOfTau28_hez_final_NN.ptau`).
 *
 * The output is the file that snarkjs 0.7.6 itself would produce with
 *
 *     snarkjs powersoftau new bn128 <power> p0.ptau
 *     snarkjs powersoftau beacon p0.ptau p1.ptau <beaconHash> 10 -n="<name>"
 *     snarkjs powersoftau prepare phase2 p1.ptau final.ptau
 *
 * where beaconHash = devPtauBeacon(seed).beaconHashHex: byte for byte, contribution record and
 * hashes included (test/integration/dev-ptau.test.ts checks it at power 8). The random beacon is the only
 * contribution, so the secrets are a function of the seed alone.
 *
 * It is fast because it skips the group FFTs of `prepare phase2`: each point is a fixed-base
 * multiplication s·G of a generator by a scalar computed directly in the field,
 *   powers:    tau^i (times alpha or beta for sections 4 and 5),
 *   Lagrange:  L_i(tau) = (tau^m - 1)/m · w^i/(tau - w^i)   for the domain of size m = 2^p,
 * on worker threads (./fixed-base.ts).
 *
 * File layout (ptau v1, as snarkjs writes it after `prepare phase2`; all points affine, coordinates
 * little-endian Montgomery form "LEM"):
 *   1 header: n8 (32), q, power, ceremonyPower
 *   2 tauG1:      tau^i·G1,        i < 2·2^power - 1
 *   3 tauG2:      tau^i·G2,        i < 2^power
 *   4 alphaTauG1: alpha·tau^i·G1,  i < 2^power
 *   5 betaTauG1:  beta·tau^i·G1,   i < 2^power
 *   6 betaG2:     beta·G2
 *   7 contributions: count, then per contribution its first points, public key, partial response
 *     hash, next challenge hash, type and parameters (powersoftau_utils.js writeContribution)
 *  12 Lagrange basis of tauG1 for every domain 2^p, p = 0..power+1 (at power+1 the missing top power
 *     of tau counts as the zero point, as snarkjs pads it)
 *  13, 14, 15: the same for tauG2, alphaTauG1, betaTauG1, p = 0..power
 */
import { createHash } from "node:crypto";
import { mkdir, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { blake2b } from "@noble/hashes/blake2.js";
import * as binFileUtils from "@iden3/binfileutils";
import { buildBn128, ChaCha, type Curve, type FieldBuffer, type WasmCurveGroup } from "ffjavascript";
import { FixedBasePool, POINT_BYTES, SCALAR_BYTES, type Group } from "./fixed-base.js";

/** `(done, total, phase)`: done/total in work units (one G1 point = 1, one G2 point = 4). */
export type ProgressCallback = (done: number, total: number, phase: string) => void;

export interface DevPtauOptions {
  /** log2 of the largest circuit domain the file serves (1..27). */
  power: number;
  /** INSECURE secret seed. Default DEFAULT_DEV_SEED. */
  seed?: string;
  /** Contribution name stored in the file (printable ASCII, at most 64 characters). */
  name?: string;
  /** Worker threads for the point multiplications (default: available parallelism, at most 8). */
  threads?: number;
  /** Fixed-base window in bits (default: 8 below power 12, 12 from there). */
  windowBits?: number;
  onProgress?: ProgressCallback;
}

export interface DevPtauResult {
  file: string;
  power: number;
  /** The beacon (hex) of the file's single contribution; see devPtauBeacon. */
  beaconHashHex: string;
  numIterationsExp: number;
  /** snarkjs' "Contribution Response Hash" and the next challenge hash, hex. */
  responseHashHex: string;
  nextChallengeHex: string;
  seconds: number;
}

export const DEFAULT_DEV_SEED = "tinycloud INSECURE development powers of tau";
export const DEFAULT_DEV_NAME = "tinycloud INSECURE dev ptau";
/** The smallest iteration exponent snarkjs accepts for a beacon (2^10 SHA-256 rounds). */
export const DEV_BEACON_ITERATIONS_EXP = 10;
export const MAX_DEV_POWER = 27; // Lagrange sections go to power+1 <= 28 = two-adicity of bn128's Fr

const G2_WEIGHT = 4;
const G1_BYTES = POINT_BYTES.G1;
const G2_BYTES = POINT_BYTES.G2;
/** snarkjs hashes a section in updates of floor(2^20 / pointBytes) compressed points; the partial
 *  hash stored in the file depends on that split, so we keep it. */
const HASH_CHUNK_POINTS: Record<Group, number> = { G1: (1 << 20) / G1_BYTES, G2: (1 << 20) / G2_BYTES };
const JOB_POINTS: Record<Group, number> = { G1: 4096, G2: 2048 };

/** The beacon whose snarkjs contribution this generator reproduces for `seed`. */
export function devPtauBeacon(seed: string = DEFAULT_DEV_SEED): { beaconHashHex: string; numIterationsExp: number } {
  const beaconHash = createHash("sha256").update("tinycloud dev ptau beacon v1\0").update(seed, "utf8").digest();
  return { beaconHashHex: beaconHash.toString("hex"), numIterationsExp: DEV_BEACON_ITERATIONS_EXP };
}

export async function generateDevPtau(outFile: string, options: DevPtauOptions): Promise<DevPtauResult> {
  const started = performance.now();
  const power = options.power;
  if (!Number.isInteger(power) || power < 1 || power > MAX_DEV_POWER) throw new Error(`dev ptau power must be an integer in 1..${MAX_DEV_POWER}, got ${power}`);
  const name = options.name ?? DEFAULT_DEV_NAME;
  if (!/^[\x20-\x7e]{0,64}$/.test(name)) throw new Error("contribution name must be printable ASCII, at most 64 characters");
  const { beaconHashHex, numIterationsExp } = devPtauBeacon(options.seed);
  const beaconHash = Buffer.from(beaconHashHex, "hex");
  const progress = new Progress(power, options.onProgress);

  const curve = await buildBn128(true);
  const pool = await FixedBasePool.create({
    ...(options.threads === undefined ? {} : { threads: options.threads }),
    windowBits: options.windowBits ?? (power < 12 ? 8 : 12),
  });
  const tmpFile = `${outFile}.tmp-${process.pid}`;
  await mkdir(dirname(outFile), { recursive: true });
  let fd: binFileUtils.FastFile | undefined;
  try {
    const r = curve.r;
    const fr = new FrMath(r);
    const m = 2 ** power;

    progress.phase("challenge");
    const challenge = firstChallengeHash(curve, power);
    const key = beaconKey(curve, challenge, beaconRng(beaconHash, numIterationsExp));
    const tau = curve.Fr.toObject(key.tau.prv);
    const alpha = curve.Fr.toObject(key.alpha.prv);
    const beta = curve.Fr.toObject(key.beta.prv);

    fd = await binFileUtils.createBinFile(tmpFile, "ptau", 1, 11);
    await writeHeader(fd, curve, power);
    const out = new SectionWriter(fd, curve, pool, progress, fr);

    // Sections 2-6 (what the beacon contribution writes), hashed into the response hash.
    const responseHasher = blake2b.create({ dkLen: 64 });
    responseHasher.update(challenge);
    const s2 = await out.powers(2, "G1", "tauG1", 2 * m - 1, 1n, tau, responseHasher);
    const s3 = await out.powers(3, "G2", "tauG2", m, 1n, tau, responseHasher);
    const s4 = await out.powers(4, "G1", "alphaTauG1", m, alpha, tau, responseHasher);
    const s5 = await out.powers(5, "G1", "betaTauG1", m, beta, tau, responseHasher);
    const s6 = await out.powers(6, "G2", "betaG2", 1, beta, tau, responseHasher);

    progress.phase("hashing");
    const partialHash = blake2bPartialState(responseHasher);
    responseHasher.update(publicKeyBytes(curve, key, false));
    const responseHash = responseHasher.digest();
    const nextChallengeHasher = blake2b.create({ dkLen: 64 });
    nextChallengeHasher.update(responseHash);
    for (const s of [s2, s3, s4, s5, s6]) await hashSectionUncompressed(fd, curve, s, nextChallengeHasher);
    const nextChallenge = nextChallengeHasher.digest();

    await binFileUtils.startWriteSection(fd, 7);
    await fd.writeULE32(1);
    await fd.write(
      contributionRecord({
        tauG1: s2.firstPoints[1]!,
        tauG2: s3.firstPoints[1]!,
        alphaG1: s4.firstPoints[0]!,
        betaG1: s5.firstPoints[0]!,
        betaG2: s6.firstPoints[0]!,
        publicKey: publicKeyBytes(curve, key, true),
        partialHash,
        nextChallenge,
        name,
        numIterationsExp,
        beaconHash,
      }),
    );
    await binFileUtils.endWriteSection(fd);

    // Sections 12-15 (what `prepare phase2` adds).
    const omega = (p: number) => curve.Fr.toObject(curve.Fr.w[p]!);
    await out.lagrange(12, "G1", "lagrange tauG1", power + 1, tau, 1n, omega);
    await out.lagrange(13, "G2", "lagrange tauG2", power, tau, 1n, omega);
    await out.lagrange(14, "G1", "lagrange alphaTauG1", power, tau, alpha, omega);
    await out.lagrange(15, "G1", "lagrange betaTauG1", power, tau, beta, omega);

    await fd.close();
    fd = undefined;
    await rename(tmpFile, outFile);
    progress.phase("done");
    return {
      file: outFile,
      power,
      beaconHashHex,
      numIterationsExp,
      responseHashHex: Buffer.from(responseHash).toString("hex"),
      nextChallengeHex: Buffer.from(nextChallenge).toString("hex"),
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    if (fd) {
      await fd.close().catch(() => undefined);
      await rm(tmpFile, { force: true });
    }
    await pool.close();
    await curve.terminate();
  }
}

// ---------------------------------------------------------------------------------------------
// Progress

class Progress {
  readonly total: number;
  private done = 0;
  private current = "";

  constructor(
    power: number,
    private readonly callback: ProgressCallback | undefined,
  ) {
    const m = 2 ** power;
    const g1 = 2 * m - 1 + m + m + (4 * m - 1) + 2 * (2 * m - 1);
    const g2 = m + 1 + (2 * m - 1);
    this.total = g1 + G2_WEIGHT * g2;
  }

  phase(name: string): void {
    this.current = name;
    this.callback?.(this.done, this.total, name);
  }

  add(points: number, group: Group): void {
    this.done += group === "G2" ? G2_WEIGHT * points : points;
    this.callback?.(this.done, this.total, this.current);
  }
}

// ---------------------------------------------------------------------------------------------
// Field arithmetic on bigint (scalars are produced in standard form for the fixed-base workers)

class FrMath {
  constructor(readonly r: bigint) {}
  mul(a: bigint, b: bigint): bigint {
    return (a * b) % this.r;
  }
  sub(a: bigint, b: bigint): bigint {
    const d = a - b;
    return d < 0n ? d + this.r : d;
  }
  pow(a: bigint, e: bigint): bigint {
    let result = 1n;
    let base = a % this.r;
    for (; e > 0n; e >>= 1n) {
      if (e & 1n) result = (result * base) % this.r;
      base = (base * base) % this.r;
    }
    return result;
  }
  inv(a: bigint): bigint {
    if (a === 0n) throw new Error("inverse of zero");
    return this.pow(a, this.r - 2n);
  }
  /** Montgomery's batch inversion, in place. */
  batchInv(values: bigint[]): void {
    const n = values.length;
    if (n === 0) return;
    const prefix = new Array<bigint>(n);
    let acc = 1n;
    for (let i = 0; i < n; i++) {
      prefix[i] = acc;
      acc = (acc * values[i]!) % this.r;
    }
    let inv = this.inv(acc);
    for (let i = n - 1; i >= 0; i--) {
      const v = values[i]!;
      values[i] = (inv * prefix[i]!) % this.r;
      inv = (inv * v) % this.r;
    }
  }
}

const MASK64 = (1n << 64n) - 1n;

function scalarsToBytes(values: readonly bigint[]): Uint8Array {
  const out = new Uint8Array(values.length * SCALAR_BYTES);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    let v = values[i]!;
    for (let j = 0; j < 4; j++) {
      view.setBigUint64(i * SCALAR_BYTES + j * 8, v & MASK64, true);
      v >>= 64n;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Sections

interface WrittenSection {
  group: Group;
  start: number;
  points: number;
  /** The first (up to) two points, LEM. */
  firstPoints: Uint8Array[];
}

type ScalarSource = (start: number, n: number) => bigint[];

class SectionWriter {
  constructor(
    private readonly fd: binFileUtils.FastFile,
    private readonly curve: Curve,
    private readonly pool: FixedBasePool,
    private readonly progress: Progress,
    private readonly fr: FrMath,
  ) {}

  /** Section of first·inc^i·G, i < count, with its compressed points fed to `hasher` in snarkjs' chunking. */
  async powers(id: number, group: Group, phase: string, count: number, first: bigint, inc: bigint, hasher: ReturnType<typeof blake2b.create>): Promise<WrittenSection> {
    this.progress.phase(phase);
    await binFileUtils.startWriteSection(this.fd, id);
    const section: WrittenSection = { group, start: this.fd.pos, points: count, firstPoints: [] };
    let t = first;
    const source: ScalarSource = (_start, n) => {
      const out = new Array<bigint>(n);
      for (let i = 0; i < n; i++) {
        out[i] = t;
        t = this.fr.mul(t, inc);
      }
      return out;
    };
    const size = POINT_BYTES[group];
    const hashChunk = HASH_CHUNK_POINTS[group];
    let pending: Uint8Array[] = [];
    let pendingPoints = 0;
    const flush = async () => {
      const chunk = concat(pending);
      pending = [];
      pendingPoints = 0;
      await this.fd.write(chunk);
      hasher.update(await this.curve[group].batchLEMtoC(chunk));
    };
    await this.stream(group, count, source, async (points, start, n) => {
      for (let j = 0; start + j < 2 && j < n; j++) section.firstPoints.push(points.slice(j * size, (j + 1) * size));
      pending.push(points);
      pendingPoints += n;
      if (pendingPoints === hashChunk) await flush();
      else if (pendingPoints > hashChunk) throw new Error("internal: job size must divide the hash chunk size");
    });
    if (pendingPoints > 0) await flush();
    await binFileUtils.endWriteSection(this.fd);
    return section;
  }

  /**
   * Section of factor·L_i(tau)·G for every domain 2^p, p = 0..maxLevel, domains in increasing size.
   * For section 12 (G1, maxLevel = power+1) the last level treats the missing tau^(m-1) as zero:
   * factor·(L_i(tau) - w^i·tau^(m-1)/m).
   */
  async lagrange(id: number, group: Group, phase: string, maxLevel: number, tau: bigint, factor: bigint, omega: (p: number) => bigint): Promise<void> {
    this.progress.phase(phase);
    const fr = this.fr;
    await binFileUtils.startWriteSection(this.fd, id);
    for (let p = 0; p <= maxLevel; p++) {
      const m = 2 ** p;
      const mInv = fr.inv(BigInt(m) % fr.r);
      const w = omega(p);
      // L_i(tau) = c·w^i/(tau - w^i), c = factor·(tau^m - 1)/m; on the padded level subtract k·w^i.
      const c = fr.mul(factor, fr.mul(fr.sub(fr.pow(tau, BigInt(m)), 1n), mInv));
      const padded = id === 12 && p === maxLevel;
      const k = padded ? fr.mul(factor, fr.mul(fr.pow(tau, BigInt(m - 1)), mInv)) : 0n;
      let wi = 1n; // w^start of the next chunk
      const source: ScalarSource = (_start, n) => {
        const powersOfW = new Array<bigint>(n);
        const denominators = new Array<bigint>(n);
        for (let i = 0; i < n; i++) {
          powersOfW[i] = wi;
          const d = fr.sub(tau, wi);
          if (d === 0n) throw new Error("degenerate tau (a root of unity): use another seed");
          denominators[i] = d;
          wi = fr.mul(wi, w);
        }
        fr.batchInv(denominators);
        const out = new Array<bigint>(n);
        for (let i = 0; i < n; i++) {
          const l = fr.mul(c, denominators[i]!);
          out[i] = fr.mul(powersOfW[i]!, padded ? fr.sub(l, k) : l);
        }
        return out;
      };
      await this.stream(group, m, source, async (points) => {
        await this.fd.write(points);
      });
    }
    await binFileUtils.endWriteSection(this.fd);
  }

  /** Compute s_i·G for i < count on the pool, keeping the workers busy; consume results in order. */
  private async stream(group: Group, count: number, source: ScalarSource, consume: (points: Uint8Array, start: number, n: number) => Promise<void>): Promise<void> {
    const jobPoints = JOB_POINTS[group];
    const maxInFlight = this.pool.threads * 2;
    const inFlight: Promise<Uint8Array>[] = [];
    let next = 0;
    let consumed = 0;
    while (consumed < count) {
      while (next < count && inFlight.length < maxInFlight) {
        const n = Math.min(jobPoints, count - next);
        const job = this.pool.multiply(group, scalarsToBytes(source(next, n)));
        job.catch(() => undefined); // rejections are raised when awaited, below
        inFlight.push(job);
        next += n;
      }
      const points = await inFlight.shift()!;
      const n = points.byteLength / POINT_BYTES[group];
      await consume(points, consumed, n);
      consumed += n;
      this.progress.add(n, group);
    }
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return out;
}

async function writeHeader(fd: binFileUtils.FastFile, curve: Curve, power: number): Promise<void> {
  const n8 = curve.F1.n64 * 8;
  await binFileUtils.startWriteSection(fd, 1);
  await fd.writeULE32(n8);
  await fd.write(bigintToLE(curve.q, n8));
  await fd.writeULE32(power); // power
  await fd.writeULE32(power); // ceremony power
  await binFileUtils.endWriteSection(fd);
}

function bigintToLE(value: bigint, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let v = value;
  for (let i = 0; i < bytes; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** Feed a written section back, as uncompressed points, to the next-challenge hash. */
async function hashSectionUncompressed(fd: binFileUtils.FastFile, curve: Curve, section: WrittenSection, hasher: ReturnType<typeof blake2b.create>): Promise<void> {
  const size = POINT_BYTES[section.group];
  const chunkPoints = Math.floor((1 << 22) / size);
  const endPos = fd.pos;
  for (let i = 0; i < section.points; i += chunkPoints) {
    const n = Math.min(chunkPoints, section.points - i);
    const lem = await fd.read(n * size, section.start + i * size);
    hasher.update(await curve[section.group].batchLEMtoU(lem));
  }
  fd.pos = endPos;
}

// ---------------------------------------------------------------------------------------------
// The beacon contribution: challenge, key, contribution record (ports of snarkjs' powersoftau_*.js)

/** The hash snarkjs computes for a freshly created accumulator (every point the generator). */
function firstChallengeHash(curve: Curve, power: number): Uint8Array {
  const m = 2 ** power;
  const g1 = curve.G1.toUncompressed(curve.G1.g);
  const g2 = curve.G2.toUncompressed(curve.G2.g);
  const hasher = blake2b.create({ dkLen: 64 });
  hasher.update(blake2b(new Uint8Array(0), { dkLen: 64 }));
  const repeat = (point: Uint8Array, n: number) => {
    const copies = Math.min(n, 4096);
    const block = new Uint8Array(copies * point.byteLength);
    for (let i = 0; i < copies; i++) block.set(point, i * point.byteLength);
    for (let done = 0; done < n; done += copies) {
      const k = Math.min(copies, n - done);
      hasher.update(k === copies ? block : block.subarray(0, k * point.byteLength));
    }
  };
  repeat(g1, 2 * m - 1); // tauG1
  repeat(g2, m); // tauG2
  repeat(g1, m); // alphaTauG1
  repeat(g1, m); // betaTauG1
  hasher.update(g2); // betaG2
  return hasher.digest();
}

/** The ChaCha stream of a snarkjs beacon: SHA-256 iterated 2^exp times, first 8 words big-endian. */
function beaconRng(beaconHash: Uint8Array, numIterationsExp: number): ChaCha {
  let h: Uint8Array = beaconHash;
  const iterations = 2 ** numIterationsExp;
  for (let i = 0; i < iterations; i++) h = createHash("sha256").update(h).digest();
  const view = new DataView(h.buffer, h.byteOffset, h.byteLength);
  return new ChaCha(Array.from({ length: 8 }, (_, i) => view.getUint32(i * 4, false)));
}

interface SecretWithProof {
  prv: FieldBuffer;
  g1s: Uint8Array;
  g1sx: Uint8Array;
  g2spx: Uint8Array;
}
interface BeaconKey {
  tau: SecretWithProof;
  alpha: SecretWithProof;
  beta: SecretWithProof;
}

/** keypair.js createPTauKey: three secrets from the rng, then a proof of knowledge for each. */
function beaconKey(curve: Curve, challenge: Uint8Array, rng: ChaCha): BeaconKey {
  const { Fr, G1, G2 } = curve;
  const prvTau = Fr.fromRng(rng);
  const prvAlpha = Fr.fromRng(rng);
  const prvBeta = Fr.fromRng(rng);
  const proof = (prv: FieldBuffer, personalization: number): SecretWithProof => {
    const g1s = G1.toAffine(G1.fromRng(rng));
    const g1sx = G1.toAffine(G1.timesFr(g1s, prv));
    const h = blake2b.create({ dkLen: 64 });
    h.update(new Uint8Array([personalization]));
    h.update(challenge);
    h.update(G1.toUncompressed(g1s));
    h.update(G1.toUncompressed(g1sx));
    const g2sp = G2.toAffine(hashToG2(curve, h.digest()));
    return { prv, g1s, g1sx, g2spx: G2.toAffine(G2.timesFr(g2sp, prv)) };
  };
  const tau = proof(prvTau, 0);
  const alpha = proof(prvAlpha, 1);
  const beta = proof(prvBeta, 2);
  return { tau, alpha, beta };
}

function hashToG2(curve: Curve, hash: Uint8Array): Uint8Array {
  const view = new DataView(hash.buffer, hash.byteOffset, hash.byteLength);
  return curve.G2.fromRng(new ChaCha(Array.from({ length: 8 }, (_, i) => view.getUint32(i * 4, false))));
}

/** The public key as the file stores it (LEM) or as it is hashed (uncompressed). */
function publicKeyBytes(curve: Curve, key: BeaconKey, lem: boolean): Uint8Array {
  const out = new Uint8Array(6 * G1_BYTES + 3 * G2_BYTES);
  let pos = 0;
  const put = (group: WasmCurveGroup, p: Uint8Array, size: number) => {
    if (lem) group.toRprLEM(out, pos, p);
    else group.toRprUncompressed(out, pos, p);
    pos += size;
  };
  for (const k of [key.tau, key.alpha, key.beta]) {
    put(curve.G1, k.g1s, G1_BYTES);
    put(curve.G1, k.g1sx, G1_BYTES);
  }
  for (const k of [key.tau, key.alpha, key.beta]) put(curve.G2, k.g2spx, G2_BYTES);
  return out;
}

interface ContributionFields {
  tauG1: Uint8Array;
  tauG2: Uint8Array;
  alphaG1: Uint8Array;
  betaG1: Uint8Array;
  betaG2: Uint8Array;
  publicKey: Uint8Array;
  partialHash: Uint8Array;
  nextChallenge: Uint8Array;
  name: string;
  numIterationsExp: number;
  beaconHash: Uint8Array;
}

/** One contribution of type 1 (beacon) in section 7's layout. */
function contributionRecord(c: ContributionFields): Uint8Array {
  const params: number[] = [];
  if (c.name) {
    const nameBytes = new TextEncoder().encode(c.name);
    params.push(1, nameBytes.byteLength, ...nameBytes);
  }
  params.push(2, c.numIterationsExp);
  params.push(3, c.beaconHash.byteLength, ...c.beaconHash);
  const u32 = (v: number) => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v, true);
    return b;
  };
  return concat([c.tauG1, c.tauG2, c.alphaG1, c.betaG1, c.betaG2, c.publicKey, c.partialHash, c.nextChallenge, u32(1), u32(params.length), new Uint8Array(params)]);
}

/**
 * The 216-byte "partial hash" snarkjs stores (misc.js toPartialHash): the BLAKE2b state after the
 * points — 128-byte block buffer, the eight 64-bit chain words as (low, high) u32 pairs, then the
 * bytes compressed so far and the buffer position, as u32 words. It reads @noble/hashes internals
 * exactly like snarkjs does; the byte-equality test guards against a layout change.
 */
function blake2bPartialState(hasher: ReturnType<typeof blake2b.create>): Uint8Array {
  const state = hasher as unknown as Record<string, unknown>;
  const buffer = state["buffer"];
  const pos = state["pos"];
  const length = state["length"];
  if (!(buffer instanceof Uint8Array) || buffer.byteLength !== 128 || typeof pos !== "number" || typeof length !== "number") {
    throw new Error("unexpected @noble/hashes BLAKE2b internals: cannot serialise the partial hash");
  }
  const out = new Uint8Array(216);
  out.set(buffer);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) {
    for (const [j, half] of ["l", "h"].entries()) {
      const word = state[`v${i}${half}`];
      if (typeof word !== "number") throw new Error("unexpected @noble/hashes BLAKE2b internals: cannot serialise the partial hash");
      view.setUint32(128 + (2 * i + j) * 4, word >>> 0, true);
    }
  }
  view.setUint32(128 + 16 * 4, (length - pos) >>> 0, true);
  view.setUint32(128 + 18 * 4, pos >>> 0, true);
  return out;
}
