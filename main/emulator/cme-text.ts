import { CME_ERRORS } from '../at/decode/texts';

/**
 * `+CME ERROR` text for AT+CMEE=2 (3GPP TS 27.007 plus the Quectel file and TCP/IP codes of the field notes).
 * One table serves the module's text form and the station's explanations: the words are the same facts.
 */
export function cmeText(code: number): string {
  return CME_ERRORS[code] ?? 'unknown';
}
