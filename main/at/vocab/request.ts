import type { AtEvent } from './types';

export type ResponseEvent = Extract<AtEvent, { kind: 'response' }>;
export type FinalEvent = Extract<AtEvent, { kind: 'final' }>;
export type UrcEvent = Extract<AtEvent, { kind: 'urc' }>;
export type RecvEvent = Extract<AtEvent, { kind: 'recv' }>;

/** What a transaction collected: its information lines, its final result, and the URC that completed it. */
export interface AtOutcome {
  /** Information responses (and `recv` events answering AT+QMTRECV=...) in arrival order. */
  readonly responses: readonly (ResponseEvent | RecvEvent)[];
  readonly final: FinalEvent;
  /** For commands whose real answer is a URC after OK (+QMTOPEN, +QMTCONN, ...). */
  readonly completion?: UrcEvent;
  /** Milliseconds from the first byte written to the completing event. */
  readonly elapsedMs: number;
}

/**
 * One AT transaction, as data (after Zephyr's modem_chat): the request line, an optional payload phase, the
 * time limits, an optional completing URC, and the parser of the outcome. Built by the command library,
 * executed by the transaction engine; nothing else writes to a port.
 */
export interface AtRequest<T> {
  /** The command line without the trailing CR, e.g. `AT+QMTOPEN=0,"broker",1883`. */
  readonly line: string;
  /** The same line with secrets replaced by `***`: the only form that reaches logs and transcripts. */
  readonly redacted: string;
  /** Maximum time from the write to the final result code (spec: "Maximum Response Time"). */
  readonly timeoutMs: number;
  /** Bytes sent after the `> ` prompt (QMTPUBEX, willex) or after `CONNECT` (QFUPL). */
  readonly payload?: { readonly after: 'prompt' | 'connect'; readonly bytes: Uint8Array; readonly secret?: boolean };
  /**
   * After OK, wait up to `timeoutMs` for this URC (matching e.g. the client index) to complete the transaction. A
   * URC of the same name for which `progress` is true shows the module still at work (a retransmission notice,
   * `+QMTSUB: <idx>,<msgid>,1,<n>`): it completes nothing and restarts the `timeoutMs` budget.
   */
  readonly completion?: {
    readonly urc: string;
    readonly match: (event: UrcEvent) => boolean;
    readonly timeoutMs: number;
    readonly progress?: (event: UrcEvent) => boolean;
  };
  /** Abort early (fail fast) on these URCs while in flight, e.g. +QMTSTAT for the same client. */
  readonly abortOn?: readonly { readonly urc: string; readonly match: (event: UrcEvent) => boolean }[];
  /**
   * The information responses carry secrets (the read forms of AT+QMTCFG="aliauth" / "onenet"): the engine's
   * transcript shows them as `<redacted>`. Optional; absent means the responses are safe to log.
   */
  readonly secretResponses?: boolean;
  /** Turns the outcome into the typed result; throws AtResponseError on a malformed answer. */
  readonly parse: (outcome: AtOutcome) => T;
}
