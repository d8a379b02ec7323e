import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { qmtcfg, qmtconn } from '../at/commands';
import { testImei } from '../store/fixtures/rows';
import { luhnCheckDigit } from '../store';
import {
  AT_FIELD_LIMITS,
  cellProblem,
  FREE_COLUMN_LIMIT,
  isSecretColumn,
  loadManifest,
  ManifestError,
  parseManifest,
  toCredentialInputs,
  type Manifest,
  type ManifestProblem,
} from './manifest';

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

/** The problems a manifest is refused with (fails the test if it is accepted). */
function problems(text: string | Uint8Array, options: Parameters<typeof parseManifest>[1] = {}): ManifestProblem[] {
  try {
    parseManifest(typeof text === 'string' ? bytes(text) : text, options);
  } catch (error) {
    if (error instanceof ManifestError) return [...error.problems];
    throw error;
  }
  throw new Error('the manifest was accepted');
}

const IMEI_A = testImei(1);
const IMEI_B = testImei(2);

describe('manifest parsing', () => {
  it('reads reserved rows and pool rows with their ids, lines and values', () => {
    const manifest = parseManifest(
      bytes(
        'credential_id,imei,device_name,password\n' +
          `,${IMEI_A},unit-a,pa\n` +
          'pool-1,,dev-1,p1\n' +
          `named,${IMEI_B},unit-b,pb\n`,
      ),
    );
    expect(manifest.columns).toEqual(['credential_id', 'imei', 'device_name', 'password']);
    expect(manifest.secretColumns).toEqual(['password']);
    expect(manifest.rows).toEqual([
      { line: 2, id: IMEI_A, imei: IMEI_A, values: { imei: IMEI_A, device_name: 'unit-a', password: 'pa' } },
      { line: 3, id: 'pool-1', values: { credential_id: 'pool-1', device_name: 'dev-1', password: 'p1' } },
      {
        line: 4,
        id: 'named',
        imei: IMEI_B,
        values: { credential_id: 'named', imei: IMEI_B, device_name: 'unit-b', password: 'pb' },
      },
    ]);
  });

  it('reads the same rows with or without BOM, with CRLF, LF or a mix, and quoted fields with commas', () => {
    const lf = 'credential_id,device_name,note\na,"x, y",1\nb,plain,"say ""hi"" later"\n';
    const expected = parseManifest(bytes(lf.replace('say ""hi"" later', 'fine')));
    for (const variant of ['\uFEFF', ''].flatMap((bom) =>
      [lf, lf.replaceAll('\n', '\r\n'), lf.replace('\n', '\r\n')].map((text) => bom + text),
    )) {
      const withQuote = problems(variant);
      expect(withQuote).toEqual([
        { line: 3, column: 'note', message: expect.stringMatching(/double quote/) as unknown },
      ]);
      const fixed = parseManifest(bytes(variant.replace('say ""hi"" later', 'fine')));
      expect(fixed).toEqual(expected);
    }
    expect(expected.rows[0]?.values.device_name).toBe('x, y');
  });

  it('counts lines across quoted fields with embedded line breaks, blank lines and a header after blank lines', () => {
    const found = problems('\n\ncredential_id,note\na,"one\r\ntwo"\n\nb,fine\nc,"bad""quote"\n');
    expect(found).toEqual([
      { line: 4, column: 'note', message: expect.stringMatching(/line break/) as unknown },
      { line: 8, column: 'note', message: expect.stringMatching(/double quote/) as unknown },
    ]);
  });

  it('normalises header names to lower case and refuses bad, empty and repeated ones', () => {
    expect(parseManifest(bytes(' Credential_ID ,Password\na,b\n')).columns).toEqual(['credential_id', 'password']);
    expect(problems('credential_id,,pass word,Password,password\na,,,,\n')).toEqual([
      { line: 1, message: 'column 2 has no name' },
      { line: 1, message: expect.stringMatching(/^column 3: a name is a letter/) as unknown },
      { line: 1, column: 'password', message: 'the column appears twice in the header' },
    ]);
    expect(problems('device_name\nx\n')).toEqual([
      { line: 1, message: 'the header needs a credential_id column, an imei column, or both' },
    ]);
    expect(problems('')).toEqual([{ line: 1, message: 'the file is empty: a header row is needed' }]);
  });

  it('refuses duplicate ids and duplicate IMEIs, naming both lines', () => {
    expect(problems(`credential_id,imei\na,\nb,${IMEI_A}\na,\n,${IMEI_A}\n,${IMEI_B}\n${IMEI_B},\n`)).toEqual([
      { line: 4, column: 'credential_id', message: 'duplicate credential id a (first on line 2)' },
      { line: 5, column: 'imei', message: `duplicate IMEI ${IMEI_A}: also reserved on line 3` },
      { line: 7, column: 'credential_id', message: `duplicate credential id ${IMEI_B} (first on line 6)` },
    ]);
  });

  it('refuses malformed IMEIs: length, letters, a bad Luhn digit, a spreadsheet number', () => {
    const badLuhn = IMEI_A.slice(0, 14) + String((Number(IMEI_A[14]) + 1) % 10);
    expect(problems(`imei\n12345\n${badLuhn}\n8.61234E+14\n35abc\n`)).toEqual([
      { line: 2, column: 'imei', message: '12345: must be 15 digits, got 5 digits' },
      { line: 3, column: 'imei', message: `${badLuhn}: fails the Luhn check (a digit is wrong or two are swapped)` },
      {
        line: 4,
        column: 'imei',
        message: expect.stringMatching(/exponent form.*format the column as text/) as unknown,
      },
      { line: 5, column: 'imei', message: '35abc: must be 15 digits, got 5 characters that are not all digits' },
    ]);
  });

  it('refuses a row without an id, a row with the wrong number of fields, and skips blank rows', () => {
    expect(problems('credential_id,imei,password\n,,secret-1\na,,x,extra\n,,\n')).toEqual([
      { line: 2, message: 'the row needs a credential_id or an imei (its stable id)' },
      { line: 3, message: 'the row has 4 fields and the header 3' },
    ]);
  });

  it('refuses a missing column the profile needs, in the header and in each row', () => {
    expect(problems('credential_id,password\na,x\n', { requiredColumns: ['password', 'device_secret'] })).toEqual([
      { line: 1, column: 'device_secret', message: 'the profile needs this column, and the header does not have it' },
    ]);
    expect(problems('credential_id,password\na,x\nb,\n', { requiredColumns: ['password'] })).toEqual([
      { line: 3, column: 'password', message: 'empty, and the profile needs a value here' },
    ]);
  });

  it('refuses cells no AT command can carry: quotes, CR, LF, control bytes, invisible characters, too long', () => {
    const cases: [string, RegExp][] = [
      ['ab"c', /double quote/],
      ['a\rb', /line break/],
      ['a\nAT+CFUN=0', /line break/],
      ['a\u0000b', /control character \(U\+0000\)/],
      ['a\u001ab', /control character \(U\+001A\)/],
      ['a\u007fb', /control character \(U\+007F\)/],
      ['a\u0085b', /control character \(U\+0085\)/],
      ['a\u202eb', /invisible or non-printable character \(U\+202E\)/],
      ['a\u200bb', /invisible or non-printable character \(U\+200B\)/],
      ['a\u2028b', /invisible or non-printable character \(U\+2028\)/],
      ['a\ue000b', /invisible or non-printable character \(U\+E000\)/],
    ];
    for (const [value, message] of cases) {
      const csv = stringify([
        ['credential_id', 'device_secret'],
        ['a', value],
      ]);
      const found = problems(csv);
      expect(found).toEqual([{ line: 2, column: 'device_secret', message: expect.stringMatching(message) as unknown }]);
      expect(JSON.stringify(found)).not.toContain(value);
    }
    expect(problems(`credential_id,device_secret\na,${'k'.repeat(129)}\n`)).toEqual([
      { line: 2, column: 'device_secret', message: expect.stringMatching(/129 bytes.*aliauth.*128 bytes/) as unknown },
    ]);
    // Bytes, not characters: 43 three-byte characters are 129 bytes.
    expect(problems(`credential_id,device_secret\na,${'密'.repeat(43)}\n`)[0]?.message).toMatch(/^129 bytes/);
    expect(problems(`credential_id,topic_suffix\na,${'t'.repeat(257)}\n`)[0]?.message).toMatch(/256 bytes/);
  });

  it('refuses text that is not UTF-8, naming the line, and UTF-16 files', () => {
    const latin1 = Buffer.concat([bytes('credential_id,device_name\na,ok\nb,'), Buffer.from([0xe9]), bytes('\n')]);
    expect(problems(latin1)).toEqual([
      { line: 3, message: 'the line is not valid UTF-8: save the file as "CSV UTF-8"' },
    ]);
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('credential_id\r\na\r\n', 'utf16le')]);
    expect(problems(utf16)).toEqual([{ line: 1, message: 'the file is UTF-16: save it as "CSV UTF-8"' }]);
  });

  it('explains broken CSV without quoting the file', () => {
    const found = problems('credential_id,password\na,"top-secret-value\n');
    expect(found).toEqual([
      { line: expect.any(Number) as unknown, message: expect.stringMatching(/never closed/) as unknown },
    ]);
    expect(problems('credential_id,password\na,top"secret"value\n')).toEqual([
      { line: 2, message: expect.stringMatching(/double quote inside an unquoted field/) as unknown },
    ]);
    expect(JSON.stringify(problems('credential_id,password\na,"top-secret"value\n'))).not.toContain('top-secret');
  });
});

describe('secret columns', () => {
  it('are the named ones and the _secret/_password/_key suffixes; clientkey is a file path column', () => {
    const secret = [
      'password',
      'device_secret',
      'access_key',
      'secret',
      'mqtt_password',
      'app_secret',
      'product_key',
      'client_key',
    ];
    const clear = [
      'clientkey',
      'cacert',
      'clientcert',
      'device_name',
      'product_id',
      'username',
      'keyring',
      'passwords',
    ];
    expect(secret.filter(isSecretColumn)).toEqual(secret);
    expect(clear.filter(isSecretColumn)).toEqual([]);
  });

  it('go to the ledger apart from the clear columns; file columns resolve against the manifest folder', () => {
    const manifest = parseManifest(
      bytes(`credential_id,imei,device_name,device_secret,product_key,clientkey\na,${IMEI_A},n,s,k,certs/a.key\n`),
      { baseDir: '/line/manifests' },
    );
    expect(toCredentialInputs(manifest)).toEqual([
      {
        id: 'a',
        imei: IMEI_A,
        line: 2,
        fields: { device_name: 'n', clientkey: '/line/manifests/certs/a.key' },
        secrets: { device_secret: 's', product_key: 'k' },
      },
    ]);
  });
});

describe('AT field limits', () => {
  it('match the command library: the longest accepted value is built, one byte more is refused by both', () => {
    const builders: Record<string, (value: string) => unknown> = {
      password: (value) => qmtconn(0, 'id', { username: 'u', password: value }),
      username: (value) => qmtconn(0, 'id', { username: value }),
      client_id: (value) => qmtconn(0, value),
      product_key: (value) => qmtcfg(0, { name: 'aliauth', productKey: value, deviceName: 'd', deviceSecret: 's' }),
      device_name: (value) => qmtcfg(0, { name: 'aliauth', productKey: 'p', deviceName: value, deviceSecret: 's' }),
      device_secret: (value) => qmtcfg(0, { name: 'aliauth', productKey: 'p', deviceName: 'd', deviceSecret: value }),
      product_id: (value) => qmtcfg(0, { name: 'onenet', productId: value, accessKey: 'k' }),
      access_key: (value) => qmtcfg(0, { name: 'onenet', productId: 'p', accessKey: value }),
    };
    expect(Object.keys(builders).sort()).toEqual(Object.keys(AT_FIELD_LIMITS).sort());
    for (const [column, limit] of Object.entries(AT_FIELD_LIMITS)) {
      const build = builders[column];
      if (build === undefined) throw new Error(column);
      expect(cellProblem(column, 'x'.repeat(limit.bytes))).toBeUndefined();
      expect(() => build('x'.repeat(limit.bytes))).not.toThrow();
      expect(cellProblem(column, 'x'.repeat(limit.bytes + 1))).toBeDefined();
      expect(() => build('x'.repeat(limit.bytes + 1))).toThrow(/at most/);
    }
    expect(() => qmtconn(0, 'x'.repeat(FREE_COLUMN_LIMIT.bytes))).not.toThrow();
  });
});

describe('manifest properties', () => {
  /** Cell text the manifest must take: printable, with commas, spaces and punctuation that CSV must quote. */
  const safeChar = fc.constantFrom(..."abcXYZ019 ,;:'\\/$?&=+-_.@#%()[]{}<>|~!*^`éü密ß".split(''));
  const safeCell = fc.string({ unit: safeChar, minLength: 1, maxLength: 20 });
  const column = fc
    .stringMatching(/^[a-z][a-z0-9_]{0,10}$/)
    .filter(
      (name) => name !== 'imei' && name !== 'credential_id' && !['cacert', 'clientcert', 'clientkey'].includes(name),
    );
  const table = fc.uniqueArray(column, { minLength: 1, maxLength: 5 }).chain((columns) =>
    fc.record({
      columns: fc.constant(columns),
      rows: fc.array(fc.array(safeCell, { minLength: columns.length, maxLength: columns.length }), { maxLength: 15 }),
      bom: fc.boolean(),
      crlf: fc.boolean(),
      quoteAll: fc.boolean(),
    }),
  );

  it('round-trips any table written by a CSV library, with or without BOM, CRLF or LF, quoted or not', () => {
    fc.assert(
      fc.property(table, ({ columns, rows, bom, crlf, quoteAll }) => {
        const header = ['credential_id', ...columns];
        const data = rows.map((cells, i) => [`id-${i}`, ...cells]);
        const text = stringify([header, ...data], { record_delimiter: crlf ? '\r\n' : '\n', quoted: quoteAll });
        const manifest: Manifest = parseManifest(bytes((bom ? '\uFEFF' : '') + text));
        expect(manifest.rows.map((row) => row.id)).toEqual(data.map((cells) => cells[0]));
        manifest.rows.forEach((row, i) => {
          expect(row.line).toBe(i + 2);
          columns.forEach((name, j) => expect(row.values[name]).toBe(rows[i]?.[j]));
        });
      }),
    );
  });

  it('refuses any cell carrying a quote or control character, naming its line, and never prints the value', () => {
    const dangerous = fc.constantFrom(
      '"',
      '\r',
      '\n',
      '\r\n',
      '\u0000',
      '\u0007',
      '\u001b',
      '\u007f',
      '\u009b',
      '\u202e',
    );
    fc.assert(
      fc.property(
        fc.array(safeCell, { minLength: 1, maxLength: 8 }),
        fc.nat(),
        safeCell,
        dangerous,
        safeCell,
        (cells, pick, before, bad, after) => {
          const at = pick % cells.length;
          const marker = `SECRET${before}${bad}${after}`;
          const rows = cells.map((cell, i) => [`id-${i}`, i === at ? marker : cell]);
          const text = stringify([['credential_id', 'device_secret'], ...rows]);
          const found = problems(text);
          expect(found).toHaveLength(1);
          // Rows before the bad one are one line each; the bad cell starts on its own row's line.
          expect(found[0]).toMatchObject({ line: at + 2, column: 'device_secret' });
          expect(JSON.stringify(found)).not.toContain('SECRET');
        },
      ),
    );
  });

  it('accepts every IMEI with a right Luhn digit and refuses every single-digit error and adjacent swap', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{14}$/), fc.nat(14), fc.integer({ min: 1, max: 9 }), (body, at, delta) => {
        const imei = body + String(luhnCheckDigit(body));
        expect(cellProblem('imei', imei)).toBeUndefined();
        const digits = imei.split('');
        digits[at] = String((Number(digits[at]) + delta) % 10);
        expect(cellProblem('imei', digits.join(''))).toMatch(/Luhn/);
        const swap = at % 14;
        const [x, y] = [imei[swap], imei[swap + 1]];
        // Luhn catches every adjacent transposition except 09 <-> 90.
        if (x !== y && !((x === '0' && y === '9') || (x === '9' && y === '0'))) {
          const swapped = imei.slice(0, swap) + (y ?? '') + (x ?? '') + imei.slice(swap + 2);
          expect(cellProblem('imei', swapped)).toMatch(/Luhn/);
        }
      }),
    );
  });

  it('never fails other than with a ManifestError, whatever the bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom('', 'credential_id,password\n'), (junk, head) => {
        try {
          parseManifest(Buffer.concat([bytes(head), junk]));
        } catch (error) {
          expect(error).toBeInstanceOf(ManifestError);
        }
      }),
    );
  });
});

describe('loadManifest', () => {
  const dir = mkdtempSync(join(tmpdir(), 'manifest-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('resolves per-device files against the manifest folder and refuses missing ones', async () => {
    writeFileSync(join(dir, 'a.pem'), 'x');
    const file = join(dir, 'm.csv');
    writeFileSync(file, 'credential_id,clientcert,clientkey\na,a.pem,\nb,,missing.key\n');
    await expect(loadManifest(file)).rejects.toMatchObject({
      problems: [{ line: 3, column: 'clientkey', message: `no such file: ${join(dir, 'missing.key')}` }],
    });
    writeFileSync(file, 'credential_id,clientcert\na,a.pem\n');
    expect((await loadManifest(file)).rows[0]?.values.clientcert).toBe(join(dir, 'a.pem'));
  });
});
