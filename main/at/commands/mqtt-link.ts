import { AtValidationError } from '../vocab/errors';
import type { AtOutcome, AtRequest, UrcEvent } from '../vocab/request';
import {
  CLOSE_RESULTS,
  CONN_STATES,
  CONNACK_RET_CODES,
  lookup,
  PACKET_RESULTS,
  QMTOPEN_RESULTS,
} from '../decode/texts';
import { defineRequest, TIMEOUTS } from './define';
import {
  isFinalPacketResult,
  isRetransmission,
  LINK_BUDGET_MS,
  MQTT_FINAL_MS,
  packetBudgetMs,
  type DeliveryTiming,
} from './mqtt-timing';
import { intAt, optionalIntAt, requireCompletion, requireOk, responsesNamed, stringAt } from './outcome';
import { clientIndex } from './qmtcfg';
import { int, quoted, record } from './validate';

/**
 * The MQTT link: open and close the network (QMTOPEN / QMTCLOSE), connect and disconnect the client
 * (QMTCONN / QMTDISC). Their real answer is a URC after OK, matched by client index; a +QMTSTAT for the same
 * client while waiting means the link dropped, so it aborts the transaction early.
 */

/** Matches a URC whose first parameter is this client index. */
export function forClient(idx: number): (event: UrcEvent) => boolean {
  return (event) => event.params[0]?.trim() === String(idx);
}

/** +QMTSTAT for this client: the link changed state while we waited. */
export function linkDropped(idx: number): NonNullable<AtRequest<unknown>['abortOn']> {
  return [{ urc: '+QMTSTAT', match: forClient(idx) }];
}

export interface LinkResult {
  readonly clientIdx: number;
  readonly result: number;
  readonly resultText: string;
  readonly ok: boolean;
}

const HOST_RULE = {
  maxBytes: 100,
  pattern: { regex: /^[A-Za-z0-9._:[\]-]+$/, expected: 'a host name or IP address' },
} as const;

/** `AT+QMTOPEN=<idx>,"<host>",<port>`: OK at once, then `+QMTOPEN: <idx>,<result>` (up to 120 s). */
export function qmtopen(clientIdx: number, host: string, port: number): AtRequest<LinkResult> {
  const idx = clientIndex(clientIdx);
  const hostName = quoted('host', host, HOST_RULE);
  const portNumber = int('port', port, 1, 65535);
  return defineRequest({
    line: `AT+QMTOPEN=${idx},${hostName},${portNumber}`,
    timeoutMs: MQTT_FINAL_MS,
    completion: { urc: '+QMTOPEN', match: forClient(idx), timeoutMs: LINK_BUDGET_MS.qmtopen },
    parse: (outcome) => linkResult(outcome, 'AT+QMTOPEN', '+QMTOPEN', QMTOPEN_RESULTS),
  });
}

function linkResult(
  outcome: AtOutcome,
  command: string,
  urc: string,
  texts: Readonly<Record<number, string>>,
): LinkResult {
  requireOk(outcome, command);
  const { params } = requireCompletion(outcome, urc);
  const result = intAt(params, 1, urc);
  return { clientIdx: intAt(params, 0, urc), result, resultText: lookup(texts, result, 'result'), ok: result === 0 };
}

/** `AT+QMTOPEN?`: which clients have a network open, and to where. */
export function qmtopenQuery(): AtRequest<{ clientIdx: number; host: string; port: number }[]> {
  return defineRequest({
    line: 'AT+QMTOPEN?',
    timeoutMs: TIMEOUTS.query,
    parse: (outcome) => {
      requireOk(outcome, 'AT+QMTOPEN?');
      return responsesNamed(outcome, '+QMTOPEN').map(({ params }) => ({
        clientIdx: intAt(params, 0, 'AT+QMTOPEN?'),
        host: stringAt(params, 1, 'AT+QMTOPEN?'),
        port: intAt(params, 2, 'AT+QMTOPEN?'),
      }));
    },
  });
}

/** `AT+QMTCLOSE=<idx>`: OK at once, then `+QMTCLOSE: <idx>,<result>` (up to 30 s). */
export function qmtclose(clientIdx: number): AtRequest<LinkResult> {
  const idx = clientIndex(clientIdx);
  return defineRequest({
    line: `AT+QMTCLOSE=${idx}`,
    timeoutMs: MQTT_FINAL_MS,
    completion: { urc: '+QMTCLOSE', match: forClient(idx), timeoutMs: LINK_BUDGET_MS.qmtclose },
    parse: (outcome) => linkResult(outcome, 'AT+QMTCLOSE', '+QMTCLOSE', CLOSE_RESULTS),
  });
}

/** `AT+QMTDISC=<idx>`: OK at once, then `+QMTDISC: <idx>,<result>` (up to 30 s). */
export function qmtdisc(clientIdx: number): AtRequest<LinkResult> {
  const idx = clientIndex(clientIdx);
  return defineRequest({
    line: `AT+QMTDISC=${idx}`,
    timeoutMs: MQTT_FINAL_MS,
    completion: { urc: '+QMTDISC', match: forClient(idx), timeoutMs: LINK_BUDGET_MS.qmtdisc },
    parse: (outcome) => linkResult(outcome, 'AT+QMTDISC', '+QMTDISC', CLOSE_RESULTS),
  });
}

/** The client's delivery settings (AT+QMTCFG="timeout") set the budget of the CONNECT packet, see mqtt-timing.ts. */
export interface ConnectOptions extends DeliveryTiming {
  /** Omit both with AT+QMTCFG="aliauth"/"onenet": the module derives them. */
  readonly username?: string;
  readonly password?: string;
}

export interface ConnectResult extends LinkResult {
  readonly retCode?: number;
  readonly retCodeText?: string;
}

export { isFinalPacketResult } from './mqtt-timing';

/**
 * `AT+QMTCONN=<idx>,"<client id>"[,"<user>","<password>"]`: OK at once, then `+QMTCONN: <idx>,<result>[,<ret_code>]`
 * within the CONNECT packet's budget (pkt_timeout x (retry_times + 1) + margin).
 */
export function qmtconn(clientIdx: number, clientId: string, options: ConnectOptions = {}): AtRequest<ConnectResult> {
  const idx = clientIndex(clientIdx);
  const id = quoted('clientId', clientId, { maxBytes: 256 });
  const budgetMs = packetBudgetMs(record('options', options));
  if (options.password !== undefined && options.username === undefined) {
    throw new AtValidationError('username', 'is required when a password is given');
  }
  const user =
    options.username === undefined ? undefined : quoted('username', options.username, { minBytes: 0, maxBytes: 256 });
  const password = quoted('password', options.password ?? '', { minBytes: 0, maxBytes: 512 });
  const head = `AT+QMTCONN=${idx},${id}`;
  return defineRequest({
    line: user === undefined ? head : `${head},${user},${password}`,
    timeoutMs: MQTT_FINAL_MS,
    completion: {
      urc: '+QMTCONN',
      match: (event) => forClient(idx)(event) && isFinalPacketResult(event, 1),
      progress: (event) => forClient(idx)(event) && isRetransmission(event, 1),
      timeoutMs: budgetMs,
    },
    abortOn: linkDropped(idx),
    parse: (outcome) => {
      requireOk(outcome, 'AT+QMTCONN');
      const { params } = requireCompletion(outcome, '+QMTCONN');
      const result = intAt(params, 1, '+QMTCONN');
      const retCode = optionalIntAt(params, 2, '+QMTCONN');
      return {
        clientIdx: intAt(params, 0, '+QMTCONN'),
        result,
        resultText: lookup(PACKET_RESULTS, result, 'result'),
        ...(retCode !== undefined ? { retCode, retCodeText: lookup(CONNACK_RET_CODES, retCode, 'return code') } : {}),
        ok: result === 0 && (retCode ?? 0) === 0,
      };
    },
  });
}

export interface ConnectionState {
  readonly clientIdx: number;
  readonly state: number;
  readonly stateText: string;
}

/** `AT+QMTCONN?`: the MQTT state of each client (1 initializing ... 4 disconnecting). */
export function qmtconnQuery(): AtRequest<ConnectionState[]> {
  return defineRequest({
    line: 'AT+QMTCONN?',
    timeoutMs: TIMEOUTS.query,
    parse: (outcome) => {
      requireOk(outcome, 'AT+QMTCONN?');
      return responsesNamed(outcome, '+QMTCONN').map(({ params }) => {
        const state = intAt(params, 1, 'AT+QMTCONN?');
        return { clientIdx: intAt(params, 0, 'AT+QMTCONN?'), state, stateText: lookup(CONN_STATES, state, 'state') };
      });
    },
  });
}
