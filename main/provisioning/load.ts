import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { MAX_UPLOAD_BYTES } from '../at/commands/files';
import { checkTls, type CertificateFacts, type FileRole, type KeyFacts, type PemFile } from './certificates';
import { profileHash } from './hash';
import { DOCUMENT_PATH, type ProfileIssue } from './issues';
import { checkProfileDocument, requiredColumns } from './normalise';
import { parsePem } from './pem';
import type { Profile } from './profile';
import { filesForSeclevel } from './settings';

/**
 * Loading a profile: the file parsed as YAML (JSON parses as it is; duplicate keys are refused), checked against
 * the schema, normalised, every file it names read and checked, and its content hash computed. Nothing is
 * written anywhere; a profile with any error is not returned.
 */

export interface LoadOptions {
  /** The manifest's columns, when known (see NormaliseOptions). */
  readonly columns?: readonly string[];
  /** The clock certificates are checked against (default: now). */
  readonly now?: Date;
  /** Where `verify.observer.password_env` is looked up (default: process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** A usable profile: normalised, its files loaded in their canonical form, its hash. */
export interface LoadedProfile {
  /** Absolute path of the profile file. */
  readonly path: string;
  /** Its folder: file names in the profile are relative to it. */
  readonly dir: string;
  readonly name: string;
  /** profileHash(): SHA-256, lower-case hex. */
  readonly hash: string;
  readonly profile: Profile;
  /** Every file the profile names, by its profile path. */
  readonly files: ReadonlyMap<FileRole, PemFile>;
  /** The observer's password, read from `verify.observer.password_env`. A secret: never print it. */
  readonly observerPassword?: string;
  /** requiredColumns(profile): the manifest must have these. */
  readonly requiredColumns: readonly string[];
}

interface Report {
  readonly warnings: readonly ProfileIssue[];
  readonly certificates: readonly CertificateFacts[];
  readonly keys: readonly KeyFacts[];
}

/** What loading found: the profile, or every error; facts about every certificate that could be read either way. */
export type ProfileLoad =
  | (Report & { readonly ok: true; readonly profile: LoadedProfile })
  | (Report & {
      readonly ok: false;
      readonly errors: readonly ProfileIssue[];
      /** Known when the document itself was valid. */
      readonly name?: string;
      /** Known when the profile normalised and all its files could be read. */
      readonly hash?: string;
    });

const MAX_PROFILE_BYTES = 1_048_576;

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function reason(error: unknown): string {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') {
    return error.code === 'ENOENT' ? 'no such file' : error.code;
  }
  return 'unreadable';
}

/** Reads a file the profile names, refusing anything far larger than a certificate. */
async function readNamed(path: string): Promise<Buffer> {
  const info = await stat(path);
  if (!info.isFile()) throw Object.assign(new Error('not a file'), { code: 'not a file' });
  if (info.size > MAX_UPLOAD_BYTES) {
    throw Object.assign(new Error('too large'), { code: `larger than ${MAX_UPLOAD_BYTES} bytes` });
  }
  return readFile(path);
}

/** Reads and parses one PEM file; the issue (naming the role and the file) when it cannot. */
export async function loadPemFile(role: FileRole, name: string, path: string): Promise<PemFile | ProfileIssue> {
  let bytes: Buffer;
  try {
    bytes = await readNamed(path);
  } catch (error) {
    return { path: role, message: `cannot read ${name} (${reason(error)})` };
  }
  const pem = parsePem(bytes);
  if (!pem.ok) return { path: role, message: `${name}: ${pem.message}` };
  return { role, name, blocks: pem.blocks, bytes: pem.canonical };
}

/** The files a normalised profile names, by role. */
export function namedFiles(profile: Profile): [FileRole, string][] {
  const files: [FileRole, string | undefined][] = [
    ['ssl.cacert', profile.ssl?.cacert],
    ['ssl.clientcert', profile.ssl?.clientcert],
    ['ssl.clientkey', profile.ssl?.clientkey],
    ['verify.negative.cacert', profile.verify.negative?.cacert],
    ['verify.observer.ca', profile.verify.observer?.ca],
    ['verify.observer.cert', profile.verify.observer?.cert],
    ['verify.observer.key', profile.verify.observer?.key],
  ];
  return files.filter((entry): entry is [FileRole, string] => entry[1] !== undefined);
}

/** Issues in the order of the file (those without a position last, in the order found). */
function inFileOrder(issues: readonly ProfileIssue[]): ProfileIssue[] {
  return issues
    .map((issue, index) => ({ issue, index }))
    .sort(
      (a, b) =>
        (a.issue.line ?? Infinity) - (b.issue.line ?? Infinity) ||
        (a.issue.column ?? 0) - (b.issue.column ?? 0) ||
        a.index - b.index,
    )
    .map(({ issue }) => issue);
}

/** Adds the line and column of the key a path names, where the document has it (or its nearest parent). */
function locate(doc: Document, lines: LineCounter, issue: ProfileIssue): ProfileIssue {
  if (issue.path === DOCUMENT_PATH || issue.line !== undefined) return issue;
  const keys = issue.path.split('.');
  while (keys.length > 0) {
    const node: unknown = doc.getIn(keys, true);
    if (typeof node === 'object' && node !== null && 'range' in node && Array.isArray(node.range)) {
      const offset: unknown = node.range[0];
      if (typeof offset === 'number') {
        const { line, col } = lines.linePos(offset);
        return { ...issue, line, column: col };
      }
    }
    keys.pop();
  }
  return issue;
}

/** Parses and checks a profile's text; file names in it are relative to `dir`. */
export async function loadProfileText(
  text: string,
  dir: string,
  options: LoadOptions = {},
  path = resolve(dir, '(profile)'),
): Promise<ProfileLoad> {
  const empty = { warnings: [], certificates: [], keys: [] };
  const lines = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true, lineCounter: lines });
  if (doc.errors.length > 0) {
    const errors = doc.errors.map((error) => {
      const at = error.linePos?.[0];
      return {
        path: DOCUMENT_PATH,
        // The message's first line, without the position (given as line and column instead).
        message: `not valid YAML or JSON: ${(error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')}`,
        ...(at ? { line: at.line, column: at.col } : {}),
      };
    });
    return { ok: false, errors, ...empty };
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    return {
      ok: false,
      errors: [{ path: DOCUMENT_PATH, message: error instanceof Error ? error.message : 'unreadable' }],
      ...empty,
    };
  }
  const normal = checkProfileDocument(raw, options.columns === undefined ? {} : { columns: options.columns });
  if (!normal.ok) {
    const name = isRecord(raw) && typeof raw.name === 'string' ? raw.name : undefined;
    return {
      ok: false,
      ...(name !== undefined ? { name } : {}),
      errors: inFileOrder(normal.errors.map((issue) => locate(doc, lines, issue))),
      ...empty,
      warnings: normal.warnings,
    };
  }
  const profile = normal.value;
  const errors: ProfileIssue[] = [];
  const warnings: ProfileIssue[] = [...normal.warnings];
  const files = new Map<FileRole, PemFile>();
  for (const [role, name] of namedFiles(profile)) {
    const loaded = await loadPemFile(role, name, resolve(dir, name));
    if ('blocks' in loaded) files.set(role, loaded);
    else errors.push(locate(doc, lines, loaded));
  }
  let observerPassword: string | undefined;
  const passwordEnv = profile.verify.observer?.password_env;
  if (passwordEnv !== undefined) {
    const value = (options.env ?? process.env)[passwordEnv];
    if (value === undefined || value === '') {
      // The profile may be checked away from the station that runs it: a warning here, an error in compilePlan.
      warnings.push(
        locate(doc, lines, {
          path: 'verify.observer.password_env',
          message: `the environment variable ${passwordEnv} is not set here: the observer cannot log in until it is`,
        }),
      );
    } else {
      observerPassword = value;
    }
  }
  const tls = checkTls({ files, ignoreLocalTime: profile.ssl?.ignorelocaltime === 1, now: options.now ?? new Date() });
  errors.push(...tls.errors.map((issue) => locate(doc, lines, issue)));
  warnings.push(...tls.warnings.map((issue) => locate(doc, lines, issue)));
  const report = { warnings: inFileOrder(warnings), certificates: tls.certificates, keys: tls.keys };
  const allRead = files.size === namedFiles(profile).length;
  const hash = allRead
    ? profileHash(
        profile,
        [...files.values()].map((file) => ({ path: file.role, name: file.name, bytes: file.bytes })),
      )
    : undefined;
  if (errors.length > 0 || hash === undefined) {
    return {
      ok: false,
      errors: inFileOrder(errors),
      name: profile.name,
      ...(hash !== undefined ? { hash } : {}),
      ...report,
    };
  }
  return {
    ok: true,
    profile: {
      path,
      dir,
      name: profile.name,
      hash,
      profile,
      files,
      ...(observerPassword !== undefined ? { observerPassword } : {}),
      requiredColumns: requiredColumns(profile),
    },
    ...report,
  };
}

/** Reads a profile file (YAML or JSON) and everything it names; see loadProfileText. */
export async function loadProfile(path: string, options: LoadOptions = {}): Promise<ProfileLoad> {
  const absolute = resolve(path);
  let bytes: Buffer;
  try {
    const info = await stat(absolute);
    if (info.size > MAX_PROFILE_BYTES) {
      return {
        ok: false,
        errors: [{ path: DOCUMENT_PATH, message: `${path} is larger than ${MAX_PROFILE_BYTES} bytes` }],
        warnings: [],
        certificates: [],
        keys: [],
      };
    }
    bytes = await readFile(absolute);
  } catch (error) {
    return {
      ok: false,
      errors: [{ path: DOCUMENT_PATH, message: `cannot read ${path} (${reason(error)})` }],
      warnings: [],
      certificates: [],
      keys: [],
    };
  }
  let text: string;
  try {
    // A BOM (as some Windows editors write it) is dropped; anything that is not UTF-8 is refused.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return {
      ok: false,
      errors: [{ path: DOCUMENT_PATH, message: `${path} is not UTF-8 text` }],
      warnings: [],
      certificates: [],
      keys: [],
    };
  }
  return loadProfileText(text, dirname(absolute), options, absolute);
}

/** The certificate files a unit needs from its manifest row (its security level's, the profile lacking them). */
export function unitFileColumns(profile: Profile): ('cacert' | 'clientcert' | 'clientkey')[] {
  return profile.ssl === undefined ? [] : [...filesForSeclevel(profile.ssl.seclevel ?? 0)];
}
