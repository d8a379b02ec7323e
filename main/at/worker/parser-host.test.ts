import { describe, expect, it } from 'vitest';
import { ParserHost } from './parser-host';

describe('ParserHost', () => {
  it('parses per port, keeping ports apart', () => {
    const host = new ParserHost();
    host.handle({ type: 'open', portId: 'a' });
    host.handle({ type: 'open', portId: 'b' });
    host.handle({ type: 'note', portId: 'a', line: 'AT+QMTCONN?' });
    expect(
      host.handle({ type: 'bytes', portId: 'a', chunk: new TextEncoder().encode('\r\n+QMTCONN: 0,3\r\n') }),
    ).toEqual({
      type: 'events',
      portId: 'a',
      events: [{ kind: 'response', name: '+QMTCONN', params: ['0', '3'], raw: '+QMTCONN: 0,3' }],
    });
    // Port b has no command in flight: the same line is a URC there.
    expect(
      host.handle({ type: 'bytes', portId: 'b', chunk: new TextEncoder().encode('\r\n+QMTCONN: 0,3\r\n') }),
    ).toEqual({
      type: 'events',
      portId: 'b',
      events: [{ kind: 'urc', name: '+QMTCONN', params: ['0', '3'], known: true, raw: '+QMTCONN: 0,3' }],
    });
    expect(host.handle({ type: 'bytes', portId: 'b', chunk: new TextEncoder().encode('\r\n') })).toBeNull();
    host.handle({ type: 'close', portId: 'a' });
    expect(host.portCount).toBe(1);
  });

  it('answers malformed messages and unknown ports with a problem, never throwing', () => {
    const host = new ParserHost();
    for (const bad of [
      null,
      42,
      'x',
      { type: 'bytes', portId: 'a', chunk: 'not bytes' },
      { type: 'nope', portId: 'a' },
    ]) {
      expect(host.handle(bad)).toMatchObject({ type: 'problem', portId: null });
    }
    expect(host.handle({ type: 'bytes', portId: 'zz', chunk: new Uint8Array(1) })).toEqual({
      type: 'problem',
      portId: 'zz',
      message: 'port is not open in the parser worker',
    });
  });
});
