/**
 * Console progress for long setup steps. On a TTY: one redrawn line with a bar, percentage and
 * phase. Otherwise (CI logs, pipes): plain lines, one when a phase starts and one per 10 %.
 */

export interface Reporter {
  /** A line of output (clears a bar in progress first). */
  line(text: string): void;
  /**
   * Start a step; `update` reports its progress, `end` closes it with its duration. `kind` says which
   * setup step it is (for progress models such as the node's key-build estimate); the text is for humans.
   */
  start(label: string, kind?: SetupStepKind): StepProgress;
}

/** A step of `runSetup`: which circuit (none for the shared dev ptau), which phase, and its size. */
export interface SetupStepKind {
  readonly phase: SetupPhaseName;
  readonly circuit?: string;
  readonly constraints?: number;
  /** ptau power (the dev ptau's, or the circuit's domain). */
  readonly power?: number;
}

export type SetupPhaseName = "compile" | "ptau" | "groth16-setup" | "phase2";

export interface StepProgress {
  update(done: number, total: number, phase?: string): void;
  /** A status message without a known fraction (shown on a TTY only; first line of it). */
  note(text: string): void;
  end(note?: string): number;
}

export interface ReporterOptions {
  stream?: NodeJS.WriteStream;
  /** Force TTY (true) or plain (false) rendering; default: the stream's isTTY. */
  tty?: boolean;
  /** Print nothing. */
  silent?: boolean;
}

const BAR_WIDTH = 28;
const REDRAW_MS = 100;

export function createReporter(options: ReporterOptions = {}): Reporter {
  const stream = options.stream ?? process.stdout;
  const tty = options.tty ?? stream.isTTY === true;
  const write = options.silent ? () => undefined : (text: string) => void stream.write(text);
  let barShown = false;

  const clearBar = () => {
    if (barShown) {
      write("\r\x1b[2K");
      barShown = false;
    }
  };

  return {
    line(text: string) {
      clearBar();
      write(`${text}\n`);
    },
    start(label: string): StepProgress {
      const started = performance.now();
      let lastDraw = 0;
      let lastDecile = -1;
      let lastPhase: string | undefined;
      if (tty) {
        clearBar();
        write(`${label} ...`);
        barShown = true;
      } else {
        write(`${label} ...\n`);
      }
      return {
        update(done: number, total: number, phase?: string) {
          const fraction = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
          const percent = (fraction * 100).toFixed(1).padStart(5);
          if (tty) {
            const now = performance.now();
            if (now - lastDraw < REDRAW_MS && fraction < 1) return;
            lastDraw = now;
            const filled = Math.round(fraction * BAR_WIDTH);
            const bar = "#".repeat(filled) + "-".repeat(BAR_WIDTH - filled);
            const columns = stream.columns || 100;
            const text = `${label} [${bar}] ${percent}%${phase ? `  ${phase}` : ""}`;
            write(`\r\x1b[2K${text.slice(0, Math.max(20, columns - 1))}`);
            barShown = true;
          } else {
            const decile = Math.floor(fraction * 10);
            if (phase !== lastPhase || decile > lastDecile) {
              write(`  ${label}: ${percent}%${phase ? `  ${phase}` : ""}\n`);
              lastPhase = phase;
              lastDecile = decile;
            }
          }
        },
        note(text: string) {
          if (!tty) return;
          const now = performance.now();
          if (now - lastDraw < REDRAW_MS) return;
          lastDraw = now;
          const columns = stream.columns || 100;
          const firstLine = text.split("\n")[0]!.trim();
          write(`\r\x1b[2K${`${label} ... ${firstLine}`.slice(0, Math.max(20, columns - 1))}`);
          barShown = true;
        },
        end(note?: string) {
          const seconds = (performance.now() - started) / 1000;
          clearBar();
          write(`${label}: done in ${formatSeconds(seconds)}${note ? ` (${note})` : ""}\n`);
          return seconds;
        },
      };
    },
  };
}

export function formatSeconds(seconds: number): string {
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 120) return `${seconds.toFixed(1)} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}
