export interface ResyncOptions {
  /** How long each probe waits for its echo and final result. Default 1000 ms. */
  readonly timeoutMs?: number;
  /** Probes per round before the port counts as unresponsive and the queued commands fail. Default 3. */
  readonly attempts?: number;
}

/** What a resynchronisation round needs from its engine. */
export interface ResyncHooks {
  /** Writes one probe (see probes.ts); false when none could be written. */
  probe(): boolean;
  /** The round ended: `true` when the port was proven clean, `false` when no probe was answered in time. */
  done(clean: boolean): void;
}

/**
 * One resynchronisation round: write a probe, wait for the engine to prove the port clean (the probe's own echo,
 * then a final result: `proven`), and write another probe only when one went unanswered for `timeoutMs`, up to
 * `attempts`. Lines never cause a probe, so probes cannot chase their own answers; and every probe is spelled
 * apart from all unanswered lines, so a late answer can never pass for the proof.
 */
export class Resync {
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private finished = false;
  private readonly timeoutMs: number;
  private readonly attempts: number;

  constructor(
    options: ResyncOptions,
    private readonly hooks: ResyncHooks,
  ) {
    this.timeoutMs = options.timeoutMs ?? 1000;
    this.attempts = options.attempts ?? 3;
  }

  /** Sends the first probe. */
  start(): void {
    this.next();
  }

  /** The engine proved the port clean. */
  proven(): void {
    this.finish(true);
  }

  /** Stops without calling `done` (the port closed, a trap began, the module restarted). */
  cancel(): void {
    this.finished = true;
    this.clearTimer();
  }

  private next(): void {
    if (this.finished) return;
    if (this.attempt >= this.attempts || !this.hooks.probe()) {
      this.finish(false);
      return;
    }
    this.attempt++;
    this.clearTimer();
    this.timer = setTimeout(() => this.next(), this.timeoutMs);
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
