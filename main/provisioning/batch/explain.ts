import {
  CME_ERRORS,
  CME_HOW_TO,
  CONNACK_RET_CODES,
  lookup,
  PACKET_RESULTS,
  QMTOPEN_HOW_TO,
  QMTOPEN_RESULTS,
  QMTSTAT_ERRORS,
} from '../../at/decode/texts';
import type { StepFailure } from '../../core/script';

/**
 * The words a failed provisioning step is recorded with: the spec's own texts for the module's result codes (the
 * application note's tables and "How to do" column, the field notes' +CME ERROR codes), plus what to do where the
 * note is silent. Pure functions of codes: nothing here ever sees a credential.
 */

/**
 * What to do about a refused CONNECT, by CONNACK return code (the note names the codes but gives no "How to do";
 * these follow from MQTT 3.1.1's meaning of each code). Code 5 is what a broker answers a wrong password with.
 */
export const CONNACK_HOW_TO: Readonly<Record<number, string>> = {
  1: 'unacceptable protocol version: the broker does not speak this MQTT version; check mqtt.version (3 = MQTT 3.1, 4 = MQTT 3.1.1)',
  2: 'identifier rejected: the broker refuses this client id; check auth.client_id (length, characters, a client id already in use)',
  3: 'server unavailable: the broker cannot serve clients now; check the broker and try again',
  4: 'bad user name or password: check the user name and password',
  5: 'not authorized: check the user name and password',
};

/** `+QMTOPEN: <idx>,<result>` in plain words: the note's result text and what to do. */
export function explainOpen(result: number): string {
  const how = QMTOPEN_HOW_TO[result];
  const text = lookup(QMTOPEN_RESULTS, result, 'result');
  return how === undefined ? `the module could not open the network: ${text}` : `${text}: ${how}`;
}

/** `+QMTCONN: <idx>,<result>[,<ret_code>]` that is not a success, in plain words. */
export function explainConnect(result: number, retCode: number | undefined): string {
  if (result === 0 && retCode !== undefined && retCode !== 0) {
    const how = CONNACK_HOW_TO[retCode];
    const spec = lookup(CONNACK_RET_CODES, retCode, 'return code');
    return how === undefined
      ? `the broker refused the connection (${spec})`
      : `the broker refused the connection (CONNACK ${retCode}, ${spec}): ${how}`;
  }
  return `the CONNECT packet was not acknowledged (${lookup(PACKET_RESULTS, result, 'result')}): check the broker and the network`;
}

/** A packet result (`+QMTSUB`, `+QMTPUBEX`) that is not 0, in plain words. */
export function explainPacket(what: string, result: number): string {
  return `${what}: ${lookup(PACKET_RESULTS, result, 'result')}; the link may be congested or the broker refused it`;
}

/** `+QMTSTAT: <idx>,<err_code>`: the note's description and "How to do". */
export function explainStat(code: number): string {
  const known = QMTSTAT_ERRORS[code];
  return known === undefined
    ? `the MQTT link was closed (error code ${code})`
    : `the MQTT link was closed: ${known.description} ${known.howTo}`;
}

/** `+CME ERROR: <n>` in the field notes' words, with what to do where it is known. */
export function explainCme(code: number): string {
  const how = CME_HOW_TO[code];
  const text = lookup(CME_ERRORS, code, 'error');
  return how === undefined ? text : `${text}: ${how}`;
}

/** The CME code inside a failure's result code (`+CME ERROR: 405`), if any. */
export function cmeCodeOf(failure: StepFailure): number | undefined {
  const match = /^\+CME ERROR:\s*(\d+)$/.exec(failure.resultCode ?? '');
  return match === null ? undefined : Number(match[1]);
}

/**
 * The words of a failure nobody in the step explained: the module's +CME ERROR in the field notes' words, a
 * timeout or a damaged answer in terms of what to check. `what` names what the step was doing.
 */
export function explainFailure(what: string, failure: StepFailure): string {
  const cme = cmeCodeOf(failure);
  if (cme !== undefined) return `${what}: ${explainCme(cme)}`;
  switch (failure.code) {
    case 'timeout':
      return `${what}: the module did not answer in time (${failure.message}); check that it is powered and its cable is in, then run it again`;
    case 'bad-response':
      return `${what}: the module's answer could not be trusted (${failure.message}); check the cable and try again`;
    case 'port-closed':
      return `${what}: the port went away (${failure.message}); check the cable and the hub`;
    case 'busy':
      return `${what}: the port is busy in a data input nobody asked for (${failure.message})`;
    default:
      return failure.code === 'failed' || failure.code === 'aborted' || failure.code === 'cancelled'
        ? failure.message
        : `${what}: ${failure.message}`;
  }
}
