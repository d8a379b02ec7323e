import { decodeText } from './text';

/** The fields of a +QMTRECV message header, up to the quote that opens its payload. */
export interface RecvHeader {
  /** The header as text (for the event's `raw`). */
  readonly text: string;
  readonly clientIdx: number;
  readonly msgid: number;
  readonly topic: string;
  readonly payloadLength: number | null;
}

const PREFIX = [0x2b, 0x51, 0x4d, 0x54, 0x52, 0x45, 0x43, 0x56, 0x3a]; // "+QMTRECV:"
const QUOTE = 0x22;
const COMMA = 0x2c;

/**
 * Whether bytes[0, length) is exactly `+QMTRECV: <idx>,<msgid>,"<topic>",[<len>,]`, i.e. the quote that comes
 * next opens a payload. Byte-level rather than a regex on decoded text: it runs at every candidate quote of
 * every +QMTRECV line. Numbers are at most 9 digits, so they never overflow.
 */
export function parseRecvHeader(bytes: Uint8Array, length: number): RecvHeader | null {
  if (length < PREFIX.length + 8 || bytes[length - 1] !== COMMA) return null;
  for (let k = 0; k < PREFIX.length; k++) if (bytes[k] !== PREFIX[k]) return null;
  let i = PREFIX.length;
  if (bytes[i] === 0x20) i++;
  const idx = readUint(bytes, i, length);
  if (idx === null || bytes[idx.end] !== COMMA) return null;
  const msgid = readUint(bytes, idx.end + 1, length);
  if (msgid === null || bytes[msgid.end] !== COMMA || bytes[msgid.end + 1] !== QUOTE) return null;
  const topicStart = msgid.end + 2;
  let topicEnd = topicStart;
  while (topicEnd < length && bytes[topicEnd] !== QUOTE) topicEnd++;
  if (topicEnd >= length || bytes[topicEnd + 1] !== COMMA) return null;
  let payloadLength: number | null = null;
  const afterTopic = topicEnd + 2;
  if (afterTopic < length) {
    const len = readUint(bytes, afterTopic, length);
    if (len === null || len.end !== length - 1) return null;
    payloadLength = len.value;
  }
  return {
    text: decodeText(bytes, 0, length),
    clientIdx: idx.value,
    msgid: msgid.value,
    topic: decodeText(bytes, topicStart, topicEnd),
    payloadLength,
  };
}

function readUint(bytes: Uint8Array, start: number, limit: number): { value: number; end: number } | null {
  let value = 0;
  let i = start;
  while (i < limit && i - start < 9) {
    const c = bytes[i] ?? 0;
    if (c < 0x30 || c > 0x39) break;
    value = value * 10 + (c - 0x30);
    i++;
  }
  return i === start ? null : { value, end: i };
}
