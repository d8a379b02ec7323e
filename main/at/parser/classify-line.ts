import type { AtEvent } from '../vocab/types';
import { splitParams } from './split-params';
import { isBareUrc, isKnownUrc } from './urc-table';

/**
 * Classifies one complete text line (no CR/LF) in the routing order of the architecture notes: echo, final
 * result codes, CONNECT, then `+NAME:` lines (a response when a command of that name is in flight, otherwise a
 * URC), then bare lines (table URCs, a bare response of the command in flight, or unknown).
 *
 * `inFlight` names the command whose answer may arrive now: its name (`+QMTOPEN`), null for a basic command
 * (`ATI`), undefined when no command is in flight.
 */
export function classifyLine(text: string, inFlight: string | null | undefined): AtEvent {
  const c0 = text.charCodeAt(0);
  if ((c0 === 0x41 || c0 === 0x61) && (text.charCodeAt(1) | 0x20) === 0x74) return { kind: 'echo', raw: text };
  const final = classifyFinal(text);
  if (final !== null) return final;
  if (text === 'CONNECT' || text.startsWith('CONNECT ')) return { kind: 'connect', raw: text };
  if (c0 === 0x2b) {
    const colon = text.indexOf(':');
    if (colon > 1) {
      const name = text.slice(0, colon).toUpperCase();
      if (NAME.test(name)) return classifyPrefixed(text, name, splitParams(text.slice(colon + 1)), inFlight);
    }
  }
  if (isBareUrc(text)) return { kind: 'urc', name: text, params: [], known: true, raw: text };
  if (inFlight !== undefined) return { kind: 'response', name: null, params: [], raw: text };
  return { kind: 'unknown', raw: text, reason: 'unparsed' };
}

const NAME = /^\+[A-Z0-9_]+$/;

function classifyPrefixed(raw: string, name: string, params: string[], inFlight: string | null | undefined): AtEvent {
  const solicited = inFlight === name;
  // The message form of +QMTRECV whose payload had no quotes (the quoted form is taken whole by the stream
  // parser before it gets here). The 2-parameter buffer notice and the 6-parameter read answer are not messages.
  if (name === '+QMTRECV' && (params.length === 4 || params.length === 5)) {
    const recv = recvFromParams(raw, params, solicited);
    if (recv !== null) return recv;
  }
  if (solicited) return { kind: 'response', name, params, raw };
  return { kind: 'urc', name, params, known: isKnownUrc(name), raw };
}

const encoder = new TextEncoder();

function recvFromParams(raw: string, params: readonly string[], solicited: boolean): AtEvent | null {
  const [idx, msgid, topic] = params;
  const len = params.length === 5 ? params[3] : undefined;
  const payload = params[params.length - 1] ?? '';
  if (!isUint(idx) || !isUint(msgid) || topic === undefined || (len !== undefined && !isUint(len))) return null;
  return {
    kind: 'recv',
    clientIdx: Number(idx),
    msgid: Number(msgid),
    topic,
    payloadLength: len === undefined ? null : Number(len),
    payload: encoder.encode(payload),
    solicited,
    raw,
  };
}

function isUint(text: string | undefined): text is string {
  return text !== undefined && /^\d{1,9}$/.test(text);
}

const CME = '+CME ERROR:';
const CMS = '+CMS ERROR:';

/** Final result codes; null when the line is not one. */
export function classifyFinal(text: string): Extract<AtEvent, { kind: 'final' }> | null {
  switch (text) {
    case 'OK':
      return { kind: 'final', result: 'OK', raw: text };
    case 'ERROR':
      return { kind: 'final', result: 'ERROR', raw: text };
    case 'NO CARRIER':
      return { kind: 'final', result: 'NO CARRIER', raw: text };
  }
  const result = text.startsWith(CME) ? 'CME ERROR' : text.startsWith(CMS) ? 'CMS ERROR' : null;
  if (result === null) return null;
  const detail = text.slice(CME.length).trim();
  if (/^\d{1,9}$/.test(detail)) return { kind: 'final', result, code: Number(detail), raw: text };
  return { kind: 'final', result, text: detail, raw: text };
}
