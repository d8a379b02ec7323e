/**
 * Known pitfalls of real command lines (field notes), matched against a command that failed, so support staff
 * see the likely cause next to the error: one table, one rule per pitfall.
 */
const HINTS: readonly { readonly pattern: RegExp; readonly hint: string }[] = [
  {
    pattern: /^AT\+QSSLCFG="secllevel"/i,
    hint: 'The parameter is "seclevel" (the application note example misspells it "secllevel").',
  },
  {
    pattern: /^AT\+QSSLCFG="ciphersuite",\d+,"/i,
    hint: 'The cipher suite is written unquoted in hex, e.g. AT+QSSLCFG="ciphersuite",2,0xFFFF.',
  },
  {
    pattern: /^AT\+QMTCFG=/i,
    hint: 'AT+QMTCFG settings are refused while the MQTT connection is established: configure before AT+QMTOPEN.',
  },
  {
    pattern: /^AT\+QMTPUBEX=\d+,0,[12],/i,
    hint: 'With QoS 1 or 2 the msgid must be 1-65535 (0 only with QoS 0).',
  },
  {
    pattern: /^AT\+QMTPUBEX=/i,
    hint: 'At most 5 messages may be in flight and the payload is at most 1500 bytes; check AT+QMTCONN? is 3 (connected).',
  },
  {
    pattern: /^AT\+QMT(CONN|SUB|UNS)=/i,
    hint: 'Check the order: AT+QMTOPEN (+QMTOPEN: <idx>,0) before AT+QMTCONN, and +QMTCONN: <idx>,0,0 before subscribing.',
  },
  {
    pattern: /^AT\+QFUPL=/i,
    hint: 'Check that the name is free (AT+QFLST="*"; delete with AT+QFDEL) and that exactly <size> bytes follow CONNECT.',
  },
];

/** The likely cause of a failed command, or null when no known pitfall matches. */
export function hintFor(commandLine: string): string | null {
  return HINTS.find((entry) => entry.pattern.test(commandLine.trim()))?.hint ?? null;
}
