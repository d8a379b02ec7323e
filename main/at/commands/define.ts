import type { AtRequest } from '../vocab/request';

/**
 * Assembles an AtRequest once its parameters are validated. `redacted` defaults to the line itself: a builder
 * with a secret parameter must pass its own redacted form, so forgetting it is visible in review and tests.
 */
export function defineRequest<T>(init: Omit<AtRequest<T>, 'redacted'> & { readonly redacted?: string }): AtRequest<T> {
  return { ...init, redacted: init.redacted ?? init.line };
}

/** The redaction marker used in every redacted line. */
export const REDACTED = '***';

/**
 * Response-time limits where the application note is silent, taken from Quectel's EC200U AT command manual
 * "Maximum Response Time" rows (300 ms for plain queries), rounded up where a margin is cheap.
 */
export const TIMEOUTS = {
  /** Plain queries and settings (AT, ATE, ATI, AT+GSN, AT+CSQ, AT+QMTCFG, AT+QSSLCFG, ...): 300 ms. */
  query: 300,
  /** AT+CPIN?: 5 s (the SIM may still be starting). */
  cpin: 5_000,
  /** AT+COPS?: 180 s in the manual (it may wait for a network scan in progress). */
  cops: 180_000,
  /** AT+CFUN: 15 s (radio on/off). */
  cfun: 15_000,
  /** AT+QIACT: 150 s, determined by the network. */
  qiact: 150_000,
  /** AT+QIDEACT: 40 s. */
  qideact: 40_000,
  /** AT+QFLST / AT+QFDEL: file system operations, 5 s. */
  file: 5_000,
  /** AT+QMTOPEN: 120 s (spec). */
  qmtopen: 120_000,
  /** AT+QMTCLOSE / AT+QMTDISC: 30 s (spec). */
  qmtclose: 30_000,
} as const;
