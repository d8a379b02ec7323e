import type { AtOutcome } from '../at/request';
import { joinParams, splitParams } from './params';

/**
 * Secrets that travel in AT text: the QMTCONN password, the Alibaba device secret and the OneNET access key,
 * both in the commands that set them and in the query answers that echo them back. Each rule names the
 * command, the sub-setting (first parameter) where there is one, and the index of the first secret parameter.
 */
interface Rule {
  readonly name: string;
  readonly form: 'command' | 'answer';
  readonly setting?: string;
  readonly secretFrom: number;
}

const rules: readonly Rule[] = [
  { name: '+QMTCONN', form: 'command', secretFrom: 3 },
  { name: '+QMTCFG', form: 'command', setting: 'aliauth', secretFrom: 4 },
  { name: '+QMTCFG', form: 'command', setting: 'onenet', secretFrom: 3 },
  { name: '+QMTCFG', form: 'answer', setting: 'aliauth', secretFrom: 3 },
  { name: '+QMTCFG', form: 'answer', setting: 'onenet', secretFrom: 2 },
];

const commandShape = /^(AT)(\+[A-Z]+)=(.*)$/i;
const answerShape = /^(\+[A-Z]+):\s?(.*)$/i;

export const redactedMark = '***';

/** Returns the line with every secret replaced by `***`; lines without secrets come back unchanged. */
export function redactLine(line: string): string {
  const command = commandShape.exec(line);
  if (command) {
    const [, at = '', name = '', rest = ''] = command;
    const redacted = redactParams(name, 'command', rest);
    return redacted === null ? line : `${at}${name}=${redacted}`;
  }
  const answer = answerShape.exec(line);
  if (answer) {
    const [, name = '', rest = ''] = answer;
    const redacted = redactParams(name, 'answer', rest);
    return redacted === null ? line : `${name}: ${redacted}`;
  }
  return line;
}

/** The parameter list with its secrets masked, or null when no rule applies to this command. */
function redactParams(name: string, form: Rule['form'], rest: string): string | null {
  const params = splitParams(rest);
  const setting = params[0]?.value.toLowerCase();
  const rule = rules.find(
    (r) => r.form === form && r.name === name.toUpperCase() && (r.setting === undefined || r.setting === setting),
  );
  if (rule === undefined) return null;
  return joinParams(params.map((p, i) => (i >= rule.secretFrom ? { ...p, value: redactedMark } : p)));
}

/**
 * The answer with secrets masked in both its raw lines and its split parameters, so that everything decoded
 * from it (fields, summaries) is safe to show. Only lines a rule changes are rebuilt.
 */
export function redactOutcome(outcome: AtOutcome): AtOutcome {
  const responses = outcome.responses.map((event) => {
    if (event.kind !== 'response' || event.name === null) return event;
    const raw = redactLine(event.raw);
    if (raw === event.raw) return event;
    const rest = raw.slice(raw.indexOf(':') + 1).trimStart();
    return { ...event, raw, params: splitParams(rest).map((p) => p.value) };
  });
  return { ...outcome, responses };
}
