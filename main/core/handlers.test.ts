import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestNames, requests } from '../../shared/contract';
import { createDispatch, createHandlers, type StationHandlers } from './handlers';
import { InProcessTransport } from '../emulator/in-process-transport';
import { createMqttClientSession } from '../emulator/net/session';
import { VirtualModule } from '../emulator/virtual-module';
import { waitForIdentified } from './wait-for';
import { AtEngine, inThreadParserLink } from '../at/engine';
import { Station } from './station';

const station = new Station({ openEngine: (transport) => new AtEngine({ transport, parser: inThreadParserLink() }) });

describe('handler table conformance', () => {
  it('has exactly one handler per contract request', () => {
    const handlers: StationHandlers = createHandlers(station);
    expect(Object.keys(handlers).sort()).toEqual([...requestNames].sort());
    for (const name of requestNames) expect(typeof handlers[name]).toBe('function');
  });

  it('declares for every request the invalid-input code its validation can return', () => {
    for (const name of requestNames) expect(requests[name].errors).toContain('invalid-input');
  });
});

describe('dispatch validates input at runtime', () => {
  const dispatch = createDispatch(createHandlers(station));

  it('answers a valid request', async () => {
    expect(await dispatch('listModules', {})).toEqual({ ok: true, value: [] });
  });

  it.each([
    ['an unknown request', 'dropTables', {}, 'unknown-request', undefined],
    ['a missing field', 'sendAt', { line: 'AT' }, 'invalid-input', 'moduleId'],
    ['a wrong type', 'sendAt', { moduleId: 7, line: 'AT' }, 'invalid-input', 'moduleId'],
    ['an extra field', 'listModules', { admin: true }, 'invalid-input', undefined],
    ['a line that is not AT', 'sendAt', { moduleId: 'virtual:0', line: 'rm -rf /' }, 'invalid-input', 'line'],
    [
      'a second command smuggled after CR',
      'sendAt',
      { moduleId: 'virtual:0', line: 'AT\rAT+CFUN=0' },
      'invalid-input',
      'line',
    ],
    ['a control character', 'sendAt', { moduleId: 'virtual:0', line: 'AT\u001a' }, 'invalid-input', 'line'],
    ['an overlong line', 'sendAt', { moduleId: 'virtual:0', line: `AT${'A'.repeat(2000)}` }, 'invalid-input', 'line'],
    ['a limit out of range', 'getTranscript', { moduleId: 'virtual:0', limit: 0 }, 'invalid-input', 'limit'],
    ['a non-object input', 'getTranscript', 'virtual:0', 'invalid-input', undefined],
    ['an unknown module', 'getTranscript', { moduleId: 'virtual:404' }, 'unknown-module', 'moduleId'],
  ])('refuses %s with a clear code', async (_what, name, input, code, field) => {
    const result = await dispatch(name, input);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe(code);
    expect(result.error.message.length).toBeGreaterThan(5);
    if (field !== undefined) {
      expect(result.error.field).toBe(field);
      expect(result.error.message).toContain(field);
    }
  });

  it('turns a throwing handler into an internal error instead of a crash', async () => {
    const throwing: StationHandlers = {
      ...createHandlers(station),
      listModules: () => Promise.reject(new Error('disk on fire')),
    };
    const result = await createDispatch(throwing)('listModules', {});
    expect(result).toEqual({ ok: false, error: { code: 'internal', message: 'listModules failed: disk on fire' } });
  });
});

describe('dispatch passes the caller’s signal down to the AT port', () => {
  const module = new VirtualModule({ index: 0, sessionFactory: createMqttClientSession, hostMap: new Map() });
  const transport = new InProcessTransport(module, 'virtual:0');
  const live = new Station({ openEngine: (transport) => new AtEngine({ transport, parser: inThreadParserLink() }) });
  const dispatch = createDispatch(createHandlers(live));

  beforeAll(async () => {
    module.powerOn();
    live.attach(transport);
    await waitForIdentified(live);
  });

  afterAll(async () => {
    await live.dispose();
    await transport.close();
    module.dispose();
  });

  const sent = (text: string): number => {
    const lines = live.transcript('virtual:0', 2000);
    return lines.ok ? lines.value.filter((l) => l.dir === 'tx' && l.text === text).length : -1;
  };

  it('a request whose caller has already gone is never written to the module', async () => {
    const result = await dispatch('sendAt', { moduleId: 'virtual:0', line: 'AT+CSQ' }, { signal: AbortSignal.abort() });
    expect(result).toMatchObject({ ok: false, error: { code: 'module-unavailable' } });
    expect(result.ok ? '' : result.error.message).toMatch(/cancel/);
    expect(sent('AT+CSQ')).toBe(0);
  });

  it('a request cancelled while queued behind another is dropped from the queue', async () => {
    // Identification reads AT+CIMI too: count what this test sends.
    const before = sent('AT+CIMI');
    const caller = new AbortController();
    const first = dispatch('sendAt', { moduleId: 'virtual:0', line: 'ATI' });
    const second = dispatch('sendAt', { moduleId: 'virtual:0', line: 'AT+CIMI' }, { signal: caller.signal });
    caller.abort();
    expect(await first).toMatchObject({ ok: true });
    expect(await second).toMatchObject({ ok: false, error: { code: 'module-unavailable' } });
    expect(sent('AT+CIMI')).toBe(before);
    expect(await dispatch('sendAt', { moduleId: 'virtual:0', line: 'AT+CIMI' })).toMatchObject({ ok: true });
    expect(sent('AT+CIMI')).toBe(before + 1);
  });
});
