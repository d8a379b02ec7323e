import { AtResponseError } from '../vocab/errors';
import type { AtOutcome, AtRequest } from '../vocab/request';
import { REGISTRATION_STATES } from '../decode/texts';
import { defineRequest, TIMEOUTS } from './define';
import { bareLines, intAt, oneResponse, optionalIntAt, requireOk, responsesNamed, stringAt } from './outcome';
import { flag, int, oneOf, quoted, record } from './validate';

/** Basic module commands: identity, SIM, registration, PDP context, radio and error reporting. */

const ok =
  (command: string) =>
  (outcome: AtOutcome): void =>
    requireOk(outcome, command);

/** `AT`: is the module there and answering? */
export function at(): AtRequest<void> {
  return defineRequest({ line: 'AT', timeoutMs: TIMEOUTS.query, parse: ok('AT') });
}

/** `ATE1` / `ATE0`: command echo on or off. */
export function echo(on: boolean): AtRequest<void> {
  const line = `ATE${flag('on', on)}`;
  return defineRequest({ line, timeoutMs: TIMEOUTS.query, parse: ok(line) });
}

export interface ModuleInfo {
  readonly manufacturer: string;
  readonly model: string;
  readonly revision: string;
}

/** `ATI`: manufacturer, model and firmware revision (`Quectel`, `EC200U`, `Revision: EC200UCNAAR03A03M08`). */
export function ati(): AtRequest<ModuleInfo> {
  return defineRequest({
    line: 'ATI',
    timeoutMs: TIMEOUTS.query,
    parse: (outcome) => {
      requireOk(outcome, 'ATI');
      const lines = bareLines(outcome);
      const revisionLine = lines.find((line) => /^Revision:/i.test(line));
      const [manufacturer, model] = lines.filter((line) => line !== revisionLine);
      if (!manufacturer || !model || !revisionLine)
        throw new AtResponseError('ATI: expected manufacturer, model, revision');
      return { manufacturer, model, revision: revisionLine.replace(/^Revision:\s*/i, '') };
    },
  });
}

function singleValue(outcome: AtOutcome, command: string, name: string | null): string {
  requireOk(outcome, command);
  if (name) {
    const named = responsesNamed(outcome, name)[0];
    if (named) return stringAt(named.params, 0, command).trim();
  }
  const line = bareLines(outcome)[0];
  if (line === undefined) throw new AtResponseError(`${command}: expected a value line`);
  return line.trim();
}

function digits(value: string, command: string, min: number, max: number): string {
  if (!new RegExp(`^\\d{${min},${max}}$`).test(value)) throw new AtResponseError(`${command}: malformed value`);
  return value;
}

/** `AT+GSN`: the IMEI (15 digits). */
export function gsn(): AtRequest<string> {
  return defineRequest({
    line: 'AT+GSN',
    timeoutMs: TIMEOUTS.query,
    parse: (outcome) => digits(singleValue(outcome, 'AT+GSN', null), 'AT+GSN', 15, 15),
  });
}

/** `AT+CGSN`: the IMEI too (some firmwares prefix it with `+CGSN:`). */
export function cgsn(): AtRequest<string> {
  return defineRequest({
    line: 'AT+CGSN',
    timeoutMs: TIMEOUTS.query,
    parse: (outcome) => digits(singleValue(outcome, 'AT+CGSN', '+CGSN'), 'AT+CGSN', 15, 15),
  });
}

/** `AT+QCCID`: the SIM's ICCID (19-20 characters; the last may be a hex digit). */
export function qccid(): AtRequest<string> {
  return defineRequest({
    line: 'AT+QCCID',
    timeoutMs: TIMEOUTS.query,
    parse: (outcome) => {
      const value = singleValue(outcome, 'AT+QCCID', '+QCCID');
      if (!/^\d{18,19}[0-9A-Fa-f]$/.test(value)) throw new AtResponseError('AT+QCCID: malformed ICCID');
      return value;
    },
  });
}

/** `AT+CIMI`: the IMSI (up to 15 digits). */
export function cimi(): AtRequest<string> {
  return defineRequest({
    line: 'AT+CIMI',
    timeoutMs: TIMEOUTS.query,
    parse: (outcome) => digits(singleValue(outcome, 'AT+CIMI', null), 'AT+CIMI', 6, 15),
  });
}

/** `AT+QGMR`: the full firmware revision. */
export function qgmr(): AtRequest<string> {
  return defineRequest({
    line: 'AT+QGMR',
    timeoutMs: TIMEOUTS.query,
    parse: (outcome) => singleValue(outcome, 'AT+QGMR', null),
  });
}

export interface SignalQuality {
  /** 0-31, or 99 when unknown. */
  readonly rssi: number;
  /** 0-7, or 99 when unknown. */
  readonly ber: number;
  /** Received signal strength in dBm (-113 + 2 x rssi), null when unknown. */
  readonly dbm: number | null;
}

/** `AT+CSQ`: signal quality. */
export function csq(): AtRequest<SignalQuality> {
  return defineRequest({
    line: 'AT+CSQ',
    timeoutMs: TIMEOUTS.query,
    parse: (outcome) => {
      requireOk(outcome, 'AT+CSQ');
      const { params } = oneResponse(outcome, '+CSQ');
      const rssi = intAt(params, 0, 'AT+CSQ');
      const ber = intAt(params, 1, 'AT+CSQ');
      return { rssi, ber, dbm: rssi >= 0 && rssi <= 31 ? -113 + 2 * rssi : null };
    },
  });
}

/** `AT+CPIN?`: SIM state (`READY`, `SIM PIN`, `SIM PUK`, ...). */
export function cpinQuery(): AtRequest<{ readonly state: string; readonly ready: boolean }> {
  return defineRequest({
    line: 'AT+CPIN?',
    timeoutMs: TIMEOUTS.cpin,
    parse: (outcome) => {
      requireOk(outcome, 'AT+CPIN?');
      const state = stringAt(oneResponse(outcome, '+CPIN').params, 0, 'AT+CPIN?').trim();
      return { state, ready: state === 'READY' };
    },
  });
}

export interface Registration {
  readonly n: number;
  readonly stat: number;
  readonly statText: string;
  readonly registered: boolean;
  readonly tac?: string;
  readonly ci?: string;
  readonly act?: number;
}

function registrationQuery(command: 'CEREG' | 'CGREG'): AtRequest<Registration> {
  const line = `AT+${command}?`;
  return defineRequest({
    line,
    timeoutMs: TIMEOUTS.query,
    parse: (outcome) => {
      requireOk(outcome, line);
      const { params } = oneResponse(outcome, `+${command}`);
      const stat = intAt(params, 1, line);
      const act = optionalIntAt(params, 4, line);
      return {
        n: intAt(params, 0, line),
        stat,
        statText: REGISTRATION_STATES[stat] ?? `unknown state ${stat}`,
        registered: stat === 1 || stat === 5,
        ...(params[2] !== undefined ? { tac: params[2] } : {}),
        ...(params[3] !== undefined ? { ci: params[3] } : {}),
        ...(act !== undefined ? { act } : {}),
      };
    },
  });
}

/** `AT+CEREG?`: EPS (LTE) network registration. */
export const ceregQuery = (): AtRequest<Registration> => registrationQuery('CEREG');
/** `AT+CGREG?`: GPRS network registration. */
export const cgregQuery = (): AtRequest<Registration> => registrationQuery('CGREG');

export interface Operator {
  readonly mode: number;
  readonly format?: number;
  readonly operator?: string;
  readonly act?: number;
}

/** `AT+COPS?`: the selected operator. */
export function copsQuery(): AtRequest<Operator> {
  return defineRequest({
    line: 'AT+COPS?',
    timeoutMs: TIMEOUTS.cops,
    parse: (outcome) => {
      requireOk(outcome, 'AT+COPS?');
      const { params } = oneResponse(outcome, '+COPS');
      const format = optionalIntAt(params, 1, 'AT+COPS?');
      const act = optionalIntAt(params, 3, 'AT+COPS?');
      return {
        mode: intAt(params, 0, 'AT+COPS?'),
        ...(format !== undefined ? { format } : {}),
        ...(params[2] !== undefined ? { operator: params[2] } : {}),
        ...(act !== undefined ? { act } : {}),
      };
    },
  });
}

export interface PdpContextConfig {
  /** PDP context id, 1-7 (the range <cid> of AT+QMTCFG="pdpcid" accepts). */
  readonly contextId: number;
  /** 1 IPv4, 2 IPv6, 3 IPv4v6. */
  readonly contextType: 1 | 2 | 3;
  readonly apn: string;
  readonly username?: string;
  readonly password?: string;
  /** 0 none, 1 PAP, 2 CHAP, 3 PAP or CHAP. */
  readonly authentication?: 0 | 1 | 2 | 3;
}

/** `AT+QICSGP=<cid>,<type>,"<apn>","<user>","<password>",<auth>`: configure the APN (the catalogue hides the password). */
export function qicsgp(config: PdpContextConfig): AtRequest<void> {
  const cid = int('contextId', record('config', config).contextId, 1, 7);
  const type = oneOf('contextType', config.contextType, [1, 2, 3] as const);
  const apn = quoted('apn', config.apn, { minBytes: 0, maxBytes: 100 });
  const user = quoted('username', config.username ?? '', { minBytes: 0, maxBytes: 127 });
  const password = quoted('password', config.password ?? '', { minBytes: 0, maxBytes: 127 });
  const auth = oneOf('authentication', config.authentication ?? 0, [0, 1, 2, 3] as const);
  return defineRequest({
    line: `AT+QICSGP=${cid},${type},${apn},${user},${password},${auth}`,
    timeoutMs: TIMEOUTS.query,
    parse: ok('AT+QICSGP'),
  });
}

/** `AT+QIACT=<cid>`: activate a PDP context (up to 150 s). */
export function qiact(contextId: number): AtRequest<void> {
  const cid = int('contextId', contextId, 1, 7);
  return defineRequest({ line: `AT+QIACT=${cid}`, timeoutMs: TIMEOUTS.qiact, parse: ok('AT+QIACT') });
}

export interface ActiveContext {
  readonly contextId: number;
  readonly state: number;
  readonly type: number;
  readonly address: string;
}

/** `AT+QIACT?`: the active PDP contexts and their addresses. */
export function qiactQuery(): AtRequest<ActiveContext[]> {
  return defineRequest({
    line: 'AT+QIACT?',
    timeoutMs: TIMEOUTS.qiact,
    parse: (outcome) => {
      requireOk(outcome, 'AT+QIACT?');
      return responsesNamed(outcome, '+QIACT').map(({ params }) => ({
        contextId: intAt(params, 0, 'AT+QIACT?'),
        state: intAt(params, 1, 'AT+QIACT?'),
        type: intAt(params, 2, 'AT+QIACT?'),
        address: params[3] ?? '',
      }));
    },
  });
}

/** `AT+QIDEACT=<cid>`: deactivate a PDP context (up to 40 s). */
export function qideact(contextId: number): AtRequest<void> {
  const cid = int('contextId', contextId, 1, 7);
  return defineRequest({ line: `AT+QIDEACT=${cid}`, timeoutMs: TIMEOUTS.qideact, parse: ok('AT+QIDEACT') });
}

/** `AT+CFUN=<fun>[,<rst>]`: 0 minimum, 1 full, 4 radio off; `reset` restarts the module first. */
export function cfun(fun: 0 | 1 | 4, reset = false): AtRequest<void> {
  const value = oneOf('fun', fun, [0, 1, 4] as const);
  return defineRequest({
    line: flag('reset', reset) ? `AT+CFUN=${value},1` : `AT+CFUN=${value}`,
    timeoutMs: TIMEOUTS.cfun,
    parse: ok('AT+CFUN'),
  });
}

/** `AT+CFUN?`: the current functionality level. */
export function cfunQuery(): AtRequest<number> {
  return defineRequest({
    line: 'AT+CFUN?',
    timeoutMs: TIMEOUTS.cfun,
    parse: (outcome) => {
      requireOk(outcome, 'AT+CFUN?');
      return intAt(oneResponse(outcome, '+CFUN').params, 0, 'AT+CFUN?');
    },
  });
}

/** `AT+CMEE=<n>`: 0 plain ERROR, 1 numeric `+CME ERROR: <n>`, 2 verbose text. */
export function cmee(mode: 0 | 1 | 2): AtRequest<void> {
  const n = oneOf('mode', mode, [0, 1, 2] as const);
  return defineRequest({ line: `AT+CMEE=${n}`, timeoutMs: TIMEOUTS.query, parse: ok('AT+CMEE') });
}
