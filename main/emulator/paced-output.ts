/**
 * One direction of the module's UART (used for both: transmit to the host, and receive from it): bytes leave no faster than the UART would send them (10 bits per byte at 8N1), so
 * a station sees replies arrive in the pieces and at the pace a real module produces. Chunks are released when
 * their last byte would have left the wire; `baud: 0` turns pacing off (bytes leave at once, in order).
 */
export class PacedOutput {
  private readonly queue: { readonly bytes: Uint8Array; readonly dueAt: number }[] = [];
  private wireFreeAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private drainWaiters: (() => void)[] = [];
  private closed = false;

  /** Bytes written in total (for benchmarks: the wire-time floor is bytesSent × 10 / baud). */
  bytesSent = 0;

  constructor(
    private readonly sink: (bytes: Uint8Array) => void,
    private readonly baud: number,
    private readonly chunkSize = 64,
    /** Told of the time each chunk occupies the wire (the module's busy time). */
    private readonly onWire: (start: number, end: number) => void = () => undefined,
  ) {}

  write(bytes: Uint8Array): void {
    if (this.closed || bytes.length === 0) return;
    this.bytesSent += bytes.length;
    if (this.baud <= 0) {
      this.sink(bytes);
      return;
    }
    const msPerByte = 10_000 / this.baud;
    const now = performance.now();
    for (let offset = 0; offset < bytes.length; offset += this.chunkSize) {
      const chunk = bytes.subarray(offset, offset + this.chunkSize);
      const startAt = Math.max(now, this.wireFreeAt);
      this.wireFreeAt = startAt + chunk.length * msPerByte;
      this.onWire(startAt, this.wireFreeAt);
      this.queue.push({ bytes: chunk, dueAt: this.wireFreeAt });
    }
    this.schedule();
  }

  /** Resolves when every byte written so far has left. */
  drained(): Promise<void> {
    if (this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Drops what is still queued (power loss) and refuses further writes until `reopen`. */
  close(): void {
    this.closed = true;
    this.queue.length = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.releaseWaiters();
  }

  reopen(): void {
    this.closed = false;
    this.wireFreeAt = 0;
  }

  private schedule(): void {
    if (this.timer || this.queue.length === 0) return;
    const head = this.queue[0];
    if (!head) return;
    const wait = Math.max(0, head.dueAt - performance.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flushDue();
    }, wait);
  }

  private flushDue(): void {
    const now = performance.now();
    const due: Uint8Array[] = [];
    while (this.queue.length > 0 && (this.queue[0]?.dueAt ?? Infinity) <= now + 0.5) {
      const item = this.queue.shift();
      if (item) due.push(item.bytes);
    }
    if (due.length > 0) this.sink(due.length === 1 ? (due[0] ?? new Uint8Array()) : Buffer.concat(due));
    if (this.queue.length === 0) this.releaseWaiters();
    else this.schedule();
  }

  private releaseWaiters(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }
}
