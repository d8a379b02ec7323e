import type { IncomingHttpHeaders } from 'node:http';
import { MIMEType } from 'node:util';

/**
 * The web shell only talks to pages it served itself: the Host header must name the loopback address it listens
 * on (defeats DNS rebinding) and a present Origin must be that same origin (defeats cross-site requests).
 */
export function allowedOrigins(port: number): Set<string> {
  return new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`]);
}

export function checkRequest(headers: IncomingHttpHeaders, port: number): string | undefined {
  const origins = allowedOrigins(port);
  const host = headers.host;
  if (host === undefined || !origins.has(`http://${host}`)) return 'unexpected Host header';
  const origin = headers.origin;
  if (origin !== undefined && !origins.has(origin)) return 'cross-origin requests are not allowed';
  return undefined;
}

/** A strict policy: everything from the shell itself, the socket back to it, nothing inline, no framing. */
export function contentSecurityPolicy(port: number): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    // CSP source lists cannot name IPv6 literals; 'self' covers the socket of an [::1] page (CSP3 matches ws:).
    `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function securityHeaders(port: number): Record<string, string> {
  return {
    'Content-Security-Policy': contentSecurityPolicy(port),
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
}

/**
 * Whether a Content-Type header names JSON: the media type `application/json` (case-insensitive), with or without
 * parameters (`; charset=utf-8`). Parsed as a MIME type (WHATWG), so `application/jsonfoo` or
 * `application/json-patch+json` are not JSON here, and an unparsable header is not either.
 */
export function isJsonMediaType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  try {
    return new MIMEType(contentType).essence === 'application/json';
  } catch {
    return false;
  }
}
