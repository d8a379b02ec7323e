import type { UrcEvent } from '../vocab/request';
import { TIMEOUTS } from './define';
import { int, record } from './validate';

/**
 * Every time limit of the MQTT commands, in one place. Two different clocks:
 *
 * - The final result (`OK`, `ERROR`, the `> ` prompt) is the module checking the command and its own state: local,
 *   quick, the same short limit for every MQTT command (AT+QMTOPEN does not wait 120 s for a plain OK).
 * - The completion URC (`+QMTOPEN:`, `+QMTCONN:`, `+QMTSUB:`, ...) is the network's answer. The application note's
 *   "Maximum Response Time" for CONN, SUB, UNS and PUBEX (`<pkt_timeout>`, or `<pkt_timeout> x <retry_times>`)
 *   undercounts what a module does: it sends the packet once, then retries `<retry_times>` times, each time waiting
 *   `<pkt_timeout>`, before it reports result 2. So the budget is pkt_timeout x (retry_times + 1), plus a margin
 *   for the network and the module's own work. With `<timeout_notice>` on, every retransmission is announced
 *   (result 1, e.g. `+QMTSUB: 0,1,1,1`): such a notice restarts the budget (AtRequest.completion.progress).
 *   QMTOPEN, QMTCLOSE and QMTDISC do not retransmit; their budgets are the note's figures (120 s, 30 s).
 */

/** The delivery settings of a client, as configured with AT+QMTCFG="timeout",<idx>,<pkt_timeout>,<retry_times>. */
export interface DeliveryTiming {
  /** <pkt_timeout> (1-60 s, default 5). */
  readonly pktTimeoutS?: number;
  /** <retry_times> (0-10, default 3). */
  readonly retryTimes?: number;
}

/** Time from writing an MQTT command to its final result (or prompt): the module answers it locally. */
export const MQTT_FINAL_MS = 5_000;

/** What the budget of a packet adds to the module's own retry schedule: network delay and processing. */
export const NETWORK_MARGIN_MS = 2_000;

/**
 * The completion budget of a packet the module retransmits (CONNECT, SUBSCRIBE, UNSUBSCRIBE, PUBLISH):
 * pkt_timeout x (retry_times + 1) + NETWORK_MARGIN_MS. The defaults (5 s, 3) give 22 s.
 */
export function packetBudgetMs(timing: DeliveryTiming = {}): number {
  const pkt = int('pktTimeoutS', record('timing', timing).pktTimeoutS ?? 5, 1, 60);
  const retries = int('retryTimes', timing.retryTimes ?? 3, 0, 10);
  return pkt * 1000 * (retries + 1) + NETWORK_MARGIN_MS;
}

/** Completion budgets of the link commands, which the module does not retransmit (application note). */
export const LINK_BUDGET_MS = {
  /** AT+QMTOPEN: 120 s, determined by the network. */
  qmtopen: TIMEOUTS.qmtopen,
  /** AT+QMTCLOSE: 30 s. */
  qmtclose: TIMEOUTS.qmtclose,
  /** AT+QMTDISC: 30 s. */
  qmtdisc: TIMEOUTS.qmtclose,
} as const;

/**
 * Packet results 0 and 2 end a transaction; 1 reports a retransmission and more is to come (for +QMTPUBEX,
 * +QMTSUB, +QMTUNS and +QMTCONN alike), so it never completes one.
 */
export function isFinalPacketResult(event: UrcEvent, resultIndex: number): boolean {
  return event.params[resultIndex]?.trim() !== '1';
}

/** A retransmission notice (result 1) of the packet this URC reports. */
export function isRetransmission(event: UrcEvent, resultIndex: number): boolean {
  return event.params[resultIndex]?.trim() === '1';
}
