import { describe, expect, it } from 'vitest';
import type { FinalEvent, UrcEvent } from '../vocab/request';
import { describeFinal, describeUrc, explainFinal, explainResponse, explainUrc } from './describe';
import { CME_ERRORS, QMTSTAT_ERRORS } from './texts';

/** Plain words with the spec's own text for every code support staff meet. */

const urc = (name: string, ...params: string[]): UrcEvent => ({
  kind: 'urc',
  name,
  params,
  known: true,
  raw: `${name}: ${params.join(',')}`,
});
const cme = (code: number): FinalEvent => ({ kind: 'final', result: 'CME ERROR', code, raw: `+CME ERROR: ${code}` });

describe('+QMTSTAT error codes 1-8: description and "How to do" from the spec table', () => {
  const table: [number, string, string][] = [
    [1, 'Connection is closed or reset by a peer end.', 'Execute AT+QMTOPEN command and reopen MQTT connection.'],
    [
      2,
      'Sending PINGREQ packet timed out or failed.',
      'Deactivate PDP first, and then active PDP and reopen MQTT connection.',
    ],
    [3, 'Sending CONNECT packet timed out or failed.', 'Make sure the client ID is not used.'],
    [
      4,
      'Receiving CONNACK packet timed out or failed.',
      'Check whether the inputted user name and password are correct.',
    ],
    [
      5,
      'The client sends DISCONNECT packet to sever and the server closes MQTT connection.',
      'This is a normal process.',
    ],
    [
      6,
      'The client closes MQTT connection due to packet sending failure all the time.',
      'Make sure the data is correct.',
    ],
    [
      7,
      'The link is not alive or the server is unavailable.',
      'Make sure the link is alive or the server is available currently.',
    ],
    [8, 'The client closes the MQTT connection.', 'Try to reconnect.'],
  ];
  for (const [code, description, howTo] of table) {
    it(`err_code ${code}`, () => {
      expect(QMTSTAT_ERRORS[code]?.description).toBe(description);
      const explanation = explainUrc(urc('+QMTSTAT', '2', String(code)));
      expect(explanation.summary).toBe(`MQTT client 2: link closed, error ${code}: ${description}`);
      expect(explanation.howTo).toContain(howTo);
      expect(explanation.severity).toBe(code === 5 ? 'info' : 'error');
      expect(describeUrc(urc('+QMTSTAT', '2', String(code)))).toContain(`What to do: ${explanation.howTo ?? ''}`);
    });
  }
  it('reserved codes 9-255 are said to be reserved', () => {
    expect(describeUrc(urc('+QMTSTAT', '0', '9'))).toBe('MQTT client 0: link state changed (error code 9, reserved).');
  });
});

describe('completion URCs', () => {
  it('+QMTOPEN results -1..5', () => {
    const words = [
      'Failed to open network',
      'Network opened successfully',
      'Wrong parameter',
      'MQTT identifier is occupied',
      'Failed to activate PDP',
      'Failed to parse domain name',
      'Network connection error',
    ];
    words.forEach((text, i) => {
      const explanation = explainUrc(urc('+QMTOPEN', '0', String(i - 1)));
      expect(explanation.summary).toBe(`MQTT client 0: ${text}.`);
      expect(explanation.severity).toBe(i === 1 ? 'info' : 'error');
      if (i !== 1) expect(explanation.howTo).toBeTruthy();
    });
  });

  it('+QMTCONN CONNACK return codes', () => {
    expect(describeUrc(urc('+QMTCONN', '0', '0', '0'))).toBe('MQTT client 0: connected (Connection Accepted).');
    const texts = [
      'Unacceptable Protocol Version',
      'Identifier Rejected',
      'Server Unavailable',
      'Bad User Name or Password',
      'Not Authorized',
    ];
    texts.forEach((text, i) => {
      const explanation = explainUrc(urc('+QMTCONN', '0', '0', String(i + 1)));
      expect(explanation.summary).toBe(
        `MQTT client 0: the server refused the connection: Connection Refused: ${text}.`,
      );
      expect(explanation.howTo).toBeTruthy();
    });
    expect(explainUrc(urc('+QMTCONN', '0', '2')).summary).toBe('MQTT client 0 connect: Failed to send packet.');
  });

  it('packet results 0/1/2 of SUB, UNS, PUBEX', () => {
    expect(describeUrc(urc('+QMTSUB', '0', '1', '0', '2'))).toBe(
      'MQTT client 0 subscribe (packet id 1): Packet sent successfully and ACK received from server.',
    );
    expect(describeUrc(urc('+QMTPUBEX', '0', '5', '1', '2'))).toBe(
      'MQTT client 0 publish (packet id 5): Packet retransmission (2 times so far); still waiting.',
    );
    expect(explainUrc(urc('+QMTUNS', '1', '3', '2'))).toMatchObject({
      summary: 'MQTT client 1 unsubscribe (packet id 3): Failed to send packet.',
      severity: 'error',
    });
  });

  it('other URCs of the spec and the field notes', () => {
    expect(describeUrc(urc('+QMTPING', '0', '1'))).toContain('keep-alive ping failed');
    expect(describeUrc(urc('+QMTRECV', '0', '3'))).toContain('stored in buffer 3');
    expect(describeUrc(urc('+QMTRECV', '1', '1', '0', '0', '1', '0'))).toBe(
      'MQTT client 1: messages stored in buffer 0, 3.',
    );
    expect(describeUrc(urc('+QMTRECV', '1', '0', '0', '0', '0', '0'))).toBe('MQTT client 1: no stored messages.');
    expect(describeUrc(urc('+QMTDISC', '0', '0'))).toBe('MQTT client 0: MQTT connection closed successfully.');
    expect(describeUrc(urc('+QMTCLOSE', '0', '-1'))).toBe('MQTT client 0: network failed to close.');
    expect(describeUrc({ kind: 'urc', name: 'RDY', params: [], known: true, raw: 'RDY' })).toContain('started');
    expect(describeUrc(urc('+QIURC', 'pdpdeact', '1'))).toContain('AT+QIACT');
    expect(describeUrc(urc('+CPIN', 'READY'))).toBe('The SIM is ready.');
    expect(describeUrc(urc('+XYZ', '1'))).toBe('Unsolicited result code +XYZ (not in the URC table).');
    expect(
      describeUrc({
        kind: 'recv',
        clientIdx: 0,
        msgid: 0,
        topic: 'topic/pub',
        payloadLength: 3,
        payload: new Uint8Array(3),
        solicited: false,
        raw: '',
      }),
    ).toBe('MQTT client 0 received a message on topic "topic/pub" (3 bytes).');
  });
});

describe('final results and +CME ERROR codes', () => {
  it('common 3GPP codes', () => {
    expect(describeFinal(cme(3))).toContain('Module error 3: operation not allowed.');
    expect(describeFinal(cme(4))).toContain('Module error 4: operation not supported.');
    expect(describeFinal(cme(10))).toBe(
      'Module error 10: SIM not inserted. What to do: Insert a SIM card (check the tray and contacts), then restart the module.',
    );
  });

  it('every file (400-426) and TCP/SSL (550-574) code of the field notes has words', () => {
    const fileCodes = [
      400, 401, 402, 403, 405, 406, 407, 409, 410, 411, 413, 414, 416, 417, 418, 419, 420, 421, 423, 425, 426,
    ];
    const netCodes = Array.from({ length: 25 }, (_, i) => 550 + i);
    for (const code of [...fileCodes, ...netCodes]) {
      expect(CME_ERRORS[code], `code ${code}`).toBeTruthy();
      expect(explainFinal(cme(code)).summary).toBe(`Module error ${code}: ${CME_ERRORS[code] ?? ''}.`);
    }
    expect(CME_ERRORS[566]).toBe('socket connect failed');
    expect(CME_ERRORS[421]).toBe('time out');
  });

  it('text errors (AT+CMEE=2) get the same advice; OK, ERROR, unknown codes', () => {
    expect(
      explainFinal({
        kind: 'final',
        result: 'CME ERROR',
        text: 'file already exists',
        raw: '+CME ERROR: file already exists',
      }).howTo,
    ).toContain('AT+QFDEL');
    expect(explainFinal({ kind: 'final', result: 'OK', raw: 'OK' }).severity).toBe('info');
    expect(describeFinal({ kind: 'final', result: 'ERROR', raw: 'ERROR' })).toContain('AT+CMEE=2');
    expect(describeFinal(cme(9999))).toBe('Module error 9999: unknown error code 9999.');
  });
});

describe('information responses worth explaining', () => {
  const response = (raw: string, name: string, ...params: string[]) => ({
    kind: 'response' as const,
    name,
    params,
    raw,
  });
  it('signal, registration, MQTT state, files', () => {
    expect(explainResponse(response('+CSQ: 20,99', '+CSQ', '20', '99'))?.summary).toBe('Signal -73 dBm.');
    expect(explainResponse(response('+CSQ: 5,99', '+CSQ', '5', '99'))).toMatchObject({ severity: 'warning' });
    expect(explainResponse(response('+CSQ: 99,99', '+CSQ', '99', '99'))?.summary).toContain('unknown');
    expect(explainResponse(response('+CEREG: 0,5', '+CEREG', '0', '5'))?.summary).toBe('Network: registered, roaming.');
    expect(explainResponse(response('+CEREG: 0,3', '+CEREG', '0', '3'))).toMatchObject({ severity: 'warning' });
    expect(explainResponse(response('+QMTCONN: 1,4', '+QMTCONN', '1', '4'))?.summary).toBe(
      'MQTT client 1: MQTT is disconnecting.',
    );
    expect(explainResponse(response('+QFUPL: 1188,2d13', '+QFUPL', '1188', '2d13'))?.summary).toBe(
      'File stored: 1188 bytes, checksum 2d13.',
    );
    expect(explainResponse({ kind: 'response', name: null, params: [], raw: 'Quectel' })).toBeNull();
  });
});
