import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './hash';
import { isSecretColumn, parseTemplate, placeholdersOf, renderTemplate, type Template } from './templates';

/** Templates (parse, render, escapes), the secret-column rule and canonical JSON, with properties. */

function parsed(source: string): Template {
  const result = parseTemplate(source);
  if (!result.ok) throw new Error(result.message);
  return result.template;
}

const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,12}$/);
const literal = fc.string({ maxLength: 20 }).filter((text) => !text.includes('{') && !text.includes('}'));

describe('templates', () => {
  it('fills identity, run values and manifest columns', () => {
    const template = parsed('{imei}/{iccid}/{imsi}/{run_id}/{nonce}/{device_name}');
    expect(
      renderTemplate(template, {
        imei: '861234567890128',
        iccid: '8986',
        imsi: '46000',
        run_id: 'r1',
        nonce: 'n1',
        row: { device_name: 'meter-7' },
      }),
    ).toEqual({ ok: true, value: '861234567890128/8986/46000/r1/n1/meter-7' });
    expect(placeholdersOf(template)).toEqual(['imei', 'iccid', 'imsi', 'run_id', 'nonce', 'device_name']);
  });

  it('reads {{ and }} as literal braces', () => {
    expect(renderTemplate(parsed('{{"a": "{imei}"}}'), { imei: '1' })).toEqual({ ok: true, value: '{"a": "1"}' });
  });

  it('renders literal text and placeholders in order (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(literal, name, fc.string({ minLength: 1, maxLength: 10 })), { maxLength: 5 }),
        literal,
        (parts, tail) => {
          const row: Record<string, string> = {};
          let source = '';
          let expected = '';
          for (const [text, column, value] of parts) {
            const key = `c_${column}`;
            row[key] ??= value;
            source += `${text}{${key}}`;
            expected += `${text}${row[key]}`;
          }
          source += tail;
          expected += tail;
          expect(renderTemplate(parsed(source), { row })).toEqual({ ok: true, value: expected });
        },
      ),
    );
  });

  it('escapes any text so that it renders as itself (property)', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const escaped = text.replace(/[{}]/g, (brace) => brace + brace);
        expect(renderTemplate(parsed(escaped), {})).toEqual({ ok: true, value: text });
      }),
    );
  });

  it('never throws on any text: a template or the reason it is not one (property)', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const result = parseTemplate(text);
        if (!result.ok) expect(result.message.length).toBeGreaterThan(0);
      }),
    );
  });

  it('names a placeholder without a value, never another value', () => {
    expect(renderTemplate(parsed('{imsi}'), { imei: '1' })).toEqual({
      ok: false,
      message: '{imsi} has no value for this unit',
    });
    expect(renderTemplate(parsed('{a}{b}'), { row: { a: 'secret-a' } })).toEqual({
      ok: false,
      message: '{b}: the unit\'s manifest row has no column "b"',
    });
    expect(renderTemplate(parsed('{toString}'), { row: {} })).toEqual({
      ok: false,
      message: '{toString}: the unit\'s manifest row has no column "toString"',
    });
  });

  it("classes secret columns by issue 9's names", () => {
    for (const column of [
      'password',
      'device_secret',
      'access_key',
      'secret',
      'api_key',
      'mqtt_password',
      'x_secret',
      'PASSWORD',
    ]) {
      expect(isSecretColumn(column), column).toBe(true);
    }
    for (const column of ['imei', 'credential_id', 'device_name', 'product_id', 'keyring', 'passwords']) {
      expect(isSecretColumn(column), column).toBe(false);
    }
  });
});

describe('canonical JSON', () => {
  it('does not depend on key order, at any depth (property)', () => {
    const json = fc.jsonValue();
    const shuffle = (value: unknown, seed: number): unknown => {
      if (Array.isArray(value)) return value.map((item) => shuffle(item, seed));
      if (typeof value !== 'object' || value === null) return value;
      const entries = Object.entries(value);
      entries.sort(
        (a, b) => ((a[0].length * 31 + seed) % 7) - ((b[0].length * 31 + seed) % 7) || (seed % 2 === 0 ? 1 : -1),
      );
      return Object.fromEntries(entries.map(([key, item]) => [key, shuffle(item, seed + 1)]));
    };
    fc.assert(
      fc.property(json, fc.integer({ min: 0, max: 1000 }), (value, seed) => {
        expect(canonicalJson(shuffle(value, seed))).toBe(canonicalJson(value));
        expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });
});
