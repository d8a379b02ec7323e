/**
 * A port that will not take commands for a while, and why. Nothing is written to it meanwhile (at most the ESC
 * that leaves a prompt), and it is taken back at `until` at the latest, whatever happens.
 */
export interface PortTrap {
  /**
   * `prompt`: the module opened a `> ` input for a command the station will not feed (an abandoned one, or one it
   * cannot send data for); the station sent ESC and waits for the module to leave it. `upload`: the module takes
   * file bytes after CONNECT for such a command; the station waits for the upload's own timeout. `payload`: the
   * parser is taking a message payload whole that does not end (a forged `<payload_len>`, a lost closing quote).
   */
  readonly cause: 'prompt' | 'upload' | 'payload';
  /** What happened, in words for support staff (no payload bytes, no secrets). */
  readonly detail: string;
  /** When it began (ms since the epoch). */
  readonly since: number;
  /** When the station stops waiting and takes the port back (ms since the epoch). */
  readonly until: number;
}

/**
 * How well a port answers, for the fleet view and for deciding when to give up on a module. Timeouts of the
 * final result count against the port (the module did not answer); a late completion URC does not (the module
 * answered OK, the network is slow).
 */
export interface PortHealth {
  /**
   * `ok`: the last command was answered. `degraded`: the last command(s) timed out. `unresponsive`: a
   * resynchronisation round got no answer to its probes. `trapped`: the port is held (see `trap`). `closed`: the
   * port is gone (see `closedReason`).
   */
  readonly state: 'ok' | 'degraded' | 'unresponsive' | 'trapped' | 'closed';
  /** Every line written has been answered (or proven lost): the next command can be tied to its answer. */
  readonly clean: boolean;
  readonly consecutiveTimeouts: number;
  readonly totalTimeouts: number;
  /** Probes written to resynchronise the port (after a timeout, a cancelled command, a trap, at start). */
  readonly resyncs: number;
  /** Lines that belonged to no transaction (late replies, garbage). */
  readonly staleLines: number;
  /** Answers refused because they could not be tied to their command or were damaged (`bad-response`). */
  readonly untiedAnswers: number;
  readonly closedReason?: string;
  /** Set while `state` is `trapped`. */
  readonly trap?: PortTrap;
}

export interface HealthCounters {
  readonly closedReason: string | null;
  readonly trap: PortTrap | null;
  readonly unresponsive: boolean;
  readonly clean: boolean;
  readonly consecutiveTimeouts: number;
  readonly totalTimeouts: number;
  readonly resyncs: number;
  readonly staleLines: number;
  readonly untiedAnswers: number;
}

export function describeHealth(counters: HealthCounters): PortHealth {
  const { closedReason, trap, unresponsive, ...counts } = counters;
  if (closedReason !== null) return { state: 'closed', ...counts, closedReason };
  if (trap !== null) return { state: 'trapped', ...counts, trap };
  if (unresponsive) return { state: 'unresponsive', ...counts };
  return { state: counts.consecutiveTimeouts > 0 ? 'degraded' : 'ok', ...counts };
}
