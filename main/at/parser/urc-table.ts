/**
 * The unsolicited result codes the parser knows. A `+NAME:` line listed here is reported as a URC with
 * `known: true` whenever no command of that name is in flight; an unlisted one still passes through, with
 * `known: false`, so nothing is ever dropped. Exported for the engine, the emulator and the log decoder, so
 * every part of the station agrees on what "a URC" is.
 */
export interface UrcInfo {
  /** `+QMTSTAT` for prefixed URCs, the whole line (`RDY`, `APP RDY`) for bare ones. */
  readonly name: string;
  /** Bare URCs are whole lines without a colon and parameters. */
  readonly form: 'prefixed' | 'bare';
  /** Where the requirement comes from. */
  readonly source: string;
  readonly description: string;
}

export const UrcTable: readonly UrcInfo[] = [
  {
    name: '+QMTSTAT',
    form: 'prefixed',
    source: 'spec 4.1',
    description: 'MQTT link layer state changed; the client closed the connection (<client_idx>,<err_code>).',
  },
  {
    name: '+QMTRECV',
    form: 'prefixed',
    source: 'spec 4.2',
    description: 'A message from the server: in the URC itself, or a notice that it was stored in a buffer.',
  },
  {
    name: '+QMTPING',
    form: 'prefixed',
    source: 'spec 4.3',
    description: 'Keep-alive ping failed (<client_idx>,<result>).',
  },
  { name: '+QMTOPEN', form: 'prefixed', source: 'spec 3.3.2', description: 'Result of AT+QMTOPEN, after OK.' },
  { name: '+QMTCLOSE', form: 'prefixed', source: 'spec 3.3.3', description: 'Result of AT+QMTCLOSE, after OK.' },
  { name: '+QMTCONN', form: 'prefixed', source: 'spec 3.3.4', description: 'Result of AT+QMTCONN, after OK.' },
  { name: '+QMTDISC', form: 'prefixed', source: 'spec 3.3.5', description: 'Result of AT+QMTDISC, after OK.' },
  { name: '+QMTSUB', form: 'prefixed', source: 'spec 3.3.6', description: 'Result of AT+QMTSUB, after OK.' },
  { name: '+QMTUNS', form: 'prefixed', source: 'spec 3.3.7', description: 'Result of AT+QMTUNS, after OK.' },
  { name: '+QMTPUBEX', form: 'prefixed', source: 'spec 3.3.8', description: 'Result of AT+QMTPUBEX, after OK.' },
  {
    name: '+QMTPUB',
    form: 'prefixed',
    source: 'field notes',
    description: 'Older firmware answers AT+QMTPUBEX with +QMTPUB instead of +QMTPUBEX.',
  },
  { name: 'RDY', form: 'bare', source: 'field notes', description: 'The module finished booting.' },
  { name: 'APP RDY', form: 'bare', source: 'field notes', description: 'The application layer is ready.' },
  { name: 'POWERED DOWN', form: 'bare', source: 'field notes', description: 'The module powered down.' },
  { name: '+CFUN', form: 'prefixed', source: 'field notes', description: 'Phone functionality at boot.' },
  { name: '+CPIN', form: 'prefixed', source: 'field notes', description: 'SIM state (READY, SIM PIN, ...).' },
  { name: '+QUSIM', form: 'prefixed', source: 'field notes', description: 'USIM detected at boot.' },
  { name: '+QIND', form: 'prefixed', source: 'field notes', description: 'Indications (SMS DONE, PB DONE).' },
  { name: '+QIURC', form: 'prefixed', source: 'field notes', description: 'TCP/IP events such as "pdpdeact".' },
];

const prefixed = new Set(UrcTable.filter((u) => u.form === 'prefixed').map((u) => u.name));
const bare = new Set(UrcTable.filter((u) => u.form === 'bare').map((u) => u.name));

/** True when `name` (upper case, with its `+`) is a prefixed URC of the table. */
export function isKnownUrc(name: string): boolean {
  return prefixed.has(name);
}

/** True when the whole line is a bare URC of the table (`RDY`, `APP RDY`, `POWERED DOWN`). */
export function isBareUrc(line: string): boolean {
  return bare.has(line);
}
