/**
 * How well a port answers, for the fleet view and for deciding when to give up on a module. Timeouts of the
 * final result count against the port (the module did not answer); a late completion URC does not (the module
 * answered OK, the network is slow).
 */
export interface PortHealth {
  /**
   * `ok`: the last command was answered. `degraded`: the last command(s) timed out. `unresponsive`: even the
   * resynchronising `AT` went unanswered. `closed`: the port is gone (see `closedReason`).
   */
  readonly state: 'ok' | 'degraded' | 'unresponsive' | 'closed';
  readonly consecutiveTimeouts: number;
  readonly totalTimeouts: number;
  /** `AT` probes sent to resynchronise after a timeout or cancellation. */
  readonly resyncs: number;
  /** Lines that belonged to no transaction (late replies, garbage). */
  readonly staleLines: number;
  readonly closedReason?: string;
}

export interface HealthCounters {
  readonly closedReason: string | null;
  readonly unresponsive: boolean;
  readonly consecutiveTimeouts: number;
  readonly totalTimeouts: number;
  readonly resyncs: number;
  readonly staleLines: number;
}

export function describeHealth(counters: HealthCounters): PortHealth {
  const { closedReason, unresponsive, ...counts } = counters;
  if (closedReason !== null) return { state: 'closed', ...counts, closedReason };
  if (unresponsive) return { state: 'unresponsive', ...counts };
  return { state: counts.consecutiveTimeouts > 0 ? 'degraded' : 'ok', ...counts };
}
