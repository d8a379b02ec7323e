import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

/** `fleet-station decode` as production lines run it: a child process, exit codes, stdout. */

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(repo, 'bin/fleet-station.mjs');
const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'decode-cli-'));

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function decode(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, 'decode', ...args], { cwd: repo });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

describe('fleet-station decode', () => {
  it('--json prints one event object per line with kind, name, raw and decoded fields', async () => {
    const result = await decode(fixture('bracket-dated.log'), '--json');
    expect(result.code).toBe(0);
    const events = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events.length).toBeGreaterThan(20);
    for (const event of events) {
      expect(['command', 'response', 'final', 'urc', 'prompt', 'data', 'unknown']).toContain(event.kind);
      expect(event).toHaveProperty('name');
      expect(typeof event.raw).toBe('string');
    }
    expect(events.find((e) => e.name === '+QMTSTAT')).toMatchObject({
      kind: 'urc',
      raw: '+QMTSTAT: 0,1',
      decoded: { params: ['0', '1'], known: true },
      howTo: 'Execute AT+QMTOPEN command and reopen MQTT connection.',
    });
    expect(result.stdout).not.toContain('Pa55w0rd!');
    expect(result.stdout).not.toContain('SuperSecretKeyMaterial');
  });

  it('prints the annotated timeline by default', async () => {
    const result = await decode(fixture('iso-arrows.log'));
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      'AT+QMTOPEN=1,"mqtts.heclouds.com",1883   [FAILED: OK in 10 ms, +QMTOPEN: 1,-1 after 30.0 s]',
    );
    expect(result.stdout).toContain('6 commands (1 failed), 8 URCs, 0 unrecognised lines.');
    expect(result.stdout).not.toContain('bXlTZWNyZXRBY2Nlc3NLZXk');
  });

  it('reads the log from stdin with -', async () => {
    const child = spawn(process.execPath, [bin, 'decode', '-', '--json'], { cwd: repo });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.stdin.end('AT+QMTCONN=0,"c","u","hunter2"\r\nOK\r\n\r\n+QMTCONN: 0,0,5\r\n');
    expect(await exited).toBe(0);
    const events = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { kind: string; outcome?: { ok?: boolean } });
    expect(events.map((e) => e.kind)).toEqual(['command', 'final', 'urc']);
    expect(events[0]?.outcome?.ok).toBe(false);
    expect(stdout).not.toContain('hunter2');
  });

  it('a missing file is a clear error with exit code 2, not a crash', async () => {
    const result = await decode(join(scratch, 'nope.log'));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('cannot read');
    expect(result.stderr).toContain('ENOENT');
    expect(result.stderr).not.toContain('    at ');
  });

  it('an empty or binary file still decodes', async () => {
    const empty = join(scratch, 'empty.log');
    writeFileSync(empty, '');
    expect(await decode(empty)).toMatchObject({
      code: 0,
      stdout: '\n0 commands (0 failed), 0 URCs, 0 unrecognised lines.\n',
    });
    const binary = join(scratch, 'binary.log');
    writeFileSync(
      binary,
      Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256),
    );
    const result = await decode(binary, '--json');
    expect(result.code).toBe(0);
    expect(result.stdout.length).toBeGreaterThan(0);
  });
  it('never prints secrets from lines it cannot classify, in --json or text output', async () => {
    const log = join(scratch, 'leaky.log');
    writeFileSync(
      log,
      [
        '  AT+QMTCONN=0,"c","u","pwA1234"',
        '12:00:00.123 --> AT+QMTCONN=0,"c","u","pwArrow89"',
        '2024-01-01 12:00:00.123 [COM3] > AT+QMTCONN=0,"c","u","pwPort321"',
        'AT+CPIN="4711"',
        '-----BEGIN EC PRIVATE KEY-----',
        '//8AAAkeyLineSecret',
        '-----END EC PRIVATE KEY-----',
        '',
      ].join('\n'),
    );
    for (const args of [[log, '--json'], [log]]) {
      const result = await decode(...args);
      expect(result.code).toBe(0);
      for (const secret of ['pwA1234', 'pwArrow89', 'pwPort321', '4711', 'AAAkeyLineSecret']) {
        expect(result.stdout).not.toContain(secret);
      }
    }
  });
});
