import { REDACTED } from './redact';

/**
 * Secret values learnt from redacted lines, masked wherever else they appear (a payload that repeats a password,
 * a comment, a line no rule covers). Masking is linear in the text, whatever the number of secrets: a prefix tree
 * of the secrets is walked from each position whose first two characters start some secret (a bitmap says which),
 * and the longest secret found there is replaced. Secrets shorter than `minLength` are not masked inside other
 * text: masking every `1` or `OK` would wreck the log.
 */

interface Node {
  readonly next: Map<number, Node>;
  /** Length of the secret ending here (0: none). */
  ends: number;
}

const newNode = (): Node => ({ next: new Map(), ends: 0 });

/** Distinct starts (first two characters) of the secrets up to which a text is searched for them natively first. */
const MAX_FINDER_STARTS = 64;
const pairOf = (a: number, b: number): number => ((a << 7) ^ b) & 0xffff;

export class SecretMask {
  private readonly secrets = new Set<string>();
  private root: Node = newNode();
  private readonly pairs = new Uint8Array(0x10000);
  private stale = false;
  /**
   * An expression matching any secret's first two characters, for rejecting text that holds no secret without a
   * loop over its characters (most text holds none); null when there are too many distinct starts (then the loop
   * alone), undefined when to be built.
   */
  private finder: RegExp | null | undefined = undefined;

  /**
   * `minLength`: shorter values are not masked inside other text. `maxLength`: longer values are not kept (no
   * credential is that long; a region hidden whole can be, and would cost time at every position it starts).
   */
  constructor(
    private readonly minLength = 4,
    private readonly maxLength = 1024,
  ) {}

  get size(): number {
    return this.secrets.size;
  }

  /** Remembers a secret (ignored when shorter than minLength or longer than maxLength). */
  add(secret: string): void {
    if (secret.length < this.minLength || secret.length > this.maxLength) return;
    if (secret === REDACTED || this.secrets.has(secret)) return;
    this.secrets.add(secret);
    this.finder = undefined;
    if (!this.stale) this.insert(secret);
  }

  delete(secret: string): void {
    if (this.secrets.delete(secret)) {
      this.stale = true;
      this.finder = undefined;
    }
  }

  has(secret: string): boolean {
    return this.secrets.has(secret);
  }

  /** Oldest first (insertion order). */
  values(): IterableIterator<string> {
    return this.secrets.values();
  }

  /** `text` with every remembered secret replaced by `***`, the longest one where several start at one place. */
  mask(text: string): string {
    if (this.secrets.size === 0 || text.length < this.minLength) return text;
    if (this.stale) this.rebuild();
    if (this.finder === undefined) this.finder = this.buildFinder();
    if (this.finder !== null && !this.finder.test(text)) return text;
    let out = '';
    let last = 0;
    const limit = text.length - this.minLength;
    let i = 0;
    while (i <= limit) {
      if (this.pairs[pairOf(text.charCodeAt(i), text.charCodeAt(i + 1))] === 0) {
        i++;
        continue;
      }
      let node: Node | undefined = this.root;
      let found = 0;
      for (let j = i; j < text.length && node !== undefined; j++) {
        node = node.next.get(text.charCodeAt(j));
        if (node !== undefined && node.ends > 0) found = node.ends;
      }
      if (found === 0) {
        i++;
        continue;
      }
      out += text.slice(last, i) + REDACTED;
      i += found;
      last = i;
    }
    return last === 0 ? text : out + text.slice(last);
  }

  private buildFinder(): RegExp | null {
    const starts = new Set<string>();
    for (const secret of this.secrets) {
      starts.add(secret.slice(0, 2));
      if (starts.size > MAX_FINDER_STARTS) return null;
    }
    return new RegExp([...starts].map((start) => start.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&')).join('|'));
  }

  private insert(secret: string): void {
    let node = this.root;
    for (let i = 0; i < secret.length; i++) {
      const code = secret.charCodeAt(i);
      let next = node.next.get(code);
      if (next === undefined) {
        next = newNode();
        node.next.set(code, next);
      }
      node = next;
    }
    node.ends = secret.length;
    this.pairs[pairOf(secret.charCodeAt(0), secret.charCodeAt(1))] = 1;
  }

  private rebuild(): void {
    this.root = newNode();
    this.pairs.fill(0);
    this.stale = false;
    for (const secret of this.secrets) this.insert(secret);
  }
}
