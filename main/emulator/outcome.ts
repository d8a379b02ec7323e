/**
 * What a command handler answers, as data. The module turns it into bytes (echo, CR LF framing, CMEE mode) in
 * one place, so every command is framed identically and faults (ERROR, dropped or late reply) apply uniformly.
 */

/** An information line: text (UTF-8), or bytes sent as they are (binary +QMTRECV payloads). */
export type Line = string | Uint8Array;

export type Outcome =
  /** Information lines (may be none), then OK. `after` runs once OK is out (starts network work whose URC follows). */
  | {
      readonly kind: 'ok';
      readonly lines?: readonly Line[];
      readonly after?: () => void;
      /** No blank line between the information lines and OK (how some test forms are answered, field notes). */
      readonly compact?: boolean;
    }
  /** Plain `ERROR` whatever AT+CMEE says (the MQTT commands, unknown commands, syntax errors). */
  | { readonly kind: 'error' }
  /** `+CME ERROR: <code>`, shown per AT+CMEE (0: ERROR, 1: number, 2: text). `lines` come first. */
  | { readonly kind: 'cme'; readonly code: number; readonly lines?: readonly Line[] }
  /** Data input: `> ` (prompt) or `CONNECT` (upload), then exactly `length` bytes go to `onData`. */
  | {
      readonly kind: 'input';
      readonly style: 'prompt' | 'connect';
      readonly length: number;
      /** Echo the bytes back while echo is on (true for `> ` input, false for file uploads). */
      readonly echo: boolean;
      /** Gives up after this long without the full length (undefined: waits forever). */
      readonly timeoutMs?: number;
      /** Called with the whole input (or the partial input and `timedOut`), answers the final result. */
      readonly onData: (data: Uint8Array, timedOut: boolean) => Outcome;
      /** Called when the module powers off mid-input; the input is lost. */
      readonly onAbort?: () => void;
    };

/**
 * The `> ` input of AT+QMTPUBEX and AT+QMTCFG="willex": echoed, ended by the client's "edit/timeout" when that
 * is enabled (then ERROR, spec), otherwise waiting for the full length. `onData` runs with the complete input.
 */
export function editInput(
  config: { readonly editTimeoutEnabled: 0 | 1; readonly editTimeout: number },
  length: number,
  onData: (data: Uint8Array) => Outcome,
): Outcome {
  return {
    kind: 'input',
    style: 'prompt',
    length,
    echo: true,
    timeoutMs: config.editTimeoutEnabled === 1 ? config.editTimeout * 1000 : undefined,
    onData: (data, timedOut) => (timedOut ? ERROR : onData(data)),
  };
}

export const OK: Outcome = { kind: 'ok' };
export const ERROR: Outcome = { kind: 'error' };

export function ok(lines: readonly Line[] = [], after?: () => void): Outcome {
  return after ? { kind: 'ok', lines, after } : { kind: 'ok', lines };
}

export function cme(code: number, lines?: readonly Line[]): Outcome {
  return lines ? { kind: 'cme', code, lines } : { kind: 'cme', code };
}
