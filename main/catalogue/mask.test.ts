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
});
