import { BASIC_COMMAND_MS, CATALOGUE } from './commands';
import { readCommandLine, splitParams, type CommandReading } from './syntax';
import type { CommandSpec, CompletionSpec, DataPhaseSpec, ParamSpec, SettingSpec } from './types';

/**
 * Questions asked of the catalogue: which parameters of a line are secret, whether a line opens a data phase,
 * which URC completes a command, how long a module may take, what each field of an answer is called.
 */

/** The entry of a command by name (`+QMTCONN`, `AT+QMTCONN` or `qmtconn`), or undefined when it is not listed. */
export function commandSpec(name: string): CommandSpec | undefined {
  const upper = name.trim().toUpperCase().replace(/^AT/, '');
  return CATALOGUE.get(/^[+$%^]/.test(upper) ? upper : `+${upper}`);
}

/** Every entry of the catalogue. */
export function allCommands(): readonly CommandSpec[] {
  return [...CATALOGUE.values()];
}

/** A sub-setting of AT+QMTCFG / AT+QSSLCFG / AT+QFTPCFG by its name as written (case-insensitive, blanks ignored). */
export function settingSpec(spec: CommandSpec, setting: string): SettingSpec | undefined {
  const entries = spec.settings?.entries;
  if (entries === undefined) return undefined;
  const key = setting.trim().toLowerCase();
  return Object.hasOwn(entries, key) ? entries[key] : undefined;
}

/**
 * The parameters of a form, counted from the first one after `=` (write) or `NAME: ` (answer). For a command with
 * sub-settings the setting's name is parameter 0, then the head (client index, SSL context), then the values.
 */
export function formParams(
  spec: CommandSpec,
  form: 'write' | 'answer',
  setting?: SettingSpec,
): readonly ParamSpec[] | undefined {
  const settings = spec.settings;
  if (settings === undefined) return form === 'write' ? spec.params : spec.answer;
  if (setting === undefined) return undefined;
  // Built once per command, setting and form: every line with a setting asks (redaction, decoding), and the
  // secret rules are cached by the list's identity.
  let ofSpec = settingForms.get(spec);
  if (ofSpec === undefined) {
    ofSpec = new WeakMap();
    settingForms.set(spec, ofSpec);
  }
  let forms = ofSpec.get(setting);
  if (forms === undefined) {
    forms = {
      write: [SETTING_NAME, ...settings.head, ...setting.values],
      answer: [SETTING_NAME, ...settings.answerHead, ...(setting.answer ?? setting.values)],
    };
    ofSpec.set(setting, forms);
  }
  return forms[form];
}

const SETTING_NAME: ParamSpec = { name: 'setting', label: 'Setting', type: 'string' };
const settingForms = new WeakMap<
  CommandSpec,
  WeakMap<SettingSpec, { readonly write: readonly ParamSpec[]; readonly answer: readonly ParamSpec[] }>
>();

/** Which parameters of a form hold secrets, and how many parameters the form can have at most. */
export interface SecretRule {
  readonly secrets: readonly { readonly index: number; readonly maxBytes: number }[];
  readonly maxParams: number;
}

const ruleCache = new WeakMap<readonly ParamSpec[], SecretRule | null>();

function ruleOf(params: readonly ParamSpec[] | undefined, repeats: number | undefined): SecretRule | null {
  if (params === undefined) return null;
  const cached = ruleCache.get(params);
  if (cached !== undefined) return cached;
  const secrets = params.flatMap((param, index) =>
    param.secret === true ? [{ index, maxBytes: param.bytes?.[1] ?? 512 }] : [],
  );
  const rule = secrets.length === 0 ? null : { secrets, maxParams: repeats === undefined ? params.length : Infinity };
  ruleCache.set(params, rule);
  return rule;
}

/** The secret rule of a command's write form or answer (for a setting when the command has them), or null. */
export function secretRule(spec: CommandSpec, form: 'write' | 'answer', setting?: SettingSpec): SecretRule | null {
  return ruleOf(formParams(spec, form, setting), spec.repeats);
}

/** Whether any form of the command (any setting) carries a secret: such commands are read with care. */
export function carriesSecrets(spec: CommandSpec): boolean {
  const cached = carrying.get(spec);
  if (cached !== undefined) return cached;
  const settings = spec.settings === undefined ? [undefined] : Object.values(spec.settings.entries);
  const carries = settings.some(
    (setting) => secretRule(spec, 'write', setting) !== null || secretRule(spec, 'answer', setting) !== null,
  );
  carrying.set(spec, carries);
  return carries;
}

const carrying = new WeakMap<CommandSpec, boolean>();

/**
 * Whether the information responses to `line` may carry secrets (the reads of AT+QMTCFG="aliauth", AT+QICSGP=1):
 * such answers are kept out of transcripts whole.
 */
export function answerHasSecrets(line: string): boolean {
  const commands = readCommandLine(line) ?? [];
  return commands.some((command) => {
    const spec = command.name === null ? undefined : commandSpec(command.name);
    if (spec === undefined) return false;
    if (spec.settings === undefined) return secretRule(spec, 'answer') !== null;
    const setting = splitParams(line.slice(command.paramsFrom, command.end))[0];
    const found = setting === undefined ? undefined : settingSpec(spec, setting);
    // A read of an unknown or unreadable setting might be any of them.
    return found === undefined ? carriesSecrets(spec) : secretRule(spec, 'answer', found) !== null;
  });
}

/** A data phase a line opens: the catalogue's description, and the byte count when the line gives one. */
export interface DataPhase {
  readonly command: string;
  readonly after: DataPhaseSpec['after'];
  readonly direction: DataPhaseSpec['direction'];
  readonly end: DataPhaseSpec['end'];
  /**
   * The byte count the line announces, or null when it gives none (or one that is not a plain decimal number).
   * Where the command has a default size (AT+QFUPL: 10240), it is in the catalogue, not here: a parser must not
   * count on a size the line does not state.
   */
  readonly length: number | null;
}

/** The data phase of the spec for this form of a command with these parameters, or undefined. */
function phaseSpec(spec: CommandSpec, params: readonly string[]): DataPhaseSpec | undefined {
  if (spec.settings === undefined) return spec.dataPhase;
  const setting = params[0];
  return setting === undefined ? undefined : settingSpec(spec, setting)?.dataPhase;
}

/**
 * The data phase `line` opens (after `> ` or CONNECT), read as the module reads the line (blanks and case do not
 * matter; in a `;`-joined line, any of its commands), or null when it opens none. A length that is not a plain
 * decimal number gives `length: null`: the phase is still there, its size is not known. `reading`: the line as
 * readCommandLine reads it, when the caller has it already.
 */
export function dataPhaseOf(
  line: string,
  reading: readonly CommandReading[] | null = readCommandLine(line),
): DataPhase | null {
  for (const command of reading ?? []) {
    if (command.name === null || (command.kind !== 'write' && command.kind !== 'exec')) continue;
    const spec = CATALOGUE.get(command.name);
    if (spec === undefined) continue;
    const params = command.kind === 'write' ? splitParams(line.slice(command.paramsFrom, command.end)) : [];
    const phase = phaseSpec(spec, params);
    if (phase === undefined || !phase.forms.includes(command.kind)) continue;
    if (phase.condition !== undefined && !phase.condition.test(params)) continue;
    const raw = phase.length === undefined ? undefined : params[phase.length.at]?.trim();
    const length = raw !== undefined && /^\d{1,9}$/.test(raw) ? Number(raw) : null;
    return { command: spec.name, after: phase.after, direction: phase.direction, end: phase.end, length };
  }
  return null;
}

/** Every command that can open a data phase (some only in some forms), by name. */
export function dataPhaseCommands(): readonly string[] {
  return allCommands()
    .filter(
      (spec) =>
        spec.dataPhase !== undefined ||
        Object.values(spec.settings?.entries ?? {}).some((setting) => setting.dataPhase !== undefined),
    )
    .map((spec) => spec.name);
}

/** The completion of a command by name, or undefined when its OK is its answer. */
export function completionOf(name: string): CompletionSpec | undefined {
  return commandSpec(name)?.completion;
}

/** The completion whose URC (or one of its aliases) is `urc`, e.g. +QMTPUB for an old firmware's QMTPUBEX. */
export function completionByUrc(urc: string): CompletionSpec | undefined {
  return completionsByUrc().get(urc.trim().toUpperCase());
}

/** Each completion URC and alias, with the completion of the first command (in catalogue order) it completes. */
let byUrc: Map<string, CompletionSpec> | null = null;

function completionsByUrc(): Map<string, CompletionSpec> {
  if (byUrc !== null) return byUrc;
  const index = new Map<string, CompletionSpec>();
  for (const spec of CATALOGUE.values()) {
    const completion = spec.completion;
    if (completion === undefined) continue;
    for (const name of [completion.urc, ...(completion.aliases ?? [])]) {
      if (!index.has(name)) index.set(name, completion);
    }
  }
  byUrc = index;
  return index;
}

/** The AT+QMTCFG="timeout" values a module runs with (spec defaults: 5 s, 3 retries). */
export interface DeliveryTiming {
  readonly pktTimeoutS?: number;
  readonly retryTimes?: number;
}

/**
 * The spec's "Maximum Response Time" of a command in ms, for the given delivery timing: a fixed figure,
 * <pkt_timeout>, or <pkt_timeout> x <retry_times> (default 15 s). Null when the spec gives none (AT+QMTRECV).
 * Basic commands (AT, ATI, ATE) and commands not listed: 300 ms.
 */
export function maxResponseMs(name: string, timing: DeliveryTiming = {}): number | null {
  const spec = commandSpec(name);
  if (spec === undefined) return BASIC_COMMAND_MS;
  const pkt = (timing.pktTimeoutS ?? 5) * 1000;
  const limit = spec.time.maxResponse;
  switch (limit.kind) {
    case 'fixed':
      return limit.ms;
    case 'pkt_timeout':
      return pkt;
    case 'pkt_timeout*retry_times':
      return pkt * (timing.retryTimes ?? 3);
    case 'none':
      return null;
  }
}

/** The fields of an information response `+NAME: ...` (for a setting, after its name), for labelling answers. */
export function answerFields(name: string, setting?: string): readonly ParamSpec[] | undefined {
  const spec = commandSpec(name);
  if (spec === undefined) return undefined;
  if (spec.settings === undefined) return spec.answer;
  const found = setting === undefined ? undefined : settingSpec(spec, setting);
  return found === undefined ? undefined : [...spec.settings.answerHead, ...(found.answer ?? found.values)];
}
