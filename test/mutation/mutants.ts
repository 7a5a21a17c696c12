/**
 * Enumerate the constraint statements of circuits/imt.circom and circuits/epoch_transition.circom and
 * build one mutant per statement, with the constraint deleted:
 *
 *   `x <== e;`  ->  `x <-- e;`   (the assignment stays, so witness generation is unchanged; only the
 *   `e ==> x;`  ->  `e --> x;`    constraint is gone, and x becomes a free hint for a cheating prover)
 *   `a === b;`  ->  the statement removed
 *
 * The two files keep one constraint statement per line (checked here), so a statement is identified
 * by file and line and a mutant is a one-line edit.
 */
import type { CircuitSources } from "./compile.js";

export type MutantKind = "<==" | "==>" | "===";
export type CircuitFile = "imt" | "epoch";

export interface Mutant {
  /** Stable id, e.g. `imt:47`. */
  readonly id: string;
  readonly file: CircuitFile;
  /** 1-based line number in the original file. */
  readonly line: number;
  readonly kind: MutantKind;
  /** The statement as written (trimmed, comments removed). */
  readonly statement: string;
  /** Template that holds it. */
  readonly template: string;
  /**
   * For `<==` / `==>`: the signal the statement assigns, relative to its template instance
   * (`e3`, `ho.inputs[0]`, `level[l].bit[0]`): the one a cheating prover now chooses freely.
   */
  readonly target?: string;
}

export const FILES: Record<CircuitFile, string> = { imt: "circuits/imt.circom", epoch: "circuits/epoch_transition.circom" };

const OPERATORS = /<==|==>|===/g;

function stripComment(line: string): string {
  const i = line.indexOf("//");
  return i < 0 ? line : line.slice(0, i);
}

/** Every constraint statement of one file, in line order. */
export function enumerate(file: CircuitFile, text: string): Mutant[] {
  const out: Mutant[] = [];
  let template = "";
  let inBlockComment = false;
  text.split("\n").forEach((raw, i) => {
    let line = raw;
    if (inBlockComment) {
      const end = line.indexOf("*/");
      if (end < 0) return;
      line = line.slice(end + 2);
      inBlockComment = false;
    }
    if (line.includes("/*")) {
      if (!line.includes("*/")) inBlockComment = true;
      line = line.replace(/\/\*.*?(\*\/|$)/g, "");
    }
    const code = stripComment(line);
    const t = /^\s*template\s+(\w+)/.exec(code);
    if (t) template = t[1] as string;
    const ops = [...code.matchAll(OPERATORS)];
    if (ops.length === 0) return;
    if (ops.length > 1) throw new Error(`${FILES[file]}:${i + 1}: more than one constraint operator on a line`);
    const kind = (ops[0] as RegExpMatchArray)[0] as MutantKind;
    // The statement itself: after a one-line `for (...)` header if there is one.
    const body = code.replace(/^\s*for\s*\([^)]*\)\s*/, "").trim();
    let target: string | undefined;
    if (kind === "<==")
      target = body
        .split("<==")[0]
        ?.replace(/^signal\s+/, "")
        .trim();
    else if (kind === "==>") target = body.split("==>")[1]?.replace(/;\s*$/, "").trim();
    out.push({ id: `${file}:${i + 1}`, file, line: i + 1, kind, statement: body, template, ...(target !== undefined ? { target } : {}) });
  });
  return out;
}

export function enumerateAll(sources: CircuitSources): Mutant[] {
  return [...enumerate("imt", sources.imt), ...enumerate("epoch", sources.epoch)];
}

/** The sources with mutant `m` applied. */
export function applyMutant(sources: CircuitSources, m: Mutant): CircuitSources {
  const text = m.file === "imt" ? sources.imt : sources.epoch;
  const lines = text.split("\n");
  const line = lines[m.line - 1];
  if (line === undefined) throw new Error(`${m.id}: no such line`);
  let mutated: string;
  if (m.kind === "<==") mutated = line.replace("<==", "<--");
  else if (m.kind === "==>") mutated = line.replace("==>", "-->");
  else {
    // Remove the statement, keep the line (so line numbers in circom's messages still match).
    const start = line.indexOf(m.statement);
    if (start < 0 || !/^\s*$/.test(line.slice(0, start))) throw new Error(`${m.id}: cannot isolate the statement`);
    mutated = `${line.slice(0, start)}// mutant: removed \`${m.statement}\``;
  }
  lines[m.line - 1] = mutated;
  const out = lines.join("\n");
  return m.file === "imt" ? { imt: out, epoch: sources.epoch } : { imt: sources.imt, epoch: out };
}
