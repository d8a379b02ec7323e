import { imeiProblem } from './imei';
import type { CredentialInput, ImportProblem } from './types';

/** Longest credential id the ledger takes (ids appear in reports and on screens, not in AT commands). */
export const MAX_CREDENTIAL_ID_LENGTH = 128;

/**
 * The ledger's own checks on rows handed to `importCredentials`, whoever parsed them: ids present, unique and
 * printable, IMEIs well-formed and unique, no column both clear and secret. Every store implementation runs these
 * before touching its data.
 */
export function checkCredentialInputs(rows: readonly CredentialInput[]): ImportProblem[] {
  const problems: ImportProblem[] = [];
  const ids = new Map<string, number | undefined>();
  const imeis = new Map<string, string>();
  for (const row of rows) {
    const at = (message: string, column?: string): void => {
      problems.push({
        credentialId: row.id,
        ...(row.line !== undefined ? { line: row.line } : {}),
        ...(column !== undefined ? { column } : {}),
        message,
      });
    };
    if (
      row.id.length === 0 ||
      row.id.length > MAX_CREDENTIAL_ID_LENGTH ||
      !/^[\p{L}\p{N}\p{P}\p{S} ]+$/u.test(row.id)
    ) {
      at(`a credential id must be 1-${MAX_CREDENTIAL_ID_LENGTH} printable characters`, 'credential_id');
    } else if (ids.has(row.id)) {
      const first = ids.get(row.id);
      at(`duplicate credential id ${row.id}${first !== undefined ? ` (also on line ${first})` : ''}`, 'credential_id');
    } else {
      ids.set(row.id, row.line);
    }
    if (row.imei !== undefined) {
      const problem = imeiProblem(row.imei);
      if (problem !== undefined) at(`imei ${problem}`, 'imei');
      else if (imeis.has(row.imei))
        at(`IMEI ${row.imei} is reserved twice (also by ${imeis.get(row.imei) ?? ''})`, 'imei');
      else imeis.set(row.imei, row.id);
    }
    for (const column of Object.keys(row.secrets)) {
      if (Object.hasOwn(row.fields, column)) at('a column cannot be both clear and secret', column);
    }
    for (const column of [...Object.keys(row.fields), ...Object.keys(row.secrets)]) {
      if (column.length === 0) at('a column needs a name');
    }
  }
  return problems;
}
