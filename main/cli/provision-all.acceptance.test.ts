import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLine, type Line } from '../testing/line';
import { startPtyUnit, type PtyUnit } from '../testing/pty-unit';
import { secretsIn, secretsUnder } from '../testing/secrets-scan';
import { jsonLines, runCli } from '../testing/station-cli';

/**
 * Issue 10's `provision --all`: every USB serial port present, found the way the station finds them when udev
 * cannot be asked (a container): ttyUSB<n> / ttyACM<n> in the device folder. The test's device folder is a temp
 * one (FLEET_STATION_DEV_DIR), holding the line's units as ttyUSB0-2 next to a serial port of another kind
 * (ttyS0, a module that must not be touched) and the modules' own pty ends (`ttyUSB0.module`). udev is asked too,
 * as in production: on this machine it lists only the PC's own UART (/dev/ttyS0), which `--all` must leave alone.
 * No secret of the line appears in the output, the report or the data directory.
 */

let line: Line;
let other: PtyUnit;

beforeAll(async () => {
  line = await startLine({ count: 3, usbNames: true });
  other = await startPtyUnit({ index: 7, path: join(line.devDir ?? '', 'ttyS0') });
  await other.module.whenReady();
}, 60_000);

afterAll(async () => {
  await other.close();
  await line.stop();
});

describe('fleet-station provision --all', () => {
  it('provisions every USB serial port of the device folder, and nothing else', async () => {
    const report = join(line.dir, 'all.csv');
    expect(line.ports).toEqual([0, 1, 2].map((n) => join(line.devDir ?? '', `ttyUSB${n}`)));
    const result = await runCli(
      [
        'provision',
        '--profile',
        line.profile,
        '--manifest',
        line.manifest,
        '--all',
        '--data-dir',
        line.dataDir,
        '--report',
        report,
        '--json',
      ],
      { env: { FLEET_STATION_DEV_DIR: line.devDir ?? '' } },
    );
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const events = jsonLines(result.stdout);
    expect(events[0]?.units).toEqual(
      line.units.map((unit) => ({ moduleId: unit.path, port: unit.path, imei: unit.identity.imei })),
    );
    expect(
      events
        .filter((e) => e.type === 'unit')
        .map((u) => [u.port, u.imei, u.result])
        .sort(),
    ).toEqual(line.units.map((unit) => [unit.path, unit.identity.imei, 'pass']).sort());
    expect(events.at(-1)).toMatchObject({ type: 'summary', total: 3, passed: 3, report, reportRows: 3, exitCode: 0 });
    expect(other.receivedBytes()).toBe(0);
    expect(secretsIn('output', Buffer.from(result.stdout + result.stderr), line.secrets)).toEqual([]);
    expect(secretsUnder(line.dataDir, line.secrets)).toEqual([]);
    expect(secretsIn(report, await readFile(report), line.secrets)).toEqual([]);
  }, 60_000);
});
