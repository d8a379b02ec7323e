import { describe, expect, it } from 'vitest';
import { checkCredential, newToken, sameToken, tokenProblem } from './auth';

describe('the station token', () => {
  it('compares tokens of any length without throwing (timingSafeEqual alone throws on unequal lengths)', () => {
    const token = newToken();
    expect(sameToken(token, token)).toBe(true);
    expect(sameToken('', token)).toBe(false);
    expect(sameToken(`${token}x`, token)).toBe(false);
    expect(sameToken(token.slice(0, -1), token)).toBe(false);
  });

  it.each([
    ['too short', 'a'.repeat(31), /at least 32/],
    ['with a space', `${'a'.repeat(32)} b`, /only the characters/],
    ['with a quote (it goes into a cookie)', `${'a'.repeat(32)}"`, /only the characters/],
    ['with a semicolon', `${'a'.repeat(32)};`, /only the characters/],
    ['absurdly long', 'a'.repeat(257), /longer than 256/],
  ])('refuses a supplied token %s', (_what, token, problem) => {
    expect(tokenProblem(token)).toMatch(problem);
  });

  it('accepts 32 hex digits (128 bits) and its own tokens', () => {
    expect(tokenProblem('0123456789abcdef0123456789abcdef')).toBeUndefined();
    expect(tokenProblem(newToken())).toBeUndefined();
  });

  it('takes the Authorization header over the cookie, so a wrong header is not rescued by a cookie', () => {
    const token = newToken();
    const cookie = `fleet-station-5170=${token}`;
    expect(checkCredential({ cookie }, 5170, token)).toEqual({ ok: true });
    expect(checkCredential({ authorization: `bearer ${token}` }, 5170, token)).toEqual({ ok: true });
    expect(checkCredential({ authorization: `Bearer ${token}x`, cookie }, 5170, token).ok).toBe(false);
    expect(checkCredential({ cookie: `other=1; ${cookie}` }, 5170, token)).toEqual({ ok: true });
    expect(checkCredential({ cookie }, 5171, token).ok).toBe(false);
  });
});
