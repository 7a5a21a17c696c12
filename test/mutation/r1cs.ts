/**
 * A small R1CS toolkit for the mutation tests (test/mutation, scripts/mutate.ts): read a circom
 * `.r1cs` and `.sym`, check a witness constraint by constraint over the BN254 scalar field, and re-solve
 * a witness from a partial assignment by constraint propagation.
 *
 * The re-solver is what lets an adversarial search overwrite any signal (a hint, a freed signal, an
 * input) and still get a witness for everything downstream of it, without the circuit's own witness
 * generator (which would recompute the overwritten signal honestly). It only ever produces values that
 * some constraint forces, or values the caller chose; the final `check` decides acceptance, so a bug in
 * the solver can make an attack miss, never make a rejected witness look accepted.
 *
 * The circuits are compiled with --O0 for this: every signal keeps its wire, so each `.sym` name has a
 * witness index and the linear constraints (which --O2 substitutes away) stay available to propagate
 * through. --O0 and --O2 describe the same solution set on the signals --O2 keeps.
 */
import { readFile } from "node:fs/promises";

export const P = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

export const mod = (x: bigint): bigint => {
  const r = x % P;
  return r < 0n ? r + P : r;
};

function powMod(base: bigint, exp: bigint): bigint {
  let result = 1n;
  let b = mod(base);
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
    e >>= 1n;
  }
  return result;
}

const inverses = new Map<bigint, bigint>();
/** Field inverse, memoized: the coefficients the solver divides by repeat (±1, ±2^i, MDS entries). */
export function inv(x: bigint): bigint {
  const v = mod(x);
  if (v === 0n) throw new RangeError("inverse of 0");
  let r = inverses.get(v);
  if (r === undefined) {
    r = powMod(v, P - 2n);
    if (inverses.size < 100_000) inverses.set(v, r);
  }
  return r;
}

/** One linear combination: parallel arrays of wire ids and coefficients. */
export interface Lc {
  readonly wires: Int32Array;
  readonly coeffs: readonly bigint[];
}

export interface R1cs {
  readonly nWires: number;
  readonly nPubOut: number;
  readonly nPubIn: number;
  readonly nPrvIn: number;
  readonly constraints: ReadonlyArray<readonly [Lc, Lc, Lc]>;
  /** For every wire, the constraints it occurs in (each once). */
  readonly uses: ReadonlyArray<Int32Array>;
}

/** Parse a circom .r1cs file (iden3 binary format, version 1; coefficients in plain little-endian form). */
export async function readR1cs(file: string): Promise<R1cs> {
  const buf = await readFile(file);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.subarray(0, 4).toString("latin1") !== "r1cs") throw new Error(`${file}: not an r1cs file`);
  const nSections = view.getUint32(8, true);
  let pos = 12;
  const sections = new Map<number, { start: number; size: number }>();
  for (let s = 0; s < nSections; s++) {
    const type = view.getUint32(pos, true);
    const size = Number(view.getBigUint64(pos + 4, true));
    sections.set(type, { start: pos + 12, size });
    pos += 12 + size;
  }
  const header = sections.get(1);
  const body = sections.get(2);
  if (header === undefined || body === undefined) throw new Error(`${file}: missing header or constraints section`);
  let h = header.start;
  const n8 = view.getUint32(h, true);
  h += 4;
  let prime = 0n;
  for (let i = n8 - 1; i >= 0; i--) prime = (prime << 8n) | BigInt(buf[h + i] as number);
  if (prime !== P) throw new Error(`${file}: not a BN254 circuit`);
  h += n8;
  const nWires = view.getUint32(h, true);
  const nPubOut = view.getUint32(h + 4, true);
  const nPubIn = view.getUint32(h + 8, true);
  const nPrvIn = view.getUint32(h + 12, true);
  const nConstraints = view.getUint32(h + 24, true);

  let p = body.start;
  const readLc = (): Lc => {
    const n = view.getUint32(p, true);
    p += 4;
    const wires = new Int32Array(n);
    const coeffs: bigint[] = new Array<bigint>(n);
    for (let t = 0; t < n; t++) {
      wires[t] = view.getUint32(p, true);
      p += 4;
      let c = 0n;
      for (let i = n8 - 1; i >= 0; i--) c = (c << 8n) | BigInt(buf[p + i] as number);
      coeffs[t] = c;
      p += n8;
    }
    return { wires, coeffs };
  };
  const constraints: Array<[Lc, Lc, Lc]> = [];
  for (let c = 0; c < nConstraints; c++) constraints.push([readLc(), readLc(), readLc()]);

  const lists: number[][] = Array.from({ length: nWires }, () => []);
  constraints.forEach((abc, c) => {
    for (const lc of abc) {
      for (const w of lc.wires) {
        const l = lists[w] as number[];
        if (l[l.length - 1] !== c) l.push(c);
      }
    }
  });
  return { nWires, nPubOut, nPubIn, nPrvIn, constraints, uses: lists.map((l) => Int32Array.from(l)) };
}

/** Signal name (as in the .sym file, e.g. `main.step[0].pos.in`) -> witness index; -1 when not a wire. */
export async function readSym(file: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const line of (await readFile(file, "utf8")).split("\n")) {
    if (line === "") continue;
    const [, wire, , name] = line.split(",");
    if (name !== undefined && wire !== undefined) out.set(name, Number(wire));
  }
  return out;
}

function evalLc(lc: Lc, w: ReadonlyArray<bigint | undefined>): bigint {
  let s = 0n;
  for (let t = 0; t < lc.wires.length; t++) s += (lc.coeffs[t] as bigint) * (w[lc.wires[t] as number] as bigint);
  return s % P;
}

/** The indices of the constraints A·B − C ≠ 0 (at most `limit`). */
export function violated(r1cs: R1cs, w: readonly bigint[], limit = 1): number[] {
  const out: number[] = [];
  for (let c = 0; c < r1cs.constraints.length && out.length < limit; c++) {
    const [a, b, cc] = r1cs.constraints[c] as readonly [Lc, Lc, Lc];
    if (mod(evalLc(a, w) * evalLc(b, w) - evalLc(cc, w)) !== 0n) out.push(c);
  }
  return out;
}

/** Whether the witness satisfies every constraint (wire 0 must be 1). */
export function satisfies(r1cs: R1cs, w: readonly bigint[]): boolean {
  return w[0] === 1n && violated(r1cs, w).length === 0;
}

/**
 * How `solve` determined a wire, in order: from one constraint (linear in it), as part of a bit
 * decomposition of one linear constraint, or as a free choice (the reference value). Replaying this
 * order (`resolve`) re-derives a witness after a few wires change, touching only what depends on them.
 */
export interface ScheduleStep {
  readonly kind: "linear" | "bits" | "free";
  readonly constraint: number;
  readonly wires: readonly number[];
}

/** Solve Σ c_i·b_i + k = 0 over bits b_i when the c_i are ± distinct powers of two (a Num2Bits sum). */
function decomposeBits(lf: { k: bigint; terms: Map<number, bigint> }): Array<[number, bigint]> | undefined {
  const entries = [...lf.terms];
  if (entries.length < 2) return undefined;
  const negative = entries.filter(([, c]) => c > P / 2n).length > entries.length / 2;
  const norm = entries.map(([x, c]): [number, bigint] => [x, negative ? P - c : c]);
  if (!norm.every(([, c]) => c > 0n && (c & (c - 1n)) === 0n)) return undefined;
  if (new Set(norm.map(([, c]) => c)).size !== norm.length) return undefined;
  const target = negative ? lf.k : mod(-lf.k);
  const total = norm.reduce((s, [, c]) => s + c, 0n);
  if (target > total) return undefined;
  let rest = target;
  const out: Array<[number, bigint]> = [];
  for (const [x, c] of [...norm].sort((u, v) => (u[1] < v[1] ? 1 : -1))) {
    const bit = rest >= c ? 1n : 0n;
    rest -= bit * c;
    out.push([x, bit]);
  }
  return rest === 0n ? out : undefined;
}

export interface SolveRequest {
  /** Wire values fixed before propagation (wire 0 = 1 is added). Inputs not listed here float. */
  readonly fixed: ReadonlyMap<number, bigint>;
  /**
   * Where propagation gets stuck (a free hint: a bit, IsZero's inverse, a signal nothing constrains),
   * the value to take, by wire: normally the honest witness. A hint the constraints rule out is
   * replaced when they force another value (a bit decomposition).
   */
  readonly reference: readonly bigint[];
}

/**
 * Complete a partial assignment by propagation. Repeatedly: a constraint with one unknown wire that it
 * determines linearly fixes that wire; when none is left, a linear constraint whose unknowns are all
 * bits (each with a pending b·(b−1) = 0) is solved by bit decomposition (Num2Bits); when that fails too,
 * the unknown in the fewest-unknowns constraint takes its reference value. Returns a full witness
 * (never checked here: see `satisfies`).
 */
export function solve(r1cs: R1cs, req: SolveRequest, schedule?: ScheduleStep[]): bigint[] {
  const n = r1cs.nWires;
  const w: Array<bigint | undefined> = new Array<bigint | undefined>(n);
  w[0] = 1n;
  for (const [wire, v] of req.fixed) w[wire] = mod(v);
  const nC = r1cs.constraints.length;
  const unknown = new Int32Array(nC);
  const queue: number[] = [];
  for (let c = 0; c < nC; c++) {
    const seen = new Set<number>();
    for (const lc of r1cs.constraints[c] as readonly [Lc, Lc, Lc]) for (const x of lc.wires) if (w[x] === undefined) seen.add(x);
    unknown[c] = seen.size;
    if (seen.size === 1) queue.push(c);
  }
  let remaining = 0;
  for (let i = 0; i < n; i++) if (w[i] === undefined) remaining++;

  const assign = (wire: number, v: bigint, how: ScheduleStep): void => {
    if (w[wire] !== undefined) return;
    w[wire] = mod(v);
    // A bit decomposition assigns its group under one step.
    if (schedule !== undefined && schedule[schedule.length - 1] !== how) schedule.push(how);
    remaining--;
    for (const c of r1cs.uses[wire] as Int32Array) {
      unknown[c] = (unknown[c] as number) - 1;
      if (unknown[c] === 1) queue.push(c);
    }
  };

  // Split an LC into its known part and its unknown terms (coefficients summed per wire, zeros dropped).
  const split = (lc: Lc): { k: bigint; terms: Map<number, bigint> } => {
    let k = 0n;
    const terms = new Map<number, bigint>();
    for (let t = 0; t < lc.wires.length; t++) {
      const x = lc.wires[t] as number;
      const v = w[x];
      if (v !== undefined) k += (lc.coeffs[t] as bigint) * v;
      else terms.set(x, mod((terms.get(x) ?? 0n) + (lc.coeffs[t] as bigint)));
    }
    for (const [x, c] of terms) if (c === 0n) terms.delete(x);
    return { k: mod(k), terms };
  };

  /** The constraint as a linear form in its unknowns, when A or B is fully known; else undefined. */
  const linearForm = (c: number): { k: bigint; terms: Map<number, bigint> } | undefined => {
    const [a, b, cc] = r1cs.constraints[c] as readonly [Lc, Lc, Lc];
    const sa = split(a);
    const sb = split(b);
    const sc = split(cc);
    let scale: bigint;
    let other: { k: bigint; terms: Map<number, bigint> };
    if (sa.terms.size === 0) {
      scale = sa.k;
      other = sb;
    } else if (sb.terms.size === 0) {
      scale = sb.k;
      other = sa;
    } else return undefined;
    // scale·other − C = 0
    const terms = new Map<number, bigint>();
    if (scale !== 0n) for (const [x, co] of other.terms) terms.set(x, mod(scale * co));
    for (const [x, co] of sc.terms) terms.set(x, mod((terms.get(x) ?? 0n) - co));
    for (const [x, co] of terms) if (co === 0n) terms.delete(x);
    return { k: mod(scale * other.k - sc.k), terms };
  };

  /**
   * Whether x's coefficient in constraint c is a signal (x in A while B has a signal, or the reverse):
   * then c is a check like `isLow·(1 − below.out) = 0`, and solving x through it divides by a signal
   * value. Such derivations wait until nothing forward is left, so the recorded order follows the
   * circuit's data flow and survives a change of that signal in `resolve`.
   */
  const throughSignal = (c: number, x: number): boolean => {
    const [a, b] = r1cs.constraints[c] as readonly [Lc, Lc, Lc];
    const hasSignal = (lc: Lc): boolean => lc.wires.some((y) => y !== 0);
    return (a.wires.includes(x) && hasSignal(b)) || (b.wires.includes(x) && hasSignal(a));
  };
  const deferred: number[] = [];

  // Wires with a pending single-unknown quadratic constraint of the form q·(x² − x) = 0: bits.
  const bits = new Set<number>();
  const propagate = (): void => {
    while (queue.length > 0) {
      const c = queue.pop() as number;
      if (unknown[c] !== 1) continue;
      const lf = linearForm(c);
      if (lf === undefined) {
        // Quadratic in its one unknown x: (a0 + a1·x)(b0 + b1·x) = c0 + c1·x.
        const [a, b, cc] = r1cs.constraints[c] as readonly [Lc, Lc, Lc];
        const sa = split(a);
        const sb = split(b);
        const sc = split(cc);
        const [x, a1] = [...sa.terms][0] as [number, bigint];
        const b1 = [...sb.terms][0]?.[1] ?? 0n;
        const c1 = sc.terms.get(x) ?? 0n;
        const quad = mod(a1 * b1);
        const lin = mod(sa.k * b1 + a1 * sb.k - c1);
        const k0 = mod(sa.k * sb.k - sc.k);
        if (k0 === 0n && lin === mod(-quad)) bits.add(x);
        continue;
      }
      if (lf.terms.size === 1) {
        const [x, co] = [...lf.terms][0] as [number, bigint];
        if (throughSignal(c, x)) deferred.push(c);
        else assign(x, mod(-lf.k * inv(co)), { kind: "linear", constraint: c, wires: [x] });
      }
    }
  };

  const decompose = (c: number, lf: { k: bigint; terms: Map<number, bigint> }): boolean => {
    if (![...lf.terms.keys()].every((x) => bits.has(x))) return false;
    const out = decomposeBits(lf);
    if (out === undefined) return false;
    const how: ScheduleStep = { kind: "bits", constraint: c, wires: out.map(([x]) => x) };
    for (const [x, bit] of out) assign(x, bit, how);
    return true;
  };

  propagate();
  while (remaining > 0) {
    let progressed = false;
    // 1. Constraints with several syntactic unknowns that are linear in one (a zero factor drops the rest),
    //    and bit decompositions.
    for (let c = 0; c < nC; c++) {
      const u = unknown[c] as number;
      if (u < 2) continue;
      const lf = linearForm(c);
      if (lf === undefined) continue;
      if (lf.terms.size === 1) {
        const [x, co] = [...lf.terms][0] as [number, bigint];
        if (throughSignal(c, x)) continue;
        assign(x, mod(-lf.k * inv(co)), { kind: "linear", constraint: c, wires: [x] });
        progressed = true;
      } else if (decompose(c, lf)) progressed = true;
    }
    if (progressed) {
      propagate();
      continue;
    }
    // 2. Derivations through a check constraint, now that nothing forward is left.
    while (deferred.length > 0) {
      const c = deferred.pop() as number;
      if (unknown[c] !== 1) continue;
      const lf = linearForm(c);
      if (lf === undefined || lf.terms.size !== 1) continue;
      const [x, co] = [...lf.terms][0] as [number, bigint];
      assign(x, mod(-lf.k * inv(co)), { kind: "linear", constraint: c, wires: [x] });
      progressed = true;
      break;
    }
    if (progressed) {
      propagate();
      continue;
    }
    // 3. A free choice: the reference value of one unknown of the tightest constraint (or, when no
    //    constraint mentions the remaining wires, all of them at once).
    let best = -1;
    for (let c = 0; c < nC; c++) {
      const u = unknown[c] as number;
      if (u > 0 && (best < 0 || u < (unknown[best] as number))) best = c;
    }
    if (best < 0) {
      for (let i = 0; i < n; i++) if (w[i] === undefined) assign(i, req.reference[i] ?? 0n, { kind: "free", constraint: -1, wires: [i] });
      break;
    }
    const [a, b, cc] = r1cs.constraints[best] as readonly [Lc, Lc, Lc];
    let pick = -1;
    for (const lc of [a, b, cc]) for (const x of lc.wires) if (w[x] === undefined && (pick < 0 || x < pick)) pick = x;
    assign(pick, req.reference[pick] ?? 0n, { kind: "free", constraint: -1, wires: [pick] });
    propagate();
  }
  return w as bigint[];
}

const wireLists = new WeakMap<R1cs, Int32Array[]>();
/** Every constraint's distinct wires, computed once per r1cs (the replay's hot loop). */
function constraintWires(r1cs: R1cs): Int32Array[] {
  let lists = wireLists.get(r1cs);
  if (lists === undefined) {
    lists = r1cs.constraints.map(([a, b, c]) => Int32Array.from(new Set([...a.wires, ...b.wires, ...c.wires])));
    wireLists.set(r1cs, lists);
  }
  return lists;
}

/**
 * Re-solve after changing a few wires: `base` is a satisfying witness that `solve` built with
 * `schedule`, `fixed` the wires to overwrite. The schedule is replayed in order and a step is redone
 * only when its constraint touches a changed wire, so the cost is proportional to what depends on the
 * change. Returns the witness and whether it satisfies the r1cs (only constraints touching a changed
 * wire can have become violated), or undefined when the replay meets a degenerate step (a coefficient
 * that became 0, a decomposition that no longer fits): then call `solve`.
 */
export function resolve(
  r1cs: R1cs,
  schedule: readonly ScheduleStep[],
  base: readonly bigint[],
  fixed: ReadonlyMap<number, bigint>,
  onDegenerate?: (step: ScheduleStep) => void,
): { witness: bigint[]; satisfied: boolean } | undefined {
  const w = base.slice();
  const dirty = new Uint8Array(r1cs.nWires);
  const pinned = new Uint8Array(r1cs.nWires);
  for (const [x, v] of fixed) {
    pinned[x] = 1;
    const m = mod(v);
    if (m !== w[x]) {
      w[x] = m;
      dirty[x] = 1;
    }
  }
  const wiresOf = constraintWires(r1cs);
  const touched = (c: number, except: readonly number[]): boolean => {
    const ws = wiresOf[c] as Int32Array;
    for (let i = 0; i < ws.length; i++) {
      const x = ws[i] as number;
      if (dirty[x] === 1 && !except.includes(x)) return true;
    }
    return false;
  };
  for (const step of schedule) {
    if (step.kind === "free") continue;
    // An overwritten wire keeps the attacker's value; an overwritten bit leaves its group's other bits
    // as they were (an arbitrary hint, not a re-decomposition).
    let held = false;
    for (const x of step.wires) if (pinned[x] === 1) held = true;
    if (held) continue;
    if (!touched(step.constraint, step.wires)) continue;
    const [a, b, cc] = r1cs.constraints[step.constraint] as readonly [Lc, Lc, Lc];
    if (step.kind === "linear") {
      const x = step.wires[0] as number;
      const part = (lc: Lc): [bigint, bigint] => {
        let k = 0n;
        let co = 0n;
        for (let t = 0; t < lc.wires.length; t++) {
          if (lc.wires[t] === x) co += lc.coeffs[t] as bigint;
          else k += (lc.coeffs[t] as bigint) * (w[lc.wires[t] as number] as bigint);
        }
        return [k % P, co % P];
      };
      const [a0, a1] = part(a);
      const [b0, b1] = part(b);
      const [c0, c1] = part(cc);
      const lin = mod(a0 * b1 + a1 * b0 - c1);
      if (mod(a1 * b1) !== 0n || lin === 0n) {
        onDegenerate?.(step);
        return undefined;
      }
      const v = mod(-(a0 * b0 - c0) * inv(lin));
      if (v !== w[x]) {
        w[x] = v;
        dirty[x] = 1;
      }
    } else {
      // A Num2Bits sum: linear, the group's wires only in the linear side.
      const group = new Set(step.wires);
      const known = (lc: Lc): boolean => {
        for (const x of lc.wires) if (group.has(x)) return false;
        return true;
      };
      let scale: bigint;
      let other: Lc;
      if (known(a)) {
        scale = evalLc(a, w);
        other = b;
      } else if (known(b)) {
        scale = evalLc(b, w);
        other = a;
      } else return undefined;
      let k = 0n;
      const terms = new Map<number, bigint>();
      const addLc = (lc: Lc, f: bigint): void => {
        for (let t = 0; t < lc.wires.length; t++) {
          const x = lc.wires[t] as number;
          const co = mod((lc.coeffs[t] as bigint) * f);
          if (group.has(x)) terms.set(x, mod((terms.get(x) ?? 0n) + co));
          else k += co * (w[x] as bigint);
        }
      };
      addLc(other, scale);
      addLc(cc, P - 1n);
      const out = decomposeBits({ k: mod(k), terms });
      if (out === undefined || out.length !== group.size) return undefined;
      for (const [x, bit] of out) {
        if (bit !== w[x]) {
          w[x] = bit;
          dirty[x] = 1;
        }
      }
    }
  }
  // Only constraints on a changed wire can fail (base satisfies the rest).
  const seen = new Uint8Array(r1cs.constraints.length);
  for (let x = 0; x < dirty.length; x++) {
    if (dirty[x] !== 1) continue;
    for (const c of r1cs.uses[x] as Int32Array) {
      if (seen[c] === 1) continue;
      seen[c] = 1;
      const [a, b, cc] = r1cs.constraints[c] as readonly [Lc, Lc, Lc];
      if (mod(evalLc(a, w) * evalLc(b, w) - evalLc(cc, w)) !== 0n) return { witness: w, satisfied: false };
    }
  }
  return { witness: w, satisfied: true };
}
