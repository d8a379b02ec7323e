import { formatQfuplChecksum } from './checksum';
import type { HandlerTable } from './context';
import { cme, ERROR, OK, ok, type Outcome } from './outcome';

/**
 * The UFS file commands used to store certificates: AT+QFUPL (upload in data mode after CONNECT), AT+QFLST and
 * AT+QFDEL. Errors are the Quectel file codes of the field notes (405 not found, 407 exists, 421 time out, ...).
 */

/** Capacity of the emulated UFS and the largest single file (AT+QFUPL refuses bigger ones with 423). */
export const UFS_CAPACITY = 1_048_576;
export const MAX_FILE_SIZE = 512_000;

/** `UFS:name` or `name` → `name`; null when the name is not a valid UFS file name. */
export function ufsName(spec: string): string | null {
  const name = /^ufs:/i.test(spec) ? spec.slice(4) : spec;
  if (name.length === 0 || name.length > 80 || /[*?"<>|\\:\r\n]/.test(name)) return null;
  return name;
}

function usedSpace(files: ReadonlyMap<string, Uint8Array>): number {
  let total = 0;
  for (const data of files.values()) total += data.length;
  return total;
}

export const fileHandlers: HandlerTable = {
  '+QFUPL': (c, p, ctx): Outcome => {
    if (c.form === 'test') return ok(['+QFUPL: "UFS:<filename>",(1-512000),(1-65535),(0,1)']);
    if (c.form !== 'write') return ERROR;
    const name = ufsName(p.str(0, 84));
    if (name === null) return cme(406);
    const size = p.optInt(1, 1, 0x7fffffff) ?? 10240;
    const timeoutSec = p.optInt(2, 1, 65535) ?? 5;
    if (p.has(3)) p.int(3, 0, 1);
    const files = ctx.state.files;
    if (files.has(name)) return cme(407);
    if (size > MAX_FILE_SIZE) return cme(423);
    if (usedSpace(files) + size > UFS_CAPACITY) return cme(420);
    return {
      kind: 'input',
      style: 'connect',
      length: size,
      echo: false,
      timeoutMs: timeoutSec * 1000,
      onData: (data, timedOut) => {
        const report = `+QFUPL: ${data.length},${formatQfuplChecksum(data)}`;
        // A late upload prints what arrived, then fails; the partial file is not kept.
        if (timedOut) return cme(421, [report]);
        files.set(name, data);
        return ok([report]);
      },
    };
  },
  '+QFLST': (c, p, ctx) => {
    if (c.form === 'test') return OK;
    const files = ctx.state.files;
    const pattern = c.form === 'exec' ? '*' : c.form === 'write' ? p.str(0, 84) : null;
    if (pattern === null) return ERROR;
    const list = (names: readonly string[]) => names.map((n) => `+QFLST: "UFS:${n}",${files.get(n)?.length ?? 0}`);
    if (pattern === '*' || /^ufs:\*$/i.test(pattern)) return ok(list([...files.keys()].sort()));
    const name = ufsName(pattern);
    if (name === null) return cme(406);
    return files.has(name) ? ok(list([name])) : cme(405);
  },
  '+QFDEL': (c, p, ctx) => {
    if (c.form === 'test') return OK;
    if (c.form !== 'write') return ERROR;
    const pattern = p.str(0, 84);
    const files = ctx.state.files;
    if (pattern === '*' || /^ufs:\*$/i.test(pattern)) {
      files.clear();
      return OK;
    }
    const name = ufsName(pattern);
    if (name === null) return cme(406);
    return files.delete(name) ? OK : cme(405);
  },
};
