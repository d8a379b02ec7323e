export { CLOSE_RESULTS, CONN_STATES, CONNACK_RET_CODES, PACKET_RESULTS, QMTOPEN_RESULTS } from '../../catalogue';

/**
 * The spec's own words for every numeric code the module reports, so support staff read the same sentence the
 * application note (and the field notes, for +CME ERROR codes) uses. Plain tables: the decoder, the command
 * parsers and the UI all look codes up here.
 */

/** +QMTSTAT <err_code>: description and the note's "How to do". */
export const QMTSTAT_ERRORS: Readonly<Record<number, { readonly description: string; readonly howTo: string }>> = {
  1: {
    description: 'Connection is closed or reset by a peer end.',
    howTo: 'Execute AT+QMTOPEN command and reopen MQTT connection.',
  },
  2: {
    description: 'Sending PINGREQ packet timed out or failed.',
    howTo: 'Deactivate PDP first, and then active PDP and reopen MQTT connection.',
  },
  3: {
    description: 'Sending CONNECT packet timed out or failed.',
    howTo:
      '1. Check whether the inputted user name and password are correct. 2. Make sure the client ID is not used. ' +
      '3. Reopen MQTT connection and try to send CONNECT packet to server again.',
  },
  4: {
    description: 'Receiving CONNACK packet timed out or failed.',
    howTo:
      '1. Check whether the inputted user name and password are correct. 2. Make sure the client ID is not used. ' +
      '3. Reopen MQTT connection and try to send CONNECT packet to server again.',
  },
  5: {
    description: 'The client sends DISCONNECT packet to sever and the server closes MQTT connection.',
    howTo: 'This is a normal process.',
  },
  6: {
    description: 'The client closes MQTT connection due to packet sending failure all the time.',
    howTo:
      '1. Make sure the data is correct. 2. Try to reopen MQTT connection since there may be network congestion or an error.',
  },
  7: {
    description: 'The link is not alive or the server is unavailable.',
    howTo: 'Make sure the link is alive or the server is available currently.',
  },
  8: { description: 'The client closes the MQTT connection.', howTo: 'Try to reconnect.' },
};

/** What to do about a failed +QMTOPEN, by result (the note is silent; these follow from the result's meaning). */
export const QMTOPEN_HOW_TO: Readonly<Record<number, string>> = {
  [-1]: 'Check the host, port and network; with SSL, check the CA certificate, client certificate and SSL context.',
  1: 'Check the client index, host name (at most 100 bytes) and port (1-65535).',
  2: 'The client index is already open: close it with AT+QMTCLOSE or use another index.',
  3: 'Check the SIM, the APN (AT+QICSGP) and activate the PDP context (AT+QIACT).',
  4: 'Check the host name and the DNS of the network.',
  5: 'Check that the server is reachable on this port.',
};

/** 3GPP registration status (<stat> of +CEREG / +CGREG). */
export const REGISTRATION_STATES: Readonly<Record<number, string>> = {
  0: 'not registered, not searching',
  1: 'registered, home network',
  2: 'not registered, searching',
  3: 'registration denied',
  4: 'unknown',
  5: 'registered, roaming',
};

/** +QMTPING <result>. */
export const QMTPING_RESULTS: Readonly<Record<number, string>> = { 1: 'Failed' };

/** Common +CME ERROR codes (3GPP TS 27.007) and Quectel's file (400-426) and TCP/IP-SSL (550-574) codes. */
export const CME_ERRORS: Readonly<Record<number, string>> = {
  0: 'phone failure',
  1: 'no connection to phone',
  3: 'operation not allowed',
  4: 'operation not supported',
  5: 'PH-SIM PIN required',
  10: 'SIM not inserted',
  11: 'SIM PIN required',
  12: 'SIM PUK required',
  13: 'SIM failure',
  14: 'SIM busy',
  15: 'SIM wrong',
  16: 'incorrect password',
  17: 'SIM PIN2 required',
  18: 'SIM PUK2 required',
  20: 'memory full',
  21: 'invalid index',
  22: 'not found',
  23: 'memory failure',
  30: 'no network service',
  31: 'network timeout',
  32: 'network not allowed - emergency calls only',
  50: 'incorrect parameters',
  100: 'unknown',
  400: 'invalid input value',
  401: 'larger than file size',
  402: 'read zero byte',
  403: 'drive full',
  405: 'file not found',
  406: 'invalid file name',
  407: 'file already exists',
  409: 'fail to write the file',
  410: 'fail to open the file',
  411: 'fail to read the file',
  413: 'reach the max number of file allowed to be opened',
  414: 'the file is read-only',
  416: 'invalid file descriptor',
  417: 'fail to list the file',
  418: 'fail to delete the file',
  419: 'fail to get disk info',
  420: 'no space',
  421: 'time out',
  423: 'file too large',
  425: 'invalid parameter',
  426: 'file is already opened',
  550: 'unknown error',
  551: 'operation blocked',
  552: 'invalid parameters',
  553: 'memory not enough',
  554: 'create socket failed',
  555: 'operation not supported',
  556: 'socket bind failed',
  557: 'socket listen failed',
  558: 'socket write failed',
  559: 'socket read failed',
  560: 'socket accept failed',
  561: 'open PDP context failed',
  562: 'close PDP context failed',
  563: 'socket identity has been used',
  564: 'DNS busy',
  565: 'DNS parse failed',
  566: 'socket connect failed',
  567: 'socket has been closed',
  568: 'operation busy',
  569: 'operation timeout',
  570: 'PDP context broken down',
  571: 'cancel send',
  572: 'operation not allowed',
  573: 'APN not configured',
  574: 'port busy',
};

/** What to do about the +CME ERROR codes support staff meet most. */
export const CME_HOW_TO: Readonly<Record<number, string>> = {
  3: 'The module refused the command in its current state: check the order of the steps (e.g. configure before AT+QMTOPEN).',
  4: 'This firmware does not support the command or parameter: check the module model and firmware (ATI, AT+QGMR).',
  10: 'Insert a SIM card (check the tray and contacts), then restart the module.',
  11: 'Unlock the SIM with AT+CPIN="<pin>" or use a SIM without PIN.',
  12: 'The SIM is blocked: unblock it with the PUK.',
  13: 'Replace or re-seat the SIM card.',
  14: 'The SIM is busy at start-up: wait for +CPIN: READY and retry.',
  30: 'No network: check the antenna, coverage and AT+CEREG?.',
  405: 'Upload the file first (AT+QFUPL) and check its name with AT+QFLST="*".',
  406: 'Use a valid file name: "UFS:<name>" with letters, digits, dot, dash or underscore.',
  407: 'The file is already on the module: delete it first with AT+QFDEL, then upload again.',
  420: 'Free space on the module: delete unused files with AT+QFDEL.',
  421: 'The upload timed out: send exactly the announced number of bytes, then retry.',
  423: 'The file is too large for the module: use a smaller file.',
  561: 'Check the APN (AT+QICSGP) and network registration, then AT+QIACT again.',
  565: 'The host name could not be resolved: check the host name and the network DNS.',
  566: 'Could not connect: check host, port, and (with SSL) the certificates and SSL context.',
  569: 'The network operation timed out: check coverage and retry.',
  570: 'The PDP context dropped: deactivate (AT+QIDEACT) and activate (AT+QIACT) it again.',
  573: 'Configure the APN with AT+QICSGP.',
};

/** Look a code up, with a fallback that still says which code it was. */
export function lookup(table: Readonly<Record<number, string>>, code: number, what: string): string {
  return table[code] ?? `unknown ${what} ${code}`;
}
