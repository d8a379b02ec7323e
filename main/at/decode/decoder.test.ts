import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeLog, HOLD_EVENTS, LogDecoder, LogScan, type DecodedEvent } from './decoder';
import { renderJsonLines, renderText } from './render';

/** The decoder on sample logs in several formats (fixtures/), plus format independence and robustness. */

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const commands = (events: readonly DecodedEvent[]) => events.filter((e) => e.kind === 'command');
const byName = (events: readonly DecodedEvent[], name: string) => events.filter((e) => e.name === name);
const KINDS = new Set(['command', 'response', 'final', 'urc', 'prompt', 'data', 'unknown']);

describe('plain log with echo, no timestamps, LF (the spec example session)', () => {
  const events = decodeLog(fixture('plain-echo.log'));

  it('finds every command with its outcome, completion URCs linked', () => {
    expect(commands(events).map((e) => e.name)).toEqual([
      'AT',
      'AT',
      'AT+QMTCFG',
      'AT+QMTCFG',
      'AT+QMTOPEN',
      'AT+QMTCONN',
      'AT+QMTSUB',
      'AT+QMTPUBEX',
      'AT+QMTDISC',
    ]);
    const open = commands(events).find((e) => e.name === 'AT+QMTOPEN');
    expect(open?.outcome).toMatchObject({ final: 'OK', completion: '+QMTOPEN: 0,0', ok: true });
    const conn = commands(events).find((e) => e.name === 'AT+QMTCONN');
    expect(conn?.outcome?.explanation).toBe('MQTT client 0: connected (Connection Accepted).');
    // The first AT got no answer before the second was sent.
    expect(commands(events)[0]?.outcome).toMatchObject({ final: null, ok: false });
  });

  it('follows the prompt and shows the payload; decodes +QMTRECV', () => {
    const data = events.find((e) => e.kind === 'data');
    expect(data).toMatchObject({
      raw: 'This is test data, hello MQTT.',
      decoded: { expectedBytes: 30, loggedBytes: 30 },
    });
    const recv = byName(events, '+QMTRECV');
    expect(recv.map((e) => e.decoded)).toEqual([
      {
        clientIdx: 0,
        msgid: 0,
        topic: 'topic/example',
        payloadLength: 36,
        payload: 'This is the payload related to topic',
      },
      { clientIdx: 0, msgid: 0, topic: 'topic/pub', payloadLength: 30, payload: 'This is test data, hello MQTT.' },
    ]);
  });

  it('keeps lines it does not understand, and redacts the aliauth secret', () => {
    expect(events.at(-1)).toMatchObject({
      kind: 'unknown',
      raw: 'this line is noise from a terminal program',
      line: 32,
    });
    expect(renderJsonLines(events)).not.toContain('wN9Y6pZSIly7Exa5qVzcmigEGO4kAazZ');
    expect(renderText(events)).toContain('AT+QMTCFG="aliauth",0,"oyjtmPI5a5j","MQTT_TEST","***"');
  });
});

describe('bracketed dated timestamps, CRLF, echo off, file upload', () => {
  const events = decodeLog(fixture('bracket-dated.log'));

  it('measures durations from the timestamps', () => {
    const open = commands(events).find((e) => e.name === 'AT+QMTOPEN');
    expect(open?.outcome).toMatchObject({ durationMs: 15, completionMs: 1250 });
    expect(byName(events, '+QMTOPEN')[0]).toMatchObject({
      kind: 'urc',
      durationMs: 1250,
      time: '2024-05-01 10:00:05.250',
    });
    expect(commands(events)[0]?.outcome).toMatchObject({ final: 'OK', durationMs: 20 });
  });

  it('explains errors with what to do', () => {
    const cme = events.find((e) => e.kind === 'final' && e.name === 'CME ERROR');
    expect(cme).toMatchObject({
      explanation: 'Module error 407: file already exists.',
      decoded: { result: 'CME ERROR', code: 407 },
      command: 'AT+QFUPL="UFS:cacert.pem",1188,100',
    });
    expect(cme?.howTo).toContain('AT+QFDEL');
    const conn = commands(events).find((e) => e.name === 'AT+QMTCONN');
    expect(conn?.outcome).toMatchObject({ completion: '+QMTCONN: 0,0,4', ok: false });
    const stat = byName(events, '+QMTSTAT')[0];
    expect(stat?.explanation).toBe('MQTT client 0: link closed, error 1: Connection is closed or reset by a peer end.');
    expect(stat?.howTo).toBe('Execute AT+QMTOPEN command and reopen MQTT connection.');
  });

  it('the file data phase is one event; the key, the password and the read-back secret never appear', () => {
    const data = events.filter((e) => e.kind === 'data');
    expect(data).toHaveLength(1);
    expect(data[0]).toMatchObject({ name: 'file data', line: 9, decoded: { expectedBytes: 120 } });
    for (const output of [renderJsonLines(events), renderText(events)]) {
      expect(output).not.toContain('SuperSecretKeyMaterial');
      expect(output).not.toContain('Pa55w0rd!');
      expect(output).not.toContain('ReadBackSecretValue123');
    }
    expect(byName(events, '+QMTCFG')[0]?.decoded).toEqual({ params: ['aliauth', 'a1b2c3', 'dev', '***'] });
  });
});

describe('ISO timestamps with > / < direction markers, both directions, echo on', () => {
  const events = decodeLog(fixture('iso-arrows.log'));

  it('an echo of a sent command is not a second command', () => {
    expect(commands(events).map((e) => e.name)).toEqual([
      'AT+QMTCFG',
      'AT+QMTOPEN',
      'AT+QMTOPEN',
      'AT+QMTCONN',
      'AT+QMTPUBEX',
      'AT+QMTSUB',
    ]);
    expect(commands(events).every((e) => e.direction === 'tx')).toBe(true);
  });

  it('a failed open, a retransmission report that does not complete, then the real completion', () => {
    const [failed, retried] = commands(events).filter((e) => e.name === 'AT+QMTOPEN');
    expect(failed?.outcome).toMatchObject({ completion: '+QMTOPEN: 1,-1', ok: false, completionMs: 30_010 });
    expect(retried?.outcome).toMatchObject({ completion: '+QMTOPEN: 1,0', ok: true, completionMs: 900 });
    const pub = commands(events).find((e) => e.name === 'AT+QMTPUBEX');
    expect(pub?.outcome).toMatchObject({ completion: '+QMTPUBEX: 1,7,0', completionMs: 10_030, ok: true });
    const [retransmission] = byName(events, '+QMTPUBEX');
    expect(retransmission?.explanation).toContain('Packet retransmission');
    expect(retransmission?.severity).toBe('warning');
  });

  it('takes a payload sent on its own line after the prompt', () => {
    expect(events.find((e) => e.kind === 'data')).toMatchObject({ raw: '{"id":"1","v":42}', direction: 'tx' });
  });

  it('a +QMTRECV payload with quotes, commas and a line break is one event', () => {
    const [recv] = byName(events, '+QMTRECV');
    expect(recv?.decoded).toMatchObject({ topic: '$sys/378452/dev42/cmd', payload: 'say "hi", then\r\nwait' });
  });

  it('redacts the OneNET key and the token password', () => {
    const output = renderJsonLines(events);
    expect(output).not.toContain('bXlTZWNyZXRBY2Nlc3NLZXk');
    expect(output).not.toContain('sign=abc');
    expect(commands(events)[3]?.raw).toBe('AT+QMTCONN=1,"dev42","378452","***"');
  });
});

describe('time-only stamps with TX:/RX: labels', () => {
  const events = decodeLog(fixture('txrx-time-only.log'));

  it('durations survive midnight; text +CME ERROR is explained', () => {
    expect(commands(events)[0]?.outcome).toMatchObject({
      final: '+CME ERROR: SIM not inserted',
      durationMs: 50,
      ok: false,
    });
    const cme = events.find((e) => e.kind === 'final' && e.name === 'CME ERROR');
    expect(cme?.howTo).toContain('Insert a SIM card');
  });

  it('unknown URCs, garbage and a trailing command without answer do not stop it', () => {
    expect(byName(events, '+FOOBAR')[0]).toMatchObject({ kind: 'urc', decoded: { known: false } });
    expect(events.find((e) => e.raw === '%%$#garbage')?.kind).toBe('unknown');
    expect(commands(events).at(-1)?.outcome).toMatchObject({ final: null, ok: false });
    expect(renderJsonLines(events)).not.toContain('apnSecret');
  });

  it('an ERROR after a PUBEX with no prompt: the payload phase never started', () => {
    const pub = commands(events).find((e) => e.name === 'AT+QMTPUBEX');
    expect(pub?.outcome).toMatchObject({ final: 'ERROR', ok: false });
    expect(events.some((e) => e.kind === 'data')).toBe(false);
  });
});

describe('format independence and robustness', () => {
  const plain = fixture('plain-echo.log');
  const signature = (events: readonly DecodedEvent[]) => events.map((e) => [e.kind, e.name, e.raw]);
  const base = signature(decodeLog(plain));
  const lines = plain.split('\n').filter((line, i, all) => i < all.length - 1 || line !== '');

  it('the same session gives the same timeline in every log format', () => {
    const variants = [
      lines.join('\r\n'),
      lines.map((l, i) => `[2024-05-01 10:00:${String(i).padStart(2, '0')}.000] ${l}`).join('\n'),
      lines.map((l, i) => `2024-05-01T10:00:${String(i).padStart(2, '0')}.5Z ${l}`).join('\r\n'),
      lines.map((l, i) => `10:00:${String(i).padStart(2, '0')},250 | ${l}`).join('\n'),
      lines.map((l) => `RX: ${l}`).join('\n'),
    ];
    for (const variant of variants) expect(signature(decodeLog(variant))).toEqual(base);
  });

  it('never throws and only emits the documented kinds, whatever the input', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.string({ unit: 'binary' }),
            fc.constantFrom(
              'OK',
              '> ',
              'AT+QMTPUBEX=0,1,1,0,"t",3',
              'CONNECT',
              'AT+QFUPL="UFS:a",5,1',
              '+QMTRECV: 0,1,"t","x',
            ),
          ),
          { maxLength: 30 },
        ),
        (parts) => {
          const events = decodeLog(parts.join('\n'));
          return events.every((e) => KINDS.has(e.kind) && typeof e.raw === 'string' && e.line >= 0);
        },
      ),
    );
  });

  it('accepts bytes as well as text', () => {
    expect(signature(decodeLog(new TextEncoder().encode(plain)))).toEqual(base);
  });
});

describe('the application note example 5.2, with its // annotations', () => {
  const events = decodeLog(fixture('spec-5.2-annotated.log'));

  it('comments are kept as comments, trailing notes stay with their line', () => {
    const comments = events.filter((e) => e.decoded.reason === 'comment');
    expect(comments.map((e) => e.line)).toEqual([1, 4, 7, 20]);
    const seclevel = commands(events).find((e) => e.raw.startsWith('AT+QSSLCFG="seclevel"'));
    expect(seclevel).toMatchObject({
      raw: 'AT+QSSLCFG="seclevel",2,2',
      note: 'SSL authentication mode: server authentication',
      decoded: { form: 'write', params: ['seclevel', '2', '2'] },
    });
    expect(byName(events, '+QMTDISC')[0]).toMatchObject({
      raw: '+QMTDISC: 0,0',
      note: 'Connection closed successfully.',
    });
    expect(renderText(events)).toContain('11 commands (0 failed), 6 URCs, 0 unrecognised lines.');
  });

  it('every command succeeded, the upload placeholder is the data phase, the payload follows a bare prompt', () => {
    expect(commands(events).every((e) => e.outcome?.ok === true)).toBe(true);
    expect(events.filter((e) => e.kind === 'data').map((e) => e.name)).toEqual(['file data', 'payload']);
    expect(events.find((e) => e.name === 'payload')?.raw).toBe('This is publish data from client');
    expect(byName(events, '+QMTRECV')[0]?.decoded).toMatchObject({ msgid: 1, payloadLength: 32 });
  });

  it('a // inside a quoted string is not a comment', () => {
    const [url] = decodeLog('AT+QMTCONN=0,"a //b"\nOK\n');
    expect(url?.raw).toBe('AT+QMTCONN=0,"a //b"');
  });
});

describe('known pitfalls', () => {
  it('a failed command matching a field-notes pitfall gets it as advice; a specific CME code keeps its own', () => {
    const events = decodeLog(
      [
        'AT+QSSLCFG="secllevel",2,2',
        'ERROR',
        'AT+QSSLCFG="ciphersuite",2,"0xFFFF"',
        'ERROR',
        'AT+QFUPL="UFS:a.pem",10,5',
        '+CME ERROR: 407',
        'AT+QSSLCFG="seclevel",2,2',
        'OK',
      ].join('\r\n'),
    );
    const finals = events.filter((e) => e.kind === 'final');
    expect(finals[0]?.howTo).toMatch(/^The parameter is "seclevel"/);
    expect(finals[1]?.howTo).toMatch(/^The cipher suite is written unquoted in hex/);
    expect(finals[2]?.howTo).toBe(
      'The file is already on the module: delete it first with AT+QFDEL, then upload again.',
    );
    expect(finals[3]?.howTo).toBeUndefined();
  });
});

describe('reads logged as chunks with written-out line endings', () => {
  it('splits \\r\\n and <CR><LF> escapes into lines, keeping the stamp and direction', () => {
    const events = decodeLog(fixture('escaped-chunks.log'));
    expect(commands(events).map((e) => e.outcome?.completion)).toEqual(['+QMTOPEN: 0,0', '+QMTPUBEX: 0,1,0']);
    const urcs = events.filter((e) => e.kind === 'urc');
    expect(urcs.map((e) => [e.name, e.line, e.time])).toEqual([
      ['+QMTOPEN', 3, '10:00:00.500'],
      ['+QMTSTAT', 3, '10:00:00.500'],
      ['+QMTPUBEX', 8, '10:00:01.300'],
    ]);
    expect(events.find((e) => e.kind === 'data')).toMatchObject({ raw: 'hello', direction: 'tx' });
    expect(events.some((e) => e.kind === 'unknown')).toBe(false);
  });
});

describe('secrets in lines the decoder does not classify (defects 4, 5, 7)', () => {
  const leaks = (log: string, secrets: readonly string[]): string[] => {
    const events = decodeLog(log);
    const out = renderJsonLines(events) + renderText(events);
    return secrets.filter((secret) => out.includes(secret));
  };

  it('indented, arrow-marked and port-tagged command lines are redacted', () => {
    const log = [
      '  AT+QMTCONN=0,"c","u","pwA1234"',
      '\tAT+QMTCONN=0,"c","u","pwTab567"',
      '12:00:00.123 --> AT+QMTCONN=0,"c","u","pwArrow89"',
      '2024-01-01 12:00:00.123 [COM3] > AT+QMTCONN=0,"c","u","pwPort321"',
      'OK',
    ].join('\n');
    expect(leaks(log, ['pwA1234', 'pwTab567', 'pwArrow89', 'pwPort321'])).toEqual([]);
    // Indentation and `-->` are decoration: those lines are commands again.
    expect(commands(decodeLog(log)).length).toBeGreaterThanOrEqual(3);
  });

  it('a secret seen once is masked everywhere in the output, before and after', () => {
    const log = ['noise mentioning s3cretVal early', 'AT+QMTCONN=0,"c","u","s3cretVal"', 'OK', 'echo s3cretVal'].join(
      '\n',
    );
    expect(leaks(log, ['s3cretVal'])).toEqual([]);
  });

  it('property: a secret set later, however the command is spelled and decorated, is masked on every earlier line', () => {
    // The first pass skips lines that cannot hold a secret: no spelling the redactor reads may be skipped.
    const name = (n: string, blank: string, lower: boolean, cut: number): string => {
      const at = cut % (n.length + 1);
      const written = `${n.slice(0, at)}${blank}${n.slice(at)}`;
      return lower ? written.toLowerCase() : written;
    };
    const forms: readonly ((n: (x: string) => string, value: string) => string)[] = [
      (n, value) => `AT+${n('QMTCONN')}=0,"c","u","${value}"`,
      (n, value) => `AT+${n('QMTCFG')}="aliauth",0,"pk","dn","${value}"`,
      (n, value) => `+${n('QMTCFG')}: "onenet","pid","${value}"`,
      (n, value) => `AT+CSQ;+${n('CPIN')}="${value}"`,
    ];
    const secret = fc.string({
      unit: fc.constantFrom(...Array.from('QWERTYqwerty0123456789')),
      minLength: 6,
      maxLength: 14,
    });
    fc.assert(
      fc.property(
        secret,
        fc.nat(forms.length - 1),
        fc.constantFrom('', ' ', '\t', '\0', '\u200b'),
        fc.boolean(),
        fc.nat(),
        fc.constantFrom('', '[2024-05-01 10:00:00.123] --> ', '10:00:00 > ', '  ', 'TX: '),
        (value, which, blank, lower, cut, decoration) => {
          const form = forms[which];
          if (form === undefined) return;
          const log = [
            `[2024-05-01 10:00:00.100] <-- +QMTRECV: 0,1,"t","${value}"`,
            `payload ${value}`,
            `${decoration}${form((n) => name(n, blank, lower, cut), value)}`,
            'OK',
          ].join('\n');
          expect(leaks(log, [value])).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('private key lines starting with // are never printed as comments', () => {
    const log = [
      '-----BEGIN PRIVATE KEY-----',
      'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC',
      '//9kZXZpY2VLZXlTZWNyZXRMaW5lMQ',
      '-----END PRIVATE KEY-----',
      '// a real comment',
    ].join('\n');
    const events = decodeLog(log);
    expect(leaks(log, ['9kZXZpY2VLZXlTZWNyZXRMaW5lMQ', 'MIIEvQIBADANBgkq'])).toEqual([]);
    expect(events.filter((e) => e.decoded.reason === 'private key')).toHaveLength(4);
    expect(events.at(-1)).toMatchObject({ kind: 'unknown', raw: '// a real comment' });
  });

  it('SIM PIN, PUK and facility passwords are redacted', () => {
    const log = ['AT+CPIN="1234"', 'OK', 'AT+CPIN="87654321","9876"', 'OK', 'AT+CPWD="SC","1357","2468"', 'OK']
      .concat(['AT+CLCK="SC",1,"8642"', 'OK'])
      .join('\n');
    expect(leaks(log, ['1234', '87654321', '9876', '1357', '2468', '8642'])).toEqual([]);
  });

  it('a stray quote in an earlier field does not leak the secret', () => {
    const log = ['AT+QMTCONN=0,"cid","us"er","quotePw9"', 'AT+QMTCFG="aliauth",0,"pk","d"n","aliSe,cret9"']
      .concat(['AT+QICSGP=1,1,"apn","user","pa",ssTAIL"', 'OK'])
      .join('\n');
    expect(leaks(log, ['quotePw9', 'aliSe', 'cret9', 'ssTAIL'])).toEqual([]);
  });
});

describe('streaming: pieces of any size, a bounded hold-back', () => {
  const decodeInPieces = (text: string, sizes: readonly number[]): DecodedEvent[] => {
    const cut = (push: (piece: string) => void): void => {
      let at = 0;
      let i = 0;
      while (at < text.length) {
        const size = Math.max(1, sizes[i++ % sizes.length] ?? 1);
        push(text.slice(at, at + size));
        at += size;
      }
    };
    const scan = new LogScan();
    cut((piece) => scan.push(piece));
    const events: DecodedEvent[] = [];
    const decoder = new LogDecoder((event) => events.push(event), scan.end());
    cut((piece) => decoder.push(piece));
    decoder.end();
    return events;
  };

  it('gives the timeline of the whole log, wherever the pieces are cut (a CR LF split included)', () => {
    for (const name of ['plain-echo.log', 'bracket-dated.log', 'iso-arrows.log', 'spec-5.2-annotated.log']) {
      const text = fixture(name).replace(/\n/g, '\r\n');
      const whole = decodeLog(text);
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 8 }), (sizes) => {
          expect(decodeInPieces(text, sizes)).toEqual(whole);
        }),
        { numRuns: 25 },
      );
    }
  });

  it('hands events on before the log ends; a command that never ends holds back at most HOLD_EVENTS', () => {
    const scan = new LogScan();
    const seen: DecodedEvent[] = [];
    const decoder = new LogDecoder((event) => seen.push(event), scan.end());
    decoder.push('AT+QMTOPEN=0,"host",1883\r\n');
    for (let i = 0; i < HOLD_EVENTS + 5_000; i++) decoder.push('+QMTSTAT: 1,1\r\n');
    // The command (no final result yet) left once the window was full, and everything up to the window with it.
    expect(seen[0]).toMatchObject({ kind: 'command', name: 'AT+QMTOPEN', outcome: { final: null } });
    expect(seen.length).toBeGreaterThanOrEqual(5_000);
    decoder.end();
    expect(seen).toHaveLength(HOLD_EVENTS + 5_001);
  });
});
