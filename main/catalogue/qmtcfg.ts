import type { ParamSpec, SettingSpec } from './types';

/**
 * AT+QMTCFG="<name>",<client_idx>[,<values>]: every setting of the application note (3.3.1), with the note's
 * parameter names, ranges and defaults (its "Default value" or underlined value). Where the note gives no
 * default, the default is the module's factory state as the virtual module reproduces it (main/emulator/state.ts):
 * msg_recv_mode 0, msg_len_enable 0, send_mode 0, SSL off. Settings are lost at power-off (spec).
 */

const flag = (name: string, label: string, values: Readonly<Record<number, string>>, def?: number): ParamSpec => ({
  name,
  label,
  type: 'int',
  range: [0, 1],
  values,
  ...(def === undefined ? {} : { default: def }),
});

const willHead: readonly ParamSpec[] = [
  flag(
    'will_fg',
    'Will flag',
    { 0: 'Ignore the Will flag configuration', 1: 'Require the Will flag configuration' },
    0,
  ),
  {
    name: 'will_qos',
    label: 'Will QoS',
    type: 'int',
    range: [0, 2],
    values: { 0: 'At most once', 1: 'At least once', 2: 'Exactly once' },
    default: 0,
    optional: true,
  },
  {
    ...flag('will_retain', 'Will retain', { 0: 'Not retained by the server', 1: 'Retained by the server' }, 0),
    optional: true,
  },
  { name: 'willtopic', label: 'Will topic', type: 'string', bytes: [1, 256], optional: true },
];

/** Every AT+QMTCFG setting by name, in the note's order. */
export const qmtcfgSettings: Readonly<Record<string, SettingSpec>> = {
  version: {
    name: 'version',
    title: 'MQTT protocol version',
    values: [
      {
        name: 'vsn',
        label: 'MQTT version',
        type: 'int',
        range: [3, 4],
        values: { 3: 'MQTT 3.1', 4: 'MQTT 3.1.1' },
        default: 3,
        showMeaning: true,
      },
    ],
  },
  pdpcid: {
    name: 'pdpcid',
    title: 'PDP context used by the MQTT client',
    values: [{ name: 'cid', label: 'PDP context', type: 'int', range: [1, 7], default: 1 }],
  },
  ssl: {
    name: 'ssl',
    title: 'SSL mode and SSL context',
    values: [
      flag('SSL_enable', 'SSL enabled', { 0: 'Normal TCP connection', 1: 'SSL TCP secure connection' }, 0),
      { name: 'SSL_ctx_idx', label: 'SSL context', type: 'int', range: [0, 5], optional: true },
    ],
    note: 'With SSL enabled, <SSL_ctx_idx> must be given (spec note 2).',
  },
  keepalive: {
    name: 'keepalive',
    title: 'Keep-alive time',
    values: [
      {
        name: 'keep_alive_time',
        label: 'Keep-alive (s)',
        type: 'int',
        range: [0, 3600],
        default: 120,
        unit: 's',
        values: { 0: 'The client is not disconnected' },
      },
    ],
  },
  session: {
    name: 'session',
    title: 'Session type',
    values: [
      flag(
        'clean_session',
        'Clean session',
        {
          0: 'The server stores the subscriptions of the client after it disconnects',
          1: 'The server discards any previous session of the client',
        },
        0,
      ),
    ],
  },
  timeout: {
    name: 'timeout',
    title: 'Timeout of message delivery',
    values: [
      { name: 'pkt_timeout', label: 'Packet timeout (s)', type: 'int', range: [1, 60], default: 5, unit: 's' },
      { name: 'retry_times', label: 'Retries', type: 'int', range: [0, 10], default: 3 },
      flag('timeout_notice', 'Timeout notice', { 0: 'Not reported', 1: 'Reported' }, 0),
    ],
  },
  will: {
    name: 'will',
    title: 'Will information',
    values: [
      ...willHead,
      { name: 'willmessage', label: 'Will message', type: 'string', bytes: [0, 256], optional: true },
    ],
    note: 'With <will_fg> 1, <will_qos>, <will_retain>, <willtopic> and <willmessage> must be present (spec note 1).',
  },
  willex: {
    name: 'willex',
    title: 'Will information, the message sent after a > prompt',
    values: [
      ...willHead,
      { name: 'will_len', label: 'Will length', type: 'int', range: [1, 256], unit: 'bytes', optional: true },
    ],
    dataPhase: {
      after: 'prompt',
      direction: 'to-module',
      length: { at: 6 },
      end: 'length',
      forms: ['write'],
      condition: {
        text: 'when it sets a Will (<will_fg> other than 0)',
        test: (params) => params.length > 2 && (params[2] ?? '').trim() !== '0',
      },
    },
  },
  'recv/mode': {
    name: 'recv/mode',
    title: 'Receiving mode of messages from the server',
    values: [
      {
        name: 'msg_recv_mode',
        label: 'Receive mode',
        type: 'int',
        range: [0, 1],
        values: { 0: 'The message is contained in the URC', 1: 'The message is stored, not contained in the URC' },
        default: 0,
      },
      flag('msg_len_enable', 'Length in URC', { 0: 'Not contained', 1: 'Contained' }, 0),
    ],
  },
  qmtping: {
    name: 'qmtping',
    title: 'Heartbeat interval',
    values: [
      { name: 'qmtping_interval', label: 'Heartbeat interval (s)', type: 'int', range: [5, 60], default: 5, unit: 's' },
    ],
  },
  'send/mode': {
    name: 'send/mode',
    title: 'Message sending mode',
    values: [flag('send_mode', 'Send mode', { 0: 'String', 1: 'Hex' }, 0)],
  },
  aliauth: {
    name: 'aliauth',
    title: 'Alibaba Cloud device information',
    values: [
      { name: 'product_key', label: 'Product key', type: 'string', bytes: [1, 64] },
      { name: 'device_name', label: 'Device name', type: 'string', bytes: [1, 64] },
      { name: 'device_secret', label: 'Device secret', type: 'string', bytes: [1, 128], secret: true },
    ],
    note: 'With aliauth configured, <username> and <password> of AT+QMTCONN can be omitted (spec note 4).',
  },
  onenet: {
    name: 'onenet',
    title: 'China Mobile OneNET device',
    values: [
      { name: 'product_id', label: 'Product id', type: 'string', bytes: [1, 64] },
      { name: 'access_key', label: 'Access key', type: 'string', bytes: [1, 128], secret: true },
    ],
  },
  dataformat: {
    name: 'dataformat',
    title: 'Data format',
    values: [
      flag('send_mode', 'Send format', { 0: 'String', 1: 'Hex' }, 0),
      flag('recv_mode', 'Receive format', { 0: 'String', 1: 'Hex' }, 0),
    ],
  },
  'view/mode': {
    name: 'view/mode',
    title: 'Data view mode in transparent mode',
    values: [
      flag(
        'view_mode',
        'View mode',
        { 0: 'The data is not displayed in transparent mode', 1: 'The data is displayed in transparent mode' },
        0,
      ),
    ],
  },
  'edit/timeout': {
    name: 'edit/timeout',
    title: 'Timeout of message editing',
    values: [
      flag('enable_timeout', 'Edit timeout enabled', { 0: 'Disable', 1: 'Enable' }, 0),
      { name: 'edit_timeout', label: 'Edit timeout (s)', type: 'int', range: [1, 180], unit: 's', optional: true },
    ],
  },
};

/** The head of every AT+QMTCFG write: the client index (the answer has none). */
export const QMTCFG_HEAD: readonly ParamSpec[] = [{ name: 'client_idx', label: 'Client', type: 'int', range: [0, 5] }];
