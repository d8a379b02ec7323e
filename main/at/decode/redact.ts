import { REDACTED } from '../commands/define';

/**
 * Redaction of captured log lines: the secrets customers' logs carry (the QMTCONN password, the aliauth device
 * secret, the OneNET access key, the APN password, private key blocks) are replaced by `***` before any line is
 * printed. Rules are a table of (which line, which parameter), applied to command lines and to the answers that
 * read the same values back.
 */

interface Rule {
  /** Matches the start of the line, case-insensitively, e.g. `AT+QMTCONN=` or `+QMTCFG:`. */
  readonly prefix: RegExp;
  /** Which top-level parameter (0-based, after the prefix) holds the secret, given the parameters. */
  readonly secretIndex: (params: readonly string[]) => number | null;
  /**
   * Parameters after the secret (0: the secret is last). The secret is replaced up to that many commas from the
   * end of the line, not up to its own closing quote: a stray quote inside a secret cannot leak its tail.
   */
  readonly keptAfter?: 1;
}

const sub = (params: readonly string[]): string => (params[0] ?? '').replace(/"/g, '').trim().toLowerCase();

const RULES: readonly Rule[] = [
  // AT+QMTCONN=<idx>,"<client id>","<user>","<password>"
  { prefix: /^AT\+QMTCONN=/i, secretIndex: () => 3 },
  // AT+QMTCFG="aliauth",<idx>,"<pk>","<dn>","<secret>" / "onenet",<idx>,"<pid>","<key>"
  {
    prefix: /^AT\+QMTCFG=/i,
    secretIndex: (p) => (sub(p) === 'aliauth' ? 4 : sub(p) === 'onenet' ? 3 : null),
  },
  // +QMTCFG: "aliauth","<pk>","<dn>","<secret>" / "onenet","<pid>","<key>"
  { prefix: /^\+QMTCFG:/i, secretIndex: (p) => (sub(p) === 'aliauth' ? 3 : sub(p) === 'onenet' ? 2 : null) },
  // AT+QICSGP=<cid>,<type>,"<apn>","<user>","<password>",<auth>
  { prefix: /^AT\+QICSGP=/i, secretIndex: () => 4, keptAfter: 1 },
  // +QICSGP: <type>,"<apn>","<user>","<password>",<auth>
  { prefix: /^\+QICSGP:/i, secretIndex: () => 3, keptAfter: 1 },
];

/** Start and end of each top-level parameter (quotes aware) in `text`. */
function paramSpans(text: string): { start: number; end: number }[] {
  const spans: { start: number; end: number }[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (c === ',' && !quoted) {
      spans.push({ start, end: i });
      start = i + 1;
    }
  }
  spans.push({ start, end: text.length });
  return spans;
}

/** The line with its secret parameter replaced by `"***"`; lines without a secret are returned unchanged. */
export function redactAtLine(line: string): string {
  for (const rule of RULES) {
    const match = rule.prefix.exec(line);
    if (!match) continue;
    const head = match[0];
    const rest = line.slice(head.length);
    const spans = paramSpans(rest);
    const params = spans.map((span) => rest.slice(span.start, span.end));
    const index = rule.secretIndex(params);
    const span = index === null ? undefined : spans[index];
    if (!span) return line;
    const lead = /^\s*/.exec(rest.slice(span.start))?.[0] ?? '';
    const last = index === spans.length - 1;
    const end = rule.keptAfter === undefined || last ? rest.length : Math.max(rest.lastIndexOf(','), span.end);
    return `${head}${rest.slice(0, span.start)}${lead}"${REDACTED}"${rest.slice(end)}`;
  }
  return line;
}

/** Tracks PEM private key blocks across lines, so their contents never reach the output. */
export class KeyBlockRedactor {
  private inKey = false;

  /** The line, or a placeholder when it is part of a private key block. */
  line(text: string): string {
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
      this.inKey = !/-----END [A-Z ]*PRIVATE KEY-----/.test(text);
      return '[private key redacted]';
    }
    if (this.inKey) {
      if (/-----END [A-Z ]*PRIVATE KEY-----/.test(text)) this.inKey = false;
      return '[private key redacted]';
    }
    return text;
  }
}
