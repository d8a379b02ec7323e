import { dataPhaseOf, type DataPhase } from '../../catalogue/lookup';
import { readCommandLine } from '../../catalogue/syntax';

/**
 * What the parser needs to know about a command line it saw (echo) or was told about (noteCommand): the name
 * its information responses carry, and whether payload bytes follow a `> ` prompt or `CONNECT`.
 */
export interface CommandInfo {
  /** The line as written, without CR. */
  readonly line: string;
  /** `+QMTOPEN` for `AT+QMTOPEN=...` (upper case); null for basic commands (`ATE0`, `ATI`, `AT`). */
  readonly name: string | null;
  readonly kind: 'test' | 'read' | 'write' | 'exec';
  /**
   * Bytes the host sends after the prompt or CONNECT, when the line announces how many; with echo on, the module
   * echoes them back.
   */
  readonly payload: { readonly after: 'prompt' | 'connect'; readonly length: number } | null;
  /**
   * The data phase the line opens, as the catalogue describes it: also one whose size the line does not give
   * (AT+QISEND=0 ends with Ctrl+Z) or that the module fills (AT+QFDWL). Null: a `> ` or CONNECT after this line
   * was not asked for.
   */
  readonly dataPhase: DataPhase | null;
  /**
   * ATE0 turns echo off, ATE1 (and factory reset) turn it on, also among other basic commands on the same line
   * (`ATE1V1Q0`: the last one that sets it wins); null for a line that does not set it.
   */
  readonly setsEcho: boolean | null;
}

/** Largest payload the parser will count as one `data` event (a QFUPL certificate is a few KiB). */
export const MAX_DATA_PHASE = 1 << 20;

/** A line of basic commands only (`ATE1V1Q0`, `AT&F`), each a letter (or & and a letter) and a number. */
const BASIC_LINE = /^AT((?:&?[A-Z]\d*)+)$/i;
const BASIC_COMMAND = /(&?[A-Z])(\d*)/gi;

/**
 * Recently parsed lines. A station repeats a small set of command lines (and a captured log even more so), and
 * the parser meets each one on every echo: the cache keeps that off the hot path. Bounded; entries are immutable.
 */
const cache = new Map<string, CommandInfo>();
const CACHE_SIZE = 256;

/** Parses a command line. Never throws: anything that is not `AT...` gives a basic command with no payload. */
export function parseCommandLine(line: string): CommandInfo {
  const cached = cache.get(line);
  if (cached !== undefined) return cached;
  const info = parseUncached(line);
  if (cache.size >= CACHE_SIZE) cache.clear();
  cache.set(line, info);
  return info;
}

function parseUncached(line: string): CommandInfo {
  const trimmed = line.trim();
  // The line as the module reads it (V.250: blanks and case do not matter), and its data phase from the catalogue.
  const reading = readCommandLine(trimmed);
  const first = reading?.[0];
  const dataPhase = dataPhaseOf(trimmed, reading);
  const counted =
    dataPhase !== null &&
    dataPhase.direction === 'to-module' &&
    dataPhase.length !== null &&
    dataPhase.length > 0 &&
    dataPhase.length <= MAX_DATA_PHASE;
  return {
    line: trimmed,
    name: first?.name ?? null,
    kind: first?.kind ?? 'exec',
    payload: counted ? { after: dataPhase.after, length: dataPhase.length } : null,
    dataPhase,
    setsEcho: echoSetting(trimmed),
  };
}

/** What a line of basic commands does to echo: E0 off; E, E1, &F, Z on (the factory default); null if nothing. */
function echoSetting(line: string): boolean | null {
  const basic = BASIC_LINE.exec(line)?.[1];
  if (basic === undefined) return null;
  let echo: boolean | null = null;
  for (const [, command = '', arg = ''] of basic.matchAll(BASIC_COMMAND)) {
    const letter = command.toUpperCase();
    if (letter === 'E' && (arg === '' || arg === '0' || arg === '1')) echo = arg !== '0';
    else if ((letter === '&F' || letter === 'Z') && (arg === '' || arg === '0')) echo = true;
  }
  return echo;
}
