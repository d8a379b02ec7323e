import type { DecodedField } from '../../shared/contract';
import type { AtOutcome } from '../at/vocab/request';

/**
 * Plain-words reading of a module's answer for the guided session: labelled fields for the commands operators
 * use most, a generic listing for everything else. The command library's describe functions replace the
 * error texts here once they land; the field tables stay (they are about presentation).
 */
export interface Decoded {
  readonly summary: string;
  readonly fields: readonly DecodedField[];
}

type Lines = AtOutcome['responses'];

const bare = (lines: Lines): string[] =>
  lines.filter((l) => l.kind === 'response' && l.name === null).map((l) => l.raw.trim());
const named = (lines: Lines, name: string): (readonly string[])[] =>
  lines.filter((l) => l.kind === 'response' && l.name === name).map((l) => (l.kind === 'response' ? l.params : []));

/** `ATI`: manufacturer, model, revision (`Revision: EC200UCNAAR03A03M08`). */
export function readIdentity(lines: Lines): { manufacturer?: string; model?: string; revision?: string } {
  const [manufacturer, model, ...rest] = bare(lines);
  const revision = rest.map((l) => /^Revision:\s*(.+)$/i.exec(l)?.[1]).find((r) => r !== undefined);
  return {
    ...(manufacturer === undefined ? {} : { manufacturer }),
    ...(model === undefined ? {} : { model }),
    ...(revision === undefined ? {} : { revision }),
  };
}

/** `AT+CGSN` / `AT+GSN` (bare digits, or `+CGSN: "..."` on some firmwares), `AT+QCCID`, `AT+CIMI`. */
export function readNumber(lines: Lines, name: string): string | undefined {
  const fromNamed = named(lines, name)[0]?.[0];
  const value = fromNamed ?? bare(lines)[0];
  return value !== undefined && /^[0-9A-Fa-f]{6,22}$/.test(value) ? value : undefined;
}

/** Names of the values each AT+QMTCFG setting reports, in order (spec 3.3.1). */
const qmtcfgValues: Record<string, readonly string[]> = {
  version: ['MQTT version'],
  pdpcid: ['PDP context'],
  ssl: ['SSL enabled', 'SSL context'],
  keepalive: ['Keep-alive (s)'],
  session: ['Clean session'],
  timeout: ['Packet timeout (s)', 'Retries', 'Timeout notice'],
  will: ['Will flag', 'Will QoS', 'Will retain', 'Will topic', 'Will message'],
  willex: ['Will flag', 'Will QoS', 'Will retain', 'Will topic', 'Will length'],
  'recv/mode': ['Message in URC (0) / buffered (1)', 'Length in URC'],
  qmtping: ['Heartbeat interval (s)'],
  'send/mode': ['Send mode (0 string, 1 hex)'],
  aliauth: ['Product key', 'Device name', 'Device secret'],
  onenet: ['Product id', 'Access key'],
  dataformat: ['Send format', 'Receive format'],
  'view/mode': ['View mode'],
  'edit/timeout': ['Edit timeout enabled', 'Edit timeout (s)'],
};

const mqttVersions: Record<string, string> = { '3': '3 (MQTT 3.1)', '4': '4 (MQTT 3.1.1)' };

function qmtcfgFields(lines: Lines): DecodedField[] {
  return named(lines, '+QMTCFG').flatMap(([setting = '', ...values]) => {
    const labels = qmtcfgValues[setting.toLowerCase()];
    if (labels === undefined || values.length > labels.length) {
      return [{ label: setting, value: values.join(', ') }];
    }
    return values.map((value, i) => ({
      label: labels[i] ?? setting,
      value: setting === 'version' ? (mqttVersions[value] ?? value) : value,
    }));
  });
}

function csqFields(lines: Lines): DecodedField[] {
  const [rssi = '', ber = ''] = named(lines, '+CSQ')[0] ?? [];
  const n = Number(rssi);
  const level = rssi === '99' || !Number.isInteger(n) ? 'unknown' : `${-113 + 2 * n} dBm`;
  return [
    { label: 'RSSI', value: `${rssi} (${level})` },
    { label: 'Bit error rate', value: ber === '99' ? 'unknown' : ber },
  ];
}

function genericFields(lines: Lines): DecodedField[] {
  return lines.map((l) =>
    l.kind === 'response' && l.name !== null
      ? { label: l.name, value: l.params.join(', ') }
      : { label: 'Line', value: l.raw },
  );
}

/** Decodes a successful answer to `line`. */
export function decodeAnswer(line: string, outcome: AtOutcome): Decoded {
  const command = line.trim().toUpperCase();
  const lines = outcome.responses;
  if (command === 'ATI') {
    const id = readIdentity(lines);
    const fields = [
      { label: 'Manufacturer', value: id.manufacturer },
      { label: 'Model', value: id.model },
      { label: 'Revision', value: id.revision },
    ].filter((f): f is DecodedField => f.value !== undefined);
    return { summary: `${id.manufacturer ?? 'Unknown'} ${id.model ?? 'module'}`, fields };
  }
  const numbers: Record<string, [string, string]> = {
    'AT+CGSN': ['+CGSN', 'IMEI'],
    'AT+GSN': ['+GSN', 'IMEI'],
    'AT+QCCID': ['+QCCID', 'ICCID'],
    'AT+CIMI': ['+CIMI', 'IMSI'],
  };
  const number = numbers[command];
  if (number !== undefined) {
    const value = readNumber(lines, number[0]);
    return value === undefined
      ? { summary: `No ${number[1]} in the answer`, fields: genericFields(lines) }
      : { summary: `${number[1]} ${value}`, fields: [{ label: number[1], value }] };
  }
  if (command.startsWith('AT+QMTCFG=') && !command.endsWith('=?')) {
    const fields = qmtcfgFields(lines);
    return { summary: fields.length > 0 ? 'MQTT setting read' : 'Setting accepted', fields };
  }
  if (command === 'AT+CSQ') return { summary: 'Signal quality', fields: csqFields(lines) };
  return { summary: lines.length > 0 ? `${lines.length} line(s) of answer` : 'OK', fields: genericFields(lines) };
}
