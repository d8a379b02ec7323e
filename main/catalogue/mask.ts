import { REDACTED } from './redact';

/**
 * Secret values learnt from redacted lines, masked wherever else they appear (a payload that repeats a password,
 * a comment, a line no rule covers). Masking is linear in the text, whatever the number of secrets: a prefix tree
 * of the secrets is walked from each position whose first two characters start some secret (a bitmap says which),
 * and the longest secret found there is replaced. Secrets shorter than `minLength` are not masked inside other
 * text: masking every `1` or `OK` would wreck the log.
 *
 * The tree is kept in flat typed arrays (22 bytes a node, a few nodes per secret), not an object per node and
 * character: a log of a production line holds a password per device, and 400,000 of them took 1.1 GB that way.
 */

/** Distinct starts (first two characters) of the secrets up to which a text is searched for them natively first. */
const MAX_FINDER_STARTS = 64;
const pairOf = (a: number, b: number): number => ((a << 7) ^ b) & 0xffff;
/** No node (node 0 is the root, never anyone's child or sibling); no tail. */
const NONE = 0;
const NO_TAIL = -1;

/**
 * A prefix tree of UTF-16 code units. Each node's children are a sibling list (the root's, a direct table); a
 * chain of nodes that only one secret goes through is not stored node by node but as a tail: the node that starts
 * it points into that secret (its index and an offset), and is a leaf until another secret shares part of it,
 * when the shared part is made into nodes. So the tree has a few nodes per secret, whatever their length: a log of
 * 60,000 distinct 1,000-character secrets would otherwise take 60 million nodes.
 */
class PrefixTree {
  /** The secrets, by the index tails point at. */
  private readonly values: string[] = [];
  /** Per node: first child, next sibling, code unit, the length of the secret ending there (0: none), its tail. */
  private firstChild = new Int32Array(1024);
  private nextSibling = new Int32Array(1024);
  private code = new Uint16Array(1024);
  private ends = new Int32Array(1024);
  private tailOf = new Int32Array(1024).fill(NO_TAIL);
  private tailFrom = new Int32Array(1024);
  /** The root's child for each code unit. */
  private readonly rootChild = new Int32Array(0x10000);
  private size = 1;

  insert(secret: string): void {
    const index = this.values.push(secret) - 1;
    const first = secret.charCodeAt(0);
    let node = this.rootChild[first] ?? NONE;
    if (node === NONE) {
      this.rootChild[first] = this.leaf(first, index, 1);
      return;
    }
    for (let i = 1; ; i++) {
      if (this.tailOf[node] !== NO_TAIL) this.expandTail(node);
      if (i === secret.length) {
        this.ends[node] = secret.length;
        return;
      }
      const code = secret.charCodeAt(i);
      const child = this.child(node, code);
      if (child === NONE) {
        const created = this.leaf(code, index, i + 1);
        this.nextSibling[created] = this.firstChild[node] ?? NONE;
        this.firstChild[node] = created;
        return;
      }
      node = child;
    }
  }

  /** Length of the longest secret that starts at `from` in `text`, 0 when none does. */
  longestAt(text: string, from: number): number {
    let node = this.rootChild[text.charCodeAt(from)] ?? NONE;
    let found = 0;
    let j = from + 1;
    while (node !== NONE) {
      const ends = this.ends[node] ?? 0;
      if (ends > 0) found = ends;
      const tail = this.tailOf[node] ?? NO_TAIL;
      if (tail !== NO_TAIL) {
        const value = this.values[tail] ?? '';
        let k = this.tailFrom[node] ?? 0;
        while (k < value.length && j < text.length && text.charCodeAt(j) === value.charCodeAt(k)) {
          j++;
          k++;
        }
        if (k === value.length) found = value.length;
        break;
      }
      if (j >= text.length) break;
      node = this.child(node, text.charCodeAt(j));
      j++;
    }
    return found;
  }

  /** A new node for `code` standing for secret `index` up to `from`: its tail the rest, or its end. */
  private leaf(code: number, index: number, from: number): number {
    const node = this.newNode(code);
    const value = this.values[index] ?? '';
    if (from < value.length) {
      this.tailOf[node] = index;
      this.tailFrom[node] = from;
    } else {
      this.ends[node] = value.length;
    }
    return node;
  }

  /** Makes the first code unit of a node's tail a node of its own (holding the rest of the tail). */
  private expandTail(node: number): void {
    const index = this.tailOf[node] ?? NO_TAIL;
    const from = this.tailFrom[node] ?? 0;
    this.tailOf[node] = NO_TAIL;
    const child = this.leaf((this.values[index] ?? '').charCodeAt(from), index, from + 1);
    this.firstChild[node] = child;
  }

  private child(node: number, code: number): number {
    let at = this.firstChild[node] ?? NONE;
    while (at !== NONE && this.code[at] !== code) at = this.nextSibling[at] ?? NONE;
    return at;
  }

  private newNode(code: number): number {
    if (this.size === this.code.length) this.grow();
    const node = this.size++;
    this.code[node] = code;
    return node;
  }

  private grow(): void {
    const capacity = this.code.length * 2;
    const int32 = (old: Int32Array, fill = 0): Int32Array<ArrayBuffer> => {
      const array = new Int32Array(capacity).fill(fill, old.length);
      array.set(old);
      return array;
    };
    this.firstChild = int32(this.firstChild);
    this.nextSibling = int32(this.nextSibling);
    this.ends = int32(this.ends);
    this.tailOf = int32(this.tailOf, NO_TAIL);
    this.tailFrom = int32(this.tailFrom);
    const code = new Uint16Array(capacity);
    code.set(this.code);
    this.code = code;
  }
}

export class SecretMask {
  private readonly secrets = new Set<string>();
  private tree = new PrefixTree();
  private readonly pairs = new Uint8Array(0x10000);
  private stale = false;
  /**
   * An expression matching any secret's first two characters, for rejecting text that holds no secret without a
   * loop over its characters (most text holds none); null when there are too many distinct starts (then the loop
   * alone), undefined when to be built.
   */
  private finder: RegExp | null | undefined = undefined;
  /** How many secrets start with each first two characters: the finder changes only when a start comes or goes. */
  private readonly starts = new Map<string, number>();

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
    const start = secret.slice(0, 2);
    const count = this.starts.get(start) ?? 0;
    this.starts.set(start, count + 1);
    if (count === 0) this.finder = undefined;
    if (!this.stale) this.insert(secret);
  }

  delete(secret: string): void {
    if (!this.secrets.delete(secret)) return;
    this.stale = true;
    const start = secret.slice(0, 2);
    const count = this.starts.get(start) ?? 1;
    if (count > 1) {
      this.starts.set(start, count - 1);
    } else {
      this.starts.delete(start);
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
      const found = this.tree.longestAt(text, i);
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
    if (this.starts.size > MAX_FINDER_STARTS) return null;
    return new RegExp([...this.starts.keys()].map((start) => start.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&')).join('|'));
  }

  private insert(secret: string): void {
    this.tree.insert(secret);
    this.pairs[pairOf(secret.charCodeAt(0), secret.charCodeAt(1))] = 1;
  }

  private rebuild(): void {
    this.tree = new PrefixTree();
    this.pairs.fill(0);
    this.stale = false;
    for (const secret of this.secrets) this.insert(secret);
  }
}
