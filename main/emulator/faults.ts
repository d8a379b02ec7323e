import type { OpenRequest } from './net/types';

/**
 * Faults a test or the `sim` command can inject into one module. Commands are named as the module sees them,
 * upper-case with their prefix: `+QMTOPEN`, `+CSQ`, `E`, `I`. Every field can be changed while the module runs
 * (`VirtualModule.setFaults`); one-shot faults (unplug, reboot, garbage, link drop) are methods of the module.
 */
export interface FaultPlan {
  /** These commands answer plain ERROR (after their echo), whatever their parameters. */
  readonly errorOn?: readonly string[];
  /** These commands are executed but their reply (information lines and final result) is never sent. */
  readonly dropResponseOn?: readonly string[];
  /** These commands answer this many milliseconds late (a reply that outlives the host's timeout). */
  readonly lateResponse?: Readonly<Record<string, number>>;
  /** The broker's CONNACK is reported as refused with this return code. */
  readonly forceConnackCode?: 1 | 2 | 3 | 4 | 5;
  /** AT+QMTOPEN meets this network condition: TLS handshake failure (-1), DNS failure (4), PDP failure (3), no network (5). */
  readonly openFault?: NonNullable<OpenRequest['fault']>;
  /**
   * Firmware quirk (field notes, one EC200U firmware): AT+QMTCLOSE after AT+QMTDISC answers OK but never sends its
   * +QMTCLOSE URC. Without it, AT+QMTCLOSE on a client whose link is already gone answers ERROR.
   */
  readonly silentCloseAfterDisc?: boolean;
}

export const NO_FAULTS: FaultPlan = {};

export function matchesCommand(list: readonly string[] | undefined, name: string): boolean {
  if (!list) return false;
  return list.some((entry) => entry.toUpperCase() === name);
}
