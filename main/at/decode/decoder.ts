import {
  completionOf,
  completionByUrc,
  mayHoldSecret,
  SecretMask,
  type CompletionSpec,
  type DataPhase as DataPhaseFacts,
} from '../../catalogue';
import { AtStreamParser, parseCommandLine, splitParams, type CommandInfo } from '../parser';
import type { AtEvent } from '../vocab/types';
import { explainFinal, explainResponse, explainUrc, type Explanation } from './describe';
import {
  expandEscapedLines,
  hasEscapedLines,
  LineSplitter,
  marksArrow,
  parseLogLine,
  stampFacts,
  type LogLine,
} from './log-line';
import { hintFor } from './hints';
import { KEY_PLACEHOLDER, KeyBlockRedactor, LogRedactor } from './redact';

/**
 * The log decoder: a captured AT log in, an annotated timeline out. Lines are stripped of their timestamps and
 * direction markers (log-line.ts) and redacted (redact.ts) before anything reads them, so no event can hold a
 * secret; command lines (sent, or echoed) are told to the streaming parser with `noteCommand`, everything the
 * module said is pushed through it, so responses, finals, URCs and multi-line +QMTRECV payloads are classified
 * exactly as the live engine sees them. Payload phases (`> ` and CONNECT) are followed here, line by line,
 * because a log may or may not contain the bytes sent: the catalogue says which commands open one and how it ends
 * (its announced length, Ctrl+Z or ESC, `+++`, or the module's answer), and every line up to that end is payload,
 * counted in the bytes it had (never read as a command). It never stops at a line it does not understand: such
 * lines become `unknown` events.
 *
 * It streams: a log is read in two passes (LogScan learns what must be known of the whole log first: its secrets,
 * its direction markers, its timestamp width; LogDecoder then decodes), and events leave the decoder as soon as
 * nothing later can change them. A command waits for its final result and completion URC, but at most
 * HOLD_EVENTS events: time and memory stay linear in the log.
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

/** Events a command is held back for at most, waiting for its final result and completion URC. */
export const HOLD_EVENTS = 10_000;
/** Commands awaiting a completion URC at most; beyond, the oldest is given up. */
const MAX_PENDING = 256;

interface OpenCommand {
  readonly event: DecodedEvent;
  readonly info: CommandInfo;
  /** The parameters of a write (`AT+X=...`), as its event shows them; empty for other forms. */
  readonly params: readonly string[];
  readonly timeMs: number | null;
  /** Sent (tx) line whose echo may still follow. */
  echoPending: boolean;
  finalSeen: boolean;
}

interface PendingCompletion {
  readonly command: OpenCommand;
  readonly completion: CompletionSpec;
  readonly clientIdx: string;
  readonly msgid: string | null;
}

interface DataPhase {
  readonly after: 'prompt' | 'connect';
  readonly direction: DataPhaseFacts['direction'];
  readonly end: DataPhaseFacts['end'];
  /** The byte count the command line announced, or null when it gives none. */
  readonly expected: number | null;
  /** Payload bytes in the log so far, as they were logged (before any masking). */
  bytes: number;
  /** Payload lines in the log so far. */
  lines: number;
  /** The line ending after the last payload line: payload bytes too if another payload line follows. */
  pendingEnding: number;
  /** A prompt's payload text as shown (redacted, at most MAX_SHOWN characters); null for file data. */
  text: string | null;
  /** A line that must not be shown (a private key) was part of it: only its size is shown. */
  hidden: boolean;
  /** What ended it, when an end marker did: Ctrl+Z, ESC (the send is cancelled) or the escape sequence `+++`. */
  endedBy: 'ctrl-z' | 'esc' | 'escape' | null;
  /** Line number of the first line after the prompt or CONNECT, where the data starts. */
  readonly firstLine: number;
  /** Line number of the last payload line so far. */
  lastLine: number;
}

/** What ended a data phase before its announced length or its end marker: the log's end or the module's answer. */
type CutShort = 'end of log' | 'answer' | null;

/** Longest payload text shown (the rest is counted). */
const MAX_SHOWN = 64 * 1024;
/** Ctrl+Z ends a text (SMS, socket) payload; ESC cancels it. */
const CTRL_Z = '\x1a';
const ESC = '\x1b';

/** Where the first Ctrl+Z or ESC of `text` is, or -1. */
function ctrlZOrEsc(text: string): number {
  const z = text.indexOf(CTRL_Z);
  const esc = text.indexOf(ESC);
  return z < 0 ? esc : esc < 0 ? z : Math.min(z, esc);
}
const ENDED_BY_WORDS: Record<NonNullable<DataPhase['endedBy']>, string> = {
  'ctrl-z': 'ended by Ctrl+Z',
  esc: 'cancelled with ESC: the module discards it',
  escape: 'ended by +++',
};

const FINAL_OR_URC = /^(OK|ERROR|NO CARRIER|\+CME ERROR:.*|\+CMS ERROR:.*|\+[A-Z0-9_]+:.*|RDY|APP RDY|POWERED DOWN)$/i;
const encoder = new TextEncoder();
const utf8 = new TextDecoder('utf-8');

function elapsed(from: number | null, to: number | null): number | undefined {
  if (from === null || to === null) return undefined;
  const diff = to - from;
  // Time-only stamps wrap at midnight.
  return diff >= 0 ? diff : diff + 86_400_000;
}

/** What a first pass over a log learns that decoding needs from the start. */
export interface LogFacts {
  /** Secrets found anywhere in the log: masked everywhere, also before the line that sets them. */
  readonly secrets: SecretMask;
  /** The log marks directions with bare `<` / `>` after its timestamps. */
  readonly arrows: boolean;
  /** Width of the widest timestamp, for aligning the text timeline. */
  readonly timeWidth: number;
}

/** The first pass: reads every line as the decoder will, learning the log's secrets, markers and stamp width. */
export class LogScan {
  private readonly splitter = new LineSplitter();
  private readonly keys = new KeyBlockRedactor();
  private readonly redactor = new LogRedactor();
  private arrows = false;
  private timeWidth = 0;
  private number = 0;
  private readonly onSplit = (text: string): void => {
    this.line(text);
  };

  push(text: string): void {
    this.splitter.each(text, this.onSplit);
  }

  end(): LogFacts {
    for (const { text } of this.splitter.end()) this.line(text);
    return { secrets: this.redactor.secrets, arrows: this.arrows, timeWidth: this.timeWidth };
  }

  private line(text: string): void {
    this.number++;
    // Most lines can carry no secret and start no key block: only their timestamp matters here. (The body of a
    // line is a part of it: a line that cannot hold a secret has no body or note that can.)
    if (!this.redactor.continuing && !this.keys.inside && !text.includes('-----') && !mayHoldSecret(text)) {
      const first = text.charCodeAt(0);
      if (first !== 0x5b && (first < 0x30 || first > 0x39) && first !== 0x20 && first !== 0x09) return;
      // A `//` note is read whole (its words are learnt as text); otherwise only the timestamp is left to read.
      if (text.includes('//')) {
        this.fullLine(text);
        return;
      }
      const stamp = stampFacts(text, !this.arrows);
      if (stamp === null) return;
      if (stamp.width > this.timeWidth) this.timeWidth = stamp.width;
      if (stamp.arrow) this.arrows = true;
      return;
    }
    this.fullLine(text);
  }

  private fullLine(text: string): void {
    // Lines are read as the second pass reads them: with bare `>` / `<` markers once the log is known to use them
    // (read as prompts, they would end what the line before left open, and its secret would not be learnt).
    let line = parseLogLine(text, this.number, this.arrows, this.redactor.inQuote);
    // `<stamp> < ...` (a bare `<` is left in the body when markers are not expected): the log uses arrows.
    if (!this.arrows && line.time !== null && line.body.startsWith('<') && marksArrow(text)) {
      this.arrows = true;
      line = parseLogLine(text, this.number, true, this.redactor.inQuote);
    }
    if (line.time !== null && line.time.length > this.timeWidth) this.timeWidth = line.time.length;
    const whole = line.body === '' && line.comment !== null ? `//${line.comment}` : line.body;
    if (this.keys.line(whole) !== whole) return;
    if (line.comment !== null) this.redactor.learnText(line.comment);
    for (const piece of expandEscapedLines(line.body)) this.redactor.learnLine(piece);
  }
}

/**
 * The second pass: decodes lines as they come and hands each event to `sink` once nothing later can change it.
 */
export class LogDecoder {
  private readonly parser = new AtStreamParser();
  private readonly keys = new KeyBlockRedactor();
  private readonly redactor: LogRedactor;
  private readonly splitter = new LineSplitter();
  private readonly arrows: boolean;
  /** Events not yet handed on, in order; `head` is the first one still here. */
  private held: DecodedEvent[] = [];
  private head = 0;
  /** Command events whose outcome may still change. */
  private readonly open = new Set<DecodedEvent>();
  private current: OpenCommand | null = null;
  private pending: PendingCompletion[] = [];
  private data: DataPhase | null = null;
  private lastTimeMs: number | null = null;
  private number = 0;
  private line: LogLine = { number: 0, time: null, timeMs: null, direction: null, body: '', comment: null };
  /** The redacted `//` note of the current line. */
  private note: string | null = null;
  /** The +QMTRECV message the parser is taking: its header's line, and the lines it took so far (and the last). */
  private recvTaking: { readonly line: number; lines: number; last: number } | null = null;
  /** Lines of a +QMTRECV message went to the parser as logged (unmasked): what it says next must be masked. */
  private rawFed = false;
  private readonly onSplit = (text: string, dropped: number, ending: number): void => {
    this.logLine(text, dropped, ending);
  };

  constructor(
    private readonly sink: (event: DecodedEvent) => void,
    facts: Pick<LogFacts, 'secrets' | 'arrows'>,
  ) {
    this.redactor = new LogRedactor(facts.secrets);
    this.arrows = facts.arrows;
  }

  /** More of the log (any piece: lines may be split anywhere). */
  push(text: string): void {
    this.splitter.each(text, this.onSplit);
  }

  /** The end of the log: everything still held is decided and handed on. */
  end(): void {
    for (const { text, dropped, ending } of this.splitter.end()) this.logLine(text, dropped, ending);
    this.endData('end of log');
    // A message the parser still takes ends here, short of its end; else whatever the parser still holds (a line
    // without its ending) is flushed as a last line.
    const cut = this.parser.endHold();
    if (cut.length > 0) this.emitParsed(cut);
    else this.emitParsed(this.parser.push(encoder.encode('\r\n')));
    this.closeCurrent();
    this.finishPending();
    this.open.clear();
    this.flush();
  }

  private logLine(text: string, dropped: number, ending: number): void {
    this.number++;
    const line = parseLogLine(text, this.number, this.arrows, this.redactor.inQuote);
    if (line.timeMs !== null) this.lastTimeMs = line.timeMs;
    // The private key check comes before anything else: base64 key lines may start with `//`, which would
    // otherwise be taken for a comment and printed.
    const whole = line.body === '' && line.comment !== null ? `//${line.comment}` : line.body;
    if (this.keys.line(whole) !== whole) {
      this.line = { ...line, comment: null };
      this.note = null;
      this.onKeyLine(byteLength(whole), ending);
    } else {
      this.note = line.comment === null ? null : this.redactor.text(line.comment);
      this.line = line;
      if (line.body === '' && line.comment !== null) {
        this.emit(this.event('unknown', null, `//${this.note ?? ''}`, { reason: 'comment' }));
      } else {
        if (!hasEscapedLines(line.body)) this.onLine(this.redactor.line(line.body), line.body, ending);
        else for (const piece of expandEscapedLines(line.body)) this.onLine(this.redactor.line(piece), piece, 0);
      }
    }
    if (dropped > 0) {
      const raw = `<${dropped} more characters of an overlong line, not shown>`;
      this.emit(this.event('unknown', null, raw, { reason: 'overlong' }));
    }
  }

  private finishPending(): void {
    for (const p of this.pending) this.givenUp(p, 'in the log');
    this.pending = [];
  }

  /** A command whose completion URC did not come (in the log, or within what the decoder holds back). */
  private givenUp(p: PendingCompletion, where: string): void {
    const outcome = p.command.event.outcome;
    if (outcome) {
      const urc = p.completion.urc;
      outcome.explanation =
        `No ${urc} URC for this command ${where}` +
        (urc === '+QMTCLOSE' ? ' (one EC200U firmware never sends it after AT+QMTDISC).' : '.');
    }
    this.settle(p.command.event);
  }

  /** A line of a private key block: counted as file data inside a data phase, else shown as a placeholder. */
  private onKeyLine(bytes: number, ending: number): void {
    const data = this.data;
    if (data) {
      data.hidden = true;
      this.countData(data, bytes, ending);
      return;
    }
    this.emit(this.event('unknown', null, KEY_PLACEHOLDER, { reason: 'private key' }));
  }

  /**
   * One line of the AT stream: `body` redacted, `raw` as logged (payload is counted in the bytes it had), and the
   * length of its line ending (a payload's line endings are payload bytes too).
   */
  private onLine(body: string, raw: string, ending: number): void {
    const data = this.data;
    if (data) {
      if (!this.endsData(data, body)) {
        this.onDataLine(data, body, raw, ending);
        return;
      }
      this.endData('answer');
    }
    if (/^AT/i.test(body)) {
      this.onCommand(body);
      return;
    }
    if (body.startsWith('>')) {
      this.onPrompt(body, raw, ending);
      return;
    }
    if (this.line.direction === 'tx' && body !== '') {
      // Host-side text that is not a command: payload typed without a logged prompt, or noise.
      this.emit(this.event('unknown', null, body, { reason: 'sent text that is not a command' }));
      return;
    }
    this.toParser(body, raw);
  }

  /**
   * A line for the parser. A +QMTRECV message goes to it as logged: its payload is counted (by its `<len>`, and
   * in the explanation) in the bytes it had, not in what masking left of them; what the parser then says is
   * masked before it goes anywhere.
   */
  private toParser(body: string, raw: string): void {
    const hold = this.parser.hold;
    const recv =
      hold === 'recv-counted' ||
      hold === 'recv-quoted' ||
      (hold === null && body.charCodeAt(0) === 0x2b && /^\+QMTRECV:/i.test(body));
    const taking = this.recvTaking;
    if (hold !== null && taking !== null) {
      taking.lines++;
      taking.last = this.line.number;
    }
    if (!recv || raw === body) this.emitParsed(this.parser.pushLine(body));
    else {
      this.rawFed = true;
      this.emitParsed(this.parser.pushLine(raw));
    }
    const now = this.parser.hold;
    if (now === null) this.recvTaking = null;
    else if (hold === null && (now === 'recv-counted' || now === 'recv-quoted')) {
      this.recvTaking = { line: this.line.number, lines: 0, last: this.line.number };
    }
  }

  /** Whether a line ends the data phase: the module speaking (an answer, a result) after the host's bytes. */
  private endsData(data: DataPhase, body: string): boolean {
    const direction = this.line.direction;
    // A log that marks directions says whose line it is: the sender's lines are data, the other side's are not.
    if (direction !== null) return (direction === 'tx') !== (data.direction === 'to-module');
    return FINAL_OR_URC.test(body) || (data.after === 'prompt' && body.startsWith('>'));
  }

  /** A line of payload: counted up to its end marker (if the phase has one), shown only when it is a prompt's. */
  private onDataLine(data: DataPhase, body: string, raw: string, ending: number): void {
    // An announced length is the end: the bytes are taken as they are. Without one, the end marker.
    const find =
      data.expected !== null
        ? null
        : data.end === 'escape'
          ? (text: string) => text.indexOf('+++')
          : data.end === 'ctrl-z'
            ? ctrlZOrEsc
            : null;
    const at = find === null ? -1 : find(raw);
    if (at < 0) {
      this.appendShown(data, body);
      this.countData(data, byteLength(raw), ending);
      return;
    }
    data.endedBy = data.end === 'escape' ? 'escape' : raw.charCodeAt(at) === 0x1b ? 'esc' : 'ctrl-z';
    // The marker is found in the redacted line too (masking leaves it), unless it was inside a secret.
    const shownAt = find === null ? -1 : find(body);
    this.appendShown(data, shownAt < 0 ? body : body.slice(0, shownAt));
    data.bytes += data.pendingEnding + byteLength(raw.slice(0, at));
    data.pendingEnding = 0;
    data.lines++;
    data.lastLine = this.line.number;
    this.endData();
    const rest = shownAt < 0 ? '' : body.slice(shownAt + (data.endedBy === 'escape' ? 3 : 1));
    if (rest.trim() !== '') this.onLine(rest, rest, ending);
  }

  /** Adds a payload line (`bytes` as logged) and, when the phase has an announced length, ends it at that length. */
  private countData(data: DataPhase, bytes: number, ending: number): void {
    data.bytes += data.pendingEnding + bytes;
    data.pendingEnding = ending;
    data.lines++;
    data.lastLine = this.line.number;
    if (data.expected === null) return;
    if (data.bytes >= data.expected) {
      data.pendingEnding = 0;
      this.endData();
    } else if (data.bytes + ending >= data.expected) {
      // The payload's last bytes are what the log shows as this line's ending.
      data.bytes = data.expected;
      data.pendingEnding = 0;
      this.endData();
    }
  }

  /** A prompt's payload line, added to the text shown (with the line ending before it). */
  private appendShown(data: DataPhase, body: string): void {
    if (data.text === null || data.text.length >= MAX_SHOWN) return;
    const separator = data.lines === 0 ? '' : data.pendingEnding === 2 ? '\r\n' : data.pendingEnding === 1 ? '\n' : '';
    const text = data.text + separator + body;
    data.text = text.length > MAX_SHOWN ? text.slice(0, MAX_SHOWN) : text;
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
    const raw = body;
    const equals = raw.indexOf('=');
    const params = info.kind === 'write' && equals >= 0 ? splitParams(raw.slice(equals + 1)) : [];
    const draft = this.event('command', commandName(info), raw, { form: info.kind, params });
    draft.outcome = { final: null };
    const event = this.emit(draft, true);
    this.current = {
      event,
      info,
      params,
      timeMs: this.lastTimeMs,
      echoPending: this.line.direction === 'tx',
      finalSeen: false,
    };
  }

  private onPrompt(body: string, raw: string, ending: number): void {
    this.emit(this.event('prompt', '>', '>'));
    const rest = body.replace(/^>\s?/, '');
    if (!this.openData('prompt', this.line.number + (rest === '' ? 1 : 0))) {
      if (rest !== '') this.emit(this.event('unknown', null, rest, { reason: 'text after a prompt' }));
      return;
    }
    if (rest !== '' && this.data) this.onDataLine(this.data, rest, raw.replace(/^>\s?/, ''), ending);
  }

  /**
   * Opens the data phase the command in flight has after a prompt or CONNECT, as the catalogue describes it;
   * false when it has none.
   */
  private openData(after: DataPhase['after'], firstLine: number): boolean {
    const phase = this.current?.info.dataPhase;
    if (!phase || phase.after !== after) return false;
    this.data = {
      after,
      direction: phase.direction,
      end: phase.end,
      expected: phase.length,
      bytes: 0,
      lines: 0,
      pendingEnding: 0,
      text: after === 'prompt' ? '' : null,
      hidden: false,
      endedBy: null,
      firstLine,
      lastLine: firstLine,
    };
    return true;
  }

  /**
   * Ends a payload phase: one data event with its size (file contents are never shown, payload text is). `cut`
   * says what ended it when that was not its end marker or announced length: the end of the log or the module's
   * answer. Then, if the phase took any lines, the event says which (they may be commands the log went on to).
   */
  private endData(cut: CutShort = null): void {
    const data = this.data;
    if (!data) return;
    this.data = null;
    const shown = data.text !== null && data.text !== '' && !data.hidden;
    const what = data.after === 'prompt' ? 'payload' : 'file contents';
    const decoded: Record<string, unknown> =
      data.expected === null ? { loggedBytes: data.bytes } : { expectedBytes: data.expected, loggedBytes: data.bytes };
    const short = this.shortNote(data, cut);
    if (short !== null) {
      decoded.endedBy = cut;
      decoded.lines = data.lines;
      decoded.firstLine = data.firstLine;
      decoded.lastLine = data.lastLine;
    }
    const draft = this.event(
      'data',
      data.after === 'prompt' ? 'payload' : 'file data',
      shown ? (data.text ?? '') : `<${data.bytes} bytes>`,
      decoded,
    );
    const endedBy = data.endedBy === null ? '' : ENDED_BY_WORDS[data.endedBy];
    let sentence: string;
    if (data.after === 'connect' && data.bytes > 0) {
      // File contents: `(<announced> bytes announced)`, or without a length `(<logged> bytes[, ended by +++])`.
      const size =
        data.expected === null
          ? `${data.bytes} bytes${endedBy === '' ? '' : `, ${endedBy}`}`
          : short !== null
            ? `${data.bytes} of ${data.expected} announced bytes`
            : `${data.expected} bytes announced`;
      sentence = `The file contents (${size}) are in the log; not shown.`;
    } else {
      const announced = data.expected === null ? '' : ` (${data.expected} bytes announced)`;
      sentence =
        data.bytes === 0 && data.endedBy === null
          ? `The ${what}${announced} are not in the log`
          : data.expected === null
            ? `${data.bytes} bytes are in the log`
            : `${data.bytes} of ${data.expected} announced bytes are in the log`;
      sentence += `${endedBy === '' ? '' : `, ${endedBy}`}.`;
    }
    draft.explanation = short === null ? sentence : `${sentence} ${short}`;
    this.emit(draft).line = data.firstLine;
  }

  /**
   * What to say of a phase that took lines and ended short of its announced length, or without its end marker:
   * which lines it took and why they were read as data. Null when it ended as it should.
   */
  private shortNote(data: DataPhase, cut: CutShort): string | null {
    if (cut === null || data.lines === 0 || data.endedBy !== null) return null;
    const where = cut === 'end of log' ? 'in the log' : "before the module's answer";
    let missing: string;
    if (data.expected !== null) {
      if (data.bytes >= data.expected) return null;
      missing =
        cut === 'end of log'
          ? 'The log ends before the announced length'
          : `The module answers before the announced length`;
    } else if (data.end === 'escape') missing = `No +++ ${where}`;
    else if (data.end === 'ctrl-z') missing = `No Ctrl+Z or ESC ${where}`;
    else return null;
    const after = data.after === 'prompt' ? 'the prompt' : 'CONNECT';
    const as = data.after === 'prompt' ? 'payload' : 'file data';
    const taken =
      data.lines === 1
        ? `the line after ${after} is counted as ${as}, at line ${data.lastLine}`
        : `the ${data.lines} lines after ${after} are counted as ${as}, the last of them at line ${data.lastLine}`;
    return `${missing}: ${taken}.`;
  }

  /**
   * A message the log ended inside (see LogDecoder.end): where its header is, what it took and a note saying so.
   * Null for a message that came whole.
   */
  private recvCut(
    event: Extract<AtEvent, { kind: 'recv' }>,
  ): { line: number; note: string; decoded: Record<string, unknown> } | null {
    const taking = this.recvTaking;
    if (taking === null || this.parser.hold !== null) return null;
    const logged = event.payload.length;
    if (event.payloadLength !== null && logged >= event.payloadLength) return null;
    this.recvTaking = null;
    const lines =
      taking.lines === 0
        ? ''
        : taking.lines === 1
          ? `, so the line after its header (line ${taking.last}) was read as its payload`
          : `, so the ${taking.lines} lines after its header (the last at line ${taking.last}) were read as its payload`;
    const note =
      event.payloadLength === null
        ? `The log ended before the message's closing quote${lines}.`
        : `The message announced ${event.payloadLength} bytes and the log ended after ${logged}${lines}.`;
    return {
      line: taking.line,
      note,
      decoded: {
        loggedBytes: logged,
        endedBy: 'end of log',
        lines: taking.lines,
        firstLine: taking.line,
        lastLine: taking.last,
      },
    };
  }

  private emitParsed(events: readonly AtEvent[]): void {
    for (const event of events) this.onParsed(this.rawFed ? this.masked(event) : event);
    if (this.rawFed && this.parser.hold === null) this.rawFed = false;
  }

  /**
   * An event of a line the parser had unmasked (see toParser): its text masked with every secret known (the
   * redactor's rules have run on the line, so they are all known). A message (`recv`) is masked where it is shown,
   * after its size is taken.
   */
  private masked(event: AtEvent): AtEvent {
    const mask = (text: string): string => this.redactor.text(text);
    switch (event.kind) {
      case 'response':
      case 'urc':
        return { ...event, raw: mask(event.raw), params: event.params.map(mask) };
      case 'final':
        return event.text === undefined
          ? { ...event, raw: mask(event.raw) }
          : { ...event, raw: mask(event.raw), text: mask(event.text) };
      case 'echo':
      case 'prompt':
      case 'connect':
      case 'unknown':
        return { ...event, raw: mask(event.raw) };
      case 'recv':
      case 'data':
        return event;
    }
  }

  private onParsed(event: AtEvent): void {
    const commandLine = this.current && !this.current.finalSeen ? this.current.event.raw : undefined;
    switch (event.kind) {
      case 'echo':
        this.onCommand(event.raw);
        return;
      case 'response': {
        const explanation = explainResponse(event);
        const fields = this.event('response', event.name, event.raw);
        if (commandLine !== undefined) fields.command = commandLine;
        fields.decoded = { params: event.params };
        this.emit(explanation ? explained(fields, explanation) : fields);
        return;
      }
      case 'final':
        this.onFinal(event, commandLine);
        return;
      case 'urc':
        this.onUrc(event);
        return;
      case 'recv': {
        // Its size as received; its words, as everything else, masked when the parser had it unmasked.
        const explanation = explainUrc(event);
        const mask = this.rawFed ? (text: string) => this.redactor.text(text) : (text: string) => text;
        const fields = this.event(event.solicited ? 'response' : 'urc', '+QMTRECV', mask(event.raw));
        if (event.solicited && commandLine !== undefined) fields.command = commandLine;
        fields.decoded = {
          clientIdx: event.clientIdx,
          msgid: event.msgid,
          topic: mask(event.topic),
          payloadLength: event.payloadLength,
          payload: mask(utf8.decode(event.payload)),
        };
        const cut = this.recvCut(event);
        if (cut === null) {
          this.emit(explained(fields, { ...explanation, summary: mask(explanation.summary) }));
          return;
        }
        Object.assign(fields.decoded, cut.decoded);
        const summary = `${mask(explanation.summary)} ${cut.note}`;
        fields.line = cut.line;
        this.emit(explained(fields, { ...explanation, summary, severity: 'warning' }));
        return;
      }
      case 'prompt':
        this.emit(this.event('prompt', '>', '>'));
        return;
      case 'connect': {
        const fields = this.event('prompt', 'CONNECT', event.raw);
        if (commandLine !== undefined) fields.command = commandLine;
        fields.explanation =
          this.current?.info.dataPhase?.direction === 'from-module'
            ? 'Data phase: the module sends the file bytes.'
            : 'Data phase: the module waits for the file bytes.';
        this.emit(fields);
        this.openData('connect', this.line.number + 1);
        return;
      }
      case 'data':
        this.emit(this.event('data', 'payload', `<${event.length} bytes>`, { loggedBytes: event.length }));
        return;
      case 'unknown':
        this.emit(this.event('unknown', null, event.raw, { reason: event.reason }));
        return;
    }
  }

  private onFinal(event: Extract<AtEvent, { kind: 'final' }>, commandLine: string | undefined): void {
    const cur = this.current && !this.current.finalSeen ? this.current : null;
    const base = explainFinal(event);
    // A failed command that matches a known pitfall gets that as its advice, before the generic words.
    const hint = event.result === 'OK' || !cur ? null : hintFor(cur.info.line);
    // A code with its own advice (e.g. +CME ERROR: 407) is more precise than the pitfall: keep it alone.
    const useHint = hint !== null && (event.result === 'ERROR' || base.howTo === undefined);
    const explanation = useHint ? { ...base, howTo: base.howTo ? `${hint} ${base.howTo}` : hint } : base;
    const durationMs = cur ? elapsed(cur.timeMs, this.lastTimeMs) : undefined;
    // Fields are added in the order the JSON output shows them.
    const fields = this.event('final', event.result, event.raw);
    if (commandLine !== undefined) fields.command = commandLine;
    if (durationMs !== undefined) fields.durationMs = durationMs;
    const decoded: Record<string, unknown> = { result: event.result };
    if (event.code !== undefined) decoded.code = event.code;
    if (event.text !== undefined) decoded.text = event.text;
    fields.decoded = decoded;
    this.emit(explained(fields, explanation));
    if (!cur) return;
    cur.finalSeen = true;
    const outcome = cur.event.outcome ?? { final: null };
    outcome.final = event.raw;
    if (durationMs !== undefined) outcome.durationMs = durationMs;
    outcome.ok = event.result === 'OK';
    outcome.explanation = explanation.summary;
    cur.event.outcome = outcome;
    const completion = cur.info.name === null ? undefined : completionOf(cur.info.name);
    if (event.result === 'OK' && completion && cur.info.kind === 'write') {
      // The line as parsed is the event's line trimmed: the same parameters unless blanks surround it.
      const params =
        cur.info.line === cur.event.raw ? cur.params : splitParams(cur.info.line.slice(cur.info.line.indexOf('=') + 1));
      this.pending.push({
        command: cur,
        completion,
        clientIdx: (params[completion.client.from] ?? '').trim(),
        msgid: completion.msgId ? (params[completion.msgId.from] ?? '').trim() : null,
      });
      if (this.pending.length > MAX_PENDING) {
        const oldest = this.pending.shift();
        if (oldest) this.givenUp(oldest, `among the next ${MAX_PENDING} awaited results`);
      }
      outcome.ok = undefined;
      outcome.explanation = `Accepted; the result follows as ${completion.urc}.`;
      return;
    }
    this.settle(cur.event);
  }

  private onUrc(event: Extract<AtEvent, { kind: 'urc' }>): void {
    const explanation = explainUrc(event);
    const name = event.name.toUpperCase();
    const params = event.params;
    let found: PendingCompletion | undefined;
    for (const p of this.pending) {
      const { completion, clientIdx, msgid } = p;
      if (completion.urc !== name && completion.aliases?.includes(name) !== true) continue;
      if (clientIdx !== paramAt(params, completion.client.at)) continue;
      if (msgid !== null && completion.msgId !== undefined && msgid !== paramAt(params, completion.msgId.at)) continue;
      found = p;
      break;
    }
    const spec = found?.completion ?? completionByUrc(name);
    // A retransmission notice (result 1 of a packet URC) says more is to come: it completes nothing.
    const finalResult =
      spec?.retransmission === undefined || paramAt(params, spec.resultAt) !== String(spec.retransmission);
    const idx = paramAt(params, spec?.client.at ?? 0);
    const fields = this.event('urc', event.name, event.raw);
    if (found) {
      const durationMs = elapsed(found.command.timeMs, this.lastTimeMs);
      fields.command = found.command.event.raw;
      if (durationMs !== undefined) fields.durationMs = durationMs;
      if (finalResult) {
        this.pending.splice(this.pending.indexOf(found), 1);
        const outcome = found.command.event.outcome ?? { final: 'OK' };
        outcome.completion = event.raw;
        if (durationMs !== undefined) outcome.completionMs = durationMs;
        outcome.ok = explanation.severity === 'info';
        outcome.explanation = explanation.summary;
        found.command.event.outcome = outcome;
        this.settle(found.command.event);
      }
    } else if (name === '+QMTSTAT') {
      // The link dropped: whatever this client was waiting for will not come.
      for (const p of this.pending.filter((q) => q.clientIdx === idx)) {
        const outcome = p.command.event.outcome ?? { final: 'OK' };
        outcome.ok = false;
        outcome.explanation = `Interrupted: ${explanation.summary}`;
        p.command.event.outcome = outcome;
        this.settle(p.command.event);
      }
      this.pending = this.pending.filter((q) => q.clientIdx !== idx);
    }
    fields.decoded = { params: event.params, known: event.known };
    this.emit(explained(fields, explanation));
  }

  /** A command that never got its final result in the log. */
  private closeCurrent(): void {
    const cur = this.current;
    if (cur && !cur.finalSeen) {
      if (cur.event.outcome) {
        cur.event.outcome.explanation = 'No final result in the log (no answer, or the log moved on).';
        cur.event.outcome.ok = false;
      }
      this.settle(cur.event);
    }
    this.current = null;
  }

  /** A command event whose outcome is now decided: it may leave, and the events behind it. */
  private settle(event: DecodedEvent): void {
    if (this.open.delete(event)) this.flush();
  }

  /** Hands on every held event up to the first command still open; holds back at most HOLD_EVENTS. */
  private flush(): void {
    const held = this.held;
    while (this.head < held.length) {
      const event = held[this.head] as DecodedEvent;
      if (this.open.has(event)) {
        if (held.length - this.head <= HOLD_EVENTS) break;
        // Held too long: it leaves as it is (a copy, so that what comes later no longer changes it).
        this.open.delete(event);
        this.sink(event.outcome ? { ...event, outcome: { ...event.outcome } } : event);
      } else {
        this.sink(event);
      }
      this.head++;
    }
    if (this.head === held.length) {
      this.held = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > held.length) {
      this.held = held.slice(this.head);
      this.head = 0;
    }
  }

  /**
   * A new event of the current line: its line, time, direction and note, then `kind`, `name`, `raw` and maybe
   * `decoded`. Callers add the other fields in the order the JSON output shows them, then `emit` it.
   */
  private event(kind: DecodedKind, name: string | null, raw: string, decoded?: DecodedEvent['decoded']): Draft {
    const line = this.line;
    const draft: Draft =
      this.note !== null && line.body !== ''
        ? { line: line.number, time: line.time, direction: line.direction, note: this.note, kind, name, raw }
        : { line: line.number, time: line.time, direction: line.direction, kind, name, raw };
    if (decoded !== undefined) draft.decoded = decoded;
    return draft;
  }

  /** Adds an event to the timeline; `holds`: a command whose outcome is still to come (it holds back the rest). */
  private emit(draft: Draft, holds = false): DecodedEvent {
    // Every event carries `decoded`, empty when there is nothing beyond the raw line (a prompt).
    const full: DecodedEvent = hasDecoded(draft) ? draft : Object.assign(draft, { decoded: {} });
    if (holds) this.open.add(full);
    if (this.open.size === 0 && this.head === this.held.length) {
      // Nothing held back: straight out.
      this.sink(full);
      return full;
    }
    this.held.push(full);
    if (this.open.size === 0 || this.held.length - this.head > HOLD_EVENTS) this.flush();
    return full;
  }
}

/** An event being built: `decoded` may still be missing (emit adds an empty one). */
type Draft = Omit<DecodedEvent, 'decoded'> & { decoded?: DecodedEvent['decoded'] };

function hasDecoded(draft: Draft): draft is DecodedEvent {
  return draft.decoded !== undefined;
}

/** Adds an explanation's fields to an event's, last and in the order the JSON output shows them. */
function explained(fields: Draft, explanation: Explanation): Draft {
  fields.explanation = explanation.summary;
  if (explanation.howTo) fields.howTo = explanation.howTo;
  fields.severity = explanation.severity;
  return fields;
}

/** A parameter of an answer, trimmed ('' when it has fewer). */
function paramAt(params: readonly string[], at: number): string {
  return (params[at] ?? '').trim();
}

function commandName(info: CommandInfo): string {
  if (info.name !== null) return `AT${info.name}`;
  const basic = /^AT[A-Z&]?\d?/i.exec(info.line)?.[0] ?? 'AT';
  return basic.toUpperCase();
}

/** UTF-8 bytes of `text`, counted without encoding it. */
function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * Decodes a captured AT log held in memory (text or bytes, UTF-8) into its annotated timeline: both passes.
 * Never throws on content.
 */
export function decodeLog(input: string | Uint8Array): DecodedEvent[] {
  const text = typeof input === 'string' ? input : utf8.decode(input);
  const scan = new LogScan();
  scan.push(text);
  const events: DecodedEvent[] = [];
  const decoder = new LogDecoder((event) => events.push(event), scan.end());
  decoder.push(text);
  decoder.end();
  return events;
}
