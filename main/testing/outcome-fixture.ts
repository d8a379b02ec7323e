import { splitParams } from '../at/parser';
import type { AtOutcome, FinalEvent, RecvEvent, ResponseEvent, UrcEvent } from '../at/vocab/request';

/**
 * Test support: builds the events a parser would produce for spec example lines, so parse functions are tested
 * on the spec's own text without depending on the parser's internals.
 */

function nameAndParams(raw: string): { name: string | null; params: string[] } {
  const match = /^(\+[A-Z0-9]+):\s?(.*)$/i.exec(raw);
  if (!match) return { name: null, params: [] };
  return { name: match[1] ?? null, params: splitParams(match[2] ?? '') };
}

export function response(raw: string): ResponseEvent {
  return { kind: 'response', ...nameAndParams(raw), raw };
}

export function urc(raw: string): UrcEvent {
  const { name, params } = nameAndParams(raw);
  return { kind: 'urc', name: name ?? raw, params, known: true, raw };
}

export function final(raw: string): FinalEvent {
  const cme = /^\+CME ERROR:\s*(.*)$/.exec(raw);
  if (cme) {
    const detail = cme[1] ?? '';
    return /^\d+$/.test(detail)
      ? { kind: 'final', result: 'CME ERROR', code: Number(detail), raw }
      : { kind: 'final', result: 'CME ERROR', text: detail, raw };
  }
  return { kind: 'final', result: raw === 'ERROR' ? 'ERROR' : 'OK', raw };
}

export function recv(clientIdx: number, msgid: number, topic: string, payload: string, withLength: boolean): RecvEvent {
  const bytes = new TextEncoder().encode(payload);
  return {
    kind: 'recv',
    clientIdx,
    msgid,
    topic,
    payloadLength: withLength ? bytes.length : null,
    payload: bytes,
    solicited: true,
    raw: `+QMTRECV: ${clientIdx},${msgid},"${topic}",${withLength ? `${bytes.length},` : ''}"${payload}"`,
  };
}

export function outcomeOf(parts: {
  responses?: readonly (string | RecvEvent)[];
  final?: string;
  completion?: string;
}): AtOutcome {
  return {
    responses: (parts.responses ?? []).map((item) => (typeof item === 'string' ? response(item) : item)),
    final: final(parts.final ?? 'OK'),
    ...(parts.completion !== undefined ? { completion: urc(parts.completion) } : {}),
    elapsedMs: 1,
  };
}
