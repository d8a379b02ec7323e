import { dataPhaseOf } from '../catalogue';

/**
 * Whether a typed command line would start a data phase (`> ` prompt or CONNECT) that a typed line cannot
 * supply. The catalogue answers, reading the line as the module does (blanks, case and control characters do not
 * matter) and failing closed: a data-phase command whose length is written oddly, or whose condition cannot be
 * told (AT+QMTCFG="willex" with a Will flag other than 0), counts as opening one.
 */
export function hasDataPhase(line: string): boolean {
  return dataPhaseOf(line.trim()) !== null;
}
