import type { AtEvent } from '../vocab/types';

export interface ResyncOptions {
  /** How long to wait for the OK of the resync `AT`. Default 1000 ms. */
  readonly timeoutMs?: number;
  /** Quiet time after that OK before the port counts as clean (a stale OK may have fooled us). Default 100 ms. */
  readonly settleMs?: number;
  /** `AT` attempts before the port is declared unresponsive. Default 3. */
  readonly attempts?: number;
}

/** What a resynchronisation needs from its engine. */
export interface ResyncHooks {
  /** Notes and writes one `AT` probe. */
  probe(): void;
  /** Keeps a line that arrived while resynchronising (in the transcript); `stale` when it was a leftover. */
  consumed(event: AtEvent, stale: boolean): void;
  /** The port is clean (`true`), or no probe was answered (`false`). Called once. */
  done(clean: boolean): void;
}

/**
 * One resynchronisation of a port after a timeout or an abandoned command: send `AT`, wait for a clean OK,
 * discard whatever else arrives. Every line is a leftover except the probe's own echo and OK, and a stale OK
 * cannot be told from ours by its text. So an OK starts a quiet period and any further line restarts it (the
 * OK we took may have been stale, ours may still be coming); the probe's echo after an OK proves that OK stale,
 * so we wait for the next one. Lines never cause a new probe, so probes cannot chase their own answers; only a
 * timeout sends another, up to `attempts`.
 */
export class Resync {
  private attempt = 0;
  private phase: 'await-ok' | 'settle' = 'await-ok';
  private timer: ReturnType<typeof setTimeout> | null = null;
  private finished = false;
  private readonly timeoutMs: number;
  private readonly settleMs: number;
  private readonly attempts: number;

  constructor(
    options: ResyncOptions,
    private readonly hooks: ResyncHooks,
  ) {
    this.timeoutMs = options.timeoutMs ?? 1000;
    this.settleMs = options.settleMs ?? 100;
    this.attempts = options.attempts ?? 3;
  }

  /** Sends the first probe. */
  start(): void {
    this.sendProbe();
  }

  /** A line from the port (URCs the engine knows are not passed here). */
  event(event: AtEvent): void {
    if (this.finished) return;
    if (event.kind === 'echo') {
      this.hooks.consumed(event, false);
      if (this.phase === 'settle') this.awaitOk();
      return;
    }
    if (event.kind === 'final' && event.result === 'OK') {
      this.hooks.consumed(event, false);
      this.settle();
      return;
    }
    this.hooks.consumed(event, true);
    if (this.phase === 'settle') this.settle();
  }

  /** Stops without calling `done` (the port closed, or the parser restarted and a new resync begins). */
  cancel(): void {
    this.finished = true;
    this.clearTimer();
  }

  private sendProbe(): void {
    this.attempt++;
    this.awaitOk();
    this.hooks.probe();
  }

  private awaitOk(): void {
    this.clearTimer();
    this.phase = 'await-ok';
    this.timer = setTimeout(() => {
      if (this.attempt < this.attempts) this.sendProbe();
      else this.finish(false);
    }, this.timeoutMs);
  }

  private settle(): void {
    this.clearTimer();
    this.phase = 'settle';
    this.timer = setTimeout(() => this.finish(true), this.settleMs);
  }

  private finish(clean: boolean): void {
    if (this.finished) return;
    this.finished = true;
    this.clearTimer();
    this.hooks.done(clean);
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
