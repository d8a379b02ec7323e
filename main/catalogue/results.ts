/**
 * What the numeric results of the MQTT commands mean, in the application note's words (its parameter tables).
 * The decoder's texts (main/at/decode/texts.ts) re-export them; the completions of the catalogue refer to them.
 */

/** CONNACK <ret_code> of +QMTCONN. */
export const CONNACK_RET_CODES: Readonly<Record<number, string>> = {
  0: 'Connection Accepted',
  1: 'Connection Refused: Unacceptable Protocol Version',
  2: 'Connection Refused: Identifier Rejected',
  3: 'Connection Refused: Server Unavailable',
  4: 'Connection Refused: Bad User Name or Password',
  5: 'Connection Refused: Not Authorized',
};

/** +QMTOPEN <result>. */
export const QMTOPEN_RESULTS: Readonly<Record<number, string>> = {
  [-1]: 'Failed to open network',
  0: 'Network opened successfully',
  1: 'Wrong parameter',
  2: 'MQTT identifier is occupied',
  3: 'Failed to activate PDP',
  4: 'Failed to parse domain name',
  5: 'Network connection error',
};

/** +QMTCLOSE / +QMTDISC <result>. */
export const CLOSE_RESULTS: Readonly<Record<number, string>> = {
  [-1]: 'Failed to close',
  0: 'Closed successfully',
};

/** <result> of +QMTCONN, +QMTSUB, +QMTUNS, +QMTPUBEX. */
export const PACKET_RESULTS: Readonly<Record<number, string>> = {
  0: 'Packet sent successfully and ACK received from server',
  1: 'Packet retransmission',
  2: 'Failed to send packet',
};

/** <state> of AT+QMTCONN?. */
export const CONN_STATES: Readonly<Record<number, string>> = {
  1: 'MQTT is initializing',
  2: 'MQTT is connecting',
  3: 'MQTT is connected',
  4: 'MQTT is disconnecting',
};
