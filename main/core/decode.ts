import type { DecodedField } from '../../shared/contract';
import { answerFields, commandSpec, readCommandLine, type ParamSpec } from '../catalogue';
import * as commands from '../at/commands';
import type { AtOutcome, AtRequest } from '../at/vocab/request';

/**
 * Plain-words reading of a module's answer for the guided session: the identity reads go through the command
 * library's typed parsers (an IMEI is 15 digits, an ICCID 19-20 characters, or it is no IMEI / ICCID), and the
 * answers of the commands the catalogue describes get the catalogue's field labels (AT+QMTCFG, AT+QSSLCFG,
 * AT+QICSGP, ...). Everything else is listed line by line.
 */
export interface Decoded {
  readonly summary: string;
  readonly fields: readonly DecodedField[];
}

type Lines = AtOutcome['responses'];

function genericFields(lines: Lines): DecodedField[] {
  return lines.map((l) =>
    l.kind === 'response' && l.name !== null
      ? { label: l.name, value: l.params.join(', ') }
      : { label: 'Line', value: l.raw },
  );
}

/** The typed parse of `request` on this outcome, or undefined when the answer is not what it should be. */
function typed<T>(request: AtRequest<T>, outcome: AtOutcome): T | undefined {
  try {
    return request.parse(outcome);
  } catch {
    return undefined;
  }
}

/** The identity reads: the command, the label of what it reads, and its typed parser. */
const identityReads: Readonly<Record<string, readonly [string, () => AtRequest<string>]>> = {
  '+CGSN': ['IMEI', commands.cgsn],
  '+GSN': ['IMEI', commands.gsn],
  '+QCCID': ['ICCID', commands.qccid],
  '+CIMI': ['IMSI', commands.cimi],
};

/** A value, with its meaning where the catalogue says to show it (`3 (MQTT 3.1)`). */
function shown(spec: ParamSpec | undefined, value: string): string {
  const meaning = spec?.showMeaning === true ? spec.values?.[Number(value)] : undefined;
  return meaning === undefined ? value : `${value} (${meaning})`;
}

/** The answer lines named `name`, each field labelled from the catalogue; null when it does not describe them. */
function labelledFields(lines: Lines, name: string): DecodedField[] | null {
  const settings = commandSpec(name)?.settings !== undefined;
  const fields: DecodedField[] = [];
  for (const line of lines) {
    if (line.kind !== 'response' || line.name?.toUpperCase() !== name) continue;
    // With sub-settings, the answer names its setting first (`+QMTCFG: "keepalive",120`).
    const [first = '', ...rest] = line.params;
    const specs = settings ? answerFields(name, first) : answerFields(name);
    const values = settings ? rest : line.params;
    if (specs === undefined || values.length > specs.length) return null;
    values.forEach((value, i) => fields.push({ label: specs[i]?.label ?? name, value: shown(specs[i], value) }));
  }
  return fields.length > 0 ? fields : null;
}

function csqFields(outcome: AtOutcome): DecodedField[] {
  const signal = typed(commands.csq(), outcome);
  if (signal === undefined) return genericFields(outcome.responses);
  return [
    { label: 'RSSI', value: `${signal.rssi} (${signal.dbm === null ? 'unknown' : `${signal.dbm} dBm`})` },
    { label: 'Bit error rate', value: signal.ber === 99 ? 'unknown' : String(signal.ber) },
  ];
}

/** Decodes a successful answer to `line`. */
export function decodeAnswer(line: string, outcome: AtOutcome): Decoded {
  const lines = outcome.responses;
  const [command] = readCommandLine(line) ?? [];
  if (command === undefined) return { summary: 'Not a command line', fields: genericFields(lines) };
  const { name, kind } = command;
  if (name === null && /^AT\s*I\s*0?$/i.test(line.trim())) {
    const id = typed(commands.ati(), outcome);
    if (id === undefined) return { summary: 'No module identity in the answer', fields: genericFields(lines) };
    return {
      summary: `${id.manufacturer} ${id.model}`,
      fields: [
        { label: 'Manufacturer', value: id.manufacturer },
        { label: 'Model', value: id.model },
        { label: 'Revision', value: id.revision },
      ],
    };
  }
  const identity = name === null || kind !== 'exec' ? undefined : identityReads[name];
  if (identity !== undefined) {
    const [label, read] = identity;
    const value = typed(read(), outcome);
    return value === undefined
      ? { summary: `No ${label} in the answer`, fields: genericFields(lines) }
      : { summary: `${label} ${value}`, fields: [{ label, value }] };
  }
  if (name === '+CSQ' && kind === 'exec') return { summary: 'Signal quality', fields: csqFields(outcome) };
  if (name !== null && kind !== 'test') {
    const labelled = labelledFields(lines, name);
    if (labelled !== null) return { summary: 'Setting read', fields: labelled };
    if (lines.length === 0 && kind === 'write') return { summary: 'Setting accepted', fields: [] };
  }
  return { summary: lines.length > 0 ? `${lines.length} line(s) of answer` : 'OK', fields: genericFields(lines) };
}
