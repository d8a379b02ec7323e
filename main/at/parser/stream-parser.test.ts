import { describe, expect, it } from 'vitest';
import type { AtEvent } from '../vocab/types';
import { bytesOf, data, echo, error, feed, ok, prompt, recv, response, urc, type Segment } from './fixtures/events';
import { AtStreamParser, MAX_LINE } from './stream-parser';

function run(...parts: (string | { note: string })[]): AtEvent[] {
  const segments: Segment[] = [];
  let note: string | undefined;
  for (const part of parts) {
    if (typeof part !== 'string') note = part.note;
    else {
      segments.push(note === undefined ? { bytes: bytesOf(part) } : { note, bytes: bytesOf(part) });
      note = undefined;
    }
  }
  return feed(segments);
}

describe('framing', () => {
  it('reads the echo of AT and its OK', () => {
    expect(run({ note: 'AT' }, 'AT\r\r\nOK\r\n')).toEqual([echo('AT'), ok]);
  });

  it('accepts LF-only line endings', () => {
    expect(run({ note: 'AT+QMTCONN?' }, '\n+QMTCONN: 0,3\nOK\n')).toEqual([response('+QMTCONN: 0,3', ['0', '3']), ok]);
  });

  it('accepts an info line without the blank line before OK', () => {
    expect(run({ note: 'ATI' }, '\r\nQuectel\r\nEC200U\r\nRevision: EC200UCNAAR03A03M08\r\n\r\nOK\r\n')).toEqual([
      response('Quectel', []),
      response('EC200U', []),
      response('Revision: EC200UCNAAR03A03M08', []),
      ok,
    ]);
  });

  it('reports +CME ERROR numeric and text, +CMS ERROR and NO CARRIER as finals', () => {
    expect(
      run('\r\n+CME ERROR: 407\r\n\r\n+CME ERROR: operation not allowed\r\n+CMS ERROR: 500\r\nNO CARRIER\r\n'),
    ).toEqual([
      { kind: 'final', result: 'CME ERROR', code: 407, raw: '+CME ERROR: 407' },
      { kind: 'final', result: 'CME ERROR', text: 'operation not allowed', raw: '+CME ERROR: operation not allowed' },
      { kind: 'final', result: 'CMS ERROR', code: 500, raw: '+CMS ERROR: 500' },
      { kind: 'final', result: 'NO CARRIER', raw: 'NO CARRIER' },
    ]);
  });

  it('passes a URC that interleaves between a response and its OK', () => {
    expect(
      run({ note: 'AT+QMTOPEN?' }, '\r\n+QMTOPEN: 0,"h",1883\r\n\r\n+QMTSTAT: 0,1\r\n\r\nRDY\r\n\r\nOK\r\n'),
    ).toEqual([
      response('+QMTOPEN: 0,"h",1883', ['0', 'h', '1883']),
      urc('+QMTSTAT: 0,1', ['0', '1']),
      urc('RDY', []),
      ok,
    ]);
  });

  it('tells a +QMTOPEN response (before OK) from the +QMTOPEN URC (after OK)', () => {
    expect(run({ note: 'AT+QMTOPEN=0,"h",1883' }, '\r\nOK\r\n\r\n+QMTOPEN: 0,0\r\n')).toEqual([
      ok,
      urc('+QMTOPEN: 0,0', ['0', '0']),
    ]);
  });

  it('reports an unknown +X: line as a URC with known:false, but as a response of its own command', () => {
    expect(run('\r\n+CSQ: 20,99\r\n')).toEqual([urc('+CSQ: 20,99', ['20', '99'], false)]);
    expect(run({ note: 'AT+CSQ' }, '\r\n+CSQ: 20,99\r\n\r\nOK\r\n')).toEqual([
      response('+CSQ: 20,99', ['20', '99']),
      ok,
    ]);
  });

  it('reports a bare line with no command in flight as unknown', () => {
    expect(run('\r\nhello\r\n')).toEqual([{ kind: 'unknown', raw: 'hello', reason: 'unparsed' }]);
  });

  it('reports control bytes as a binary unknown, escaped', () => {
    expect(run('\x00\x01ab\x1a\r\nOK\r\n')).toEqual([
      { kind: 'unknown', raw: '\\x00\\x01ab\\x1a', reason: 'binary' },
      ok,
    ]);
  });
});

describe('late replies and echo', () => {
  it('with echo on, lines before the new command echo belong to no command', () => {
    // AT+QMTCONN? timed out; its answer arrives after the engine moved on to AT+QMTCONN=...
    const events = run(
      { note: 'AT+QMTCONN?' },
      'AT+QMTCONN?\r',
      { note: 'AT+QMTCONN=0,"c"' },
      '\r\n+QMTCONN: 0,3\r\n\r\nOK\r\nAT+QMTCONN=0,"c"\r\r\nOK\r\n\r\n+QMTCONN: 0,0,0\r\n',
    );
    expect(events).toEqual([
      echo('AT+QMTCONN?'),
      urc('+QMTCONN: 0,3', ['0', '3']),
      ok,
      echo('AT+QMTCONN=0,"c"'),
      ok,
      urc('+QMTCONN: 0,0,0', ['0', '0', '0']),
    ]);
  });

  it('with echo off, a late line of another name is a URC, not the new command response', () => {
    expect(run({ note: 'AT+QMTOPEN?' }, '\r\n+QMTCONN: 0,3\r\n\r\nOK\r\n')).toEqual([
      urc('+QMTCONN: 0,3', ['0', '3']),
      ok,
    ]);
  });

  it('follows ATE0: after it, the next command is not waiting for an echo', () => {
    expect(
      run({ note: 'ATE0' }, 'ATE0\r\r\nOK\r\n', { note: 'AT+QMTCONN?' }, '\r\n+QMTCONN: 0,3\r\n\r\nOK\r\n'),
    ).toEqual([echo('ATE0'), ok, response('+QMTCONN: 0,3', ['0', '3']), ok]);
  });

  it('takes the command from the echo in a captured log (no notes)', () => {
    expect(run('AT+QMTCONN?\r\r\n+QMTCONN: 0,3\r\n\r\nOK\r\n\r\n+QMTCONN: 0,1,0\r\n')).toEqual([
      echo('AT+QMTCONN?'),
      response('+QMTCONN: 0,3', ['0', '3']),
      ok,
      urc('+QMTCONN: 0,1,0', ['0', '1', '0']),
    ]);
  });

  it('accepts lower-case commands', () => {
    expect(run('at+qmtconn?\r\r\n+QMTCONN: 0,3\r\n\r\nOK\r\n')).toEqual([
      echo('at+qmtconn?'),
      response('+QMTCONN: 0,3', ['0', '3']),
      ok,
    ]);
  });
});

describe('prompt and data phases', () => {
  it('emits the prompt with no line ending after it, before any payload is sent', () => {
    const parser = new AtStreamParser();
    parser.noteCommand('AT+QMTPUBEX=0,0,0,0,"t",3');
    expect(parser.push(bytesOf('\r\n> '))).toEqual([prompt]);
    expect(parser.push(bytesOf('\r\nOK\r\n'))).toEqual([ok]);
  });

  it('with echo on, counts the echoed payload even when it holds CR LF, OK and quotes', () => {
    expect(
      run({ note: 'AT+QMTPUBEX=0,0,0,0,"t",7' }, 'AT+QMTPUBEX=0,0,0,0,"t",7\r\r\n> \r\nOK\r\n"\r\nOK\r\n'),
    ).toEqual([echo('AT+QMTPUBEX=0,0,0,0,"t",7'), prompt, data('\r\nOK\r\n"'), ok]);
  });

  it('accepts a prompt without its space (as the note prints it)', () => {
    expect(run('AT+QMTPUBEX=0,0,0,0,"t",4\r\r\n>abcd\r\nOK\r\n')).toEqual([
      echo('AT+QMTPUBEX=0,0,0,0,"t",4'),
      prompt,
      data('abcd'),
      ok,
    ]);
  });

  it('counts QFUPL bytes after CONNECT in a captured log, and expects none live (the module never echoes them)', () => {
    expect(run('AT+QFUPL="UFS:a",4,10\r\r\nCONNECT\r\nOK\r\n\r\n+QFUPL: 4,1a3f\r\n\r\nOK\r\n')).toEqual([
      echo('AT+QFUPL="UFS:a",4,10'),
      { kind: 'connect', raw: 'CONNECT' },
      data('OK\r\n'),
      response('+QFUPL: 4,1a3f', ['4', '1a3f']),
      ok,
    ]);
    expect(run({ note: 'AT+QFUPL="UFS:a",4,10' }, '\r\nCONNECT\r\n\r\n+QFUPL: 4,1a3f\r\n\r\nOK\r\n')).toEqual([
      { kind: 'connect', raw: 'CONNECT' },
      response('+QFUPL: 4,1a3f', ['4', '1a3f']),
      ok,
    ]);
    // Live with echo on: the command is echoed, the file is not.
    const cmd = 'AT+QFUPL="UFS:a",4,10';
    expect(run({ note: cmd }, `${cmd}\r\r\nCONNECT\r\n\r\n+QFUPL: 4,1a3f\r\n\r\nOK\r\n`)).toEqual([
      echo(cmd),
      { kind: 'connect', raw: 'CONNECT' },
      response('+QFUPL: 4,1a3f', ['4', '1a3f']),
      ok,
    ]);
  });

  it('reports a failed upload: +QFUPL then +CME ERROR 421', () => {
    expect(run({ note: 'AT+QFUPL="UFS:a",4,1' }, '\r\nCONNECT\r\n\r\n+QFUPL: 2,61\r\n\r\n+CME ERROR: 421\r\n')).toEqual(
      [
        { kind: 'connect', raw: 'CONNECT' },
        response('+QFUPL: 2,61', ['2', '61']),
        { kind: 'final', result: 'CME ERROR', code: 421, raw: '+CME ERROR: 421' },
      ],
    );
  });
});

describe('+QMTRECV payloads', () => {
  it('takes <payload_len> bytes exactly, even when they contain `"\\r\\n`', () => {
    expect(run('\r\n+QMTRECV: 0,1,"t",6,"a"\r\nb\t"\r\n')).toEqual([
      recv('+QMTRECV: 0,1,"t",6,"a"\r\nb\t"', { idx: 0, msgid: 1, topic: 't', len: 6, payload: 'a"\r\nb\t' }),
    ]);
  });

  it('without a length, ends the payload at the first quote followed by CR LF (documented limit)', () => {
    expect(run('\r\n+QMTRECV: 0,1,"t","a"\r\nb"\r\n')).toEqual([
      recv('+QMTRECV: 0,1,"t","a"', { idx: 0, msgid: 1, topic: 't', len: null, payload: 'a' }),
      { kind: 'unknown', raw: 'b"', reason: 'unparsed' },
    ]);
  });

  it('keeps binary payload bytes (0x00, 0x1A, invalid UTF-8) exactly', () => {
    const head = bytesOf('\r\n+QMTRECV: 0,0,"bin",4,"');
    const body = new Uint8Array([0x00, 0x1a, 0xff, 0x22]);
    const tail = bytesOf('"\r\nOK\r\n');
    const stream = new Uint8Array([...head, ...body, ...tail]);
    const events = new AtStreamParser().push(stream);
    expect(events[0]).toMatchObject({ kind: 'recv', payloadLength: 4, payload: body });
    expect(events[1]).toEqual(ok);
  });

  it('reports a wrong length honestly: the length is taken, the rest is an unknown line', () => {
    expect(run('\r\n+QMTRECV: 0,0,"t",2,"abc"\r\n')).toEqual([
      recv('+QMTRECV: 0,0,"t",2,"ab"', { idx: 0, msgid: 0, topic: 't', len: 2, payload: 'ab' }),
      { kind: 'unknown', raw: 'c"', reason: 'unparsed' },
    ]);
  });

  it('is solicited when it answers AT+QMTRECV=<idx>', () => {
    const events = run({ note: 'AT+QMTRECV=0,1' }, '\r\n+QMTRECV: 0,0,"t",1,"x"\r\n\r\nOK\r\n');
    expect(events[0]).toMatchObject({ kind: 'recv', solicited: true });
    expect(events[1]).toEqual(ok);
  });

  it('treats the buffer notice and the read answer as plain lines', () => {
    expect(run('\r\n+QMTRECV: 0,4\r\n')).toEqual([urc('+QMTRECV: 0,4', ['0', '4'])]);
    expect(run({ note: 'AT+QMTRECV?' }, '\r\n+QMTRECV: 0,1,0,0,0,0\r\n\r\nOK\r\n')).toEqual([
      response('+QMTRECV: 0,1,0,0,0,0', ['0', '1', '0', '0', '0', '0']),
      ok,
    ]);
  });
});

describe('bounded memory', () => {
  it('cuts a line with no ending at MAX_LINE, reports it as overlong, and resyncs at the next line', () => {
    const parser = new AtStreamParser();
    const events: AtEvent[] = [];
    const junk = bytesOf('x'.repeat(1000));
    for (let i = 0; i < 100; i++) events.push(...parser.push(junk));
    events.push(...parser.push(bytesOf('\r\nOK\r\n')));
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({ kind: 'unknown', reason: 'overlong' });
    expect(events[0]?.kind === 'unknown' ? events[0].raw.length : 0).toBe(MAX_LINE);
    expect(events[1]).toEqual(ok);
  });

  it('keeps a line of exactly MAX_LINE bytes', () => {
    const line = `+X: ${'y'.repeat(MAX_LINE - 4)}`;
    expect(run(`\r\n${line}\r\n`)).toEqual([urc(line, ['y'.repeat(MAX_LINE - 4)], false)]);
  });

  it('gives up on a length-less +QMTRECV payload with no end, then resyncs', () => {
    const parser = new AtStreamParser();
    const events: AtEvent[] = [...parser.push(bytesOf('+QMTRECV: 0,0,"t","'))];
    for (let i = 0; i < 70; i++) events.push(...parser.push(bytesOf('z'.repeat(1024))));
    events.push(...parser.push(bytesOf('\r\nERROR\r\n')));
    expect(events.map((e) => e.kind)).toEqual(['unknown', 'final']);
    expect(events[0]).toMatchObject({ reason: 'overlong' });
    expect(events[1]).toEqual(error);
  });
});

describe('a live port (the engine notes what it writes)', () => {
  const live = (): AtStreamParser => new AtStreamParser({ live: true, maxRecvPayload: 1024 });
  const events = (parser: AtStreamParser, text: string): AtEvent[] => parser.push(bytesOf(text));

  it('counts the echoed payload only once the engine says it writes it (notePayload)', () => {
    const parser = live();
    const cmd = 'AT+QMTPUBEX=0,0,0,0,"t",7';
    parser.noteCommand(cmd);
    expect(events(parser, `${cmd}\r\r\n> `)).toEqual([echo(cmd), prompt]);
    expect(parser.hold).toBeNull();
    parser.notePayload(7);
    expect(parser.hold).toBe('data');
    expect(events(parser, '\r\nOK\r\n"\r\nOK\r\n')).toEqual([data('\r\nOK\r\n"'), ok]);
    expect(parser.hold).toBeNull();
  });

  it('notes a payload that arrives before the space of the prompt', () => {
    const parser = live();
    const cmd = 'AT+QMTPUBEX=0,0,0,0,"t",2';
    parser.noteCommand(cmd);
    expect(events(parser, `${cmd}\r\r\n>`)).toEqual([echo(cmd), prompt]);
    parser.notePayload(2);
    expect(events(parser, ' ab\r\nOK\r\n')).toEqual([data('ab'), ok]);
  });

  it('opens no data phase for a prompt nobody feeds, nor for CONNECT after a late echo of an upload', () => {
    const parser = live();
    parser.noteCommand('AT+CSQ');
    // A late echo of an abandoned upload, its CONNECT, then lines: all read as lines, nothing swallowed.
    expect(events(parser, 'AT+QFUPL="UFS:a",4,10\r\r\nCONNECT\r\nOK\r\n')).toEqual([
      echo('AT+QFUPL="UFS:a",4,10'),
      { kind: 'connect', raw: 'CONNECT' },
      ok,
    ]);
    expect(events(parser, 'AT+QMTPUBEX=0,0,0,0,"t",4\r\r\n> \r\nERROR\r\n')).toEqual([
      echo('AT+QMTPUBEX=0,0,0,0,"t",4'),
      prompt,
      error,
    ]);
    expect(parser.hold).toBeNull();
  });

  it('does not believe a +QMTRECV length from a client known to send none (after RDY, the default)', () => {
    const parser = live();
    // The payload `x"\r\n+QMTRECV: 0,9,"t",65000,"` of a length-less message.
    const wire = '\r\nRDY\r\n\r\n+QMTRECV: 0,1,"t","x"\r\n+QMTRECV: 0,9,"t",65000,""\r\n\r\nOK\r\n';
    expect(events(parser, wire)).toEqual([
      urc('RDY', []),
      recv('+QMTRECV: 0,1,"t","x"', { idx: 0, msgid: 1, topic: 't', len: null, payload: 'x' }),
      { kind: 'unknown', raw: '+QMTRECV: 0,9,"t",65000,""', reason: 'unparsed' },
      ok,
    ]);
    expect(parser.hold).toBeNull();
  });

  it('learns msg_len_enable from AT+QMTCFG="recv/mode" (set or read) and holds each client to it', () => {
    const parser = live();
    events(parser, '\r\nRDY\r\n');
    parser.noteCommand('AT+QMTCFG="recv/mode",0,0,1');
    events(parser, '\r\nOK\r\n');
    expect(events(parser, '\r\n+QMTRECV: 0,1,"t",4,"a"\r\n"\r\n')).toEqual([
      recv('+QMTRECV: 0,1,"t",4,"a"\r\n"', { idx: 0, msgid: 1, topic: 't', len: 4, payload: 'a"\r\n' }),
    ]);
    // Client 0 sends lengths now: a length-less header there is payload of something else.
    expect(events(parser, '\r\n+QMTRECV: 0,2,"t","b"\r\n')[0]).toMatchObject({ kind: 'unknown' });
    // Client 1 is still without lengths; its read form says it now sends them.
    parser.noteCommand('AT+QMTCFG="recv/mode",1');
    expect(events(parser, '\r\n+QMTCFG: "recv/mode",0,1\r\n\r\nOK\r\n')).toHaveLength(2);
    expect(events(parser, '\r\n+QMTRECV: 1,2,"t",1,"b"\r\n')[0]).toMatchObject({ kind: 'recv', payloadLength: 1 });
  });

  it('with the client mode unknown, believes no length beyond maxRecvPayload and no client index beyond 5', () => {
    const parser = live();
    expect(events(parser, '\r\n+QMTRECV: 0,9,"t",65000,"abc"\r\nOK\r\n')).toEqual([
      { kind: 'unknown', raw: '+QMTRECV: 0,9,"t",65000,"abc"', reason: 'unparsed' },
      ok,
    ]);
    expect(events(parser, '\r\n+QMTRECV: 6,1,"t",1,"a"\r\n')[0]).toMatchObject({ kind: 'unknown' });
    expect(events(parser, '\r\n+QMTRECV: 0,1,"t",1024,"')).toEqual([]);
    expect(parser.hold).toBe('recv-counted');
  });

  it('bounds a length-less payload by maxRecvPayload', () => {
    const parser = live();
    const out = events(parser, `\r\n+QMTRECV: 0,1,"t","${'z'.repeat(1100)}\r\nOK\r\n`);
    expect(out.map((e) => e.kind)).toEqual(['unknown', 'final']);
    expect(out[0]).toMatchObject({ reason: 'overlong' });
  });

  it('reads a line that is not text (invalid UTF-8) or only blanks as noise, and UTF-8 text as text', () => {
    const parser = live();
    parser.noteCommand('AT+QGMR');
    const bytes = new Uint8Array([0x0d, 0x0a, 0xff, 0xfe, 0x41, 0x0d, 0x0a, 0x20, 0x20, 0x0d, 0x0a]);
    expect(parser.push(bytes)).toEqual([
      { kind: 'unknown', raw: '\ufffd\ufffdA', reason: 'binary' },
      { kind: 'unknown', raw: '  ', reason: 'unparsed' },
    ]);
    expect(events(parser, '\r\n+QMTRECV: 1,4\r\n\r\nRevisión: EC200U\r\n\r\nOK\r\n')).toEqual([
      urc('+QMTRECV: 1,4', ['1', '4']),
      response('Revisión: EC200U', []),
      ok,
    ]);
    // A captured log keeps such a line as the recorder saw it.
    expect(new AtStreamParser().push(bytes)[0]).toMatchObject({ kind: 'unknown', reason: 'unparsed' });
  });

  it('reads the echo behind noise that stuck to its front, and keeps any other line with noise in it as noise', () => {
    const parser = live();
    parser.noteCommand('ATE1V1Q0');
    // The tail of a noise burst (DEL, XOFF) after its own line end, then the module's echo.
    const glued = new Uint8Array([0x7f, 0x13, ...new TextEncoder().encode('ATE1V1Q0\r\r\nOK\r\n')]);
    expect(parser.push(glued)).toEqual([
      { kind: 'unknown', raw: '\\x7f\\x13', reason: 'binary' },
      { kind: 'echo', raw: 'ATE1V1Q0' },
      ok,
    ]);
    parser.noteCommand('AT+CGSN');
    const answer = new Uint8Array([
      ...new TextEncoder().encode('AT+CGSN\r\r\n'),
      0x7f,
      0x13,
      ...new TextEncoder().encode('868691050000048\r\n\r\nOK\r\n'),
    ]);
    expect(parser.push(answer)).toEqual([
      { kind: 'echo', raw: 'AT+CGSN' },
      { kind: 'unknown', raw: '\\x7f\\x13868691050000048', reason: 'binary' },
      ok,
    ]);
  });

  it('abandons a payload on request: one unknown event without the payload, then lines again', () => {
    const parser = live();
    expect(events(parser, '\r\n+QMTRECV: 0,1,"t",1000,"secret-ish payload')).toEqual([]);
    expect(parser.hold).toBe('recv-counted');
    const abandoned = parser.abandonHold();
    expect(abandoned).toEqual([
      {
        kind: 'unknown',
        raw: '+QMTRECV: 0,1,"t",1000,<payload abandoned after 18 of 1000 bytes>',
        reason: 'abandoned',
      },
    ]);
    expect(parser.hold).toBeNull();
    expect(parser.abandonHold()).toEqual([]);
    expect(events(parser, '\r\nOK\r\n')).toEqual([ok]);
    parser.push(bytesOf('\r\n+QMTRECV: 0,1,"t","open'));
    expect(parser.hold).toBe('recv-quoted');
    expect(parser.abandonHold()[0]).toMatchObject({ raw: '+QMTRECV: 0,1,"t",<payload abandoned after 4 bytes>' });
  });
});
