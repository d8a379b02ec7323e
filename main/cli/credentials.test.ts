import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../store';
import { testImei } from '../store/fixtures/rows';
import { findSecrets } from '../store/fixtures/scan';
import { cliScript } from '../testing/station-cli';

/** `fleet-station credentials` as production lines run it: child processes, exit codes, stdout/stderr. */

const repo = fileURLToPath(new URL('../../', import.meta.url));
const bin = cliScript();
const scratch = mkdtempSync(join(tmpdir(), 'credentials-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function cli(args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, 'credentials', ...args],
      { cwd: repo, env: { ...process.env, ...env } },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const SECRETS = ['Sup3r-Secret-One', 'Sup3r-Secret-Two', 'DeviceSecret-Reserved', 'Corrected-Secret-9'];

function manifest(name: string, text: string): string {
  const file = join(scratch, name);
  writeFileSync(file, text);
  return file;
}

const good = (secretOne = SECRETS[0]): string =>
  'credential_id,imei,device_name,password,device_secret\r\n' +
  `pool-1,,dev-1,${secretOne},\r\n` +
  `pool-2,,dev-2,${SECRETS[1]},\r\n` +
  `,${testImei(7)},unit-7,,${SECRETS[2]}\r\n`;

function parse(stdout: string): Record<string, unknown> {
  const value: unknown = JSON.parse(stdout);
  if (typeof value !== 'object' || value === null) throw new Error('not an object');
  return { ...value };
}

// Each command is a Node process that loads the CLI through tsx: seconds apiece on a loaded machine.
describe('fleet-station credentials', { timeout: 120_000 }, () => {
  it('imports a manifest idempotently, lists it without secrets, and corrects an assigned one only with --replace', async () => {
    const dataDir = join(scratch, 'station-a');
    const file = manifest('good.csv', good());

    const first = await cli(['import', file, '--data-dir', dataDir, '--json']);
    expect(first.code).toBe(0);
    expect(parse(first.stdout)).toMatchObject({
      ok: true,
      added: ['pool-1', 'pool-2', testImei(7)],
      unchanged: [],
      counts: { free: 2, reserved: 1, assigned: 0 },
    });

    const again = await cli(['import', file, '--data-dir', dataDir]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('0 added, 3 unchanged, 0 updated, 0 replaced');

    // The line assigns a credential (the batch's claim), then the corrected file arrives.
    const store = await openSqliteStore({ dataDir });
    await store.ledger.claim(testImei(1));
    await store.close();

    const corrected = manifest('corrected.csv', good(SECRETS[3]));
    const refused = await cli(['import', corrected, '--data-dir', dataDir]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('nothing was imported');
    expect(refused.stderr).toMatch(
      new RegExp(`line 2, column password: credential pool-1 is already assigned to unit ${testImei(1)}.*--replace`),
    );

    const replaced = await cli(['import', corrected, '--data-dir', dataDir, '--replace']);
    expect(replaced.code).toBe(0);
    expect(replaced.stdout).toContain(`replaced pool-1 (line 2): password; stays assigned to ${testImei(1)}`);

    const [list, text] = await Promise.all([
      cli(['list', '--data-dir', dataDir, '--json']),
      cli(['list', '--data-dir', dataDir]),
    ]);
    expect(list.code).toBe(0);
    const listed = parse(list.stdout);
    expect(listed.counts).toEqual({ free: 1, reserved: 1, assigned: 1, total: 3 });
    expect(listed.credentials).toEqual([
      {
        id: 'pool-1',
        state: 'assigned',
        imei: testImei(1),
        reserved: false,
        assignedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$/) as unknown,
      },
      { id: 'pool-2', state: 'free', imei: null, reserved: false, assignedAt: null },
      { id: testImei(7), state: 'reserved', imei: testImei(7), reserved: true, assignedAt: null },
    ]);
    expect(text.stdout).toMatch(
      /^Credentials in .*: 1 free, 1 reserved, 1 assigned \(3 in all\)\.\nID +STATE +IMEI +ASSIGNED AT\n/,
    );

    for (const output of [first, again, refused, replaced, list, text]) {
      for (const secret of SECRETS) expect(output.stdout + output.stderr).not.toContain(secret);
    }
    expect(findSecrets(dataDir, SECRETS)).toEqual([]);
  });

  it('refuses a bad manifest with every problem named and imports nothing (exit 2)', async () => {
    const dataDir = join(scratch, 'station-b');
    const file = manifest(
      'bad.csv',
      'credential_id,imei,password\n' +
        `a,,${SECRETS[0]}\n` +
        `a,,x\n` +
        `b,123456789012345,y\n` +
        `c,,"${SECRETS[1]}\nAT+CFUN=0"\n`,
    );
    const result = await cli(['import', file, '--data-dir', dataDir, '--json']);
    expect(result.code).toBe(2);
    const outcome = parse(result.stdout);
    expect(outcome).toMatchObject({ ok: false, error: 'the manifest has 3 problems; nothing was imported' });
    expect(outcome.problems).toEqual([
      { line: 3, column: 'credential_id', message: 'duplicate credential id a (first on line 2)' },
      { line: 4, column: 'imei', message: expect.stringMatching(/Luhn/) as unknown },
      { line: 5, column: 'password', message: expect.stringMatching(/line break/) as unknown },
    ]);
    for (const secret of SECRETS) expect(result.stdout + result.stderr).not.toContain(secret);
    const list = await cli(['list', '--json'], { FLEET_STATION_DATA: dataDir });
    expect(parse(list.stdout)).toMatchObject({ dataDir, counts: { total: 0 } });
  });

  it('with --profile, refuses a manifest without a column the profile needs, and an unusable profile (exit 2)', async () => {
    const dataDir = join(scratch, 'station-p');
    const demo = join(repo, 'profiles/demo/demo.yaml');
    // The demo profile's password comes from the `password` column.
    const missing = manifest('p.csv', `credential_id,device_name\npool-1,dev-1\n`);
    const refused = await cli(['import', missing, '--data-dir', dataDir, '--profile', demo, '--json']);
    expect(refused.code).toBe(2);
    expect(JSON.stringify(parse(refused.stdout).problems)).toMatch(/password/);
    const broken = join(scratch, 'broken.yaml');
    writeFileSync(broken, 'format: 1\nname: broken\nmqtt: { keepalive: 7200 }\n');
    const unusable = await cli(['import', manifest('p2.csv', good()), '--data-dir', dataDir, '--profile', broken]);
    expect(unusable.code).toBe(2);
    expect(unusable.stderr).toMatch(/mqtt\.keepalive.*0-3600/);
    const complete = manifest('p3.csv', `credential_id,password\npool-1,${SECRETS[0]}\n`);
    const accepted = await cli(['import', complete, '--data-dir', dataDir, '--profile', demo]);
    expect(accepted.stderr).toBe('');
    expect(accepted.code).toBe(0);
  });

  it('refuses a station key file that others can read (exit 1)', async () => {
    const dataDir = join(scratch, 'station-c');
    const file = manifest('c.csv', good());
    expect((await cli(['import', file, '--data-dir', dataDir])).code).toBe(0);
    chmodSync(join(dataDir, 'station.key'), 0o644);
    const result = await cli(['import', manifest('c2.csv', good(SECRETS[3])), '--data-dir', dataDir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/station\.key can be read or changed by other users \(mode 0644\).*chmod 600/);
  });
});
