import { completionByUrc } from '../../catalogue';
import type { FinalEvent, RecvEvent, UrcEvent } from '../vocab/request';
import type { ResponseEvent } from '../vocab/request';
import {
  CLOSE_RESULTS,
  CME_ERRORS,
  CONN_STATES,
  CME_HOW_TO,
  CONNACK_RET_CODES,
  lookup,
  PACKET_RESULTS,
  QMTOPEN_HOW_TO,
  QMTOPEN_RESULTS,
  QMTPING_RESULTS,
  QMTSTAT_ERRORS,
  REGISTRATION_STATES,
} from './texts';

/**
 * Plain words for support staff: what a URC or a final result means and, when something went wrong, what to do.
 * `explain*` gives the parts (for the UI and the JSON output); `describe*` gives one sentence.
 */
export interface Explanation {
  readonly summary: string;
  readonly howTo?: string;
  readonly severity: 'info' | 'warning' | 'error';
}

const info = (summary: string): Explanation => ({ summary, severity: 'info' });

function int(value: string | undefined): number | null {
  return value !== undefined && /^-?\d+$/.test(value.trim()) ? Number.parseInt(value.trim(), 10) : null;
}

function clientPrefix(params: readonly string[]): string {
  return `MQTT client ${params[0]?.trim() ?? '?'}`;
}

/** A packet result (+QMTSUB/+QMTUNS/+QMTPUBEX/+QMTCONN): 0 done, 1 retransmitting (value = count), 2 failed. */
function packet(params: readonly string[], resultIndex: number, what: string): Explanation {
  const result = int(params[resultIndex]);
  const text = result === null ? 'no result' : lookup(PACKET_RESULTS, result, 'result');
  if (result === 1) {
    const times = params[resultIndex + 1];
    return {
      summary: `${what}: ${text}${times !== undefined ? ` (${times.trim()} times so far)` : ''}; still waiting.`,
      severity: 'warning',
    };
  }
  if (result === 0) return info(`${what}: ${text}.`);
  return {
    summary: `${what}: ${text}.`,
    howTo: 'Check that the MQTT connection is up (AT+QMTCONN?) and the network is stable, then retry.',
    severity: 'error',
  };
}

/** Where the catalogue says a completion URC carries its result. */
function resultAt(urc: string): number {
  return completionByUrc(urc)?.resultAt ?? 1;
}

/** Explain a URC (or a +QMTRECV message). Unknown URCs still get a sentence that says so. */
export function explainUrc(event: UrcEvent | RecvEvent): Explanation {
  if (event.kind === 'recv') {
    return info(
      `MQTT client ${event.clientIdx} received a message on topic "${event.topic}" (${event.payload.length} bytes` +
        `${event.msgid !== 0 ? `, packet id ${event.msgid}` : ''}).`,
    );
  }
  const p = event.params;
  const who = clientPrefix(p);
  switch (event.name.toUpperCase()) {
    case '+QMTSTAT': {
      const code = int(p[1]);
      const entry = code === null ? undefined : QMTSTAT_ERRORS[code];
      if (!entry)
        return { summary: `${who}: link state changed (error code ${p[1] ?? '?'}, reserved).`, severity: 'warning' };
      return {
        summary: `${who}: link closed, error ${code}: ${entry.description}`,
        howTo: entry.howTo,
        severity: code === 5 ? 'info' : 'error',
      };
    }
    case '+QMTOPEN': {
      const result = int(p[1]);
      if (result === 0) return info(`${who}: ${QMTOPEN_RESULTS[0] ?? ''}.`);
      const summary = `${who}: ${result === null ? 'no result' : lookup(QMTOPEN_RESULTS, result, 'result')}.`;
      const howTo = result === null ? undefined : QMTOPEN_HOW_TO[result];
      return { summary, ...(howTo ? { howTo } : {}), severity: 'error' };
    }
    case '+QMTCLOSE':
    case '+QMTDISC': {
      const result = int(p[1]);
      const verb = event.name.toUpperCase() === '+QMTCLOSE' ? 'network' : 'MQTT connection';
      const text = result === null ? 'no result' : lookup(CLOSE_RESULTS, result, 'result');
      return { summary: `${who}: ${verb} ${text.toLowerCase()}.`, severity: result === 0 ? 'info' : 'error' };
    }
    case '+QMTCONN': {
      const base = packet(p, resultAt('+QMTCONN'), `${who} connect`);
      const ret = int(p[2]);
      if (ret === null) return base;
      const retText = lookup(CONNACK_RET_CODES, ret, 'return code');
      if (ret === 0) return info(`${who}: connected (${retText}).`);
      return {
        summary: `${who}: the server refused the connection: ${retText}.`,
        howTo:
          ret === 4 || ret === 5
            ? 'Check the user name and password (or the cloud credentials: aliauth / onenet) and the device rights.'
            : ret === 2
              ? 'Check the client ID: it must be valid for this server and not used by another device.'
              : ret === 1
                ? 'Use the protocol version the server supports: AT+QMTCFG="version",<idx>,4 for MQTT 3.1.1.'
                : 'The server is unavailable: retry later or check the server.',
        severity: 'error',
      };
    }
    case '+QMTSUB':
      return packet(p, resultAt('+QMTSUB'), `${who} subscribe (packet id ${p[1]?.trim() ?? '?'})`);
    case '+QMTUNS':
      return packet(p, resultAt('+QMTUNS'), `${who} unsubscribe (packet id ${p[1]?.trim() ?? '?'})`);
    case '+QMTPUBEX':
    case '+QMTPUB':
      return packet(p, resultAt(event.name), `${who} publish (packet id ${p[1]?.trim() ?? '?'})`);
    case '+QMTRECV':
      if (p.length === 6) {
        const stored = p.slice(1).flatMap((flag, slot) => (flag.trim() === '1' ? [slot] : []));
        return info(
          `${who}: ${stored.length === 0 ? 'no stored messages' : `messages stored in buffer ${stored.join(', ')}`}.`,
        );
      }
      return p.length === 2
        ? info(
            `${who}: a message from the server was stored in buffer ${p[1]?.trim() ?? '?'}; read it with AT+QMTRECV.`,
          )
        : info(`${who}: received a message.`);
    case '+QMTPING': {
      const result = int(p[1]);
      return {
        summary: `${who}: keep-alive ping ${result === null ? 'state changed' : lookup(QMTPING_RESULTS, result, 'result').toLowerCase()}; the connection is closed.`,
        howTo: 'Check the network, then reopen (AT+QMTOPEN) and reconnect (AT+QMTCONN).',
        severity: 'error',
      };
    }
    case 'RDY':
      return info('The module started (boot finished). Commands sent before this may have been lost.');
    case 'APP RDY':
      return info('The module application layer is ready.');
    case 'POWERED DOWN':
      return { summary: 'The module powered down.', severity: 'warning' };
    case '+CPIN':
      return (p[0]?.trim() ?? '') === 'READY'
        ? info('The SIM is ready.')
        : {
            summary: `SIM state: ${p[0]?.trim() ?? '?'}.`,
            howTo: 'Check the SIM card (inserted, PIN).',
            severity: 'warning',
          };
    case '+CFUN':
      return info(`Phone functionality level ${p[0]?.trim() ?? '?'} (1 = full).`);
    case '+QUSIM':
      return info('The USIM was detected.');
    case '+QIND':
      return info(`Module indication: ${p.join(',').trim()}.`);
    case '+QIURC':
      if (p[0]?.trim().toLowerCase() === 'pdpdeact') {
        return {
          summary: `The network deactivated PDP context ${p[1]?.trim() ?? '?'}.`,
          howTo: 'Deactivate (AT+QIDEACT) and activate (AT+QIACT) the context again, then reopen MQTT.',
          severity: 'error',
        };
      }
      return info(`TCP/IP event: ${p.join(',')}.`);
    default:
      return { summary: `Unsolicited result code ${event.name} (not in the URC table).`, severity: 'info' };
  }
}

/** Explain a final result code, with the +CME ERROR words and what to do. */
export function explainFinal(event: FinalEvent): Explanation {
  switch (event.result) {
    case 'OK':
      return info('Command accepted (OK).');
    case 'ERROR':
      return {
        summary: 'The module refused the command (ERROR).',
        howTo: 'Check the parameters and the order of the steps; AT+CMEE=2 makes the module say why.',
        severity: 'error',
      };
    case 'NO CARRIER':
      return { summary: 'The connection ended (NO CARRIER).', severity: 'error' };
    case 'CME ERROR':
    case 'CMS ERROR': {
      const kind = event.result === 'CME ERROR' ? 'Module' : 'SMS';
      if (event.code !== undefined) {
        const howTo = CME_HOW_TO[event.code];
        return {
          summary: `${kind} error ${event.code}: ${lookup(CME_ERRORS, event.code, 'error code')}.`,
          ...(howTo ? { howTo } : {}),
          severity: 'error',
        };
      }
      const text = event.text ?? '';
      const code = Object.entries(CME_ERRORS).find(([, words]) => words.toLowerCase() === text.toLowerCase())?.[0];
      const howTo = code === undefined ? undefined : CME_HOW_TO[Number(code)];
      return { summary: `${kind} error: ${text}.`, ...(howTo ? { howTo } : {}), severity: 'error' };
    }
  }
}

/**
 * Explain the information responses support staff ask about (signal, SIM, registration, MQTT state, files);
 * null for responses that speak for themselves (identity lines, configuration echoes).
 */
export function explainResponse(event: ResponseEvent): Explanation | null {
  const p = event.params;
  switch (event.name?.toUpperCase()) {
    case '+CSQ': {
      const rssi = int(p[0]);
      if (rssi === null || rssi === 99 || rssi < 0 || rssi > 31)
        return { summary: 'Signal strength unknown (no signal).', severity: 'warning' };
      const dbm = -113 + 2 * rssi;
      return rssi < 10
        ? {
            summary: `Weak signal: ${dbm} dBm.`,
            howTo: 'Check the antenna and its connection, or move to better coverage.',
            severity: 'warning',
          }
        : info(`Signal ${dbm} dBm.`);
    }
    case '+CPIN':
      return explainUrc({ kind: 'urc', name: '+CPIN', params: p, known: true, raw: event.raw });
    case '+CEREG':
    case '+CGREG': {
      const stat = int(p[1]);
      const text = stat === null ? 'unknown' : (REGISTRATION_STATES[stat] ?? `state ${stat}`);
      return stat === 1 || stat === 5
        ? info(`Network: ${text}.`)
        : {
            summary: `Network: ${text}.`,
            howTo: 'Check the SIM, the antenna and coverage; wait for registration before opening MQTT.',
            severity: 'warning',
          };
    }
    case '+QMTCONN':
      if (p.length === 2) {
        const state = int(p[1]);
        return info(`${clientPrefix(p)}: ${state === null ? 'unknown state' : lookup(CONN_STATES, state, 'state')}.`);
      }
      return null;
    case '+QMTOPEN':
      return p.length === 3 ? info(`${clientPrefix(p)}: network open to ${p[1] ?? '?'}:${p[2]?.trim() ?? '?'}.`) : null;
    case '+QFUPL':
      return info(`File stored: ${p[0]?.trim() ?? '?'} bytes, checksum ${p[1]?.trim() ?? '?'}.`);
    case '+QFLST':
      return info(`File ${p[0] ?? '?'}: ${p[1]?.trim() ?? '?'} bytes.`);
    case '+QIACT':
      return info(
        `PDP context ${p[0]?.trim() ?? '?'} ${p[1]?.trim() === '1' ? 'active' : 'inactive'}${p[3] ? `, address ${p[3]}` : ''}.`,
      );
    default:
      return null;
  }
}

function sentence(explanation: Explanation): string {
  return explanation.howTo ? `${explanation.summary} What to do: ${explanation.howTo}` : explanation.summary;
}

/** One sentence about a URC for support staff. */
export function describeUrc(event: UrcEvent | RecvEvent): string {
  return sentence(explainUrc(event));
}

/** One sentence about a final result code for support staff. */
export function describeFinal(event: FinalEvent): string {
  return sentence(explainFinal(event));
}
