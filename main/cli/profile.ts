import {
  formatIssue,
  loadProfile,
  type CertificateFacts,
  type KeyFacts,
  type ProfileIssue,
  type ProfileLoad,
} from '../provisioning';

/** Exit codes of `profile check`: usable (warnings allowed), or not. */
const EXIT_USABLE = 0;
const EXIT_UNUSABLE = 2;

function certificateLines(cert: CertificateFacts): string[] {
  const kind = cert.ca ? 'CA' : cert.selfSigned ? 'self-signed' : 'end entity';
  return [
    `  certificate ${cert.index + 1}: ${cert.subject}`,
    `    issuer    ${cert.issuer}`,
    `    valid     ${cert.validFrom} to ${cert.validTo}`,
    `    sha256    ${cert.fingerprint256}`,
    `    key       ${cert.publicKey}, ${kind}${cert.subjectAltName === undefined ? '' : `, ${cert.subjectAltName}`}`,
  ];
}

/** The human report: what the profile is, its hash, each file's facts, warnings; errors go to stderr. */
function renderText(file: string, load: ProfileLoad): { stdout: string; stderr: string } {
  const out: string[] = [];
  const name = load.ok ? load.profile.name : load.name;
  const hash = load.ok ? load.profile.hash : load.hash;
  out.push(`profile   ${name ?? '(unknown)'}`, `file      ${file}`, `hash      ${hash ?? '(not computed)'}`);
  if (load.ok && load.profile.requiredColumns.length > 0) {
    out.push(`columns   ${load.profile.requiredColumns.join(', ')} (the manifest must have them)`);
  }
  const byRole = new Map<string, { file: string; certs: CertificateFacts[]; keys: KeyFacts[] }>();
  for (const cert of load.certificates) {
    const entry = byRole.get(cert.role) ?? { file: cert.file, certs: [], keys: [] };
    entry.certs.push(cert);
    byRole.set(cert.role, entry);
  }
  for (const key of load.keys) {
    const entry = byRole.get(key.role) ?? { file: key.file, certs: [], keys: [] };
    entry.keys.push(key);
    byRole.set(key.role, entry);
  }
  for (const [role, entry] of byRole) {
    out.push(`${role}  ${entry.file}`);
    for (const cert of entry.certs) out.push(...certificateLines(cert));
    for (const key of entry.keys) out.push(`  private key: ${key.type}`);
  }
  for (const warning of load.warnings) out.push(`warning: ${formatIssue(warning)}`);
  const warned = load.warnings.length === 1 ? '1 warning' : `${load.warnings.length} warnings`;
  if (load.ok) {
    out.push(`usable${load.warnings.length > 0 ? ` (${warned})` : ''}`);
    return { stdout: `${out.join('\n')}\n`, stderr: '' };
  }
  const count = load.errors.length === 1 ? '1 error' : `${load.errors.length} errors`;
  out.push(`not usable: ${count}${load.warnings.length > 0 ? `, ${warned}` : ''}`);
  return { stdout: `${out.join('\n')}\n`, stderr: `${load.errors.map(formatIssue).join('\n')}\n` };
}

const issueJson = (issue: ProfileIssue): ProfileIssue => ({ ...issue });

/** The flags of `profile check` (main/cli/commands/profile.ts). */
export interface ProfileCheckFlags {
  readonly json?: boolean;
  readonly columns?: string[];
}

/**
 * `fleet-station profile check FILE [--columns LIST] [--json]`: validates a profile and every file it names,
 * prints its hash and every certificate's facts. Exit 0 when usable (warnings allowed), 2 otherwise, with one
 * line per error on stderr, each starting with the profile path it is about.
 */
export async function profileCheckCommand(file: string, options: ProfileCheckFlags): Promise<void> {
  const load = await loadProfile(file, options.columns === undefined ? {} : { columns: options.columns });
  process.exitCode = load.ok ? EXIT_USABLE : EXIT_UNUSABLE;
  if (options.json === true) {
    const name = load.ok ? load.profile.name : load.name;
    const hash = load.ok ? load.profile.hash : load.hash;
    const report = {
      valid: load.ok,
      file,
      name: name ?? null,
      hash: hash ?? null,
      requiredColumns: load.ok ? load.profile.requiredColumns : null,
      errors: load.ok ? [] : load.errors.map(issueJson),
      warnings: load.warnings.map(issueJson),
      certificates: load.certificates,
      keys: load.keys,
    };
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  const { stdout, stderr } = renderText(file, load);
  process.stdout.write(stdout);
  if (stderr !== '') process.stderr.write(stderr);
}
