import { LineRedactor, mayHoldSecret, redact, REDACTED, SecretMask } from '../../catalogue';

/**
 * A run of hex digits of 4 bytes or more, whole (no hex digit before or after it): a payload in hex mode
 * (AT+QMTCFG="dataformat" or "send/mode" 1) may spell a secret the log holds elsewhere as text.
 */
const HEX_RUN = /(?<![0-9A-Fa-f])(?:[0-9A-Fa-f]{2}){4,}(?![0-9A-Fa-f])/g;
const HEX_DIGITS = /[0-9A-Fa-f]{8}/;

/**
 * Redaction of a captured log: the catalogue's redactor (main/catalogue/redact.ts) line by line, following a
 * command whose secret runs onto the next line, then every secret value learnt anywhere in the log masked
 * wherever else it appears (a payload, a comment, an unparsed line). The decoder learns the secrets of the whole
 * log in a first pass, so a value is masked even before the line that sets it.
 */
export class LogRedactor {
  private readonly rules = new LineRedactor();

  constructor(readonly secrets: SecretMask = new SecretMask()) {}

  /** The last line ended inside a quoted parameter: the next line starts inside its quotes. */
  get inQuote(): boolean {
    return this.rules.inQuote;
  }

  /** The last line left a command open: the next line may hold the rest of its secret. */
  get continuing(): boolean {
    return this.rules.continuing;
  }

  /** One line of the AT stream: the rules (with what the previous line left open), then the known secrets. */
  line(text: string): string {
    if (!this.rules.continuing && !mayHoldSecret(text)) return this.masked(text);
    const { text: redacted, secrets } = this.rules.line(text);
    for (const secret of secrets) this.secrets.add(secret);
    return this.masked(redacted);
  }

  /** The known secrets masked as text, and a run of hex digits that spells one hidden whole. */
  private masked(text: string): string {
    const masked = this.secrets.mask(text);
    if (this.secrets.size === 0 || !HEX_DIGITS.test(masked)) return masked;
    return masked.replace(HEX_RUN, (run) => {
      const bytes = Buffer.from(run, 'hex');
      const spelt = bytes.toString('utf8');
      return this.secrets.mask(spelt) === spelt &&
        this.secrets.mask(bytes.toString('latin1')) === bytes.toString('latin1')
        ? run
        : REDACTED;
    });
  }

  /** Learns the secrets of a line of the stream (a first pass: nothing is shown). */
  learnLine(text: string): void {
    if (!this.rules.continuing && !mayHoldSecret(text)) return;
    for (const secret of this.rules.line(text).secrets) this.secrets.add(secret);
  }

  /** Learns the secrets of text beside the stream. */
  learnText(text: string): void {
    for (const secret of redact(text).secrets) this.secrets.add(secret);
  }

  /** Text beside the stream (a `//` comment): the rules on their own, then the known secrets. */
  text(text: string): string {
    const { text: redacted, secrets } = redact(text);
    for (const secret of secrets) this.secrets.add(secret);
    return this.masked(redacted);
  }
}

/** Tracks PEM private key blocks across lines, so their contents never reach the output. */
export class KeyBlockRedactor {
  private inKey = false;

  /** Inside a key block: every line is hidden until its END line. */
  get inside(): boolean {
    return this.inKey;
  }

  /** The line, or a placeholder when it is part of a private key block. */
  line(text: string): string {
    if (!this.inKey && !text.includes('-----')) return text;
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
      this.inKey = !/-----END [A-Z ]*PRIVATE KEY-----/.test(text);
      return KEY_PLACEHOLDER;
    }
    if (this.inKey) {
      if (/-----END [A-Z ]*PRIVATE KEY-----/.test(text)) this.inKey = false;
      return KEY_PLACEHOLDER;
    }
    return text;
  }
}

export const KEY_PLACEHOLDER = '[private key redacted]';
