import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { parseCookie, stringifySetCookie } from 'cookie';

/**
 * The web shell's token: a random secret made at every start (or handed over by the environment for automation),
 * without which nothing is served. A browser brings it once in the address (`/?token=...`), swaps it for an
 * HttpOnly, SameSite=Strict cookie and is sent on to the same page without it; scripts send
 * `Authorization: Bearer <token>`.
 */

/** The environment variable a fixed token may come from (never a command-line flag: `ps` shows those). */
export const tokenEnvironmentVariable = 'FLEET_STATION_TOKEN';

/** The query parameter that carries the token in the URL the station prints. */
export const tokenParameter = 'token';

/** 32 random bytes: 256 bits, base64url (43 characters, safe in a URL and in a cookie as they are). */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

const tokenAlphabet = /^[A-Za-z0-9._~-]+$/;
const minimumTokenLength = 32;
const maximumTokenLength = 256;

/**
 * Why a token supplied from outside is not good enough, or undefined. At least 32 characters of the URL-safe
 * alphabet (A-Z a-z 0-9 . _ ~ -): 32 hex digits are 128 bits, and the token goes into URLs and cookies unescaped.
 */
export function tokenProblem(token: string): string | undefined {
  if (token.length < minimumTokenLength) {
    return `the token is ${token.length} characters long; it needs at least ${minimumTokenLength} (128 bits or more of randomness)`;
  }
  if (token.length > maximumTokenLength) return `the token is longer than ${maximumTokenLength} characters`;
  if (!tokenAlphabet.test(token)) return 'the token may hold only the characters A-Z a-z 0-9 . _ ~ -';
  return undefined;
}

/**
 * Compares a presented token with the station's in constant time: both are hashed first, so neither the
 * content nor the length of the real token shows in the time an answer takes.
 */
export function sameToken(presented: string, token: string): boolean {
  const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(presented), digest(token));
}

/**
 * The cookie's name carries the port: browsers do not keep cookies apart by port, so two stations on one machine
 * (or a restarted one on another port) would otherwise overwrite each other's.
 */
export function cookieName(port: number): string {
  return `fleet-station-${port}`;
}

/** The Set-Cookie value that keeps the token for this browser session: HttpOnly, SameSite=Strict, Path=/. */
export function tokenCookie(port: number, token: string): string {
  return stringifySetCookie(cookieName(port), token, { httpOnly: true, sameSite: 'strict', path: '/' });
}

/** How a request proved it knows the token, or why it did not. */
export type Credential = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** Checks the Authorization: Bearer header or, failing that, the station's cookie. */
export function checkCredential(headers: IncomingHttpHeaders, port: number, token: string): Credential {
  const authorization = headers.authorization;
  if (authorization !== undefined) {
    const bearer = /^Bearer[ ]+([^ ]+)[ ]*$/i.exec(authorization);
    if (bearer?.[1] === undefined) return { ok: false, reason: 'the Authorization header is not "Bearer <token>"' };
    return sameToken(bearer[1], token) ? { ok: true } : { ok: false, reason: 'the bearer token is not this station’s' };
  }
  const cookieHeader = headers.cookie;
  const cookie = cookieHeader === undefined ? undefined : parseCookie(cookieHeader)[cookieName(port)];
  if (cookie === undefined) return { ok: false, reason: missingToken };
  return sameToken(cookie, token)
    ? { ok: true }
    : {
        ok: false,
        reason:
          'the station’s cookie holds an old token (the station restarted): open the URL the station printed again',
      };
}

export const missingToken =
  'a token is required: open the URL that `fleet-station serve` printed (it carries ?token=...), ' +
  'or send the header Authorization: Bearer <token>';
