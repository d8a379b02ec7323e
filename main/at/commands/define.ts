import { answerHasSecrets, BASIC_COMMAND_MS, maxResponseMs, REDACTED, redactLine } from '../../catalogue';
import type { AtRequest } from '../vocab/request';

/**
 * Assembles an AtRequest once its parameters are validated. What the catalogue knows is derived here, never
 * written by a builder: `redacted` is the line with the catalogue's secret parameters masked, and
 * `secretResponses` is set when the command's answers carry secrets (the reads of aliauth / onenet / AT+QICSGP).
 */
export function defineRequest<T>(init: Omit<AtRequest<T>, 'redacted' | 'secretResponses'>): AtRequest<T> {
  return {
    ...init,
    redacted: redactLine(init.line),
    ...(answerHasSecrets(init.line) ? { secretResponses: true } : {}),
  };
}

/** The redaction marker used in every redacted line. */
export { REDACTED };

/** The catalogue's maximum response time of a command with a fixed one. */
function limit(name: string): number {
  return maxResponseMs(name) ?? BASIC_COMMAND_MS;
}

/**
 * The catalogue's time limits, by the names the builders use (the spec's "Maximum Response Time" for the MQTT
 * commands, Quectel's AT command manual for the rest).
 */
export const TIMEOUTS = {
  /** Plain queries and settings (AT, ATE, ATI, AT+GSN, AT+CSQ, AT+QMTCFG, AT+QSSLCFG, ...): 300 ms. */
  query: limit('+CSQ'),
  /** AT+CPIN?: 5 s (the SIM may still be starting). */
  cpin: limit('+CPIN'),
  /** AT+COPS?: 180 s (it may wait for a network scan in progress). */
  cops: limit('+COPS'),
  /** AT+CFUN: 15 s (radio on/off). */
  cfun: limit('+CFUN'),
  /** AT+QIACT: 150 s, determined by the network. */
  qiact: limit('+QIACT'),
  /** AT+QIDEACT: 40 s. */
  qideact: limit('+QIDEACT'),
  /** AT+QFLST / AT+QFDEL: file system operations, 5 s. */
  file: limit('+QFLST'),
  /** AT+QMTOPEN: 120 s (spec). */
  qmtopen: limit('+QMTOPEN'),
  /** AT+QMTCLOSE / AT+QMTDISC: 30 s (spec). */
  qmtclose: limit('+QMTCLOSE'),
} as const;
