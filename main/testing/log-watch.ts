import type { Readable } from 'node:stream';

/**
 * Collects a process's log lines and lets a test wait for one to appear. Tests wait for what the broker says it
 * did ("Received PINGREQ from x", "Received PUBLISH from x (d1, q1, ...)") instead of sleeping and hoping.
 */
export class LogWatch {
  private readonly lines: string[] = [];
  private partial = '';
  private readonly waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];

  constructor(stream: Readable) {
    stream.on('data', (chunk: Buffer) => this.feed(chunk.toString()));
  }

  get text(): string {
    return this.lines.join('\n') + (this.partial === '' ? '' : `\n${this.partial}`);
  }

  /** Resolves with the first line (already logged or still to come) that matches. */
  waitFor(pattern: RegExp): Promise<string> {
    const found = this.lines.find((line) => pattern.test(line));
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve) => this.waiters.push({ pattern, resolve }));
  }

  private feed(text: string): void {
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) {
      this.lines.push(line);
      for (const waiter of this.waiters.filter((w) => w.pattern.test(line))) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  }
}
