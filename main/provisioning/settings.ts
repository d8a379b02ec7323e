import type { QmtcfgName, QmtcfgSetting, SslParam, SslSetting } from '../at/commands';

/**
 * The AT facts a profile is written in: every AT+QMTCFG sub-command a profile's `mqtt` section takes, with the
 * application note's parameter names, ranges and defaults, and every AT+QSSLCFG parameter of its `ssl` section.
 * The ranges are those the command builders (main/at/commands/qmtcfg.ts, ssl.ts) enforce; when the catalogue
 * (main/catalogue/) holds them, this table reads them from there.
 *
 * Where a default comes from:
 * - `spec`: the application note's default (underlined, or "Default value: ...").
 * - `power-on`: the note gives none; the module's value after power-on (as the virtual module models it). The
 *   station writes it anyway, so a setting left over from an earlier session (AT+QMTCFG is kept until power-off,
 *   and on one EC200U firmware "ssl" even longer) never leaks into a unit.
 * - `station`: the station's own choice where the module's power-on value is unsafe for it: `msg_len_enable` 1, so
 *   a received message is counted by its length and its bytes are never read as protocol lines (a payload of
 *   `x"\r\nCONNECT\r\n` published by anyone to a subscribed topic otherwise poses as one).
 */
export interface Default<T> {
  readonly value: T;
  readonly source: 'spec' | 'power-on' | 'station';
}

export interface IntParam {
  readonly kind: 'int';
  /** The application note's parameter name, as the profile writes it. */
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly unit?: 's';
  /** The spec's meaning of each value of an enumeration. */
  readonly meanings?: Readonly<Record<number, string>>;
  readonly default?: Default<number>;
}

export interface TextParam {
  readonly kind: 'text';
  readonly name: string;
  readonly minBytes: number;
  readonly maxBytes: number;
  /** Given after the `>` prompt (any byte) rather than quoted on the command line. */
  readonly afterPrompt?: boolean;
}

export type MqttParam = IntParam | TextParam;

/** The AT+QMTCFG sub-commands a profile's `mqtt` section takes (the other three have sections of their own). */
export type ProfileMqttName = Exclude<QmtcfgName, 'ssl' | 'aliauth' | 'onenet'>;

export interface MqttSubCommand {
  readonly name: ProfileMqttName;
  /** The application note's title of the write command. */
  readonly title: string;
  readonly params: readonly MqttParam[];
  /** Parameters that may be given only when this one is 1 (and, for text, must be then). */
  readonly gatedBy?: string;
}

const FLAG = { kind: 'int', min: 0, max: 1 } as const;
const QOS_MEANINGS = { 0: 'at most once', 1: 'at least once', 2: 'exactly once' } as const;

const WILL_HEAD: readonly MqttParam[] = [
  {
    ...FLAG,
    name: 'will_fg',
    meanings: { 0: 'ignore the Will flag configuration', 1: 'require the Will flag configuration' },
    default: { value: 0, source: 'spec' },
  },
  { kind: 'int', name: 'will_qos', min: 0, max: 2, meanings: QOS_MEANINGS, default: { value: 0, source: 'spec' } },
  {
    ...FLAG,
    name: 'will_retain',
    meanings: { 0: 'not retained', 1: 'retained' },
    default: { value: 0, source: 'spec' },
  },
  { kind: 'text', name: 'willtopic', minBytes: 1, maxBytes: 256 },
];

/** In the application note's order, which is also the order the station writes them in. */
export const MQTT_SUBCOMMANDS: readonly MqttSubCommand[] = [
  {
    name: 'version',
    title: 'Configure the MQTT protocol version',
    params: [
      {
        kind: 'int',
        name: 'vsn',
        min: 3,
        max: 4,
        meanings: { 3: 'MQTT 3.1', 4: 'MQTT 3.1.1' },
        default: { value: 3, source: 'spec' },
      },
    ],
  },
  {
    name: 'pdpcid',
    title: 'Configure the PDP to be used by the MQTT client',
    params: [{ kind: 'int', name: 'cid', min: 1, max: 7, default: { value: 1, source: 'spec' } }],
  },
  {
    name: 'keepalive',
    title: 'Configure the keep-alive time',
    params: [
      { kind: 'int', name: 'keep_alive_time', min: 0, max: 3600, unit: 's', default: { value: 120, source: 'spec' } },
    ],
  },
  {
    name: 'session',
    title: 'Configure the session type',
    params: [
      {
        ...FLAG,
        name: 'clean_session',
        meanings: { 0: 'the server stores the subscriptions after a disconnect', 1: 'clean session' },
        default: { value: 0, source: 'spec' },
      },
    ],
  },
  {
    name: 'timeout',
    title: 'Configure timeout of message delivery',
    params: [
      { kind: 'int', name: 'pkt_timeout', min: 1, max: 60, unit: 's', default: { value: 5, source: 'spec' } },
      { kind: 'int', name: 'retry_times', min: 0, max: 10, default: { value: 3, source: 'spec' } },
      {
        ...FLAG,
        name: 'timeout_notice',
        meanings: { 0: 'not report', 1: 'report' },
        default: { value: 0, source: 'spec' },
      },
    ],
  },
  {
    name: 'will',
    title: 'Configure Will information',
    params: [...WILL_HEAD, { kind: 'text', name: 'willmessage', minBytes: 0, maxBytes: 256 }],
    gatedBy: 'will_fg',
  },
  {
    name: 'willex',
    title: 'Configure Will information (message after the > prompt)',
    params: [...WILL_HEAD, { kind: 'text', name: 'willmessage', minBytes: 1, maxBytes: 256, afterPrompt: true }],
    gatedBy: 'will_fg',
  },
  {
    name: 'recv/mode',
    title: 'Configure receiving mode when data is received from server',
    params: [
      {
        ...FLAG,
        name: 'msg_recv_mode',
        meanings: { 0: 'message contained in the URC', 1: 'message not contained in the URC, read with AT+QMTRECV' },
        default: { value: 0, source: 'power-on' },
      },
      {
        ...FLAG,
        name: 'msg_len_enable',
        meanings: { 0: 'length not contained in the URC', 1: 'length contained in the URC' },
        // The module powers on with 0; the station writes 1 unless the profile says otherwise (see `station`).
        default: { value: 1, source: 'station' },
      },
    ],
  },
  {
    name: 'qmtping',
    title: 'Configure the MQTT heartbeat interval',
    params: [
      { kind: 'int', name: 'qmtping_interval', min: 5, max: 60, unit: 's', default: { value: 5, source: 'spec' } },
    ],
  },
  {
    name: 'send/mode',
    title: 'Configure the MQTT message sending mode',
    params: [
      { ...FLAG, name: 'send_mode', meanings: { 0: 'string', 1: 'hex' }, default: { value: 0, source: 'power-on' } },
    ],
  },
  {
    name: 'dataformat',
    title: 'Configure the MQTT data format',
    params: [
      { ...FLAG, name: 'send_mode', meanings: { 0: 'string', 1: 'hex' }, default: { value: 0, source: 'power-on' } },
      { ...FLAG, name: 'recv_mode', meanings: { 0: 'string', 1: 'hex' }, default: { value: 0, source: 'power-on' } },
    ],
  },
  {
    name: 'view/mode',
    title: 'Configure the MQTT data view mode in transparent mode',
    params: [
      {
        ...FLAG,
        name: 'view_mode',
        meanings: { 0: 'not displayed in transparent mode', 1: 'displayed in transparent mode' },
        default: { value: 0, source: 'power-on' },
      },
    ],
  },
  {
    name: 'edit/timeout',
    title: 'Configure the timeout of message editing',
    params: [
      {
        ...FLAG,
        name: 'enable_timeout',
        meanings: { 0: 'disable', 1: 'enable' },
        default: { value: 0, source: 'power-on' },
      },
      { kind: 'int', name: 'edit_timeout', min: 1, max: 180, unit: 's' },
    ],
    gatedBy: 'enable_timeout',
  },
];

export function mqttSubCommand(name: string): MqttSubCommand | undefined {
  return MQTT_SUBCOMMANDS.find((sub) => sub.name === name);
}

/** Complete values of one sub-command: integers by parameter name, texts already rendered for the unit. */
export type SettingValues = Readonly<Record<string, number | string | undefined>>;

function num(values: SettingValues, name: string): number {
  const value = values[name];
  if (typeof value !== 'number') throw new TypeError(`${name}: missing`);
  return value;
}

function str(values: SettingValues, name: string): string {
  const value = values[name];
  if (typeof value !== 'string') throw new TypeError(`${name}: missing`);
  return value;
}

const bit = (value: number): 0 | 1 => (value === 1 ? 1 : 0);
const qos = (value: number): 0 | 1 | 2 => (value === 2 ? 2 : value === 1 ? 1 : 0);

/** The typed setting of main/at/commands/qmtcfg.ts for one sub-command's complete values. */
export function toQmtcfgSetting(name: ProfileMqttName, v: SettingValues): QmtcfgSetting {
  switch (name) {
    case 'version':
      return { name, vsn: num(v, 'vsn') === 3 ? 3 : 4 };
    case 'pdpcid':
      return { name, cid: num(v, 'cid') };
    case 'keepalive':
      return { name, seconds: num(v, 'keep_alive_time') };
    case 'session':
      return { name, clean: num(v, 'clean_session') === 1 };
    case 'timeout':
      return {
        name,
        pktTimeoutS: num(v, 'pkt_timeout'),
        retryTimes: num(v, 'retry_times'),
        notice: num(v, 'timeout_notice') === 1,
      };
    case 'will':
    case 'willex':
      if (num(v, 'will_fg') === 0) return { name, enabled: false };
      return {
        name,
        enabled: true,
        qos: qos(num(v, 'will_qos')),
        retain: num(v, 'will_retain') === 1,
        topic: str(v, 'willtopic'),
        message: str(v, 'willmessage'),
      };
    case 'recv/mode':
      return { name, msgRecvMode: bit(num(v, 'msg_recv_mode')), msgLenEnable: num(v, 'msg_len_enable') === 1 };
    case 'qmtping':
      return { name, intervalS: num(v, 'qmtping_interval') };
    case 'send/mode':
      return { name, sendMode: bit(num(v, 'send_mode')) };
    case 'dataformat':
      return { name, sendMode: bit(num(v, 'send_mode')), recvMode: bit(num(v, 'recv_mode')) };
    case 'view/mode':
      return { name, viewMode: bit(num(v, 'view_mode')) };
    case 'edit/timeout':
      return num(v, 'enable_timeout') === 1
        ? { name, enable: true, editTimeoutS: num(v, 'edit_timeout') }
        : { name, enable: false };
  }
}

/** AT+QSSLCFG parameters other than the three files, as the profile's `ssl` section writes them. */
export type SslValueParam = Exclude<SslParam, 'cacert' | 'clientcert' | 'clientkey'>;

export interface SslParameter {
  readonly name: SslValueParam;
  readonly title: string;
  readonly param: IntParam | { readonly kind: 'hex'; readonly name: string; readonly default?: Default<string> };
}

const sslInt = (
  name: SslValueParam,
  title: string,
  min: number,
  max: number,
  extra: Partial<Pick<IntParam, 'unit' | 'meanings' | 'default'>> = {},
): SslParameter => ({ name, title, param: { kind: 'int', name, min, max, ...extra } });

/** In the order the station writes them (the application note's example order first). */
export const SSL_PARAMETERS: readonly SslParameter[] = [
  sslInt('seclevel', 'Authentication mode', 0, 2, {
    meanings: { 0: 'no authentication', 1: 'server authentication', 2: 'server and client authentication' },
    default: { value: 0, source: 'power-on' },
  }),
  sslInt('sslversion', 'SSL version', 0, 4, {
    meanings: { 0: 'SSL 3.0', 1: 'TLS 1.0', 2: 'TLS 1.1', 3: 'TLS 1.2', 4: 'all' },
    default: { value: 4, source: 'power-on' },
  }),
  {
    name: 'ciphersuite',
    title: 'Cipher suite (0xFFFF: all the module supports)',
    param: { kind: 'hex', name: 'ciphersuite', default: { value: '0xFFFF', source: 'power-on' } },
  },
  sslInt('ignorelocaltime', 'Ignore the validity dates of certificates', 0, 1, {
    meanings: { 0: 'check the dates', 1: 'ignore the dates' },
    default: { value: 1, source: 'power-on' },
  }),
  sslInt('sni', 'Server Name Indication', 0, 1, {
    meanings: { 0: 'off', 1: 'on' },
    default: { value: 0, source: 'power-on' },
  }),
  sslInt('negotiatetime', 'Timeout of the TLS handshake', 10, 300, { unit: 's' }),
  sslInt('ignoreinvalidcertsign', 'Ignore an invalid certificate signature', 0, 1, {
    meanings: { 0: 'check', 1: 'ignore' },
  }),
  sslInt('ignoremulticertchainverify', 'Ignore the verification of a multi-certificate chain', 0, 1, {
    meanings: { 0: 'verify', 1: 'ignore' },
  }),
];

/** The typed setting of main/at/commands/ssl.ts for a value parameter. */
export function toSslSetting(name: SslValueParam, value: number): SslSetting {
  switch (name) {
    case 'sslversion':
      return { param: name, value: value === 0 ? 0 : value === 1 ? 1 : value === 2 ? 2 : value === 3 ? 3 : 4 };
    case 'ciphersuite':
      return { param: name, value };
    case 'seclevel':
      return { param: name, value: value === 2 ? 2 : value === 1 ? 1 : 0 };
    case 'negotiatetime':
      return { param: name, value };
    case 'ignorelocaltime':
    case 'sni':
    case 'ignoreinvalidcertsign':
    case 'ignoremulticertchainverify':
      return { param: name, value: value === 1 };
  }
}

/** The certificate and key files of an SSL context, in the order they are uploaded and configured. */
export const SSL_FILES = ['cacert', 'clientcert', 'clientkey'] as const;
export type SslFileParam = (typeof SSL_FILES)[number];

/** Which files a security level needs (seclevel 1: the CA; 2: the CA and the client's certificate and key). */
export function filesForSeclevel(seclevel: number): readonly SslFileParam[] {
  return seclevel === 2 ? SSL_FILES : seclevel === 1 ? ['cacert'] : [];
}
