import { answerFields } from '../../catalogue';
import type { AtRequest } from '../vocab/request';
import { defineRequest, REDACTED, TIMEOUTS } from './define';
import { intAt, oneResponse, requireOk } from './outcome';
import { flag, int, member, oneOf, payloadBytes, quoted, record } from './validate';

/**
 * AT+QMTCFG: every optional MQTT parameter, in its write form (a typed setting) and its query form (the
 * sub-command with only the client index). The spec gives 300 ms as the maximum response time; the settings are
 * lost at power-off, so provisioning repeats them on every run.
 */

/** Rules shared with the other MQTT builders. */
export const clientIndex = (value: unknown): number => int('clientIdx', value, 0, 5);
export const qos = (field: string, value: unknown): 0 | 1 | 2 => oneOf(field, value, [0, 1, 2] as const);
export const TOPIC_RULE = { maxBytes: 256 } as const;
const CREDENTIAL_RULE = { maxBytes: 64 } as const;
const KEY_RULE = { maxBytes: 128 } as const;

export type QmtcfgSetting =
  /** 3 = MQTT 3.1, 4 = MQTT 3.1.1. */
  | { readonly name: 'version'; readonly vsn: 3 | 4 }
  /** PDP context 1-7. */
  | { readonly name: 'pdpcid'; readonly cid: number }
  /** With SSL on, the SSL context (0-5) must be given (spec note 2). */
  | { readonly name: 'ssl'; readonly enable: false }
  | { readonly name: 'ssl'; readonly enable: true; readonly contextId: number }
  /** 0-3600 s, 0 = never disconnected. */
  | { readonly name: 'keepalive'; readonly seconds: number }
  | { readonly name: 'session'; readonly clean: boolean }
  | {
      readonly name: 'timeout';
      readonly pktTimeoutS: number;
      readonly retryTimes: number;
      readonly notice: boolean;
    }
  | { readonly name: 'will' | 'willex'; readonly enabled: false }
  | {
      readonly name: 'will';
      readonly enabled: true;
      readonly qos: 0 | 1 | 2;
      readonly retain: boolean;
      readonly topic: string;
      /** 0-256 bytes, written quoted on the line. */
      readonly message: string;
    }
  | {
      readonly name: 'willex';
      readonly enabled: true;
      readonly qos: 0 | 1 | 2;
      readonly retain: boolean;
      readonly topic: string;
      /** 1-256 bytes, sent after the `>` prompt, so any byte is allowed. */
      readonly message: string | Uint8Array;
    }
  /** msgRecvMode 0: payload in the URC; 1: stored, read with AT+QMTRECV. */
  | { readonly name: 'recv/mode'; readonly msgRecvMode: 0 | 1; readonly msgLenEnable: boolean }
  /** 5-60 s. */
  | { readonly name: 'qmtping'; readonly intervalS: number }
  /** 0 string, 1 hex. */
  | { readonly name: 'send/mode'; readonly sendMode: 0 | 1 }
  | {
      readonly name: 'aliauth';
      readonly productKey: string;
      readonly deviceName: string;
      readonly deviceSecret: string;
    }
  | { readonly name: 'onenet'; readonly productId: string; readonly accessKey: string }
  | { readonly name: 'dataformat'; readonly sendMode: 0 | 1; readonly recvMode: 0 | 1 }
  | { readonly name: 'view/mode'; readonly viewMode: 0 | 1 }
  | { readonly name: 'edit/timeout'; readonly enable: false }
  | { readonly name: 'edit/timeout'; readonly enable: true; readonly editTimeoutS: number };

export type QmtcfgName = QmtcfgSetting['name'];

/** Field names of each query answer, in the order the module prints them after the sub-command name. */
export const QMTCFG_FIELDS: Readonly<Record<QmtcfgName, readonly string[]>> = {
  version: ['vsn'],
  pdpcid: ['cid'],
  ssl: ['enable', 'contextId'],
  keepalive: ['seconds'],
  session: ['clean'],
  timeout: ['pktTimeoutS', 'retryTimes', 'notice'],
  will: ['enabled', 'qos', 'retain', 'topic', 'message'],
  willex: ['enabled', 'qos', 'retain', 'topic', 'length'],
  'recv/mode': ['msgRecvMode', 'msgLenEnable'],
  qmtping: ['intervalS'],
  'send/mode': ['sendMode'],
  aliauth: ['productKey', 'deviceName', 'deviceSecret'],
  onenet: ['productId', 'accessKey'],
  dataformat: ['sendMode', 'recvMode'],
  'view/mode': ['viewMode'],
  'edit/timeout': ['enable', 'editTimeoutS'],
};

/** Positions of the answer fields the catalogue marks secret: never returned, only whether one is set. */
function secretPositions(name: QmtcfgName): ReadonlySet<number> {
  const fields = answerFields('+QMTCFG', name) ?? [];
  return new Set(fields.flatMap((field, i) => (field.secret === true ? [i] : [])));
}

const QMTCFG_NAMES = Object.keys(QMTCFG_FIELDS) as QmtcfgName[];

function checkName(value: unknown): QmtcfgName {
  return member('name', value, QMTCFG_NAMES);
}

interface Encoded {
  readonly values: string;
  readonly payload?: Uint8Array;
}

function encode(setting: QmtcfgSetting): Encoded {
  switch (setting.name) {
    case 'version':
      return { values: `,${oneOf('vsn', setting.vsn, [3, 4] as const)}` };
    case 'pdpcid':
      return { values: `,${int('cid', setting.cid, 1, 7)}` };
    case 'ssl':
      return setting.enable
        ? { values: `,1,${int('sslContextId', setting.contextId, 0, 5)}` }
        : { values: `,${flag('enable', setting.enable)}` };
    case 'keepalive':
      return { values: `,${int('keepAliveS', setting.seconds, 0, 3600)}` };
    case 'session':
      return { values: `,${flag('clean', setting.clean)}` };
    case 'timeout':
      return {
        values: `,${int('pktTimeoutS', setting.pktTimeoutS, 1, 60)},${int('retryTimes', setting.retryTimes, 0, 10)},${flag('notice', setting.notice)}`,
      };
    case 'will':
      if (!setting.enabled) return { values: `,${flag('enabled', setting.enabled)}` };
      return {
        values:
          `,1,${qos('willQos', setting.qos)},${flag('willRetain', setting.retain)},` +
          `${quoted('willTopic', setting.topic, TOPIC_RULE)},${quoted('willMessage', setting.message, { minBytes: 0, maxBytes: 256 })}`,
      };
    case 'willex': {
      if (!setting.enabled) return { values: `,${flag('enabled', setting.enabled)}` };
      const message = payloadBytes('willMessage', setting.message, 1, 256);
      return {
        values:
          `,1,${qos('willQos', setting.qos)},${flag('willRetain', setting.retain)},` +
          `${quoted('willTopic', setting.topic, TOPIC_RULE)},${message.length}`,
        payload: message,
      };
    }
    case 'recv/mode':
      return {
        values: `,${oneOf('msgRecvMode', setting.msgRecvMode, [0, 1] as const)},${flag('msgLenEnable', setting.msgLenEnable)}`,
      };
    case 'qmtping':
      return { values: `,${int('intervalS', setting.intervalS, 5, 60)}` };
    case 'send/mode':
      return { values: `,${oneOf('sendMode', setting.sendMode, [0, 1] as const)}` };
    case 'aliauth':
      return {
        values:
          `,${quoted('productKey', setting.productKey, CREDENTIAL_RULE)},` +
          `${quoted('deviceName', setting.deviceName, CREDENTIAL_RULE)},` +
          quoted('deviceSecret', setting.deviceSecret, KEY_RULE),
      };
    case 'onenet':
      return {
        values:
          `,${quoted('productId', setting.productId, CREDENTIAL_RULE)},` +
          quoted('accessKey', setting.accessKey, KEY_RULE),
      };
    case 'dataformat':
      return {
        values: `,${oneOf('sendMode', setting.sendMode, [0, 1] as const)},${oneOf('recvMode', setting.recvMode, [0, 1] as const)}`,
      };
    case 'view/mode':
      return { values: `,${oneOf('viewMode', setting.viewMode, [0, 1] as const)}` };
    case 'edit/timeout':
      return setting.enable
        ? { values: `,1,${int('editTimeoutS', setting.editTimeoutS, 1, 180)}` }
        : { values: `,${flag('enable', setting.enable)}` };
  }
}

/** `AT+QMTCFG="<name>",<client_idx>,<values...>`: write one setting. willex sends its message after `>`. */
export function qmtcfg(clientIdx: number, setting: QmtcfgSetting): AtRequest<void> {
  const idx = clientIndex(clientIdx);
  const name = checkName(record('setting', setting).name);
  const encoded = encode(setting);
  const head = `AT+QMTCFG="${name}",${idx}`;
  return defineRequest({
    line: `${head}${encoded.values}`,
    timeoutMs: TIMEOUTS.query,
    ...(encoded.payload ? { payload: { after: 'prompt' as const, bytes: encoded.payload } } : {}),
    parse: (outcome) => requireOk(outcome, `AT+QMTCFG="${name}"`),
  });
}

/** A query answer: each field by name; integers as numbers; secrets replaced by `***` (see `secretSet`). */
export interface QmtcfgReading {
  readonly name: QmtcfgName;
  readonly values: Readonly<Record<string, number | string>>;
  /** For aliauth / onenet: whether the module holds a non-empty secret. */
  readonly secretSet?: boolean;
}

/** `AT+QMTCFG="<name>",<client_idx>`: read one setting. */
export function qmtcfgQuery(clientIdx: number, name: QmtcfgName): AtRequest<QmtcfgReading> {
  const idx = clientIndex(clientIdx);
  const checked = checkName(name);
  const fields = QMTCFG_FIELDS[checked];
  const secret = secretPositions(checked);
  return defineRequest({
    line: `AT+QMTCFG="${checked}",${idx}`,
    timeoutMs: TIMEOUTS.query,
    parse: (outcome) => {
      requireOk(outcome, `AT+QMTCFG="${checked}"`);
      const all = oneResponse(outcome, '+QMTCFG').params;
      const params = all[0]?.toLowerCase() === checked ? all.slice(1) : all;
      const values: Record<string, number | string> = {};
      let secretSet: boolean | undefined;
      fields.forEach((field, i) => {
        const raw = params[i];
        if (raw === undefined) return;
        if (secret.has(i)) {
          secretSet = raw.length > 0;
          values[field] = REDACTED;
        } else {
          values[field] = /^-?\d+$/.test(raw.trim()) ? intAt(params, i, 'AT+QMTCFG') : raw;
        }
      });
      return { name: checked, values, ...(secretSet !== undefined ? { secretSet } : {}) };
    },
  });
}
