/**
 * The shapes of the command catalogue: protocol facts written once (after ModemManager's command tables and
 * esp-modem's command library), read by the builders, the redactor, the decoder, the parser's data-phase table,
 * the guided session's guard, the UI's labels and the provisioning schema.
 */

/** One parameter of a command line or of an information response, as the spec names and describes it. */
export interface ParamSpec {
  /** The spec's parameter name, e.g. `pkt_timeout`, `client_idx` (spaces of names such as <product key> become `_`). */
  readonly name: string;
  /** Words for people (UI field labels, decoded logs), e.g. `Packet timeout (s)`. */
  readonly label: string;
  readonly type: 'int' | 'string' | 'hex';
  /** Inclusive range of an integer (`hex`: of its value). */
  readonly range?: readonly [number, number];
  /** The meaning of each value of an enumerated integer. */
  readonly values?: Readonly<Record<number, string>>;
  /** Show the meaning next to the value where an answer is labelled (`3 (MQTT 3.1)`); else the value alone. */
  readonly showMeaning?: true;
  /** The module's default (the spec's "Default value" or underlined value), where one is known. */
  readonly default?: number | string;
  readonly unit?: 's' | 'ms' | 'bytes';
  /** Byte lengths a string may have, inclusive. */
  readonly bytes?: readonly [number, number];
  /** A password, key, PIN: never shown, logged or stored in clear. */
  readonly secret?: true;
  /** May be left out (the spec's `[...]`); everything after an omitted parameter is omitted too. */
  readonly optional?: true;
}

/**
 * The most a module takes to answer, as the spec's "Maximum Response Time" row states it: a fixed time, one
 * <pkt_timeout>, or <pkt_timeout> x <retry_times> (the configured AT+QMTCFG="timeout" values), or none given.
 */
export type ResponseTime =
  | { readonly kind: 'fixed'; readonly ms: number }
  | { readonly kind: 'pkt_timeout' }
  | { readonly kind: 'pkt_timeout*retry_times' }
  | { readonly kind: 'none' };

export interface TimeSpec {
  readonly maxResponse: ResponseTime;
  /** `final`: the limit is for the result code; `completion`: for the URC after OK (network operations). */
  readonly appliesTo: 'final' | 'completion';
  /** Where the figure comes from: the application note, Quectel's AT command manual, or the station's own choice. */
  readonly source: 'spec' | 'manual' | 'station';
}

/**
 * The URC that carries a command's real result after its OK, and where its fields are. Indexes count the URC's
 * parameters from 0; `from` indexes count the command's write-form parameters.
 */
export interface CompletionSpec {
  readonly urc: string;
  /** Other names some firmwares use for the same completion (an old BG95 answers QMTPUBEX with +QMTPUB). */
  readonly aliases?: readonly string[];
  /** The client index: position in the URC, and in the command. */
  readonly client: { readonly at: number; readonly from: number };
  /** The message id, for commands that have one. */
  readonly msgId?: { readonly at: number; readonly from: number };
  readonly resultAt: number;
  /** What each result means. */
  readonly results: Readonly<Record<number, string>>;
  /** The result that means "retransmitting, more to come": it never completes the command. */
  readonly retransmission?: number;
  /** The result that means success. */
  readonly success: number;
  /** Further fields after the result, e.g. the CONNACK return code of +QMTCONN. */
  readonly extra?: readonly ParamSpec[];
}

/**
 * A phase in which the port carries data rather than lines: after a `> ` prompt or after CONNECT. `length` says
 * which write-form parameter gives the byte count; without it (or when it is left out) the data ends as `end` says.
 */
export interface DataPhaseSpec {
  readonly after: 'prompt' | 'connect';
  /** `to-module`: the host sends the bytes (a payload, a file); `from-module`: the module sends them (a download). */
  readonly direction: 'to-module' | 'from-module';
  /** The write-form parameter holding the byte count; `default` applies when it is left out. */
  readonly length?: { readonly at: number; readonly optional?: true; readonly default?: number };
  /**
   * How the data ends when no length is given: Ctrl+Z (0x1A, SMS and socket sends), the escape sequence `+++`,
   * the module's own input timeout, the module itself (a download ends with the module's result line), or the
   * count only (a length is always given).
   */
  readonly end: 'length' | 'ctrl-z' | 'escape' | 'timeout' | 'module';
  /** The command forms that open it (a write, or also the bare execution form for AT+CMGW). */
  readonly forms: readonly ('write' | 'exec')[];
  /** When a form opens the phase only under a condition: the condition in words, and as a test of the parameters. */
  readonly condition?: { readonly text: string; readonly test: (params: readonly string[]) => boolean };
}

/** One sub-setting of a command that has them (AT+QMTCFG="<name>", AT+QSSLCFG="<name>"). */
export interface SettingSpec {
  /** The sub-command name as written in quotes, e.g. `timeout`, `recv/mode`. */
  readonly name: string;
  readonly title: string;
  /** The values after the setting name and the head parameters (client index / SSL context), in order. */
  readonly values: readonly ParamSpec[];
  /** The values of the read answer, when they differ from `values` (willex answers its length, not data). */
  readonly answer?: readonly ParamSpec[];
  readonly dataPhase?: DataPhaseSpec;
  /** A spec note worth showing with the setting. */
  readonly note?: string;
}

export interface CommandSpec {
  /** `+QMTCONN` (upper case, with its prefix). */
  readonly name: string;
  readonly title: string;
  /** Parameters of the write form `AT+NAME=<p0>,<p1>,...`. */
  readonly params?: readonly ParamSpec[];
  /** The last `repeats` parameters may repeat (the topic list of AT+QMTSUB / AT+QMTUNS). */
  readonly repeats?: number;
  /** Parameters of the information response `+NAME: ...` that reads the setting back, where it has one. */
  readonly answer?: readonly ParamSpec[];
  /**
   * Commands with sub-settings: the write form is `AT+NAME="<setting>",<head...>,<values...>` and the answer
   * `+NAME: "<setting>",<answerHead...>,<values...>`.
   */
  readonly settings?: {
    readonly head: readonly ParamSpec[];
    readonly answerHead: readonly ParamSpec[];
    readonly entries: Readonly<Record<string, SettingSpec>>;
  };
  readonly completion?: CompletionSpec;
  readonly dataPhase?: DataPhaseSpec;
  readonly time: TimeSpec;
}
