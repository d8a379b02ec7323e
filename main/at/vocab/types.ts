/**
 * The vocabulary shared by the AT parser (pure, runs in worker threads), the transaction engine (main thread,
 * one per port), the command library and the log decoder. Events must stay plain data (structured-clone safe):
 * they cross the worker boundary.
 */

/** Final result codes a module ends a command with. */
export type FinalResult = 'OK' | 'ERROR' | 'CME ERROR' | 'CMS ERROR' | 'NO CARRIER';

export type AtEvent =
  /** The module echoing the command line it received (echo on, ATE1). `raw` has no CR. */
  | { readonly kind: 'echo'; readonly raw: string }
  /** An information response line of the command in flight (e.g. `+QMTOPEN: 0,"host",1883` for `AT+QMTOPEN?`). */
  | {
      readonly kind: 'response';
      /** `+QMTOPEN` for `+QMTOPEN: ...`, null for a bare line such as `Quectel` or an IMEI. */
      readonly name: string | null;
      /** Parameters after `NAME: `, split on top-level commas, quotes removed from quoted strings. */
      readonly params: readonly string[];
      readonly raw: string;
    }
  /** A final result code. `code` is set for numeric `+CME ERROR: 407`, `text` for `+CME ERROR: operation not allowed`. */
  | {
      readonly kind: 'final';
      readonly result: FinalResult;
      readonly code?: number;
      readonly text?: string;
      readonly raw: string;
    }
  /** An unsolicited result code. `known` is false for a `+NAME:` line the URC table does not list. */
  | {
      readonly kind: 'urc';
      readonly name: string;
      readonly params: readonly string[];
      readonly known: boolean;
      readonly raw: string;
    }
  /**
   * `+QMTRECV: <idx>,<msgid>,"<topic>"[,<len>],"<payload>"` with its payload taken whole (quotes, commas, CR LF
   * inside it; `<len>` bytes exactly when present). The buffer-notice form `+QMTRECV: <idx>,<recv_id>` is a plain `urc`.
   * When it answers `AT+QMTRECV=<idx>[,<recv_id>]` it is still this event, with `solicited: true`.
   */
  | {
      readonly kind: 'recv';
      readonly clientIdx: number;
      readonly msgid: number;
      readonly topic: string;
      readonly payloadLength: number | null;
      /** The payload bytes, exactly. */
      readonly payload: Uint8Array;
      readonly solicited: boolean;
      readonly raw: string;
    }
  /** The `> ` prompt (no line ending follows it). */
  | { readonly kind: 'prompt'; readonly raw: string }
  /** `CONNECT`: the module enters the data phase (AT+QFUPL). */
  | { readonly kind: 'connect'; readonly raw: string }
  /** Bytes of a data phase seen on the line: payload echo after `>` with echo on, or file bytes in a captured log. */
  | { readonly kind: 'data'; readonly length: number; readonly bytes: Uint8Array }
  /**
   * A line that is none of the above (garbage, a reply that came too late, noise). Never dropped silently.
   * `abandoned`: a payload the parser was taking whole and gave up on (the engine's trap time ran out).
   */
  | {
      readonly kind: 'unknown';
      readonly raw: string;
      readonly reason: 'unparsed' | 'overlong' | 'binary' | 'abandoned';
    };

export type AtEventKind = AtEvent['kind'];

/**
 * What the engine tells the parser just before it writes a command, so that the parser can tell a response of
 * that command from a URC of the same name and knows how many payload bytes follow a `>` or `CONNECT`.
 * Messages to a worker arrive in order, so this always precedes the bytes that answer the command.
 */
export interface CommandNotice {
  /** The command line as written, without CR. */
  readonly line: string;
}
