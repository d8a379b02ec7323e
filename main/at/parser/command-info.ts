import { splitParams } from './split-params';

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
  /** Bytes the host sends after the prompt or CONNECT; with echo on, the module echoes them back. */
  readonly payload: { readonly after: 'prompt' | 'connect'; readonly length: number } | null;
  /**
   * ATE0 turns echo off, ATE1 (and factory reset) turn it on, also among other basic commands on the same line
   * (`ATE1V1Q0`: the last one that sets it wins); null for a line that does not set it.
   */
  readonly setsEcho: boolean | null;
}

/** Largest payload the parser will count as one `data` event (a QFUPL certificate is a few KiB). */
export const MAX_DATA_PHASE = 1 << 20;

/**
 * Commands that are followed by a payload phase, with where its length is found. One table rather than
 * special cases, so adding e.g. AT+QISEND is one line.
 */
const payloadCommands: Readonly<
  Record<string, (params: readonly string[]) => { after: 'prompt' | 'connect'; length: string | undefined } | null>
> = {
  // AT+QMTPUBEX=<client_idx>,<msgid>,<qos>,<retain>,<topic>,<length>
  '+QMTPUBEX': (p) => ({ after: 'prompt', length: p[5] }),
  // AT+QMTCFG="willex",<client_idx>,<will_fg>,<will_qos>,<will_retain>,<willtopic>,<will_len>
  '+QMTCFG': (p) => (p[0]?.toLowerCase() === 'willex' && p[2] === '1' ? { after: 'prompt', length: p[6] } : null),
  // AT+QFUPL=<name>,<size>[,<timeout>[,<ackmode>]]
  '+QFUPL': (p) => ({ after: 'connect', length: p[1] }),
};

const COMMAND = /^AT(?:([+$%^][A-Z0-9_]+)(=\?|\?|=)?(.*))?/i;
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
  const match = COMMAND.exec(trimmed);
  const rawName = match?.[1];
  const name = rawName === undefined ? null : rawName.toUpperCase();
  const op = match?.[2];
  const kind = op === '=?' ? 'test' : op === '?' ? 'read' : op === '=' ? 'write' : 'exec';
  let payload: CommandInfo['payload'] = null;
  if (name !== null && kind === 'write') {
    const rule = payloadCommands[name];
    const found = rule?.(splitParams(match?.[3] ?? ''));
    if (found?.length !== undefined && /^\d{1,9}$/.test(found.length)) {
      const length = Number(found.length);
      if (length > 0 && length <= MAX_DATA_PHASE) payload = { after: found.after, length };
    }
  }
  return { line: trimmed, name, kind, payload, setsEcho: echoSetting(trimmed) };
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
