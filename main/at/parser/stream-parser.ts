import type { AtEvent } from '../vocab/types';
import { classifyLine } from './classify-line';
import { MAX_DATA_PHASE, parseCommandLine, type CommandInfo } from './command-info';
import { splitParams } from './split-params';
import { parseRecvHeader, type RecvHeader } from './recv-header';
import { decodeText, escapeBytes, lineBytes } from './text';

/** Longest ordinary line kept; a longer one is reported as `unknown` / `overlong` and skipped to its end. */
export const MAX_LINE = 4096;
/** Longest +QMTRECV line (header and payload) kept whole. */
export const MAX_RECV_LINE = 64 * 1024;
/**
 * Default longest +QMTRECV payload taken whole (bytes on the wire, so a hex-format payload counts double). The
 * application note caps what a module publishes at 1500 bytes and gives no figure for what it receives; the
 * station's own round trip stays under that, and a cloud message of a few KiB fits. A header announcing more is
 * not believed (it is most likely payload bytes of another message), so a forged `<payload_len>` cannot make the
 * parser swallow the port's traffic.
 */
export const MAX_RECV_PAYLOAD = 8192;
/** MQTT client indexes a module has (spec: <client_idx> 0-5). */
const MQTT_CLIENTS = 6;
/** Longest +QMTRECV header (`+QMTRECV: <idx>,<msgid>,"<topic>",<len>,`) looked at for the payload's quote. */
const MAX_RECV_HEADER = 1024;
/** Upper bound of retainedBytes: a +QMTRECV line, its growing payload buffer, or one data phase. */
export const MAX_RETAINED = 2 * MAX_RECV_LINE + MAX_DATA_PHASE + 1024;

const CR = 0x0d;
const LF = 0x0a;
const QUOTE = 0x22;
const SPACE = 0x20;
const PROMPT = 0x3e;
const COMMA = 0x2c;
/** Shared by every idle state: an empty payload buffer is never written to, so it need not be fresh. */
const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

/** Where the parser is in the byte stream. */
const enum Mode {
  /** Reading a line (or nothing yet). */
  Line,
  /** Skipping the rest of an overlong line. */
  Discard,
  /** Just after `>`: one space belongs to the prompt. */
  PromptSpace,
  /** Counting payload bytes after `> ` or CONNECT. */
  Data,
  /** Reading a +QMTRECV payload of known length. */
  RecvCounted,
  /** After a counted payload: its closing quote. */
  RecvClosingQuote,
  /** Reading a +QMTRECV payload without length: up to a quote followed by CR or LF. */
  RecvQuoted,
}

/**
 * A payload the parser is taking whole: while it lasts, nothing on the line is read as a protocol token. A real
 * payload ends within its transmission time; one that does not (a forged length, a lost closing quote) is what
 * the engine bounds with its trap timer (abandonHold).
 */
export type HoldKind = 'recv-counted' | 'recv-quoted' | 'data';

export interface ParserOptions {
  /**
   * A live port: the engine notes every command line (noteCommand) and every payload it writes (notePayload).
   * A payload echo is then counted only after notePayload, and never for an echo the engine did not note (a late
   * echo of an abandoned command opens no data phase). Off for captured logs, where the recorder saw both sides.
   */
  readonly live?: boolean;
  /** Longest +QMTRECV payload taken whole; see MAX_RECV_PAYLOAD. */
  readonly maxRecvPayload?: number;
}

/**
 * What the parser knows of a client's `msg_len_enable` (AT+QMTCFG="recv/mode"): whether its +QMTRECV carry a
 * `<payload_len>`. Unknown until the station reads or sets it, or sees the module start (RDY: the default, none).
 */
type RecvLength = 'with' | 'without' | null;

interface InFlight {
  readonly info: CommandInfo;
  /** Told by the engine (live) rather than read from an echo alone (a captured log). */
  readonly noted: boolean;
  /** Echo is known to be on and this command's echo has not arrived yet: lines before it are not its own. */
  awaitingEcho: boolean;
  echoSeen: boolean;
  finalSeen: boolean;
  payloadDone: boolean;
}

const RECV_PREFIX = [0x2b, 0x51, 0x4d, 0x54, 0x52, 0x45, 0x43, 0x56, 0x3a]; // "+QMTRECV:"

/**
 * The streaming AT parser of one port: bytes in, typed events out. Pure (no I/O, no timers), so it runs the
 * same in a worker thread, in the log decoder and in tests.
 *
 * It is a byte-level state machine whose every decision depends only on the bytes seen and the commands noted
 * before them, never on how the bytes were chunked: any split of the same stream gives the same events. It
 * never throws on input, and keeps at most one line (MAX_LINE, or MAX_RECV_LINE for +QMTRECV) or one payload
 * phase (MAX_DATA_PHASE) in memory.
 *
 * +QMTRECV without `<payload_len>`: the payload ends at the first quote that is directly followed by CR or LF.
 * A payload that itself contains `"\r\n` cannot be told apart from its end without waiting for bytes that may
 * never come (the URC is often the last thing on the line), so it is cut there and the rest of it surfaces as
 * lines. Provisioning configures `AT+QMTCFG="recv/mode",<idx>,0,1` so that the length is present, and with the
 * length any payload is taken exactly. A header is believed only when the evidence allows it (acceptsHeader):
 * the client's known `msg_len_enable`, the spec's ranges, and maxRecvPayload; so a forged header inside another
 * message's payload cannot make the parser swallow the port's traffic. A payload that still does not end is
 * reported through `hold` and given up on the engine's request (abandonHold).
 *
 * Which command an answer belongs to: the noted command, or (captured logs) the one named by the echo. Once echo
 * is known to be on (an echo was seen; ATE0/ATE1 answered OK say otherwise), a newly noted command owns nothing
 * until its own echo arrives, so a late reply to the previous command is reported honestly (a URC, an unknown
 * line, a final) rather than as the new command's response. With echo off, only the names can tell, and do. (The
 * engine ties lines to the lines it wrote on its own account too, see main/at/engine/ledger.ts.)
 *
 * Payload phases: with echo on the module echoes the payload typed after `> `, and exactly that many bytes
 * become one `data` event; with echo off nothing is echoed and nothing is counted. Live (ParserOptions.live),
 * the count starts only when the engine notes the payload it writes (notePayload): a prompt nobody feeds, or a
 * late echo of an abandoned command, opens no data phase. In a captured log the command named by the echo opens
 * it, and file bytes after CONNECT (AT+QFUPL, never echoed by the module) are counted too, since the recorder saw
 * the host's bytes. The prompt event's raw is always `> `; one space after `>` belongs to the prompt.
 */
export class AtStreamParser {
  private mode = Mode.Line;
  private line = new Uint8Array(256);
  private lineLength = 0;
  private command: InFlight | null = null;
  /** Whether echo is on: true once an echo is seen, false after ATE0; unknown at start and after RDY. */
  private echoOn: boolean | null = null;
  /** A CR just ended a line that started a data phase: an LF right after it is still the line ending. */
  private skipLf = false;
  private data = EMPTY;
  private dataLength = 0;
  /**
   * Length of the counted payload being read (data phase or +QMTRECV with length). Its buffer is allocated only
   * when the payload spans chunks: a payload lying whole in one chunk is sliced out of it, one copy and no zeroing.
   */
  private dataTarget = 0;
  private recv: RecvHeader | null = null;
  /** The previous byte of a length-less +QMTRECV payload was a quote that may be its closing one. */
  private pendingQuote = false;
  /** A payload length noted while the prompt's space may still come: counting starts after it. */
  private pendingPayload = 0;
  /** The +QMTRECV line being read had a complete message header that was not believed (see acceptsHeader). */
  private recvRefused = false;
  private readonly recvLength: RecvLength[] = new Array<RecvLength>(MQTT_CLIENTS).fill(null);
  private readonly live: boolean;
  private readonly maxRecvPayload: number;
  /** pushLine's bytes for a line that is not plain text (push copies what it keeps). */
  private scratch = new Uint8Array(256);

  constructor(options: ParserOptions = {}) {
    this.live = options.live === true;
    const max = options.maxRecvPayload ?? MAX_RECV_PAYLOAD;
    if (!Number.isInteger(max) || max < 1 || max > MAX_RECV_LINE) {
      throw new RangeError(`maxRecvPayload must be an integer from 1 to ${MAX_RECV_LINE}`);
    }
    this.maxRecvPayload = max;
  }

  /**
   * The engine is about to write `line` (without CR). Its answer lines are responses; a `+NAME:` line of the
   * same name after its final result is a URC; a prompt or CONNECT is followed by its payload when echo is on.
   */
  noteCommand(line: string): void {
    this.command = {
      info: parseCommandLine(line),
      noted: true,
      awaitingEcho: this.echoOn === true,
      echoSeen: false,
      finalSeen: false,
      payloadDone: false,
    };
  }

  /**
   * Live ports: the engine is about to write `length` payload bytes after the `> ` prompt of the noted command.
   * With echo on the module echoes them, and exactly that many bytes become one `data` event (CR LF, `OK` and
   * quotes inside them included). Nothing is counted for a prompt the engine did not feed.
   */
  notePayload(length: number): void {
    const cmd = this.command;
    if (!this.live || cmd === null || !cmd.noted || !cmd.echoSeen || cmd.finalSeen || this.echoOn !== true) return;
    if (!Number.isInteger(length) || length <= 0 || length > MAX_DATA_PHASE) return;
    if (this.mode === Mode.PromptSpace) this.pendingPayload = length;
    else if (this.mode === Mode.Line && this.lineLength === 0) this.startData(length);
  }

  /** The payload being taken whole right now, if any. */
  get hold(): HoldKind | null {
    switch (this.mode) {
      case Mode.RecvCounted:
      case Mode.RecvClosingQuote:
        return 'recv-counted';
      case Mode.RecvQuoted:
        return 'recv-quoted';
      case Mode.Data:
        return 'data';
      default:
        return null;
    }
  }

  /**
   * Gives up the payload being taken (the engine's trap time ran out: it will not end by itself), or only a hold of
   * kind `only`. What was taken is dropped, reported as one `unknown` event (`abandoned`, without the payload
   * bytes), and the parser reads lines again from the next byte.
   */
  abandonHold(only?: HoldKind): AtEvent[] {
    const hold = this.hold;
    if (hold === null || (only !== undefined && hold !== only)) return [];
    const what = hold === 'data' ? '<payload echo' : `${this.recv?.text ?? '+QMTRECV'}<payload`;
    const target = hold === 'recv-quoted' ? '' : ` of ${this.dataTarget}`;
    const raw = `${what} abandoned after ${this.dataLength}${target} bytes>`;
    this.recv = null;
    this.data = EMPTY;
    this.dataLength = 0;
    this.dataTarget = 0;
    this.pendingQuote = false;
    this.mode = Mode.Line;
    return [{ kind: 'unknown', raw, reason: 'abandoned' }];
  }

  /**
   * The input ended (a captured log's end) while a +QMTRECV message was being taken: the message as far as it
   * came, as a `recv` event whose payload is shorter than its `payloadLength` (counted) or was never closed by its
   * quote (quoted); the parser reads lines again. Nothing when no message is held.
   */
  endHold(): AtEvent[] {
    const hold = this.hold;
    if (hold !== 'recv-counted' && hold !== 'recv-quoted') return [];
    const out: AtEvent[] = [];
    this.pendingQuote = false;
    this.dataTarget = 0;
    this.emitRecv(out);
    return out;
  }

  /** Bytes the parser holds on to (line and payload buffers): never more than MAX_RETAINED. */
  get retainedBytes(): number {
    return this.line.length + this.data.length;
  }

  /** Feeds bytes; returns the events they complete, in order. Never throws on any input. */
  push(bytes: Uint8Array): AtEvent[] {
    const out: AtEvent[] = [];
    let i = 0;
    const n = bytes.length;
    while (i < n) {
      switch (this.mode) {
        case Mode.Line:
          i = this.readLine(bytes, i, out);
          break;
        case Mode.Discard: {
          let j = i;
          while (j < n && bytes[j] !== CR && bytes[j] !== LF) j++;
          if (j < n) this.mode = Mode.Line;
          i = j;
          break;
        }
        case Mode.PromptSpace:
          if (bytes[i] === SPACE) i++;
          this.mode = Mode.Line;
          if (this.pendingPayload > 0) this.startData(this.pendingPayload);
          else this.maybeStartData('prompt');
          this.pendingPayload = 0;
          break;
        case Mode.Data:
          i = this.readData(bytes, i, out);
          break;
        case Mode.RecvCounted:
          i = this.readRecvCounted(bytes, i);
          break;
        case Mode.RecvClosingQuote:
          // A wrong length leaves no quote here: the payload is still what the length said, and the byte is
          // read again as the start of a line.
          if (bytes[i] === QUOTE) i++;
          this.emitRecv(out);
          break;
        case Mode.RecvQuoted:
          i = this.readRecvQuoted(bytes, i, out);
          break;
      }
    }
    return out;
  }

  /**
   * Feeds one line of text and its line ending (CR LF): the same events as `push` of its UTF-8 bytes followed by
   * CR LF. A plain line (printable ASCII or TAB, at most MAX_LINE long, no prompt, no +QMTRECV) arriving between
   * lines is classified straight from the text, without the round trip through bytes; anything else goes
   * through `push`.
   */
  pushLine(text: string): AtEvent[] {
    if (this.live || this.mode !== Mode.Line || this.lineLength !== 0 || this.recvRefused || !plainLine(text)) {
      const needed = text.length * 3 + 2;
      if (needed > this.scratch.length) this.scratch = new Uint8Array(Math.max(needed, this.scratch.length * 2));
      const { written } = encoder.encodeInto(text, this.scratch);
      this.scratch[written] = CR;
      this.scratch[written + 1] = LF;
      return this.push(this.scratch.subarray(0, written + 2));
    }
    const out: AtEvent[] = [];
    // An empty line (CR LF alone) is no event. Both line-ending bytes are taken here: no LF is left to skip.
    if (text !== '') this.classified(text, false, out);
    return out;
  }

  /** Line mode: the `> ` prompt at a line start, otherwise bytes up to CR or LF. */
  private readLine(bytes: Uint8Array, start: number, out: AtEvent[]): number {
    const n = bytes.length;
    if (this.lineLength === 0) {
      const first = bytes[start];
      if (first === CR || first === LF) return start + 1; // empty line, or the LF of a CR LF
      if (first === PROMPT) {
        out.push({ kind: 'prompt', raw: '> ' });
        this.mode = Mode.PromptSpace;
        return start + 1;
      }
    }
    let end = start;
    while (end < n) {
      const c = bytes[end];
      if (c === CR || c === LF) break;
      end++;
    }
    if (this.isRecvLine(bytes, start, end)) return this.readRecvHeader(bytes, start, end, out);
    const limit = MAX_LINE - this.lineLength;
    if (end - start > limit) {
      this.append(bytes, start, start + limit);
      this.emitOverlong(out);
      this.mode = Mode.Discard;
      return start + limit + 1;
    }
    if (end === n) {
      this.append(bytes, start, end);
      return end;
    }
    if (this.lineLength === 0) {
      this.endLine(bytes, start, end, bytes[end] === CR, out);
    } else {
      this.append(bytes, start, end);
      this.endLine(this.line, 0, this.lineLength, bytes[end] === CR, out);
      this.lineLength = 0;
    }
    return end + 1;
  }

  /** Whether the line being read (held part plus bytes[start, end)) begins with `+QMTRECV:`. */
  private isRecvLine(bytes: Uint8Array, start: number, end: number): boolean {
    if (this.lineLength + (end - start) < RECV_PREFIX.length) return false;
    for (let k = 0; k < RECV_PREFIX.length; k++) {
      const c = k < this.lineLength ? this.line[k] : bytes[start + k - this.lineLength];
      if (c !== RECV_PREFIX[k]) return false;
    }
    return true;
  }

  /**
   * A +QMTRECV line: at each quote, check whether what precedes it is a complete message header; if so the
   * quote opens the payload, which is then read by length or up to its closing quote, CR LF and all.
   */
  private readRecvHeader(bytes: Uint8Array, start: number, end: number, out: AtEvent[]): number {
    for (let q = start; q < end; q++) {
      if (bytes[q] !== QUOTE) continue;
      // A header is short; past this, no quote can open a payload (and garbage cannot cost quadratic time).
      if (this.lineLength + (q - start) > MAX_RECV_HEADER) break;
      // A payload quote follows the header's last comma; any other quote is part of the line.
      const before = q > start ? bytes[q - 1] : this.line[this.lineLength - 1];
      if (before !== COMMA) continue;
      this.append(bytes, start, q);
      const header = parseRecvHeader(this.line, this.lineLength);
      if (header !== null && !this.acceptsHeader(header)) this.recvRefused = true;
      else if (header !== null) {
        this.lineLength = 0;
        this.recv = header;
        this.dataLength = 0;
        if (header.payloadLength === null) {
          this.pendingQuote = false;
          this.data = new Uint8Array(256);
          this.mode = Mode.RecvQuoted;
        } else {
          this.data = EMPTY;
          this.dataTarget = header.payloadLength;
          this.mode = header.payloadLength === 0 ? Mode.RecvClosingQuote : Mode.RecvCounted;
        }
        return q + 1;
      }
      this.append(bytes, q, q + 1);
      start = q + 1;
    }
    // No payload opened in these bytes: an ordinary line so far, with the larger limit of +QMTRECV lines.
    const limit = MAX_RECV_LINE - this.lineLength;
    if (end - start > limit) {
      this.append(bytes, start, start + limit);
      this.emitOverlong(out);
      this.mode = Mode.Discard;
      return start + limit + 1;
    }
    this.append(bytes, start, end);
    if (end === bytes.length) return end;
    this.endLine(this.line, 0, this.lineLength, bytes[end] === CR, out);
    this.lineLength = 0;
    return end + 1;
  }

  /**
   * Whether a complete +QMTRECV header is believed to open a payload. Evidence against it: a client index or
   * packet id out of the spec's range, a length beyond maxRecvPayload, or a length field where the client is
   * known to send none (or none where it is known to send one): then these are payload bytes of another message
   * (`x"\r\n+QMTRECV: 0,9,"t",65000,"`), and the line is reported as an unknown line instead.
   */
  private acceptsHeader(header: RecvHeader): boolean {
    if (header.clientIdx >= MQTT_CLIENTS || header.msgid > 65535) return false;
    if (header.payloadLength !== null && header.payloadLength > this.maxRecvPayload) return false;
    const known = this.recvLength[header.clientIdx];
    if (known === 'without' && header.payloadLength !== null) return false;
    return !(known === 'with' && header.payloadLength === null);
  }

  private readRecvCounted(bytes: Uint8Array, start: number): number {
    const next = this.takeCounted(bytes, start);
    if (this.dataLength === this.dataTarget) this.mode = Mode.RecvClosingQuote;
    return next;
  }

  /**
   * Copies up to the rest of a counted payload from bytes[start...] into `data`; once it is complete, `data` is
   * exactly the payload (its own buffer, of its exact length). Returns the index after the bytes taken.
   */
  private takeCounted(bytes: Uint8Array, start: number): number {
    const take = Math.min(this.dataTarget - this.dataLength, bytes.length - start);
    if (this.dataLength === 0 && take === this.dataTarget) {
      this.data = bytes.slice(start, start + take);
    } else {
      if (this.data.length !== this.dataTarget) this.data = new Uint8Array(this.dataTarget);
      this.data.set(bytes.subarray(start, start + take), this.dataLength);
    }
    this.dataLength += take;
    return start + take;
  }

  private readRecvQuoted(bytes: Uint8Array, start: number, out: AtEvent[]): number {
    const n = bytes.length;
    for (let i = start; i < n; i++) {
      const c = bytes[i] ?? 0;
      if (this.pendingQuote) {
        this.pendingQuote = false;
        if (c === CR || c === LF) {
          this.emitRecv(out);
          return i; // the line ending is read again in line mode, as an empty line
        }
        this.pushPayloadByte(QUOTE);
      }
      if (c === QUOTE) this.pendingQuote = true;
      else this.pushPayloadByte(c);
      if (this.dataLength > this.maxRecvPayload) {
        const header = this.recv?.text ?? '';
        out.push({ kind: 'unknown', raw: header + escapeBytes(this.data, 0, MAX_LINE), reason: 'overlong' });
        this.recv = null;
        this.data = EMPTY;
        this.dataLength = 0;
        this.mode = Mode.Discard;
        return i + 1;
      }
    }
    return n;
  }

  private pushPayloadByte(c: number): void {
    if (this.dataLength === this.data.length) {
      const grown = new Uint8Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.dataLength++] = c;
  }

  private emitRecv(out: AtEvent[]): void {
    const header = this.recv;
    this.mode = Mode.Line;
    this.recv = null;
    if (header === null) return;
    // A counted payload's buffer is already exactly the payload; a quoted one grew in steps and is cut to size.
    const payload =
      header.payloadLength !== null && this.dataLength > 0 && this.data.length === this.dataLength
        ? this.data
        : this.data.slice(0, this.dataLength);
    this.data = EMPTY;
    this.dataLength = 0;
    const cmd = this.current();
    out.push({
      kind: 'recv',
      clientIdx: header.clientIdx,
      msgid: header.msgid,
      topic: header.topic,
      payloadLength: header.payloadLength,
      payload,
      solicited: cmd?.info.name === '+QMTRECV',
      raw: `${header.text}"${decodeText(payload, 0, payload.length)}"`,
    });
  }

  /** Data mode: exactly the announced number of payload bytes, as one event. */
  private readData(bytes: Uint8Array, start: number, out: AtEvent[]): number {
    if (this.skipLf) {
      this.skipLf = false;
      if (bytes[start] === LF) return start + 1;
    }
    const next = this.takeCounted(bytes, start);
    if (this.dataLength === this.dataTarget) {
      out.push({ kind: 'data', length: this.data.length, bytes: this.data });
      this.data = EMPTY;
      this.dataLength = 0;
      this.mode = Mode.Line;
    }
    return next;
  }

  /**
   * After a prompt or CONNECT, count the payload when it is on the line: bytes typed after `> ` are echoed
   * while echo is on; file bytes after CONNECT are never echoed by the module, so they appear only in a
   * captured log that recorded the host's side too (a command known from the stream, not noted live).
   */
  private maybeStartData(after: 'prompt' | 'connect'): void {
    // Live, the engine says what it writes (notePayload); an echo alone opens no data phase.
    if (this.live) return;
    const cmd = this.current();
    const payload = cmd?.info.payload;
    if (cmd === null || payload == null || payload.after !== after || !cmd.echoSeen || cmd.payloadDone) return;
    if (after === 'connect' && cmd.noted) return;
    cmd.payloadDone = true;
    this.startData(payload.length);
  }

  private startData(length: number): void {
    const cmd = this.command;
    if (cmd !== null) cmd.payloadDone = true;
    this.data = EMPTY;
    this.dataTarget = length;
    this.dataLength = 0;
    this.mode = Mode.Data;
  }

  /** The command whose answer may arrive now, or null. */
  private current(): InFlight | null {
    const cmd = this.command;
    return cmd !== null && !cmd.awaitingEcho && !cmd.finalSeen ? cmd : null;
  }

  private append(bytes: Uint8Array, start: number, end: number): void {
    const need = this.lineLength + (end - start);
    if (need > this.line.length) {
      const grown = new Uint8Array(Math.max(need, Math.min(this.line.length * 2, MAX_RECV_LINE)));
      grown.set(this.line.subarray(0, this.lineLength));
      this.line = grown;
    }
    this.line.set(bytes.subarray(start, end), this.lineLength);
    this.lineLength = need;
  }

  private emitOverlong(out: AtEvent[]): void {
    this.recvRefused = false;
    out.push({ kind: 'unknown', raw: escapeBytes(this.line, 0, this.lineLength), reason: 'overlong' });
    this.lineLength = 0;
    if (this.line.length > 4 * 256) this.line = new Uint8Array(256);
  }

  /** A complete line bytes[start, end): classify it and update what the parser knows about the command. */
  private endLine(bytes: Uint8Array, start: number, end: number, endedByCr: boolean, out: AtEvent[]): void {
    if (this.recvRefused) {
      this.recvRefused = false;
      out.push({ kind: 'unknown', raw: escapeBytes(bytes, start, end), reason: 'unparsed' });
      return;
    }
    // Live, a line that is not text (invalid UTF-8) or only blanks is noise: no module sends one, and taken as a
    // bare response it would pass for an answer (a captured log keeps it as the recorder saw it).
    let kind = lineBytes(bytes, start, end);
    if (this.live && (kind === 'control' || kind === 'not-utf8')) {
      // Noise that arrived between two lines sticks to the front of the next one (its line end came with the
      // noise before it). When what follows the noise is exactly the echo of the command written, the echo is
      // read and the noise reported apart: the engine decides whether it can have touched an answer (with echo
      // on, an answer starts after its echo). Any other line with noise in it stays noise.
      const from = noiseEnd(bytes, start, end);
      const written = this.command;
      if (
        from > start &&
        from < end &&
        written !== null &&
        !written.echoSeen &&
        !written.finalSeen &&
        lineBytes(bytes, from, end) === 'text' &&
        sameCommand(written.info.line, decodeText(bytes, from, end))
      ) {
        out.push({ kind: 'unknown', raw: escapeBytes(bytes, start, from), reason: 'binary' });
        start = from;
        kind = 'text';
      }
    }
    if (kind === 'control' || (this.live && kind === 'not-utf8')) {
      out.push({ kind: 'unknown', raw: escapeBytes(bytes, start, end), reason: 'binary' });
      return;
    }
    if (this.live && kind === 'blank') {
      out.push({ kind: 'unknown', raw: decodeText(bytes, start, end), reason: 'unparsed' });
      return;
    }
    this.classified(decodeText(bytes, start, end), endedByCr, out);
  }

  /** A complete text line: classify it and update what the parser knows about the command. */
  private classified(text: string, endedByCr: boolean, out: AtEvent[]): void {
    const cmd = this.current();
    const event = classifyLine(text, cmd === null ? undefined : cmd.info.name);
    out.push(event);
    switch (event.kind) {
      case 'echo':
        this.onEcho(event.raw);
        break;
      case 'final':
        if (cmd !== null) {
          cmd.finalSeen = true;
          if (event.result === 'OK' && cmd.info.setsEcho !== null) this.echoOn = cmd.info.setsEcho;
          if (event.result === 'OK') this.learnRecvMode(cmd.info, null);
        }
        break;
      case 'response':
        if (cmd !== null && event.name === '+QMTCFG') this.learnRecvMode(cmd.info, event.params);
        break;
      case 'connect':
        this.maybeStartData('connect');
        if (this.mode === Mode.Data) this.skipLf = endedByCr;
        break;
      case 'urc':
        // After a restart echo is on unless the saved profile says otherwise: unknown until seen again. The MQTT
        // settings are RAM only: every client is back to +QMTRECV without a length.
        if (event.name === 'RDY') {
          this.echoOn = null;
          this.recvLength.fill('without');
        }
        break;
      default:
        break;
    }
    if (this.line.length > 4 * 256 && this.lineLength === 0) this.line = new Uint8Array(256);
  }

  /**
   * Learns a client's `msg_len_enable` from `AT+QMTCFG="recv/mode",<idx>,<mode>,<len>` answered OK (`answer` null),
   * or from the answer `+QMTCFG: "recv/mode",<mode>,<len>` of the read form `AT+QMTCFG="recv/mode",<idx>`.
   */
  private learnRecvMode(info: CommandInfo, answer: readonly string[] | null): void {
    if (info.name !== '+QMTCFG' || info.kind !== 'write') return;
    const params = splitParams(info.line.slice(info.line.indexOf('=') + 1));
    if (params[0]?.toLowerCase() !== 'recv/mode') return;
    const idx = Number(params[1]);
    const len = answer === null ? params[3] : answer[0]?.toLowerCase() === 'recv/mode' ? answer[2] : undefined;
    if (!Number.isInteger(idx) || idx < 0 || idx >= MQTT_CLIENTS || (len !== '0' && len !== '1')) return;
    this.recvLength[idx] = len === '1' ? 'with' : 'without';
  }

  /** An echo is the module reading a command: the noted one, or (in a captured log) a command of its own. */
  private onEcho(raw: string): void {
    this.echoOn = true;
    const cmd = this.command;
    if (cmd !== null && !cmd.echoSeen && !cmd.finalSeen && sameCommand(cmd.info.line, raw)) {
      cmd.echoSeen = true;
      cmd.awaitingEcho = false;
      return;
    }
    this.command = {
      info: parseCommandLine(raw),
      noted: false,
      awaitingEcho: false,
      echoSeen: true,
      finalSeen: false,
      payloadDone: false,
    };
  }
}

/**
 * Whether a line can skip the bytes: printable ASCII or TAB only (so it is valid UTF-8 with no control byte, and
 * its length is its byte count), at most MAX_LINE long, not a prompt (`>`) and not a +QMTRECV line (whose
 * payload the byte machine reads).
 */
function plainLine(text: string): boolean {
  if (text.length > MAX_LINE || text.charCodeAt(0) === PROMPT || text.startsWith('+QMTRECV:')) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c > 0x7e) return false;
  }
  return true;
}

function sameCommand(noted: string, echoed: string): boolean {
  return noted.trim().toUpperCase() === echoed.trim().toUpperCase();
}

/** The end of the bytes at the front of [start, end) that no module line starts with: anything but printable ASCII. */
function noiseEnd(bytes: Uint8Array, start: number, end: number): number {
  let i = start;
  while (i < end) {
    const c = bytes[i] ?? 0;
    if (c > 0x20 && c < 0x7f) break;
    i++;
  }
  return i;
}
