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
  /** ATE0 turns echo off, ATE1 (and factory reset) turn it on; null for any other command. */
  readonly setsEcho: boolean | null;
}

/** Largest payload the parser will count as one `data` event (a QFUPL certificate is a few KiB). */
export const MAX_DATA_PHASE = 1 << 20;

const ECHO_SETTING = /^AT(?:E([01]?)|&F0?|Z0?)$/i;

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
  const first = readCommandLine(trimmed)?.[0];
  const dataPhase = dataPhaseOf(trimmed);
  const counted =
    dataPhase !== null &&
    dataPhase.direction === 'to-module' &&
    dataPhase.length !== null &&
    dataPhase.length > 0 &&
    dataPhase.length <= MAX_DATA_PHASE;
  const echo = ECHO_SETTING.exec(trimmed);
  return {
    line: trimmed,
    name: first?.name ?? null,
    kind: first?.kind ?? 'exec',
    payload: counted ? { after: dataPhase.after, length: dataPhase.length } : null,
    dataPhase,
    setsEcho: echo === null ? null : echo[1] !== '0',
  };
}
