import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddedBrokerHosts } from '../app/virtual-fleet';
import { startEmbeddedBroker, type EmbeddedBroker } from '../broker/embedded';
import { startVirtualFleet, type VirtualFleet } from '../emulator/pty-module';
import { PROVISION_STEPS } from '../provisioning/batch';
import { openSqliteStore } from '../store';
import { startPtyUnit, type PtyUnit } from '../testing/pty-unit';
import { cliScript } from '../testing/station-cli';

/**
 * `fleet-station provision` as production lines run it: a child process, its exit code and its output lines,
 * on in-process virtual modules (--virtual) and on virtual modules behind real pseudo-terminals (--port).
 */

const repo = fileURLToPath(new URL('../../', import.meta.url));
const bin = cliScript();
const demo = join(repo, 'profiles/demo/demo.yaml');
const demoManifest = join(repo, 'profiles/demo/manifest.csv');

interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the command; `onLine` sees each stdout line as it comes (and may signal the process). */
function provision(
  args: readonly string[],
  onLine?: (line: string, child: ReturnType<typeof spawn>) => void,
): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, 'provision', ...args], {
      cwd: repo,
      env: { ...process.env, FLEET_STATION_DATA: '', FLEET_TEST_OBSERVER_PASSWORD: '' },
    });
    let stdout = '';
    let stderr = '';
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) onLine?.(line, child);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'provision-cli-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('fleet-station provision --virtual N', () => {
  it('provisions the demo in one command: --json lines for every step, a summary, the report, exit 0', async () => {
    const dataDir = join(scratch, 'demo');
    const report = join(scratch, 'demo.csv');
    const result = await provision([
      '--profile',
      demo,
      '--manifest',
      demoManifest,
      '--virtual',
      '4',
      '--data-dir',
      dataDir,
      '--report',
      report,
      '--station',
      'line-a-1',
      '--operator',
      'Ann',
      '--work-order',
      'WO-77',
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const events = jsonLines(result.stdout);
    expect(events[0]).toMatchObject({ type: 'run', station: 'line-a-1', operator: 'Ann', workOrder: 'WO-77' });
    const runId = events[0]?.runId;
    const steps = events.filter((e) => e.type === 'step');
    for (let unit = 0; unit < 4; unit++) {
      const mine = steps.filter((e) => e.moduleId === `virtual:${unit}`);
      // Every step reported when it starts (running) and when it ends; upload and sslcfg never run (plain TCP).
      expect(mine.filter((e) => e.status !== 'running').map((e) => e.step)).toEqual([...PROVISION_STEPS]);
      expect(mine.filter((e) => e.status === 'running').map((e) => e.step)).toEqual(
        PROVISION_STEPS.filter((step) => step !== 'upload' && step !== 'sslcfg'),
      );
    }
    expect(steps.every((e) => e.runId === runId)).toBe(true);
    const units = events.filter((e) => e.type === 'unit');
    expect(units.map((u) => u.result)).toEqual(['pass', 'pass', 'pass', 'pass']);
    expect(units.every((u) => typeof u.roundTripMs === 'number' && typeof u.credentialId === 'string')).toBe(true);
    const summary = events.at(-1);
    expect(summary).toMatchObject({
      type: 'summary',
      runId,
      total: 4,
      passed: 4,
      failed: 0,
      cancelled: 0,
      report,
      reportRows: 4,
      exitCode: 0,
    });
    const rows: Record<string, string>[] = parse(await readFile(report), { bom: true, columns: true });
    expect(rows.map((row) => [row.station, row.operator, row.work_order, row.run_id, row.result])).toEqual(
      Array.from({ length: 4 }, () => ['line-a-1', 'Ann', 'WO-77', runId, 'pass']),
    );
    // Nothing of a credential's secret reaches the output.
    const passwords = (await readFile(demoManifest, 'utf8'))
      .split('\n')
      .slice(1, 5)
      .map((l) => l.split(',')[1] ?? '');
    for (const password of passwords) expect(result.stdout + result.stderr).not.toContain(password);
  });

  it('exits 1 when a unit fails, printing the unit, the step and why; --retry-failed then reruns only it', async () => {
    const dataDir = join(scratch, 'short');
    const manifest = join(scratch, 'two.csv');
    await writeFile(manifest, 'credential_id,password\nshort-1,short-password-1\nshort-2,short-password-2\n');
    const first = await provision(['--profile', demo, '--manifest', manifest, '--virtual', '3', '--data-dir', dataDir]);
    expect(first.code, first.stderr).toBe(1);
    expect(first.stdout).toMatch(/3 unit\(s\): 2 passed, 1 failed, 0 cancelled/);
    const failure = /FAIL (virtual:\d) (\d{15}) at credential: pool exhausted[^\n]*\[failed\]/.exec(first.stdout);
    expect(failure, first.stdout).not.toBeNull();
    const runId = /provision: run ([0-9a-f-]{36})/.exec(first.stdout)?.[1] ?? '';

    const more = join(scratch, 'three.csv');
    await writeFile(more, `${await readFile(manifest, 'utf8')}short-3,short-password-3\n`);
    const retry = await provision([
      '--profile',
      demo,
      '--manifest',
      more,
      '--virtual',
      '3',
      '--data-dir',
      dataDir,
      '--retry-failed',
      runId,
      '--json',
    ]);
    expect(retry.code, retry.stderr).toBe(0);
    const events = jsonLines(retry.stdout);
    expect(events[0]).toMatchObject({ type: 'run', retryOf: runId });
    expect(events.filter((e) => e.type === 'unit').map((u) => [u.moduleId, u.imei, u.result])).toEqual([
      [failure?.[1], failure?.[2], 'pass'],
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'summary', total: 1, passed: 1, retryOf: runId });

    const store = await openSqliteStore({ dataDir });
    try {
      const units = await store.history.units({ since: 0 });
      const first = units.filter((u) => u.run.id === runId);
      const retried = units.filter((u) => u.run.id !== runId);
      expect(first.map((u) => u.result).sort()).toEqual(['fail', 'pass', 'pass']);
      expect(retried.map((u) => [u.imei, u.result, u.run.retryOf])).toEqual([[failure?.[2], 'pass', runId]]);
      expect(first.find((u) => u.result === 'fail')?.imei).toBe(failure?.[2]);
    } finally {
      await store.close();
    }
  });

  it('cancels the run on SIGINT: exit 1, the run recorded cancelled', async () => {
    const dataDir = join(scratch, 'sigint');
    let sent = false;
    const result = await provision(
      ['--profile', demo, '--manifest', demoManifest, '--virtual', '2', '--data-dir', dataDir, '--json'],
      (line, child) => {
        if (!sent && line.includes('"step":"precheck"')) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    );
    expect(result.code).toBe(1);
    const summary = jsonLines(result.stdout).at(-1);
    expect(summary).toMatchObject({ type: 'summary', exitCode: 1 });
    expect(Number(summary?.cancelled)).toBeGreaterThan(0);
    const store = await openSqliteStore({ dataDir });
    try {
      expect(await store.history.run(String(summary?.runId))).toMatchObject({ state: 'cancelled' });
    } finally {
      await store.close();
    }
  });
});

describe('fleet-station provision --port (real pseudo-terminals)', () => {
  let broker: EmbeddedBroker;
  let fleet: VirtualFleet;

  beforeAll(async () => {
    broker = await startEmbeddedBroker();
    fleet = await startVirtualFleet({
      count: 2,
      hostMap: new Map(embeddedBrokerHosts.map((name) => [name, { host: broker.host, port: broker.port }])),
      bootDelayMs: 20,
      faults: (index) => (index === 1 ? { silentCloseAfterDisc: true } : undefined),
    });
  });
  afterAll(async () => {
    await fleet.close();
    await broker.close();
  });

  it('provisions units on ptys, printing plain lines that name each unit', async () => {
    const ports = fleet.modules.flatMap((m) => ['--port', m.path]);
    const result = await provision([
      '--profile',
      demo,
      '--manifest',
      demoManifest,
      ...ports,
      '--data-dir',
      join(scratch, 'pty'),
    ]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    for (const module of fleet.modules) {
      const label = `[${module.path} ${module.module.identity.imei}]`;
      for (const step of ['identify', 'connect', 'receive', 'close']) {
        expect(result.stdout).toContain(`${label} ${step} passed`);
      }
      expect(result.stdout).toMatch(new RegExp(`\\[${module.path.replace(/[/.]/g, '\\$&')} \\d{15}\\] PASS in`));
    }
    expect(result.stdout).toMatch(/2 unit\(s\): 2 passed, 0 failed, 0 cancelled/);
  });
});

describe('bad input: exit 2, reported before any module is touched', () => {
  let unit: PtyUnit;
  beforeAll(async () => {
    unit = await startPtyUnit({ bootDelayMs: 5 });
  });
  afterAll(async () => {
    await unit.close();
  });

  const badProfile = async (): Promise<string> => {
    const file = join(scratch, 'bad.yaml');
    await writeFile(file, (await readFile(demo, 'utf8')).replace('keepalive: 60', 'keepalive: 7200'));
    return file;
  };
  const badManifest = async (): Promise<string> => {
    const file = join(scratch, 'bad.csv');
    await writeFile(file, 'credential_id,password\nx-1,"unclosed\n');
    return file;
  };
  const observed = async (): Promise<string> => {
    const file = join(scratch, 'observed.yaml');
    await writeFile(
      file,
      (await readFile(demo, 'utf8')).replace(
        'qos: 1',
        'qos: 1\n  observer:\n    username: station\n    password_env: FLEET_TEST_OBSERVER_PASSWORD',
      ),
    );
    return file;
  };

  const cases: readonly { name: string; args: () => Promise<string[]>; message: RegExp }[] = [
    {
      name: 'a profile with a bad field',
      args: async () => ['--profile', await badProfile()],
      message: /mqtt\.keepalive.*0-3600/,
    },
    {
      name: 'a missing profile',
      args: () => Promise.resolve(['--profile', join(scratch, 'none.yaml')]),
      message: /not usable/,
    },
    {
      name: 'a broken manifest',
      args: async () => ['--profile', demo, '--manifest', await badManifest()],
      message: /the manifest .* has 1 problem/,
    },
    {
      name: "the observer's password not set",
      args: async () => ['--profile', await observed()],
      message: /FLEET_TEST_OBSERVER_PASSWORD is not set/,
    },
    {
      name: 'an unknown run to retry',
      args: () => Promise.resolve(['--profile', demo, '--retry-failed', 'no-such-run']),
      message: /--retry-failed: no run no-such-run/,
    },
    {
      name: 'two unit sources',
      args: () => Promise.resolve(['--profile', demo, '--virtual', '2']),
      message: /exactly one of --port PATH \(repeatable\), --all or --virtual N/,
    },
    {
      name: 'a port that does not exist',
      args: () => Promise.resolve(['--profile', demo, '--port', join(scratch, 'no-such-tty')]),
      message: /no-such-tty: no such device/,
    },
  ];

  it.each(cases)('$name', async ({ args, message }) => {
    const before = unit.received().length;
    const result = await provision([
      ...(await args()),
      '--port',
      unit.path,
      '--data-dir',
      join(scratch, 'bad-input'),
      '--json',
    ]);
    expect(result.code, result.stdout + result.stderr).toBe(2);
    const [error] = jsonLines(result.stdout);
    expect(error).toMatchObject({ type: 'error', exitCode: 2 });
    expect(`${String(error?.error)} ${JSON.stringify(error?.problems)}`).toMatch(message);
    expect(result.stderr).toMatch(/^fleet-station provision: /);
    expect(unit.received().slice(before)).toBe('');
  });

  it('an unknown flag is bad input too', async () => {
    const result = await provision(['--profile', demo, '--virtual', '1', '--colour']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown option '--colour'/);
  });
});
