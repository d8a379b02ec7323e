import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SecretMask } from './mask';

describe('SecretMask', () => {
  it('masks every remembered secret wherever it appears, the longest where two start together', () => {
    const mask = new SecretMask();
    mask.add('hunter22');
    mask.add('hunter22plus');
    expect(mask.mask('a hunter22plus b hunter22 c')).toBe('a *** b *** c');
    expect(mask.mask('nothing here')).toBe('nothing here');
  });

  it('does not mask short secrets inside other text', () => {
    const mask = new SecretMask(4);
    mask.add('123');
    expect(mask.size).toBe(0);
    expect(mask.mask('+CSQ: 123,99')).toBe('+CSQ: 123,99');
  });

  it('forgets a deleted secret', () => {
    const mask = new SecretMask();
    mask.add('first-secret');
    mask.add('second-secret');
    mask.delete('first-secret');
    expect(mask.mask('first-secret second-secret')).toBe('first-secret ***');
  });

  it('finds secrets that share a long prefix among thousands (the prefix tree, not a scan of the list)', () => {
    const mask = new SecretMask();
    for (let i = 0; i < 5000; i++) mask.add(`sharedPrefix-${i}-x`);
    expect(mask.mask('a sharedPrefix-4999-x b sharedPrefix-12-x c sharedPrefix-')).toBe('a *** b *** c sharedPrefix-');
  });

  it('property: masks as a plain left-to-right search for the longest secret would, however many secrets start alike', () => {
    // Few distinct starts take the native pre-search, many take the loop alone: both must mask the same.
    const alphabet = fc.constantFrom(...Array.from('ab*-.|\\\u00e9'));
    const secret = fc.string({ unit: alphabet, minLength: 4, maxLength: 8 });
    const many = fc.array(
      fc.string({ unit: fc.constantFrom(...Array.from('abcdefghij')), minLength: 4, maxLength: 6 }),
      {
        minLength: 70,
        maxLength: 120,
      },
    );
    fc.assert(
      fc.property(
        fc.array(secret, { maxLength: 6 }),
        fc.boolean(),
        many,
        fc.string({ unit: alphabet, maxLength: 60 }),
        (secrets, crowd, others, text) => {
          const all = crowd ? [...secrets, ...others] : secrets;
          const mask = new SecretMask();
          for (const value of all) mask.add(value);
          expect(mask.mask(text)).toBe(reference(all, text));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: secrets that are prefixes of one another and share long stretches (the tree splits its tails)', () => {
    const ab = fc.constantFrom('a', 'b');
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: ab, minLength: 4, maxLength: 14 }), { maxLength: 12 }),
        fc.string({ unit: ab, maxLength: 80 }),
        (secrets, text) => {
          const mask = new SecretMask();
          for (const value of secrets) mask.add(value);
          expect(mask.mask(text)).toBe(reference(secrets, text));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('property: adds, deletes and masks in any order mask as the plain search over what is remembered', () => {
    const alphabet = fc.constantFrom(...Array.from('abc.|'));
    const value = fc.string({ unit: alphabet, minLength: 4, maxLength: 6 });
    const op = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), value }),
      fc.record({ kind: fc.constant('delete' as const), value }),
      fc.record({ kind: fc.constant('mask' as const), value: fc.string({ unit: alphabet, maxLength: 30 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const mask = new SecretMask();
        const remembered = new Set<string>();
        for (const { kind, value: text } of ops) {
          if (kind === 'add') {
            mask.add(text);
            remembered.add(text);
          } else if (kind === 'delete') {
            mask.delete(text);
            remembered.delete(text);
          } else {
            expect(mask.mask(text)).toBe(reference([...remembered], text));
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

/** The longest remembered secret at each position, left to right (what SecretMask does, written the plain way). */
function reference(secrets: readonly string[], text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    let found = 0;
    for (const secret of secrets) if (secret.length > found && text.startsWith(secret, i)) found = secret.length;
    if (found > 0) {
      out += '***';
      i += found;
    } else {
      out += text.charAt(i);
      i++;
    }
  }
  return out;
}
