import type { CommandInfo } from '../parser';

/** One command line the engine wrote whose final result has not been read yet. */
export interface WrittenLine {
  /** The line as written, without CR: a module echoes exactly this. */
  readonly line: string;
  /** The parser's view of it (its name, and the data phase it opens, if any). */
  readonly info: CommandInfo;
  /** A resynchronisation probe (see probes.ts), not a transaction. */
  readonly probe: boolean;
  /** Its answers are secret: late lines that may be its own are masked in the transcript. */
  readonly secret: boolean;
  /** ESC was written after it: a `> ` input it opens is already being left. */
  escaped?: boolean;
}

/**
 * What is on the wire, as the station can prove it: the lines written and not yet answered, in order (a module
 * reads and answers one command line at a time, in the order it received them), and which of them the module is
 * answering now.
 *
 * A line is tied to its answer by its echo: after the echo of line k, every line up to the next final result is
 * k's, and lines written before k are over (answered, or lost: a dropped reply, a final damaged by noise). An echo
 * that spells no written line (noise, a line written before a restart) ties nothing: the next final belongs to
 * nobody. Without echo (ATE0), the only tie left is counting, which the engine allows for one line only: a
 * command written on a port proven clean.
 */
export class WireLedger {
  private lines: WrittenLine[] = [];
  private current: WrittenLine | null = null;
  private foreignEcho = false;
  /**
   * Lines written before the module restarted. A module may still read and answer a line that reached it just
   * after its restart, so their spellings stay taken (includes) until the port is next proven clean.
   */
  private readonly retired = new Set<string>();

  /** Lines written and not answered. */
  get size(): number {
    return this.lines.length;
  }

  /** The line whose echo was read last and whose final has not come: what the module is answering now. */
  get answering(): WrittenLine | null {
    return this.current;
  }

  /** An echo of no written line was read since the last final: until the next final, nothing can be tied. */
  get foreign(): boolean {
    return this.foreignEcho;
  }

  /** Whether exactly `entry` is outstanding and nothing else. */
  isOnly(entry: WrittenLine): boolean {
    return this.lines.length === 1 && this.lines[0] === entry;
  }

  /** Whether a line spelled `line` may still be answered. */
  includes(line: string): boolean {
    for (const entry of this.lines) if (entry.line === line) return true;
    return this.retired.has(line);
  }

  /** Whether an outstanding line other than `except` has secret answers. */
  hasSecret(except: WrittenLine | null): boolean {
    for (const entry of this.lines) if (entry.secret && entry !== except) return true;
    return false;
  }

  /**
   * Whether an outstanding line may still open a `> ` input that no ESC written so far will leave; marks them all
   * as escaped, as the caller writes one now.
   */
  escapePrompts(): boolean {
    let any = false;
    for (const entry of this.lines) {
      if (entry.info.payload?.after !== 'prompt' || entry.escaped === true) continue;
      entry.escaped = true;
      any = true;
    }
    return any;
  }

  written(entry: WrittenLine): void {
    this.lines.push(entry);
  }

  /**
   * An echo was read: ties it to the first outstanding line it spells (earlier lines are over) and returns that
   * line, or null when it spells none.
   */
  echo(raw: string): WrittenLine | null {
    let k = 0;
    while (k < this.lines.length && this.lines[k]?.line !== raw) k++;
    const entry = this.lines[k];
    if (entry === undefined) {
      this.current = null;
      this.foreignEcho = true;
      return null;
    }
    if (k > 0) this.lines.splice(0, k);
    this.current = entry;
    this.foreignEcho = false;
    return entry;
  }

  /**
   * A final result was read: returns the line it answers and forgets that line, or null when it cannot be tied.
   * It answers the line whose echo came last, or else `byCount` (a line the engine may tie without an echo), unless
   * a foreign echo came in between.
   */
  final(byCount: WrittenLine | null): WrittenLine | null {
    const tied = this.current ?? (this.foreignEcho ? null : byCount);
    this.current = null;
    this.foreignEcho = false;
    if (tied === null) return null;
    const k = this.lines.indexOf(tied);
    if (k >= 0) this.lines.splice(k, 1);
    if (this.lines.length === 0) this.retired.clear();
    return tied;
  }

  /** Bytes were lost (a payload given up, a parser restart): what the module was answering can no longer be followed. */
  lost(): void {
    this.current = null;
    this.foreignEcho = true;
  }

  /** The module restarted: what was written before is over (though a line may still be read just after RDY). */
  forget(): void {
    for (const entry of this.lines) this.retired.add(entry.line);
    this.lines = [];
    this.current = null;
    this.foreignEcho = false;
  }
}
