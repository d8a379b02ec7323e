import { describe, expect, it } from 'vitest';
import { requestNames, requests, type Handlers } from '../../shared/contract';
import { createDispatch, createHandlers } from './handlers';
import { AtEngine, inThreadParserLink } from '../at/engine';
import { Station } from './station';

const station = new Station({ openEngine: (transport) => new AtEngine({ transport, parser: inThreadParserLink() }) });

describe('handler table conformance', () => {
  it('has exactly one handler per contract request', () => {
    const handlers: Handlers = createHandlers(station);
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
    const throwing: Handlers = {
      ...createHandlers(station),
      listModules: () => Promise.reject(new Error('disk on fire')),
    };
    const result = await createDispatch(throwing)('listModules', {});
    expect(result).toEqual({ ok: false, error: { code: 'internal', message: 'listModules failed: disk on fire' } });
  });
});
