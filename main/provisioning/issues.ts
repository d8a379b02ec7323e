/**
 * What is wrong with a profile (or a unit's values for it): the path of the field in the profile's own key names
 * (`mqtt.keepalive`, `ssl.cacert`, `auth.password`) and the rule in the spec's words. Messages never carry a
 * secret's value.
 */
export interface ProfileIssue {
  /** Dotted key path (`mqtt.recv/mode.msg_recv_mode`), or `(document)` for the file as a whole. */
  readonly path: string;
  readonly message: string;
  /** 1-based position in the profile file, where it is known. */
  readonly line?: number;
  readonly column?: number;
}

/** The path of issues about the profile file as a whole (unreadable, not YAML/JSON). */
export const DOCUMENT_PATH = '(document)';

/** One line per issue, the way the CLI prints them: `mqtt.keepalive: 0-3600 s, got 7200`. */
export function formatIssue(issue: ProfileIssue): string {
  const where =
    issue.line === undefined ? '' : ` (line ${issue.line}${issue.column === undefined ? '' : `:${issue.column}`})`;
  return `${issue.path}${where}: ${issue.message}`;
}

/** Either the value, or every issue found (never a partial value). */
export type Checked<T> =
  | { readonly ok: true; readonly value: T; readonly warnings: readonly ProfileIssue[] }
  | { readonly ok: false; readonly errors: readonly ProfileIssue[]; readonly warnings: readonly ProfileIssue[] };

/** Collects issues while a check runs. */
export class IssueList {
  readonly errors: ProfileIssue[] = [];
  readonly warnings: ProfileIssue[] = [];

  error(path: string, message: string): void {
    this.errors.push({ path, message });
  }

  warn(path: string, message: string): void {
    this.warnings.push({ path, message });
  }

  get failed(): boolean {
    return this.errors.length > 0;
  }

  result<T>(value: T): Checked<T> {
    return this.failed
      ? { ok: false, errors: this.errors, warnings: this.warnings }
      : { ok: true, value, warnings: this.warnings };
  }
}

/**
 * A value for a message: numbers and booleans as they are, strings quoted and clipped, anything else by kind. A
 * secret field's value is never shown, only its kind.
 */
export function describeValue(value: unknown, secret = false): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (secret) return typeof value === 'string' ? 'a string' : `a ${typeof value}`;
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value;
}
