import { REDACTED } from '../commands/define';

/**
 * Redaction of captured log lines: the secrets customers' logs carry (the QMTCONN password, the aliauth device
 * secret, the OneNET access key, the APN password, SIM PINs/PUKs/facility passwords, private key blocks) are
 * replaced by `***` before any line is printed. Rules are a table of (which command or answer, which parameter),
 * searched anywhere in a line (case-insensitive), because log decorations the decoder does not know may precede
 * the command. Redaction fails closed: when a rule's command is found but its parameters cannot be trusted
 * (unbalanced quotes, a malformed field), everything from the first field that could hold the secret is hidden.
 */

interface Rule {
  /** Finds the command or answer anywhere in a line, case-insensitively, e.g. `AT+QMTCONN=` or `+QMTCFG:`. */
  readonly prefix: RegExp;
  /** Which top-level parameter (0-based, after the prefix) holds the secret, given the parameters. */
  readonly secretIndex: (params: readonly string[]) => number | null;
  /**
   * Parameters after the secret (0: the secret and everything after it are hidden). The secret is replaced up to
   * that many commas from the end of the line, not up to its own closing quote: a stray quote inside a secret
   * cannot leak its tail.
   */
  readonly keptAfter?: 1;
}

const sub = (params: readonly string[]): string => (params[0] ?? '').replace(/"/g, '').trim().toLowerCase();

const RULES: readonly Rule[] = [
  // AT+QMTCONN=<idx>,"<client id>","<user>","<password>"
  { prefix: /AT\+QMTCONN=/i, secretIndex: () => 3 },
  // AT+QMTCFG="aliauth",<idx>,"<pk>","<dn>","<secret>" / "onenet",<idx>,"<pid>","<key>"
  {
    prefix: /AT\+QMTCFG=/i,
    secretIndex: (p) => (sub(p) === 'aliauth' ? 4 : sub(p) === 'onenet' ? 3 : null),
  },
  // +QMTCFG: "aliauth","<pk>","<dn>","<secret>" / "onenet","<pid>","<key>"
  { prefix: /\+QMTCFG:/i, secretIndex: (p) => (sub(p) === 'aliauth' ? 3 : sub(p) === 'onenet' ? 2 : null) },
  // AT+QICSGP=<cid>,<type>,"<apn>","<user>","<password>",<auth>
  { prefix: /AT\+QICSGP=/i, secretIndex: () => 4, keptAfter: 1 },
  // +QICSGP: <type>,"<apn>","<user>","<password>",<auth>
  { prefix: /\+QICSGP:/i, secretIndex: () => 3, keptAfter: 1 },
  // AT+CPIN="<pin>" / AT+CPIN="<puk>","<new pin>"
  { prefix: /AT\+CPIN=/i, secretIndex: () => 0 },
  // AT+CPWD="<fac>","<old password>","<new password>"
  { prefix: /AT\+CPWD=/i, secretIndex: () => 1 },
  // AT+CLCK="<fac>",<mode>,"<password>"[,<class>]
  { prefix: /AT\+CLCK=/i, secretIndex: () => 2 },
];

/** Start and end of each top-level parameter in `text`; quote aware unless `naive` (then every comma splits). */
function paramSpans(text: string, naive = false): { start: number; end: number }[] {
  const spans: { start: number; end: number }[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"' && !naive) quoted = !quoted;
    else if (c === ',' && !quoted) {
      spans.push({ start, end: i });
      start = i + 1;
    }
  }
  spans.push({ start, end: text.length });
  return spans;
}

/** A parameter that is one well-formed quoted string or an unquoted token. */
const CLEAN = /^\s*(?:"[^"]*"|[^"]*)\s*$/;
/** Secrets shorter than this are not searched for elsewhere in a log (they would mask ordinary text). */
const MIN_TRACKED = 4;

/** The values a removed piece of a line held: the whole of it, each field, each quote-delimited piece. */
function secretsIn(removed: string): string[] {
  const unquote = (s: string): string => s.trim().replace(/^"|"$/g, '');
  const found = [unquote(removed)];
  for (const span of paramSpans(removed)) found.push(unquote(removed.slice(span.start, span.end)));
  for (const piece of removed.split(/[",]/)) found.push(piece.trim());
  return found.filter((s) => s.length >= MIN_TRACKED && s !== REDACTED);
}

export interface Redacted {
  readonly text: string;
  /** The secret values that were removed (for masking them wherever else they appear). */
  readonly secrets: readonly string[];
}

/** The first rule whose command appears in `line`, with where it matched. */
function firstMatch(line: string): { rule: Rule; at: number; head: string } | null {
  let best: { rule: Rule; at: number; head: string } | null = null;
  for (const rule of RULES) {
    const match = rule.prefix.exec(line);
    if (match && (best === null || match.index < best.at)) best = { rule, at: match.index, head: match[0] };
  }
  return best;
}

/** Redacts every secret-bearing command or answer found in `line`, reporting what it removed. */
export function redactWithSecrets(line: string): Redacted {
  const found = firstMatch(line);
  if (!found) return { text: line, secrets: [] };
  const { rule } = found;
  const headEnd = found.at + found.head.length;
  const head = line.slice(0, headEnd);
  const rest = line.slice(headEnd);
  if (rest.trim() === '?') return { text: line, secrets: [] };
  const naive = paramSpans(rest, true);
  const index = rule.secretIndex(naive.map((span) => rest.slice(span.start, span.end)));
  if (index === null) return { text: line, secrets: [] };
  const spans = paramSpans(rest);
  const span = spans[index];
  const balanced = (rest.match(/"/g)?.length ?? 0) % 2 === 0;
  const cleanBefore = spans.slice(0, index).every((s) => CLEAN.test(rest.slice(s.start, s.end)));
  let start: number;
  let end: number;
  if (balanced && cleanBefore && span) {
    start = span.start + (/^\s*/.exec(rest.slice(span.start))?.[0].length ?? 0);
    const last = index === spans.length - 1;
    end = rule.keptAfter === undefined || last ? rest.length : Math.max(rest.lastIndexOf(','), span.end);
  } else {
    // Fail closed: a field before the secret that is malformed may have swallowed it (a missing comma or a
    // stray quote), and the secret cannot start before its index among the comma-split fields.
    const dirty = naive.findIndex((s, i) => i <= index && !CLEAN.test(rest.slice(s.start, s.end)));
    const from = naive[dirty >= 0 ? dirty : index];
    if (!from) return { text: line, secrets: [] };
    start = from.start + (/^\s*/.exec(rest.slice(from.start))?.[0].length ?? 0);
    end = rest.length;
  }
  const removed = rest.slice(start, end);
  const tail = redactWithSecrets(rest.slice(end));
  return {
    text: `${head}${rest.slice(0, start)}"${REDACTED}"${tail.text}`,
    secrets: [...secretsIn(removed), ...tail.secrets],
  };
}

/** The line with its secret parameters replaced by `"***"`; lines without a secret are returned unchanged. */
export function redactAtLine(line: string): string {
  return redactWithSecrets(line).text;
}

/**
 * Redaction across one log: each line is redacted by the rules, and every secret value seen so far is
 * remembered, so that it is masked wherever else it appears (a payload, a comment, an unparsed line).
 */
export class LogRedactor {
  private readonly seen = new Set<string>();

  /** The line redacted by the rules, its secrets remembered, known secrets masked. */
  line(text: string): string {
    const result = redactWithSecrets(text);
    for (const secret of result.secrets) this.seen.add(secret);
    return this.mask(result.text);
  }

  /** `text` with every secret seen so far replaced by `***`. */
  mask(text: string): string {
    let out = text;
    const longestFirst = [...this.seen].sort((a, b) => b.length - a.length);
    for (const secret of longestFirst) out = out.split(secret).join(REDACTED);
    return out;
  }
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
