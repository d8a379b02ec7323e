import type { ByteTransport } from '../transport/types';

/**
 * The host side of a test: writes to a transport and reads what comes back as text, waiting for expected text
 * rather than for time. `until` returns everything from the read cursor up to and including the match, so a test
 * can compare the exact bytes a module sent.
 */
export class TestHost {
  private received = Buffer.alloc(0);
  private cursor = 0;
  private waiters: (() => void)[] = [];
  closed: Error | undefined | null = null;

  constructor(readonly transport: ByteTransport) {
    transport.onData((chunk) => {
      this.received = Buffer.concat([this.received, chunk]);
      this.wake();
    });
    transport.onClose((error) => {
      this.closed = error;
      this.wake();
    });
  }

  send(data: string | Uint8Array): Promise<void> {
    return this.transport.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** Everything received so far (latin1, byte for byte). */
  get all(): string {
    return this.received.toString('latin1');
  }

  /** Everything after the cursor, without moving it. */
  get pending(): string {
    return this.received.subarray(this.cursor).toString('latin1');
  }

  /** Waits until `expected` appears after the cursor; returns the text up to its end and moves the cursor there. */
  async until(expected: string | RegExp, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = this.pending;
      const end = matchEnd(text, expected);
      if (end >= 0) {
        this.cursor += Buffer.byteLength(text.slice(0, end), 'latin1');
        return text.slice(0, end);
      }
      if (this.closed !== null)
        throw new Error(`transport closed while waiting for ${String(expected)}: ${JSON.stringify(text)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${String(expected)}; got ${JSON.stringify(text)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Sends `line` + CR and returns the reply up to its final result code (OK, ERROR, +CME ERROR, `> `, CONNECT). */
  async command(line: string): Promise<string> {
    await this.send(`${line}\r`);
    return this.until(/\r\n(OK|ERROR|\+CME ERROR: [^\r]*|CONNECT)\r\n|\r\n> /);
  }

  /** Waits until the transport closes; resolves with its error. */
  async closedWith(timeoutMs = 10_000): Promise<Error | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (this.closed === null) {
      if (Date.now() > deadline) throw new Error('transport did not close');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now());
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.closed;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

function matchEnd(text: string, expected: string | RegExp): number {
  if (typeof expected === 'string') {
    const at = text.indexOf(expected);
    return at < 0 ? -1 : at + expected.length;
  }
  const m = expected.exec(text);
  return m ? m.index + m[0].length : -1;
}
