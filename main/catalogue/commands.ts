import { QMTCFG_HEAD, qmtcfgSettings } from './qmtcfg';
import { QSSLCFG_HEAD, qsslcfgSettings } from './qsslcfg';
import { CLOSE_RESULTS, CONNACK_RET_CODES, PACKET_RESULTS, QMTOPEN_RESULTS } from './results';
import type { CommandSpec, DataPhaseSpec, ParamSpec, TimeSpec } from './types';

/**
 * The command catalogue: one entry per command the station writes, reads back, finds in customers' logs or must
 * refuse in a typed session. Sources: the MQTT application note (the spec: every MQTT command, its parameters,
 * results and maximum response times), the field notes, and Quectel's AT command manuals for the basic,
 * file, socket, HTTP, FTP and SMS commands (their "Maximum Response Time" rows and data-phase behaviour).
 */

// ---- parameter shorthands ---------------------------------------------------------------------------------

const int = (
  name: string,
  label: string,
  range?: readonly [number, number],
  more: Partial<ParamSpec> = {},
): ParamSpec => ({
  name,
  label,
  type: 'int',
  ...(range ? { range } : {}),
  ...more,
});
const str = (
  name: string,
  label: string,
  bytes?: readonly [number, number],
  more: Partial<ParamSpec> = {},
): ParamSpec => ({
  name,
  label,
  type: 'string',
  ...(bytes ? { bytes } : {}),
  ...more,
});
const secret = (
  name: string,
  label: string,
  bytes: readonly [number, number],
  more: Partial<ParamSpec> = {},
): ParamSpec => str(name, label, bytes, { secret: true, ...more });
const optional = { optional: true } as const;

const clientIdx = int('client_idx', 'Client', [0, 5]);
const msgId = int('msgid', 'Message id', [0, 65535]);
const qos = int('qos', 'QoS', [0, 2], { values: { 0: 'At most once', 1: 'At least once', 2: 'Exactly once' } });

// ---- time limits ------------------------------------------------------------------------------------------

const fixed = (ms: number, source: TimeSpec['source'], appliesTo: TimeSpec['appliesTo'] = 'final'): TimeSpec => ({
  maxResponse: { kind: 'fixed', ms },
  appliesTo,
  source,
});
/** Plain queries and settings: 300 ms (the spec for AT+QMTCFG, the AT command manual for the rest). */
const QUERY = fixed(300, 'manual');

// ---- data phases ------------------------------------------------------------------------------------------

const promptUntilCtrlZ = (forms: DataPhaseSpec['forms'] = ['write']): DataPhaseSpec => ({
  after: 'prompt',
  direction: 'to-module',
  end: 'ctrl-z',
  forms,
});

/** `AT+QISEND=<id>[,<len>...]` / `AT+QSSLSEND=<id>[,<len>]`: a length of 0 queries what was sent instead. */
const socketSend: DataPhaseSpec = {
  after: 'prompt',
  direction: 'to-module',
  length: { at: 1, optional: true },
  end: 'ctrl-z',
  forms: ['write'],
  condition: {
    text: 'unless <send_length> is 0 (that form queries the data sent)',
    test: (params) => !/^\s*0+\s*$/.test(params[1] ?? 'x'),
  },
};

const httpBody = (what: string): DataPhaseSpec => ({
  after: 'connect',
  direction: 'to-module',
  length: { at: 0 },
  end: 'length',
  forms: ['write'],
  condition: { text: `always: CONNECT, then the ${what}`, test: () => true },
});

// ---- the table --------------------------------------------------------------------------------------------

const entries: readonly CommandSpec[] = [
  // Identity, SIM, network, radio.
  { name: '+GSN', title: 'IMEI', time: QUERY },
  { name: '+CGSN', title: 'IMEI', time: QUERY },
  { name: '+QCCID', title: 'ICCID of the SIM', time: QUERY },
  { name: '+CIMI', title: 'IMSI', time: QUERY },
  { name: '+QGMR', title: 'Firmware revision', time: QUERY },
  { name: '+CSQ', title: 'Signal quality', time: QUERY },
  { name: '+CEREG', title: 'EPS network registration', time: QUERY },
  { name: '+CGREG', title: 'GPRS network registration', time: QUERY },
  { name: '+CMEE', title: 'Error reporting', params: [int('n', 'Error format', [0, 2])], time: QUERY },
  {
    name: '+CPIN',
    title: 'Enter the SIM PIN (or the PUK and a new PIN)',
    params: [secret('pin', 'PIN', [1, 16]), secret('new_pin', 'New PIN', [1, 16], optional)],
    answer: [str('code', 'SIM state')],
    time: fixed(5_000, 'manual'),
  },
  {
    name: '+CPWD',
    title: 'Change a facility password',
    params: [
      str('fac', 'Facility'),
      secret('oldpwd', 'Old password', [1, 16]),
      secret('newpwd', 'New password', [1, 16]),
    ],
    time: fixed(5_000, 'station'),
  },
  {
    name: '+CLCK',
    title: 'Facility lock',
    params: [
      str('fac', 'Facility'),
      int('mode', 'Mode', [0, 2], { values: { 0: 'Unlock', 1: 'Lock', 2: 'Query status' } }),
      secret('passwd', 'Password', [1, 16], optional),
      int('class', 'Class', undefined, optional),
    ],
    time: fixed(5_000, 'manual'),
  },
  { name: '+COPS', title: 'Operator selection', time: fixed(180_000, 'manual') },
  {
    name: '+CFUN',
    title: 'Phone functionality',
    params: [
      int('fun', 'Functionality', [0, 4], { values: { 0: 'Minimum', 1: 'Full', 4: 'Radio off' } }),
      int('rst', 'Reset first', [0, 1], optional),
    ],
    time: fixed(15_000, 'manual'),
  },

  // PDP context.
  {
    name: '+QICSGP',
    title: 'Configure the APN of a PDP context',
    params: [
      int('contextID', 'Context', [1, 7]),
      int('context_type', 'Type', [1, 3], { values: { 1: 'IPv4', 2: 'IPv6', 3: 'IPv4v6' }, ...optional }),
      str('APN', 'APN', [0, 100], optional),
      str('username', 'User name', [0, 127], optional),
      secret('password', 'Password', [0, 127], optional),
      int('authentication', 'Authentication', [0, 3], {
        values: { 0: 'None', 1: 'PAP', 2: 'CHAP', 3: 'PAP or CHAP' },
        ...optional,
      }),
      secret('CDMA_pwd', 'CDMA password', [0, 127], optional),
    ],
    answer: [
      int('context_type', 'Type', [1, 3], { values: { 1: 'IPv4', 2: 'IPv6', 3: 'IPv4v6' } }),
      str('APN', 'APN'),
      str('username', 'User name'),
      secret('password', 'Password', [0, 127]),
      int('authentication', 'Authentication', [0, 3]),
      secret('CDMA_pwd', 'CDMA password', [0, 127], optional),
    ],
    time: QUERY,
  },
  {
    name: '+CGAUTH',
    title: 'PDP context authentication',
    params: [
      int('cid', 'Context'),
      int('auth_type', 'Authentication', [0, 3], optional),
      str('username', 'User name', undefined, optional),
      secret('password', 'Password', [0, 127], optional),
    ],
    time: QUERY,
  },
  {
    name: '+QIACT',
    title: 'Activate a PDP context',
    params: [int('contextID', 'Context', [1, 7])],
    time: fixed(150_000, 'manual'),
  },
  {
    name: '+QIDEACT',
    title: 'Deactivate a PDP context',
    params: [int('contextID', 'Context', [1, 7])],
    time: fixed(40_000, 'manual'),
  },

  // Files (UFS).
  {
    name: '+QFUPL',
    title: 'Upload a file',
    params: [
      str('filename', 'File', [1, 84]),
      int('file_size', 'Size', undefined, { unit: 'bytes', default: 10240, ...optional }),
      int('timeout', 'Input timeout (s)', [1, 3600], { unit: 's', ...optional }),
      int('ackmode', 'Acknowledge mode', [0, 1], optional),
    ],
    dataPhase: {
      after: 'connect',
      direction: 'to-module',
      length: { at: 1, optional: true, default: 10240 },
      end: 'length',
      forms: ['write'],
    },
    time: fixed(5_000, 'station'),
  },
  {
    name: '+QFDWL',
    title: 'Download a file',
    params: [str('filename', 'File', [1, 84])],
    dataPhase: { after: 'connect', direction: 'from-module', end: 'module', forms: ['write'] },
    time: fixed(5_000, 'station'),
  },
  {
    name: '+QFWRITE',
    title: 'Write to an open file',
    params: [
      int('filehandle', 'File handle'),
      int('length', 'Length', undefined, { unit: 'bytes', ...optional }),
      int('timeout', 'Input timeout (s)', undefined, { unit: 's', ...optional }),
    ],
    dataPhase: {
      after: 'connect',
      direction: 'to-module',
      length: { at: 1, optional: true },
      end: 'timeout',
      forms: ['write'],
    },
    time: fixed(5_000, 'station'),
  },
  {
    name: '+QFLST',
    title: 'List files',
    params: [str('name_pattern', 'Pattern', [1, 84], optional)],
    time: fixed(5_000, 'station'),
  },
  { name: '+QFDEL', title: 'Delete files', params: [str('filename', 'File', [1, 84])], time: fixed(5_000, 'station') },

  // SSL and MQTT configuration.
  {
    name: '+QSSLCFG',
    title: 'Configure an SSL context',
    settings: { head: QSSLCFG_HEAD, answerHead: QSSLCFG_HEAD, entries: qsslcfgSettings },
    time: QUERY,
  },
  {
    name: '+QMTCFG',
    title: 'Configure optional parameters of MQTT',
    settings: { head: QMTCFG_HEAD, answerHead: [], entries: qmtcfgSettings },
    time: fixed(300, 'spec'),
  },

  // The MQTT link.
  {
    name: '+QMTOPEN',
    title: 'Open a network for MQTT client',
    params: [clientIdx, str('host_name', 'Host', [1, 100]), int('port', 'Port', [1, 65535])],
    answer: [clientIdx, str('host_name', 'Host'), int('port', 'Port', [1, 65535])],
    completion: {
      urc: '+QMTOPEN',
      client: { at: 0, from: 0 },
      resultAt: 1,
      results: QMTOPEN_RESULTS,
      success: 0,
    },
    time: { maxResponse: { kind: 'fixed', ms: 120_000 }, appliesTo: 'completion', source: 'spec' },
  },
  {
    name: '+QMTCLOSE',
    title: 'Close a network for MQTT client',
    params: [clientIdx],
    completion: { urc: '+QMTCLOSE', client: { at: 0, from: 0 }, resultAt: 1, results: CLOSE_RESULTS, success: 0 },
    time: fixed(30_000, 'spec', 'completion'),
  },
  {
    name: '+QMTCONN',
    title: 'Connect a client to MQTT server',
    params: [
      clientIdx,
      str('clientID', 'Client id', [1, 256]),
      str('username', 'User name', [0, 256], optional),
      secret('password', 'Password', [0, 512], optional),
    ],
    answer: [clientIdx, int('state', 'State', [1, 4])],
    completion: {
      urc: '+QMTCONN',
      client: { at: 0, from: 0 },
      resultAt: 1,
      results: PACKET_RESULTS,
      retransmission: 1,
      success: 0,
      extra: [int('ret_code', 'CONNACK return code', [0, 5], { values: CONNACK_RET_CODES })],
    },
    time: { maxResponse: { kind: 'pkt_timeout' }, appliesTo: 'completion', source: 'spec' },
  },
  {
    name: '+QMTDISC',
    title: 'Disconnect a client from MQTT server',
    params: [clientIdx],
    completion: { urc: '+QMTDISC', client: { at: 0, from: 0 }, resultAt: 1, results: CLOSE_RESULTS, success: 0 },
    time: fixed(30_000, 'spec', 'completion'),
  },

  // MQTT messages.
  {
    name: '+QMTSUB',
    title: 'Subscribe to topics',
    params: [clientIdx, msgId, str('topic', 'Topic', [1, 256]), qos],
    repeats: 2,
    completion: {
      urc: '+QMTSUB',
      client: { at: 0, from: 0 },
      msgId: { at: 1, from: 1 },
      resultAt: 2,
      results: PACKET_RESULTS,
      retransmission: 1,
      success: 0,
      extra: [int('value', 'Granted QoS / retransmissions')],
    },
    time: { maxResponse: { kind: 'pkt_timeout*retry_times' }, appliesTo: 'completion', source: 'spec' },
  },
  {
    name: '+QMTUNS',
    title: 'Unsubscribe from topics',
    params: [clientIdx, msgId, str('topic', 'Topic', [1, 256])],
    repeats: 1,
    completion: {
      urc: '+QMTUNS',
      client: { at: 0, from: 0 },
      msgId: { at: 1, from: 1 },
      resultAt: 2,
      results: PACKET_RESULTS,
      retransmission: 1,
      success: 0,
    },
    time: { maxResponse: { kind: 'pkt_timeout*retry_times' }, appliesTo: 'completion', source: 'spec' },
  },
  {
    name: '+QMTPUBEX',
    title: 'Publish a message of fixed length',
    params: [
      clientIdx,
      msgId,
      qos,
      int('retain', 'Retain', [0, 1]),
      str('topic', 'Topic', [1, 256]),
      int('length', 'Length', [1, 1500], { unit: 'bytes' }),
    ],
    dataPhase: { after: 'prompt', direction: 'to-module', length: { at: 5 }, end: 'length', forms: ['write'] },
    completion: {
      urc: '+QMTPUBEX',
      aliases: ['+QMTPUB'],
      client: { at: 0, from: 0 },
      msgId: { at: 1, from: 1 },
      resultAt: 2,
      results: PACKET_RESULTS,
      retransmission: 1,
      success: 0,
      extra: [int('value', 'Retransmissions')],
    },
    time: { maxResponse: { kind: 'pkt_timeout*retry_times' }, appliesTo: 'completion', source: 'spec' },
  },
  {
    name: '+QMTPUB',
    title: 'Publish a message (length optional; without it the message ends with Ctrl+Z)',
    params: [
      clientIdx,
      msgId,
      qos,
      int('retain', 'Retain', [0, 1]),
      str('topic', 'Topic', [1, 256]),
      int('msglen', 'Length', [1, 1500], { unit: 'bytes', ...optional }),
    ],
    dataPhase: {
      after: 'prompt',
      direction: 'to-module',
      length: { at: 5, optional: true },
      end: 'ctrl-z',
      forms: ['write'],
    },
    completion: {
      urc: '+QMTPUB',
      client: { at: 0, from: 0 },
      msgId: { at: 1, from: 1 },
      resultAt: 2,
      results: PACKET_RESULTS,
      retransmission: 1,
      success: 0,
    },
    time: { maxResponse: { kind: 'pkt_timeout*retry_times' }, appliesTo: 'completion', source: 'manual' },
  },
  {
    name: '+QMTRECV',
    title: 'Read messages from buffers',
    params: [clientIdx, int('recv_id', 'Buffer', [0, 4], optional)],
    time: { maxResponse: { kind: 'none' }, appliesTo: 'final', source: 'spec' },
  },

  // Sockets, SSL sockets, HTTP, FTP, SMS: commands that open data phases.
  {
    name: '+QISEND',
    title: 'Send data on a socket',
    params: [
      int('connectID', 'Socket', [0, 11]),
      int('send_length', 'Length', [0, 1460], { unit: 'bytes', ...optional }),
      str('remoteIP', 'Remote address', undefined, optional),
      int('remote_port', 'Remote port', [0, 65535], optional),
    ],
    dataPhase: socketSend,
    time: fixed(300, 'manual'),
  },
  {
    name: '+QSSLSEND',
    title: 'Send data on an SSL socket',
    params: [int('clientID', 'Client', [0, 11]), int('sendlen', 'Length', [0, 1460], { unit: 'bytes', ...optional })],
    dataPhase: socketSend,
    time: fixed(300, 'manual'),
  },
  {
    name: '+QHTTPURL',
    title: 'Set the URL of the HTTP server',
    params: [
      int('URL_length', 'URL length', [1, 700], { unit: 'bytes' }),
      int('timeout', 'Input timeout (s)', [1, 65535], optional),
    ],
    dataPhase: httpBody('URL'),
    time: fixed(300, 'manual'),
  },
  {
    name: '+QHTTPPOST',
    title: 'Send an HTTP POST request',
    params: [
      int('data_length', 'Body length', undefined, { unit: 'bytes' }),
      int('input_time', 'Input timeout (s)', undefined, optional),
      int('rsptime', 'Response timeout (s)', undefined, optional),
    ],
    dataPhase: httpBody('request body'),
    time: fixed(60_000, 'manual', 'completion'),
  },
  {
    name: '+QHTTPPUT',
    title: 'Send an HTTP PUT request',
    params: [
      int('data_length', 'Body length', undefined, { unit: 'bytes' }),
      int('input_time', 'Input timeout (s)', undefined, optional),
      int('rsptime', 'Response timeout (s)', undefined, optional),
    ],
    dataPhase: httpBody('request body'),
    time: fixed(60_000, 'manual', 'completion'),
  },
  {
    name: '+QFTPCFG',
    title: 'Configure the FTP(S) service',
    settings: {
      head: [],
      answerHead: [],
      entries: {
        account: {
          name: 'account',
          title: 'FTP user name and password',
          values: [str('username', 'User name', [0, 255]), secret('password', 'Password', [0, 255])],
        },
      },
    },
    time: QUERY,
  },
  {
    name: '+QFTPPUT',
    title: 'Upload a file to the FTP server',
    params: [
      str('file_name', 'Remote file'),
      str('local_name', 'Local source'),
      int('startpos', 'Start position', undefined, optional),
      int('data_length', 'Length', undefined, { unit: 'bytes', ...optional }),
      int('beof', 'End of file', [0, 1], optional),
    ],
    dataPhase: {
      after: 'connect',
      direction: 'to-module',
      length: { at: 3, optional: true },
      end: 'escape',
      forms: ['write'],
      condition: {
        text: 'when the local source is "COM:" (the data comes over the port)',
        test: (params) => (params[1] ?? '').trim().toUpperCase() === 'COM:',
      },
    },
    time: fixed(5_000, 'station', 'completion'),
  },
  {
    name: '+CMGS',
    title: 'Send an SMS',
    params: [
      str('da', 'Destination (text mode) / TPDU length (PDU mode)'),
      int('toda', 'Address type', undefined, optional),
    ],
    dataPhase: promptUntilCtrlZ(),
    time: fixed(120_000, 'manual'),
  },
  {
    name: '+QCMGS',
    title: 'Send a concatenated SMS',
    params: [
      str('da', 'Destination'),
      int('toda', 'Address type', undefined, optional),
      int('uid', 'Message reference', undefined, optional),
      int('seg', 'Segment', undefined, optional),
      int('total', 'Segments', undefined, optional),
    ],
    dataPhase: promptUntilCtrlZ(),
    time: fixed(120_000, 'manual'),
  },
  {
    name: '+CMGW',
    title: 'Write an SMS to storage',
    params: [
      str('oa_da', 'Address (text mode) / TPDU length (PDU mode)', undefined, optional),
      int('tooa_toda', 'Address type', undefined, optional),
      str('stat', 'Status', undefined, optional),
    ],
    dataPhase: promptUntilCtrlZ(['write', 'exec']),
    time: fixed(300, 'manual'),
  },
  {
    name: '+CMGC',
    title: 'Send an SMS command',
    params: [
      int('fo', 'First octet'),
      int('ct', 'Command type'),
      int('pid', 'Protocol id', undefined, optional),
      int('mn', 'Message number', undefined, optional),
      str('da', 'Destination', undefined, optional),
      int('toda', 'Address type', undefined, optional),
    ],
    dataPhase: promptUntilCtrlZ(),
    time: fixed(120_000, 'manual'),
  },
];

/** The catalogue by command name (`+QMTCONN`, upper case). */
export const CATALOGUE: ReadonlyMap<string, CommandSpec> = new Map(entries.map((entry) => [entry.name, entry]));

/** The commands with a fixed time limit of the basic commands (AT, ATE, ATI): 300 ms. */
export const BASIC_COMMAND_MS = 300;
