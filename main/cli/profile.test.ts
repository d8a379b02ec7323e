import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCertificates } from '../testing/certs';
import { ISSUE_EXAMPLE, writeIn } from '../provisioning/fixtures/profiles';
import { cliScript } from '../testing/station-cli';

// `fleet-station profile check` as a production line scripts it: a child process, its exit code and its output.
const cli = cliScript();
let dir: string;

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function check(...args: string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cli, 'profile', 'check', ...args],
      { env: { ...process.env, FLEET_OBSERVER_PASSWORD: '' } },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleet-cli-profile-'));
  const certs = await generateCertificates(await mkdtemp(join(dir, 'pki-')));
  await writeIn(dir, 'certs/ca.pem', certs.caPem.pem);
  await writeIn(dir, 'certs/client.pem', certs.clientCert.pem);
  await writeIn(dir, 'certs/client.key', certs.clientKey.pem);
  await writeIn(dir, 'good.json', ISSUE_EXAMPLE);
  await writeIn(
    dir,
    'bad.yaml',
    [
      'format: 1',
      'name: bad',
      'broker: { host: broker.example.com, port: 8883 }',
      'mqtt:',
      '  keepalive: 7200',
      '  version: 5',
      'auth: { mode: password, password: hunter2-literal }',
      'verify: { topic: "fleet/{imei}/#", qos: 1 }',
      '',
    ].join('\n'),
  );
  await writeFile(join(dir, 'duplicate.json'), '{\n  "format": 1,\n  "format": 1\n}\n');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// Each check starts a process (tsx compiles on the fly): a generous safety net for a loaded machine, not a pace.
describe('fleet-station profile check', { timeout: 120_000 }, () => {
  it('prints the hash and every certificate of a usable profile, exit 0', async () => {
    const { code, stdout, stderr } = await check(join(dir, 'good.json'));
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^profile {3}line-a-mtls$/m);
    expect(stdout).toMatch(/^hash {6}[0-9a-f]{64}$/m);
    expect(stdout).toMatch(/^columns {3}password \(the manifest must have them\)$/m);
    expect(stdout).toMatch(/^ssl\.cacert {2}certs\/ca\.pem\n {2}certificate 1: CN=Fleet Station test ca$/m);
    expect(stdout).toMatch(/^ {4}sha256 {4}([0-9A-F]{2}:){31}[0-9A-F]{2}$/m);
    expect(stdout).toMatch(/^ssl\.clientkey {2}certs\/client\.key\n {2}private key: EC P-256$/m);
    expect(stdout.trimEnd().split('\n').at(-1)).toBe('usable');
  });

  it('with --json prints one object with the facts', async () => {
    const { code, stdout } = await check(join(dir, 'good.json'), '--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as Record<string, unknown>;
    expect(report).toMatchObject({
      valid: true,
      name: 'line-a-mtls',
      hash: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown,
      requiredColumns: ['password'],
      errors: [],
      warnings: [],
    });
    expect(report.certificates).toEqual([
      expect.objectContaining({ role: 'ssl.cacert', file: 'certs/ca.pem', ca: true, publicKey: 'EC P-256' }),
      expect.objectContaining({
        role: 'ssl.clientcert',
        file: 'certs/client.pem',
        ca: false,
        issuer: 'CN=Fleet Station test ca',
      }),
    ]);
    expect(report.keys).toEqual([{ role: 'ssl.clientkey', file: 'certs/client.key', type: 'EC P-256' }]);
  });

  it('prints every error on its own line, each naming its path, exit 2, and never a secret', async () => {
    const { code, stdout, stderr } = await check(join(dir, 'bad.yaml'));
    expect(code).toBe(2);
    expect(stderr.trimEnd().split('\n')).toEqual([
      'mqtt.keepalive (line 5:14): 0-3600 s, got 7200',
      'mqtt.version (line 6:12): 3 (MQTT 3.1) or 4 (MQTT 3.1.1), got 5',
    ]);
    expect(stdout).toMatch(/^not usable: 2 errors$/m);
    const json = await check(join(dir, 'bad.yaml'), '--json');
    const report = JSON.parse(json.stdout) as { valid: boolean; errors: { path: string }[] };
    expect(json.code).toBe(2);
    expect(report.valid).toBe(false);
    expect(report.errors.map((error) => error.path)).toEqual(['mqtt.keepalive', 'mqtt.version']);
    expect(stdout + stderr + json.stdout).not.toContain('hunter2');
  });

  it('refuses a literal password and a wildcard topic once the document is well formed', async () => {
    const path = await writeIn(
      dir,
      'secret.yaml',
      'format: 1\nname: s\nbroker: { host: h, port: 1 }\nauth: { mode: password, password: hunter2-literal }\nverify: { topic: "fleet/{imei}/#", qos: 1 }\n',
    );
    const { code, stdout, stderr } = await check(path, '--columns', 'credential_id,imei');
    expect(code).toBe(2);
    expect(stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(
        /^auth\.password \(line 4:35\): must come from a secret manifest column such as \{password\}/,
      ),
      'verify.topic (line 5:18): must be a topic without wildcards (+ or #)',
    ]);
    expect(stdout + stderr).not.toContain('hunter2');
  });

  it('names the file when it cannot be read or parsed, exit 2', async () => {
    const missing = await check(join(dir, 'nowhere.yaml'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^\(document\): cannot read .*nowhere\.yaml \(no such file\)$/m);
    const duplicate = await check(join(dir, 'duplicate.json'));
    expect(duplicate.code).toBe(2);
    expect(duplicate.stderr).toMatch(/^\(document\) \(line 3:3\): not valid YAML or JSON: Map keys must be unique/m);
  });
});
