import { DisposableStore, onUnexpectedError, toDisposable, type Disposable } from '../base';
import { listSerialPorts, type ListSerialPortsOptions, type SerialPortInfo } from '../transport/discovery';
import type { ByteTransport } from '../transport/types';
import type { Station } from './station';

export interface PortWatchOptions {
  /** Paths named by the operator (`--port-path`): attached whenever they exist, reported when they cannot be opened. */
  readonly paths: readonly string[];
  /** Also attach every USB serial port that appears (udev, or a scan of /dev for ttyUSB / ttyACM). */
  readonly scan: boolean;
  /** Opens a port (serialport in production); rejects with an error naming the path and the cause. */
  readonly open: (path: string) => Promise<ByteTransport>;
  /** How often presence is checked. Default 1000 ms. */
  readonly intervalMs?: number;
  /** How often the full listing (with udev, a child process) replaces the cheap folder scan. Default 10 s. */
  readonly udevEveryMs?: number;
  /** A path that exists but cannot be opened is tried again after this long, doubling up to `maxRetryMs`. */
  readonly firstRetryMs?: number;
  readonly maxRetryMs?: number;
  /** The listing (tests substitute a folder of their own through `devDir`). */
  readonly listing?: Omit<ListSerialPortsOptions, 'explicitPaths' | 'scan' | 'udev'>;
}

interface Failure {
  readonly delayMs: number;
  readonly notBefore: number;
}

/**
 * Wires port discovery into the station: ports that appear are opened and attached, a unit whose path comes back
 * after it vanished is re-attached (the vanishing itself is seen by the transport and marks the unit `gone`), and
 * a port that cannot be opened is listed as a unit in `error` with the reason while the station goes on. It never
 * throws: a failing listing (no udevadm in a container) falls back to scanning, and a failed round is reported and
 * the next one runs.
 */
export class PortWatcher implements Disposable {
  private readonly store = new DisposableStore();
  private readonly opening = new Set<string>();
  private readonly failures = new Map<string, Failure>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastUdev = Number.NEGATIVE_INFINITY;
  private running: Promise<void> | undefined;
  private disposed = false;

  constructor(
    private readonly station: Station,
    private readonly options: PortWatchOptions,
  ) {
    this.store.add(toDisposable(() => clearTimeout(this.timer)));
  }

  /** Runs the first round (every present port opened or reported), then keeps watching. */
  async start(): Promise<void> {
    await this.round();
    this.schedule();
  }

  /** One round now (tests and the first start). Rounds never overlap. */
  round(): Promise<void> {
    this.running ??= this.check()
      .catch((error: unknown) => onUnexpectedError(error, 'port watcher'))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  dispose(): void {
    this.disposed = true;
    this.store.dispose();
  }

  private schedule(): void {
    if (this.disposed) return;
    this.timer = setTimeout(() => {
      void this.round().then(() => this.schedule());
    }, this.options.intervalMs ?? 1000);
    this.timer.unref();
  }

  private async check(): Promise<void> {
    const now = Date.now();
    const udev = this.options.scan && now - this.lastUdev >= (this.options.udevEveryMs ?? 10_000);
    if (udev) this.lastUdev = now;
    const ports: SerialPortInfo[] = await listSerialPorts({
      ...this.options.listing,
      explicitPaths: this.options.paths,
      scan: this.options.scan,
      udev,
    });
    const present = new Set(ports.filter((p) => p.available).map((p) => p.path));
    const opens: Promise<void>[] = [];
    // The ports open side by side, and each is attached (or reported) after the one listed before it: named ports
    // are listed in the order they were given, whichever opens first.
    let turn = Promise.resolve();
    for (const port of ports) {
      if (this.disposed) return;
      if (!port.available) {
        // An explicit path that does not exist (yet): say so once, and open it as soon as it appears.
        if (this.station.get(port.path) === undefined) {
          this.station.reportUnopenable(
            port.path,
            `cannot open serial port ${port.path}: no such device (waiting for it to appear)`,
          );
        }
        this.failures.delete(port.path);
        continue;
      }
      if (this.station.isAttached(port.path) || this.opening.has(port.path)) continue;
      const failure = this.failures.get(port.path);
      if (failure !== undefined && failure.notBefore > now) continue;
      const opened = this.open(port.path, failure, turn);
      opens.push(opened);
      turn = opened;
    }
    // A path that went away clears its back-off: when it returns, it is opened at once.
    for (const path of this.failures.keys()) if (!present.has(path)) this.failures.delete(path);
    await Promise.all(opens);
  }

  /** Opens `path` now; attaches it, or reports why it cannot be opened, once `turn` (the port before it) is done. */
  private async open(path: string, failure: Failure | undefined, turn: Promise<void>): Promise<void> {
    this.opening.add(path);
    try {
      const opening = this.options.open(path);
      // Settled before waiting for the turn: a failed open is not an unhandled rejection meanwhile.
      opening.catch(() => undefined);
      await turn;
      const transport = await opening;
      if (this.disposed || this.station.isAttached(path)) {
        await transport.close();
        return;
      }
      this.failures.delete(path);
      this.station.attach(transport);
    } catch (error: unknown) {
      const delayMs =
        failure === undefined
          ? (this.options.firstRetryMs ?? 2_000)
          : Math.min(failure.delayMs * 2, this.options.maxRetryMs ?? 60_000);
      this.failures.set(path, { delayMs, notBefore: Date.now() + delayMs });
      this.station.reportUnopenable(path, error instanceof Error ? error.message : String(error));
    } finally {
      this.opening.delete(path);
    }
  }
}
