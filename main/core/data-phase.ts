import { parseCommandLine, splitParams } from '../at/parser';

/**
 * Commands that hand the port over to a payload (`> ` prompt or CONNECT) whatever their parameters say. A typed
 * line cannot supply that payload, so the guided session refuses them by name rather than trusting the
 * parameters that would announce the data phase (a length written oddly must not slip through).
 */
const dataPhaseNames = new Set([
  '+CMGS',
  '+CMGW',
  '+QISEND',
  '+QSSLSEND',
  '+QFWRITE',
  '+QFUPL',
  '+QHTTPPOST',
  '+QHTTPPUT',
  '+QMTPUB',
  '+QMTPUBEX',
]);

/** `AT +NAME = rest` → `AT+NAME=rest`: the name and operator as the module reads them, blanks around them dropped. */
const shape = /^AT\s*([+$%^&][A-Z0-9_]+)\s*(=\?|\?|=)?\s*(.*)$/is;

/**
 * Whether a typed command line would start a data phase. Uses the parser's own reading of the line (the one the
 * engine relies on) and, on top of it, refuses the well-known payload commands by normalized name, and
 * QMTCFG "willex" whenever it sets anything beyond the client index except a cleared will flag.
 */
export function hasDataPhase(line: string): boolean {
  const match = shape.exec(line.trim());
  if (match === null) return parseCommandLine(line.trim()).payload !== null;
  const [, rawName = '', op = '', rest = ''] = match;
  const name = rawName.toUpperCase();
  const normalized = `AT${name}${op}${rest}`;
  if (parseCommandLine(normalized).payload !== null) return true;
  if (op === '?' || op === '=?') return false;
  if (dataPhaseNames.has(name)) return true;
  if (name === '+QMTCFG' && op === '=') {
    const params = splitParams(rest);
    const setting = params[0]?.trim().toLowerCase();
    return setting === 'willex' && params.length > 2 && params[2]?.trim() !== '0';
  }
  return false;
}
