import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  atLineSchema,
  channels,
  clientMessageSchema,
  commandCatalog,
  eventNames,
  events,
  lookupRequest,
  requestNames,
  requests,
  serverMessageSchema,
  splitJoinedCommands,
  validateInput,
} from './index';

describe('the contract', () => {
  it('declares every request with input and output schemas and at least one error code', () => {
    expect(requestNames.length).toBeGreaterThan(0);
    for (const name of requestNames) {
      const spec = requests[name];
      expect(spec.description.length).toBeGreaterThan(10);
      expect(spec.errors.length).toBeGreaterThan(0);
      expect(typeof spec.input.safeParse).toBe('function');
      expect(typeof spec.output.safeParse).toBe('function');
    }
  });

  it('derives one distinct IPC channel per request and per event', () => {
    const all = [...requestNames.map((n) => channels.request(n)), ...eventNames.map((n) => channels.event(n))];
    expect(new Set(all).size).toBe(requestNames.length + eventNames.length);
    expect(Object.keys(events).sort()).toEqual([...eventNames].sort());
  });

  it('looks up only declared requests, including against prototype names', () => {
    expect(lookupRequest('sendAt')).toEqual({ ok: true, value: 'sendAt' });
    for (const name of ['toString', '__proto__', 'constructor', 'hasOwnProperty', '']) {
      const found = lookupRequest(name);
      expect(found.ok ? 'found' : found.error.code).toBe('unknown-request');
    }
  });
});

describe('AT line validation', () => {
  it('accepts every command of the catalog', () => {
    for (const entry of commandCatalog) expect(atLineSchema.safeParse(entry.line).success).toBe(true);
    expect(new Set(commandCatalog.map((e) => e.line)).size).toBe(commandCatalog.length);
  });

  it('refuses any line carrying a CR, LF or other control character, wherever it is', () => {
    const control = fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c));
    const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) });
    fc.assert(
      fc.property(printable, control, printable, (before, bad, after) => {
        expect(atLineSchema.safeParse(`AT${before}${bad}${after}`).success).toBe(false);
      }),
    );
  });

  it('accepts printable lines without ";" starting with AT in either case', () => {
    const printable = fc.string({
      unit: fc
        .integer({ min: 0x20, max: 0x7e })
        .filter((c) => c !== 0x3b)
        .map((c) => String.fromCharCode(c)),
      maxLength: 200,
    });
    fc.assert(
      fc.property(fc.constantFrom('AT', 'at', 'At', 'aT'), printable, (prefix, rest) => {
        expect(atLineSchema.safeParse(`${prefix}${rest}`).success).toBe(true);
      }),
    );
  });

  it('refuses joined commands (";" outside quotes), naming the rule', () => {
    for (const line of [
      'AT+CSQ;+QMTPUBEX=0,0,0,0,"t",5',
      'AT;',
      'AT+QMTCFG="will",0,1,0,0,"a;b";+CSQ',
      // A quote left open: the ";" cannot be told from a join.
      'AT+QMTCONN=0,"c","u","p;w',
    ]) {
      const result = validateInput('sendAt', { moduleId: 'm', line });
      expect(result.ok ? '' : result.error.message).toMatch(/^line: one command per line/);
    }
  });

  it('accepts a ";" inside quotes: a Will topic or a password is one value (issue 8 item 8)', () => {
    for (const line of ['AT+QMTCFG="will",0,1,0,0,"fleet/a;b","bye;now"', 'AT+QMTCONN=0,"c","u","p;w"']) {
      expect(validateInput('sendAt', { moduleId: 'm', line }).ok).toBe(true);
    }
  });

  it('splits joined commands on ";" outside quotes only', () => {
    const quotedText = fc.string({ unit: fc.constantFrom('a', ';', ',', ' ', '1') });
    fc.assert(
      fc.property(fc.array(quotedText, { minLength: 1, maxLength: 4 }), (values) => {
        const commands = values.map((v, i) => `+X${i}="${v}"`);
        const line = `AT${commands.join(';')}`;
        const split = splitJoinedCommands(line);
        expect(split.ambiguous).toBe(false);
        expect(split.commands).toEqual([`AT${commands[0] ?? ''}`, ...commands.slice(1)]);
      }),
    );
  });

  it('refuses non-ASCII text and lines not starting with AT, naming the rule', () => {
    const umlaut = validateInput('sendAt', { moduleId: 'm', line: 'AT+QMTPUB="tëst"' });
    expect(umlaut.ok ? '' : umlaut.error.message).toMatch(/^line: .*printable ASCII/);
    const notAt = validateInput('sendAt', { moduleId: 'm', line: 'QMTCFG?' });
    expect(notAt.ok ? '' : notAt.error.message).toBe('line: an AT command starts with AT');
    const empty = validateInput('sendAt', { moduleId: '', line: 'AT' });
    expect(empty.ok ? undefined : empty.error.field).toBe('moduleId');
  });
});

describe('wire messages', () => {
  it('accepts a well-formed request and refuses anything else', () => {
    expect(clientMessageSchema.safeParse({ kind: 'request', id: 1, name: 'listModules', input: {} }).success).toBe(
      true,
    );
    for (const bad of [
      null,
      'listModules',
      { kind: 'request', id: -1, name: 'listModules', input: {} },
      { kind: 'request', id: 1.5, name: 'listModules', input: {} },
      { kind: 'event', id: 1, name: 'listModules', input: {} },
      { kind: 'request', id: 1, name: 'x'.repeat(65), input: {} },
      { kind: 'request', id: 1, name: 'listModules', input: {}, extra: true },
    ]) {
      expect(clientMessageSchema.safeParse(bad).success).toBe(false);
    }
  });

  it('round-trips responses and events through JSON', () => {
    const messages = [
      { kind: 'response', id: 3, result: { ok: true, value: [] } },
      { kind: 'response', id: 4, result: { ok: false, error: { code: 'timeout', message: 'no answer' } } },
      { kind: 'event', name: 'moduleRemoved', payload: { moduleId: 'virtual:0' } },
    ];
    for (const m of messages) expect(serverMessageSchema.parse(JSON.parse(JSON.stringify(m)))).toEqual(m);
    expect(
      serverMessageSchema.safeParse({
        kind: 'response',
        id: 4,
        result: { ok: false, error: { code: 'oops', message: '' } },
      }).success,
    ).toBe(false);
  });
});
