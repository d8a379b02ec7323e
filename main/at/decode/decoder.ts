import { AtStreamParser, parseCommandLine, splitParams, type CommandInfo } from '../parser';
import type { AtEvent } from '../vocab/types';
import { explainFinal, explainResponse, explainUrc, type Explanation } from './describe';
import { expandEscapedLines, parseLogLine, splitLogLines, usesArrowMarkers, type LogLine } from './log-line';
import { hintFor } from './hints';
import { KeyBlockRedactor, LogRedactor, redactAtLine } from './redact';

/**
 * The log decoder: a captured AT log in, an annotated timeline out. Lines are stripped of their timestamps and
 * direction markers (log-line.ts); command lines (sent, or echoed) are told to the streaming parser with
 * `noteCommand`, everything the module said is pushed through it, so responses, finals, URCs and multi-line
 * +QMTRECV payloads are classified exactly as the live engine sees them. Payload phases (`> ` and CONNECT) are
 * followed here, line by line, because a log may or may not contain the bytes sent. It never stops at a line it
 * does not understand: such lines become `unknown` events.
 */

export type DecodedKind = 'command' | 'response' | 'final' | 'urc' | 'prompt' | 'data' | 'unknown';

export interface CommandOutcome {
  /** The final result line (`OK`, `+CME ERROR: 407`), or null when the log ends or moves on without one. */
  final: string | null;
  /** Milliseconds from the command to its final result, when both lines have timestamps. */
  durationMs?: number;
  /** The URC that carried the real answer (`+QMTOPEN: 0,0`), when the command has one. */
  completion?: string;
  completionMs?: number;
  /** Plain words about how it ended. */
  explanation?: string;
  ok?: boolean;
}

export interface DecodedEvent {
  kind: DecodedKind;
  /** `AT+QMTOPEN` for commands, `+QMTSTAT` for URCs and named responses, `OK` / `CME ERROR` for finals. */
  name: string | null;
  /** The line as logged (secrets redacted); for data, a summary. */
  raw: string;
  /** 1-based line number in the log. */
  line: number;
  time: string | null;
  direction: 'tx' | 'rx' | null;
  /** For answers: the command line (redacted) they belong to. */
  command?: string;
  /** For finals and completing URCs: time since their command. */
  durationMs?: number;
  /** Typed fields: parameters, decoded numbers, message topic and payload (empty for a bare prompt). */
  decoded: Record<string, unknown>;
  explanation?: string;
  howTo?: string;
  severity?: Explanation['severity'];
  /** For commands: how they ended. */
  outcome?: CommandOutcome;
  /** A `//` annotation written on the same log line. */
  note?: string;
}

/** Commands answered by a URC after OK, and where their msgid is (for matching). */
const ASYNC: Readonly<Record<string, { readonly urcs: readonly string[]; readonly msgid: boolean }>> = {
  '+QMTOPEN': { urcs: ['+QMTOPEN'], msgid: false },
  '+QMTCLOSE': { urcs: ['+QMTCLOSE'], msgid: false },
  '+QMTCONN': { urcs: ['+QMTCONN'], msgid: false },
  '+QMTDISC': { urcs: ['+QMTDISC'], msgid: false },
  '+QMTSUB': { urcs: ['+QMTSUB'], msgid: true },
  '+QMTUNS': { urcs: ['+QMTUNS'], msgid: true },
  '+QMTPUBEX': { urcs: ['+QMTPUBEX', '+QMTPUB'], msgid: true },
};

/** Results that do not end a packet transaction: 1 = retransmission, more to come. */
const PACKET_URCS = new Set(['+QMTCONN', '+QMTSUB', '+QMTUNS', '+QMTPUBEX', '+QMTPUB']);

interface OpenCommand {
  readonly event: DecodedEvent;
  readonly info: CommandInfo;
  readonly timeMs: number | null;
  /** Sent (tx) line whose echo may still follow. */
  echoPending: boolean;
  finalSeen: boolean;
}

interface PendingCompletion {
  readonly command: OpenCommand;
  readonly urcs: readonly string[];
  readonly clientIdx: string;
  readonly msgid: string | null;
}

interface DataPhase {
  readonly after: 'prompt' | 'connect';
  readonly expected: number;
  bytes: number;
  /** Line number of the first line after the prompt or CONNECT, where the data starts. */
  readonly firstLine: number;
}

const FINAL_OR_URC = /^(OK|ERROR|NO CARRIER|\+CME ERROR:.*|\+CMS ERROR:.*|\+[A-Z0-9_]+:.*|RDY|APP RDY|POWERED DOWN)$/i;
const encoder = new TextEncoder();
const utf8 = new TextDecoder('utf-8');

function elapsed(from: number | null, to: number | null): number | undefined {
  if (from === null || to === null) return undefined;
  const diff = to - from;
  // Time-only stamps wrap at midnight.
  return diff >= 0 ? diff : diff + 86_400_000;
}

class LogDecoder {
  private readonly parser = new AtStreamParser();
  private readonly keys = new KeyBlockRedactor();
  private readonly redactor = new LogRedactor();
  private readonly out: DecodedEvent[] = [];
  private current: OpenCommand | null = null;
  private pending: PendingCompletion[] = [];
  private data: DataPhase | null = null;
  private lastTimeMs: number | null = null;
  private line: LogLine = { number: 0, time: null, timeMs: null, direction: null, body: '', comment: null };

  decode(text: string): DecodedEvent[] {
    const lines = splitLogLines(text);
    const arrows = usesArrowMarkers(lines);
    lines.forEach((raw, i) => {
      const line = parseLogLine(raw, i + 1, arrows);
      for (const body of expandEscapedLines(line.body)) this.onLine({ ...line, body });
    });
    this.endData();
    // Whatever the parser still holds (a line without its ending) is flushed as a last line.
    this.emitParsed(this.parser.push(encoder.encode('\r\n')));
    this.closeCurrent();
    this.finishPending();
    // Secrets learnt anywhere in the log are masked everywhere in the output, including lines before them.
    return this.out.map((event) => maskEvent(event, (text) => this.redactor.mask(text)));
  }

  private finishPending(): void {
    for (const p of this.pending) {
      const outcome = p.command.event.outcome;
      if (!outcome) continue;
      outcome.explanation =
        `No ${p.urcs[0] ?? 'result'} URC for this command in the log` +
        (p.urcs[0] === '+QMTCLOSE' ? ' (one EC200U firmware never sends it after AT+QMTDISC).' : '.');
    }
  }

  private onLine(line: LogLine): void {
    this.line = line;
    if (line.timeMs !== null) this.lastTimeMs = line.timeMs;
    const body = line.body;
    // The private key check comes before anything else: base64 key lines may start with `//`, which would
    // otherwise be taken for a comment and printed.
    const text = body === '' && line.comment !== null ? `//${line.comment}` : body;
    const keyLine = this.keys.line(text);
    const isKey = keyLine !== text;
    if (isKey) this.line = { ...line, comment: null };
    else if (body === '' && line.comment !== null) {
      this.emit({ kind: 'unknown', name: null, raw: text, decoded: { reason: 'comment' } });
      return;
    }
    const isCommand = /^AT/i.test(body) && !isKey;

    if (this.data) {
      const endsData = isCommand || FINAL_OR_URC.test(body) || (this.data.after === 'prompt' && body.startsWith('>'));
      if (!endsData) {
        this.data.bytes += encoder.encode(text).length + (this.data.after === 'connect' ? 1 : 0);
        if (this.data.after === 'prompt') this.endData(isKey ? null : body);
        return;
      }
      this.endData();
    }
    if (isKey) {
      this.emit({ kind: 'unknown', name: null, raw: keyLine, decoded: { reason: 'private key' } });
      return;
    }
    if (isCommand) {
      this.onCommand(body);
      return;
    }
    if (body.startsWith('>')) {
      this.onPrompt(body);
      return;
    }
    if (line.direction === 'tx' && body !== '') {
      // Host-side text that is not a command: payload typed without a logged prompt, or noise.
      this.emit({ kind: 'unknown', name: null, raw: body, decoded: { reason: 'sent text that is not a command' } });
      return;
    }
    this.emitParsed(this.parser.push(encoder.encode(`${body}\r\n`)));
  }

  private onCommand(body: string): void {
    const cur = this.current;
    if (cur && cur.echoPending && !cur.finalSeen && cur.info.line.toUpperCase() === body.trim().toUpperCase()) {
      cur.echoPending = false; // the module echoing the line just sent
      return;
    }
    this.closeCurrent();
    const info = parseCommandLine(body);
    this.parser.noteCommand(body);
    const raw = this.redactor.line(body);
    const equals = raw.indexOf('=');
    const event = this.emit({
      kind: 'command',
      name: commandName(info),
      raw,
      decoded: {
        form: info.kind,
        params: info.kind === 'write' && equals >= 0 ? splitParams(raw.slice(equals + 1)) : [],
      },
      outcome: { final: null },
    });
    this.current = {
      event,
      info,
      timeMs: this.lastTimeMs,
      echoPending: this.line.direction === 'tx',
      finalSeen: false,
    };
  }

  private onPrompt(body: string): void {
    this.emit({ kind: 'prompt', name: '>', raw: '>' });
    const payload = this.current?.info.payload;
    const rest = body.replace(/^>\s?/, '');
    if (!payload || payload.after !== 'prompt') {
      if (rest !== '')
        this.emit({ kind: 'unknown', name: null, raw: rest, decoded: { reason: 'text after a prompt' } });
      return;
    }
    this.data = {
      after: 'prompt',
      expected: payload.length,
      bytes: 0,
      firstLine: this.line.number + (rest === '' ? 1 : 0),
    };
    if (rest !== '') {
      this.data.bytes = encoder.encode(rest).length;
      this.endData(rest);
    }
  }

  /** Ends a payload phase: one data event with its size (file contents are never shown, payload text is). */
  private endData(text: string | null = null): void {
    const data = this.data;
    if (!data) return;
    this.data = null;
    const shown = data.after === 'prompt' && text !== null;
    const what = data.after === 'prompt' ? 'payload' : 'file contents';
    const event = this.emit({
      kind: 'data',
      name: data.after === 'prompt' ? 'payload' : 'file data',
      raw: shown ? text : `<${data.bytes} bytes>`,
      decoded: { expectedBytes: data.expected, loggedBytes: data.bytes },
      explanation:
        data.bytes === 0
          ? `The ${what} (${data.expected} bytes announced) are not in the log.`
          : data.after === 'prompt'
            ? `${data.bytes} of ${data.expected} announced bytes are in the log.`
            : `The file contents (${data.expected} bytes announced) are in the log; not shown.`,
    });
    event.line = data.firstLine;
  }

  private emitParsed(events: readonly AtEvent[]): void {
    for (const event of events) this.onParsed(event);
  }

  private onParsed(event: AtEvent): void {
    const commandLine = this.current && !this.current.finalSeen ? this.current.event.raw : undefined;
    const answer = commandLine !== undefined ? { command: commandLine } : {};
    switch (event.kind) {
      case 'echo':
        this.onCommand(event.raw);
        return;
      case 'response': {
        const explanation = explainResponse(event);
        this.emit({
          kind: 'response',
          name: event.name,
          raw: this.redactor.line(event.raw),
          ...answer,
          decoded: { params: redactedParams(event.raw, event.params) },
          ...(explanation ? explained(explanation) : {}),
        });
        return;
      }
      case 'final':
        this.onFinal(event, answer);
        return;
      case 'urc':
        this.onUrc(event);
        return;
      case 'recv': {
        const explanation = explainUrc(event);
        this.emit({
          kind: event.solicited ? 'response' : 'urc',
          name: '+QMTRECV',
          raw: event.raw,
          ...(event.solicited ? answer : {}),
          decoded: {
            clientIdx: event.clientIdx,
            msgid: event.msgid,
            topic: event.topic,
            payloadLength: event.payloadLength,
            payload: utf8.decode(event.payload),
          },
          ...explained(explanation),
        });
        return;
      }
      case 'prompt':
        this.emit({ kind: 'prompt', name: '>', raw: '>' });
        return;
      case 'connect': {
        this.emit({
          kind: 'prompt',
          name: 'CONNECT',
          raw: event.raw,
          ...answer,
          explanation: 'Data phase: the module waits for the file bytes.',
        });
        const payload = this.current?.info.payload;
        if (payload?.after === 'connect') {
          this.data = { after: 'connect', expected: payload.length, bytes: 0, firstLine: this.line.number + 1 };
        }
        return;
      }
      case 'data':
        this.emit({
          kind: 'data',
          name: 'payload',
          raw: `<${event.length} bytes>`,
          decoded: { loggedBytes: event.length },
        });
        return;
      case 'unknown':
        this.emit({ kind: 'unknown', name: null, raw: event.raw, decoded: { reason: event.reason } });
        return;
    }
  }

  private onFinal(event: Extract<AtEvent, { kind: 'final' }>, answer: { command?: string }): void {
    const cur = this.current && !this.current.finalSeen ? this.current : null;
    const base = explainFinal(event);
    // A failed command that matches a known pitfall gets that as its advice, before the generic words.
    const hint = event.result === 'OK' || !cur ? null : hintFor(cur.info.line);
    // A code with its own advice (e.g. +CME ERROR: 407) is more precise than the pitfall: keep it alone.
    const useHint = hint !== null && (event.result === 'ERROR' || base.howTo === undefined);
    const explanation = useHint ? { ...base, howTo: base.howTo ? `${hint} ${base.howTo}` : hint } : base;
    const durationMs = cur ? elapsed(cur.timeMs, this.lastTimeMs) : undefined;
    this.emit({
      kind: 'final',
      name: event.result,
      raw: event.raw,
      ...answer,
      ...(durationMs !== undefined ? { durationMs } : {}),
      decoded: {
        result: event.result,
        ...(event.code !== undefined ? { code: event.code } : {}),
        ...(event.text !== undefined ? { text: event.text } : {}),
      },
      ...explained(explanation),
    });
    if (!cur) return;
    cur.finalSeen = true;
    const outcome = cur.event.outcome ?? { final: null };
    outcome.final = event.raw;
    if (durationMs !== undefined) outcome.durationMs = durationMs;
    outcome.ok = event.result === 'OK';
    outcome.explanation = explanation.summary;
    cur.event.outcome = outcome;
    const async = cur.info.name === null ? undefined : ASYNC[cur.info.name];
    if (event.result === 'OK' && async && cur.info.kind === 'write') {
      const params = splitParams(cur.info.line.slice(cur.info.line.indexOf('=') + 1));
      this.pending.push({
        command: cur,
        urcs: async.urcs,
        clientIdx: (params[0] ?? '').trim(),
        msgid: async.msgid ? (params[1] ?? '').trim() : null,
      });
      outcome.ok = undefined;
      outcome.explanation = `Accepted; the result follows as ${async.urcs[0] ?? 'a URC'}.`;
    }
  }

  private onUrc(event: Extract<AtEvent, { kind: 'urc' }>): void {
    const explanation = explainUrc(event);
    const name = event.name.toUpperCase();
    const idx = (event.params[0] ?? '').trim();
    const found = this.pending.find(
      (p) =>
        p.urcs.includes(name) &&
        p.clientIdx === idx &&
        (p.msgid === null || p.msgid === (event.params[1] ?? '').trim()),
    );
    const finalResult = !PACKET_URCS.has(name) || (event.params[name === '+QMTCONN' ? 1 : 2] ?? '').trim() !== '1';
    let link: Partial<DecodedEvent> = {};
    if (found) {
      const durationMs = elapsed(found.command.timeMs, this.lastTimeMs);
      link = { command: found.command.event.raw, ...(durationMs !== undefined ? { durationMs } : {}) };
      if (finalResult) {
        this.pending = this.pending.filter((p) => p !== found);
        const outcome = found.command.event.outcome ?? { final: 'OK' };
        outcome.completion = event.raw;
        if (durationMs !== undefined) outcome.completionMs = durationMs;
        outcome.ok = explanation.severity === 'info';
        outcome.explanation = explanation.summary;
        found.command.event.outcome = outcome;
      }
    } else if (name === '+QMTSTAT') {
      // The link dropped: whatever this client was waiting for will not come.
      for (const p of this.pending.filter((q) => q.clientIdx === idx)) {
        const outcome = p.command.event.outcome ?? { final: 'OK' };
        outcome.ok = false;
        outcome.explanation = `Interrupted: ${explanation.summary}`;
        p.command.event.outcome = outcome;
      }
      this.pending = this.pending.filter((q) => q.clientIdx !== idx);
    }
    this.emit({
      kind: 'urc',
      name: event.name,
      raw: this.redactor.line(event.raw),
      ...link,
      decoded: { params: redactedParams(event.raw, event.params), known: event.known },
      ...explained(explanation),
    });
  }

  /** A command that never got its final result in the log. */
  private closeCurrent(): void {
    const cur = this.current;
    if (cur && !cur.finalSeen && cur.event.outcome) {
      cur.event.outcome.explanation = 'No final result in the log (no answer, or the log moved on).';
      cur.event.outcome.ok = false;
    }
    this.current = null;
  }

  private emit(
    event: Omit<DecodedEvent, 'line' | 'time' | 'direction' | 'decoded'> & { decoded?: DecodedEvent['decoded'] },
  ): DecodedEvent {
    const full: DecodedEvent = {
      line: this.line.number,
      time: this.line.time,
      direction: this.line.direction,
      ...(this.line.comment !== null && this.line.body !== '' ? { note: this.redactor.line(this.line.comment) } : {}),
      ...event,
      // Every printed line goes through the rules, wherever the secret-bearing command sits in it (an unparsed
      // line, a comment, text after a prompt); already redacted lines come through unchanged.
      raw: this.redactor.line(event.raw),
      // Every event carries `decoded`, empty when there is nothing beyond the raw line (a prompt).
      decoded: event.decoded ?? {},
    };
    this.out.push(full);
    return full;
  }
}

function explained(explanation: Explanation): Partial<DecodedEvent> {
  return {
    explanation: explanation.summary,
    ...(explanation.howTo ? { howTo: explanation.howTo } : {}),
    severity: explanation.severity,
  };
}

/** Parameters with the secret ones redacted (the same rules as the raw line). */
function redactedParams(raw: string, params: readonly string[]): readonly string[] {
  const redacted = redactAtLine(raw);
  if (redacted === raw) return params;
  const colon = redacted.indexOf(':');
  return splitParams(redacted.slice(colon + 1));
}

function maskValue(value: unknown, mask: (text: string) => string): unknown {
  if (typeof value === 'string') return mask(value);
  if (Array.isArray(value)) return value.map((item: unknown) => maskValue(item, mask));
  if (value !== null && typeof value === 'object') return maskRecord(value as Record<string, unknown>, mask);
  return value;
}

function maskRecord(record: Record<string, unknown>, mask: (text: string) => string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, maskValue(value, mask)]));
}

/** The event with every string in it (raw line, decoded fields, outcome, notes) passed through `mask`. */
function maskEvent(event: DecodedEvent, mask: (text: string) => string): DecodedEvent {
  const outcome = event.outcome;
  return {
    ...event,
    raw: mask(event.raw),
    ...(event.name !== null ? { name: mask(event.name) } : {}),
    ...(event.command !== undefined ? { command: mask(event.command) } : {}),
    ...(event.note !== undefined ? { note: mask(event.note) } : {}),
    ...(event.explanation !== undefined ? { explanation: mask(event.explanation) } : {}),
    ...(event.howTo !== undefined ? { howTo: mask(event.howTo) } : {}),
    decoded: maskRecord(event.decoded, mask),
    ...(outcome
      ? {
          outcome: {
            ...outcome,
            final: outcome.final === null ? null : mask(outcome.final),
            ...(outcome.completion !== undefined ? { completion: mask(outcome.completion) } : {}),
            ...(outcome.explanation !== undefined ? { explanation: mask(outcome.explanation) } : {}),
          },
        }
      : {}),
  };
}

function commandName(info: CommandInfo): string {
  if (info.name !== null) return `AT${info.name}`;
  const basic = /^AT[A-Z&]?\d?/i.exec(info.line)?.[0] ?? 'AT';
  return basic.toUpperCase();
}

/** Decodes a captured AT log (text or bytes, UTF-8) into its annotated timeline. Never throws on content. */
export function decodeLog(input: string | Uint8Array): DecodedEvent[] {
  const text = typeof input === 'string' ? input : utf8.decode(input);
  return new LogDecoder().decode(text);
}
