import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineRedactor, mayHoldSecret, redact, redactLine, redactText } from './redact';

/** The one redactor: the catalogue's secret parameters, in every spelling, masked one by one, failing closed. */

describe('masks each secret parameter on its own', () => {
  it.each([
    ['AT+QMTCONN=0,"client","user","p@ss,word"', 'AT+QMTCONN=0,"client","user","***"'],
    ['AT+QMTCFG="aliauth",0,"pk","dn","secret"', 'AT+QMTCFG="aliauth",0,"pk","dn","***"'],
    ['AT+QMTCFG="ALIAUTH",2,"pk","dn","secret"', 'AT+QMTCFG="ALIAUTH",2,"pk","dn","***"'],
    ['AT+QMTCFG=" aliauth ",0,"pk","dn","secret"', 'AT+QMTCFG=" aliauth ",0,"pk","dn","***"'],
    ['AT+QMTCFG="onenet",0,"pid","a2V5"', 'AT+QMTCFG="onenet",0,"pid","***"'],
    ['+QMTCFG: "aliauth","pk","dn","secret"', '+QMTCFG: "aliauth","pk","dn","***"'],
    ['+QMTCFG: "aliauth",pk,dn,secret', '+QMTCFG: "aliauth",pk,dn,***'],
    ['+QMTCFG: "onenet","pid","a2V5"', '+QMTCFG: "onenet","pid","***"'],
    ['AT+QICSGP=1,1,"apn","user","apnSecret9",1', 'AT+QICSGP=1,1,"apn","user","***",1'],
    ['AT+QICSGP=1,1,"apn","user","pw1234",1,"cdmaSecret"', 'AT+QICSGP=1,1,"apn","user","***",1,"***"'],
    ['+QICSGP: 1,"apn","user","apnSecret9",1', '+QICSGP: 1,"apn","user","***",1'],
    ['AT+CGAUTH=1,1,"user","authSecret"', 'AT+CGAUTH=1,1,"user","***"'],
    ['AT+QFTPCFG="account","user","ftpSecret"', 'AT+QFTPCFG="account","user","***"'],
    ['AT+CPIN="1234"', 'AT+CPIN="***"'],
    ['AT+CPIN=1234', 'AT+CPIN=***'],
    ['AT+CPIN="12345678","4321"', 'AT+CPIN="***","***"'],
    ['AT+CPWD="SC","1234","5678"', 'AT+CPWD="SC","***","***"'],
    ['AT+CLCK="SC",1,"1234"', 'AT+CLCK="SC",1,"***"'],
    ['AT+CLCK="SC",0,"1234",7', 'AT+CLCK="SC",0,"***",7'],
    ['AT+QMTCONN=0, "cid" ,  "user",  "connSecret9"', 'AT+QMTCONN=0, "cid" ,  "user",  "***"'],
  ])('%s', (line, expected) => {
    expect(redactLine(line)).toBe(expected);
  });

  it('reports the values it hid', () => {
    expect(redact('AT+CPIN="12345678","4321"').secrets).toEqual(['12345678', '4321']);
  });
});

describe('reads the spellings modules accept and logs carry', () => {
  it.each([
    ['joined with ;', 'AT+CSQ;+QMTCONN=0,"cid","user","pw1"', 'AT+CSQ;+QMTCONN=0,"cid","user","***"'],
    ['a blank before =', 'AT+QMTCONN =0,"cid","user","pw2"', 'AT+QMTCONN =0,"cid","user","***"'],
    ['blanks everywhere', 'AT +QMTCONN = 0, "cid", "user", "pw3"', 'AT +QMTCONN = 0, "cid", "user", "***"'],
    ['an answer with a blank', '+QMTCFG : "onenet","pid","key4"', '+QMTCFG : "onenet","pid","***"'],
    ['a NUL in the name', 'AT+QMT\0CONN=0,"cid","user","pw5"', 'AT+QMT\0CONN=0,"cid","user","***"'],
    ['a full-width plus', 'AT\uFF0BQMTCONN=0,"cid","user","pw6"', 'AT\uFF0BQMTCONN=0,"cid","user","***"'],
    [
      'full-width = and quotes',
      'AT+QMTCONN\uFF1D0,"cid","user",\uFF02pw7\uFF02',
      'AT+QMTCONN\uFF1D0,"cid","user",\uFF02***\uFF02',
    ],
    ['lower case', 'at+qmtconn=1,"c","u","pw8"', 'at+qmtconn=1,"c","u","***"'],
    [
      'after log decorations',
      '[COM3] 12:00:01 > AT+QMTCONN=0,"c","u","pw9"',
      '[COM3] 12:00:01 > AT+QMTCONN=0,"c","u","***"',
    ],
    ['a zero-width space in the name', 'AT+QMT\u200BCONN=0,"c","u","pw10"', 'AT+QMT\u200BCONN=0,"c","u","***"'],
  ])('%s', (_what, line, expected) => {
    expect(redactLine(line)).toBe(expected);
  });
});

describe('keeps the structure and meaning of the line', () => {
  it.each([
    // An empty secret stays visibly empty.
    'AT+QMTCONN=0,"id","user",""',
    'AT+QICSGP=1,1,"apn","","",0',
    '+QMTCFG: "aliauth","","",""',
    // Reads, tests and commands without secrets.
    'AT+QMTCONN=0,"client"',
    'AT+QMTCONN?',
    'AT+QMTCONN=?',
    '+QMTCONN: 0,0,0',
    '+QMTCONN: (0-5),"clientid","username","password"',
    'AT+QMTCFG="aliauth",0',
    'AT+QMTCFG="keepalive",0,120',
    '+QMTCFG: "keepalive",120',
    'AT+QICSGP=1',
    'AT+QICSGP?',
    'AT+CPIN?',
    '+CPIN: READY',
    'AT+CLCK="SC",2',
    '+CLCK: 0',
    'ATI',
    'OK',
    '+CME ERROR: 407',
    // Prose that mentions a command.
    '//If Alibaba Cloud is connected, customers can use AT+QMTCFG="aliauth" command to configure the device',
    'use AT+QMTCONN to connect, then AT+QMTSUB',
    // Error messages that name a setting the command reads, before a colon (the batch's step errors).
    'reading AT+QMTCFG="will": the module\'s answer could not be trusted (AT+QMTCFG="will",0: its answer arrived damaged (line noise)); check the cable and try again',
    'reading AT+QMTCFG="keepalive": timed out after 300 ms',
  ])('leaves %s as it is', (line) => {
    expect(redactLine(line)).toBe(line);
  });

  it('prose after a complete command is kept', () => {
    expect(redactLine('// send AT+QMTCONN=0,"id","user","pwProse" and wait for +QMTCONN: 0,0,0 first')).toBe(
      '// send AT+QMTCONN=0,"id","user","***" and wait for +QMTCONN: 0,0,0 first',
    );
    expect(redactLine('AT+CPIN="1234" // the SIM PIN, see "notes"')).toBe('AT+CPIN="***" // the SIM PIN, see "notes"');
  });
});

describe('fails closed on a secret-bearing command it cannot read', () => {
  it.each([
    ['a stray quote before the secret', 'AT+QMTCONN=0,"cid","us"er","connSecret9"', 'AT+QMTCONN=0,"cid",***'],
    ['a stray quote inside the secret', 'AT+QMTCONN=0,"id","u","ab"cd,ef"gh"', 'AT+QMTCONN=0,"id","u",***'],
    ['a quote after blanks', 'AT+QMTCONN=0,"id","u","ab" cd",1', 'AT+QMTCONN=0,"id","u",***'],
    ['an unbalanced APN password', 'AT+QICSGP=1,1,"apn","u","a"b,c",1', 'AT+QICSGP=1,1,"apn","u",***'],
    ['a missing comma', 'AT+QMTCONN=0,"cid","user""missingComma1"', 'AT+QMTCONN=0,"cid",***'],
    ['an unreadable sub-setting', 'AT+QMTCFG="aliauth,0,"pk","dn","aliSecret8"', 'AT+QMTCFG=***'],
    ['an unterminated secret', 'AT+QMTCONN=0,"id","user","pwOpen', 'AT+QMTCONN=0,"id","user","***'],
    ['too many parameters', 'AT+QMTCONN=0,"cid","user","conn","Secret9"', 'AT+QMTCONN=0,"cid","user","***","***"'],
    [
      'a secret-bearing setting named before prose',
      'writing AT+QMTCFG="aliauth": "pk","dn","aliSecret8"',
      'writing AT+QMTCFG="aliauth"***',
    ],
    [
      'a sub-setting in single quotes',
      "AT+QMTCFG='aliauth',0,'pk','dn','dsB6secret'",
      "AT+QMTCFG='aliauth',***,***,***,***",
    ],
    [
      'a sub-setting the catalogue does not know',
      'AT+QMTCFG="aliAuth2",0,"pk","dn","dsB6secret"',
      'AT+QMTCFG="aliAuth2",***,"***","***","***"',
    ],
    ['an answer with a stray quote', '+QMTCFG: "aliauth","pk","dn","ali"Secret8"', '+QMTCFG: "aliauth","pk","dn",***'],
  ])('%s', (_what, line, expected) => {
    expect(redactLine(line)).toBe(expected);
  });
});

describe('follows a secret wrapped onto the next line', () => {
  const run = (...lines: string[]): string[] => {
    const redactor = new LineRedactor();
    return lines.map((line) => redactor.line(line).text);
  };

  it('inside its quotes', () => {
    expect(run('AT+QMTCFG="aliauth",0,"pk","dn","wN9Y6pZS', 'Ily7Exa5qVzc"', 'OK')).toEqual([
      'AT+QMTCFG="aliauth",0,"pk","dn","***',
      '***"',
      'OK',
    ]);
  });

  it('over several lines, and learns the whole value', () => {
    const redactor = new LineRedactor();
    redactor.line('AT+QMTCONN=0,"id","user","part1');
    redactor.line('part2');
    const last = redactor.line('part3"');
    expect(last.text).toBe('***"');
    expect(last.secrets).toContain('part1part2part3');
  });

  it('after a comma, and after the = itself', () => {
    expect(run('AT+QMTCONN=0,"id","user",', '"pwNext"', 'OK')).toEqual(['AT+QMTCONN=0,"id","user",', '"***"', 'OK']);
    expect(run('AT+QMTCFG=', '"onenet",0,"pid","keyNext"')).toEqual(['AT+QMTCFG=', '"onenet",0,"pid","***"']);
  });

  it('then reads the parameters after the secret as usual', () => {
    expect(run('AT+QICSGP=1,1,"apn","user","pw', 'Tail",1,"cdmaSecret"')).toEqual([
      'AT+QICSGP=1,1,"apn","user","***',
      '***",1,"***"',
    ]);
  });

  it('not when the next line is a protocol line of its own', () => {
    expect(run('AT+QMTCONN=0,"id","user",', 'OK', '+QMTCONN: 0,0,0')).toEqual([
      'AT+QMTCONN=0,"id","user",',
      'OK',
      '+QMTCONN: 0,0,0',
    ]);
    expect(run('AT+QMTCONN=0,"id","user","pw', 'OK')).toEqual(['AT+QMTCONN=0,"id","user","***', 'OK']);
  });

  it('when the line breaks right before the comma of the secret', () => {
    expect(run('AT+QMTCONN=0,"id","user"', ',"Zq7Wx9Kp3Lm2"', 'OK')).toEqual([
      'AT+QMTCONN=0,"id","user"',
      ',"***"',
      'OK',
    ]);
    expect(run('AT+QMTCFG="aliauth",0,"pk","dn"', ',"Zq7Wx9Kp3Lm2"')).toEqual([
      'AT+QMTCFG="aliauth",0,"pk","dn"',
      ',"***"',
    ]);
    expect(run('AT+QMTCFG="aliauth"', ',0,"pk","dn","Zq7Wx9Kp3Lm2"')).toEqual([
      'AT+QMTCFG="aliauth"',
      ',0,"pk","dn","***"',
    ]);
  });

  it('inside an unquoted secret, and not after a quoted field when prose follows', () => {
    expect(run('AT+CPIN=12', '34')).toEqual(['AT+CPIN=***', '***']);
    expect(run('reading AT+QMTCFG="aliauth"', 'the module answered ERROR')).toEqual([
      'reading AT+QMTCFG="aliauth"',
      'the module answered ERROR',
    ]);
  });

  it('when the line breaks inside the command name, or between the name and its =', () => {
    expect(run('AT+QMTCO', 'NN=0,"id","user","Zq7Wx9Kp3Lm2"')).toEqual(['AT+QMTCO', 'NN=0,"id","user","***"']);
    expect(run('AT+', 'QMTCONN=0,"id","user","Zq7Wx9Kp3Lm2"')).toEqual(['AT+', 'QMTCONN=0,"id","user","***"']);
    expect(run('AT+QMTCONN', '=0,"id","user","Zq7Wx9Kp3Lm2"')).toEqual(['AT+QMTCONN', '=0,"id","user","***"']);
  });

  it('when the line breaks inside the sub-setting name, learning no piece of the name', () => {
    const redactor = new LineRedactor();
    const lines = ['AT+QMTCFG="aliau', 'th",0,"pk","dn","Zq7Wx9Kp3Lm2"', 'OK'].map((line) => redactor.line(line));
    expect(lines.map((line) => line.text)).toEqual(['AT+QMTCFG="aliau', 'th",0,"pk","dn","***"', 'OK']);
    expect(lines.flatMap((line) => line.secrets)).toEqual(['Zq7Wx9Kp3Lm2']);
  });

  it('inside a parameter that is no secret: shown, and not learnt as one', () => {
    const redactor = new LineRedactor();
    const lines = ['AT+QMTCONN=0,"id","us', 'er","Zq7Wx9Kp3Lm2"'].map((line) => redactor.line(line));
    expect(lines.map((line) => line.text)).toEqual(['AT+QMTCONN=0,"id","us', 'er","***"']);
    expect(lines.flatMap((line) => line.secrets)).toEqual(['Zq7Wx9Kp3Lm2']);
  });

  it('when the name is broken over three lines', () => {
    expect(run('AT+QMT', 'CONN', '=0,"id","user","Zq9SecretA"', 'OK')).toEqual([
      'AT+QMT',
      'CONN',
      '=0,"id","user","***"',
      'OK',
    ]);
    expect(run('AT+', 'QMT', 'CONN=0,"id","user","Zq9SecretU"')).toEqual(['AT+', 'QMT', 'CONN=0,"id","user","***"']);
  });

  it('across empty lines (CR CR LF endings)', () => {
    expect(run('AT+QMTCONN=0,"id","user"', '', ',"Zq9SecretQ"', '', 'OK')).toEqual([
      'AT+QMTCONN=0,"id","user"',
      '',
      ',"***"',
      '',
      'OK',
    ]);
    expect(run('AT+QMTCONN', '', '=0,"id","user","Zq9SecretS"')).toEqual(['AT+QMTCONN', '', '=0,"id","user","***"']);
  });

  it('for a sub-setting the catalogue does not know, onto the next line', () => {
    expect(run('AT+QMTCFG="aliauthx",0,"pk",', '"dn","Zq9Unk01"', 'OK')).toEqual([
      'AT+QMTCFG="aliauthx",***,"***",',
      '"***","***"',
      'OK',
    ]);
    expect(run('AT+QMTCFG="aliauthx",0,"pk","dn"', ',"Zq9Unk02"')).toEqual([
      'AT+QMTCFG="aliauthx",***,"***","***"',
      ',"***"',
    ]);
  });

  it('the rest of an unquoted secret is one word, hidden on its line and never learnt on its own', () => {
    const redactor = new LineRedactor();
    const lines = ['AT+CPIN=1234', 'ready', 'OK'].map((line) => redactor.line(line));
    expect(lines.map((line) => line.text)).toEqual(['AT+CPIN=***', '***', 'OK']);
    expect(lines.flatMap((line) => line.secrets)).toEqual(['1234', '1234ready']);
    expect(run('AT+CPIN=1234', 'Connecting to broker now')).toEqual(['AT+CPIN=***', 'Connecting to broker now']);
  });

  it('redactText follows wrapped lines inside one text', () => {
    expect(redactText('AT+QMTCONN=0,"id","user","pw\r\nord"\r\nOK')).toBe(
      'AT+QMTCONN=0,"id","user","***\r\n***"\r\nOK',
    );
  });
});

/** A secret as a builder could write it: no quote, no control character; commas, blanks and any letter allowed. */
const secretArb = fc.string({
  unit: fc.constantFrom(...Array.from('abcXYZ019 ,;:=+-_/.!@#$%^&*()[]{}<>?\u00e9\u4e2d\u{1f511}')),
  minLength: 1,
  maxLength: 40,
});

/** The forms with secrets, as templates of the line (with `$` where the secret goes) and one spelling each. */
const forms: readonly ((name: (n: string) => string, s: string) => string)[] = [
  (name, s) => `${name('QMTCONN')}0,"cid","user","${s}"`,
  (name, s) => `${name('QMTCFG')}"aliauth",0,"pk","dn","${s}"`,
  (name, s) => `${name('QMTCFG')}"onenet",5,"pid","${s}"`,
  (name, s) => `${name('QICSGP')}1,1,"apn","user","${s}",1,"${s}"`,
  (name, s) => `${name('CPIN')}"${s}","${s}"`,
  (name, s) => `${name('CPWD')}"SC","${s}","${s}"`,
  (name, s) => `${name('CLCK')}"SC",1,"${s}",7`,
  (name, s) => `${name('CGAUTH')}1,2,"user","${s}"`,
  (name, s) => `${name('QFTPCFG')}"account","user","${s}"`,
];

/** Ways to write `AT+NAME=`: case, blanks, an invisible character in the name, a full-width plus, a joined command. */
const spellingArb = fc.record({
  lower: fc.boolean(),
  blanks: fc.constantFrom('', ' ', '  ', '\t'),
  // Blanks inside the name keep the line plain ASCII: the quick test for such lines (SECRET_NAME) must see them.
  inside: fc.constantFrom('', ' ', '\t', '\0', '\u200B', '\u00AD'),
  plus: fc.constantFrom('+', '\uFF0B'),
  prefix: fc.constantFrom('AT', 'at', 'AT+CSQ;', '[COM3] > AT', '12:00:00.123 --> AT', ''),
});

describe('property: every secret of every form, however it is spelled, is masked and nothing else is', () => {
  it('redacted = the line with each secret value replaced by ***', () => {
    fc.assert(
      fc.property(secretArb, spellingArb, fc.nat(forms.length - 1), (secret, spelling, which) => {
        const form = forms[which];
        if (form === undefined) return;
        const name = (n: string): string => {
          const cut = Math.floor(n.length / 2);
          const written = `${n.slice(0, cut)}${spelling.inside}${n.slice(cut)}`;
          const cased = spelling.lower ? written.toLowerCase() : written;
          const plus = spelling.prefix.endsWith(';') ? '+' : spelling.plus;
          return `${spelling.prefix}${spelling.blanks}${plus}${cased}${spelling.blanks}=${spelling.blanks}`;
        };
        const line = form(name, secret);
        expect(redactLine(line)).toBe(form(name, '***'));
      }),
      { numRuns: 500 },
    );
  });

  it('a stray quote anywhere before the secret never lets it through', () => {
    const secret = fc.string({
      unit: fc.constantFrom(...Array.from('QWERTYqwerty0123456789')),
      minLength: 6,
      maxLength: 20,
    });
    fc.assert(
      fc.property(secret, fc.nat(), (value, at) => {
        const params = '0,"client","username",';
        const cut = at % (params.length + 1);
        const broken = `${params.slice(0, cut)}"${params.slice(cut)}`;
        expect(redactLine(`AT+QMTCONN=${broken}"${value}"`)).not.toContain(value);
      }),
    );
  });
});

describe('property: a secret-bearing line broken anywhere onto two lines keeps its secret hidden', () => {
  const lines = [
    'AT+QMTCONN=0,"id","user","Zq7Wx9Kp3Lm2"',
    'AT+QMTCFG="aliauth",0,"pk","dn","Zq7Wx9Kp3Lm2"',
    'AT+QMTCFG="onenet",5,"pid","Zq7Wx9Kp3Lm2"',
    'AT+QICSGP=1,1,"apn","user","Zq7Wx9Kp3Lm2",1',
    'AT+CPIN="Zq7Wx9Kp3Lm2"',
    'AT+CLCK="SC",1,"Zq7Wx9Kp3Lm2"',
    'at +qmtconn = 0 , "id" , "user" , "Zq7Wx9Kp3Lm2"',
  ];
  const secret = 'Zq7Wx9Kp3Lm2';
  it.each(lines)('%s, at every place', (line) => {
    for (let cut = 1; cut < line.length; cut++) {
      const redactor = new LineRedactor();
      const shown = [line.slice(0, cut), line.slice(cut), 'OK'].map((part) => redactor.line(part).text).join('');
      // The secret, and any piece of it longer than what one line may end or start with, never shows whole.
      expect(shown, `cut at ${String(cut)}`).not.toContain(secret);
      for (const piece of [secret.slice(0, 6), secret.slice(-6)]) {
        expect(shown.includes(piece) ? `${piece} shown, cut at ${String(cut)}: ${shown}` : '').toBe('');
      }
    }
  });
});

describe('property: a secret-bearing line broken into three, empty lines between, keeps its secret hidden', () => {
  const lines = [
    'AT+QMTCONN=0,"id","user","Zq7Wx9Kp3Lm2"',
    'AT+QMTCFG="aliauth",0,"pk","dn","Zq7Wx9Kp3Lm2"',
    'AT+QICSGP=1,1,"apn","user","Zq7Wx9Kp3Lm2",1',
    'AT+CPWD="SC","Zq7Wx9Kp3Lm2","Zq7Wx9Kp3Lm3"',
  ];
  it('at any two places', () => {
    fc.assert(
      fc.property(fc.constantFrom(...lines), fc.nat(), fc.nat(), fc.boolean(), (line, a, b, blank) => {
        const first = 1 + (a % (line.length - 1));
        const second = first + (b % (line.length - first));
        const pieces = [line.slice(0, first), line.slice(first, second), line.slice(second)].filter((p) => p !== '');
        const redactor = new LineRedactor();
        const shown = pieces
          .flatMap((piece) => (blank ? [piece, ''] : [piece]))
          .map((piece) => redactor.line(piece).text)
          .join('|');
        expect(shown).not.toContain('Zq7Wx9');
        expect(shown).not.toContain('p3Lm2');
      }),
      { numRuns: 2000 },
    );
  });
});

describe('long and hostile lines', () => {
  // Linear, this takes milliseconds; quadratic (a pattern whose two blank runs fought over the same blanks), about
  // three minutes: the test's time limit is only the safety net.
  it('a line of a plus sign and 400,000 blanks', { timeout: 15_000 }, () => {
    const line = `+${' '.repeat(400_000)}x`;
    expect(redactLine(line)).toBe(line);
    expect(new LineRedactor().line(line).text).toBe(line);
    expect(mayHoldSecret(line)).toBe(false);
  });

  it('a line of thousands of commands, each followed by prose', () => {
    const line = 'AT+QMTCONN=0,"c","u","pw" sent, '.repeat(20_000);
    expect(redactLine(line)).toBe('AT+QMTCONN=0,"c","u","***" sent, '.repeat(20_000));
  });

  it('prose that runs into a quote cannot be told from a secret that does: hidden to the end', () => {
    expect(redactLine('AT+CPIN="1234" x '.repeat(20_000))).toBe('AT+CPIN=***');
  });

  it('a line of thousands of plus signs and names without an operator', () => {
    const line = '+QMTCONN +QMT CONN '.repeat(20_000);
    expect(redactLine(line)).toBe(line);
  });
});
