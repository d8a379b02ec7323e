import type { AtRequest } from '../vocab/request';
import { defineRequest, TIMEOUTS } from './define';
import { requireOk } from './outcome';
import { member } from './validate';

/** The MQTT commands of the spec that have a test form (`AT+<cmd>=?`). */
export const TESTABLE_COMMANDS = [
  'QMTCFG',
  'QMTOPEN',
  'QMTCLOSE',
  'QMTCONN',
  'QMTDISC',
  'QMTSUB',
  'QMTUNS',
  'QMTPUBEX',
  'QMTRECV',
] as const;

export type TestableCommand = (typeof TESTABLE_COMMANDS)[number];

/**
 * `AT+<cmd>=?`: which parameters and ranges this firmware supports. The answer is returned as its lines (e.g.
 * `+QMTOPEN: (0-5),"hostname",(1-65535)`), because diagnostics shows them as they are, for comparing firmwares.
 */
export function testForm(command: TestableCommand): AtRequest<string[]> {
  const line = `AT+${member('command', command, TESTABLE_COMMANDS)}=?`;
  return defineRequest({
    line,
    timeoutMs: TIMEOUTS.query,
    parse: (outcome) => {
      requireOk(outcome, line);
      return outcome.responses.map((event) => event.raw);
    },
  });
}
