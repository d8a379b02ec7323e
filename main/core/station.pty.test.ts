import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ModuleInfo } from '../../shared/contract';
import * as commands from '../at/commands';
import { AtEngine } from '../at/engine';
import { PROBES } from '../at/engine/probes';
import { ParserPool } from '../at/worker/pool';
import { startPtyUnit, type PtyUnit } from '../testing/pty-unit';
import { SerialTransport } from '../transport/serial';
import { PortWatcher } from './port-watch';
import type { Script } from './script';
import { Station } from './station';
import { waitForModule } from './wait-for';

// The station core on real parts: virtual modules behind socat pseudo-terminals opened with serialport, AT engines
// parsing in the worker pool, the bytes each module received checked as they went over the wire.

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setUp(options: { bootDelayMs?: number; identifyRetry?: { firstMs: number; maxMs: number } } = {}) {
  const pool = new ParserPool();
  cleanups.push(() => pool.dispose());
  const unit = await startPtyUnit({ bootDelayMs: options.bootDelayMs ?? 20 });
  cleanups.push(() => unit.close());
  const station = new Station({
    openEngine: (transport) => new AtEngine({ transport, parser: pool.open(transport.id) }),
    ...(options.identifyRetry === undefined ? {} : { identifyRetry: options.identifyRetry }),
  });
  cleanups.push(() => station.dispose());
  return { unit, station };
}

/** The command lines the module received, in order (CR-terminated; the payload-free commands of these tests). */
function commandLines(unit: PtyUnit): string[] {
  return unit
    .received()
    .split('\r')
    .filter((line) => line.length > 0);
}

describe('one unit, many talkers (issue 7 acceptance)', () => {
  it('never interleaves two console commands, identification and a script on the wire, and keeps the states right', async () => {
    // A slow boot keeps identification running while the others queue up behind it.
    const { unit, station } = await setUp({ bootDelayMs: 400 });
    const seen: ModuleInfo[] = [];
    station.on('moduleChanged', (m) => seen.push(m));
    station.attach(await SerialTransport.open({ path: unit.path }));
    await waitForModule(station, unit.path, (m) => m.connection === 'identifying');

    interface Found {
      readonly keepalive?: string;
      readonly version?: string;
    }
    const settings: Script<Found> = {
      name: 'settings',
      steps: [
        {
          name: 'set',
          timeoutMs: 5_000,
          requests: () => [
            commands.qmtcfg(0, { name: 'keepalive', seconds: 60 }),
            commands.qmtcfgQuery(0, 'keepalive'),
          ],
          found: (answers) => ({ keepalive: JSON.stringify(answers[1]) }),
        },
        {
          name: 'read',
          timeoutMs: 5_000,
          run: async (ctx) => ({ version: JSON.stringify(await ctx.at(commands.qmtcfgQuery(0, 'version'))) }),
        },
      ],
    };
    // Console A during identification, then the script and console B at once.
    const consoleA = station.sendAt(unit.path, 'AT+CSQ');
    const script = station.runScript<Found>(settings, { moduleIds: [unit.path], input: () => ({}) });
    const consoleB = station.sendAt(unit.path, 'AT+CGSN');
    const [a, run, b] = await Promise.all([consoleA, script.done, consoleB]);

    // Each got its own answer.
    expect(a.ok && a.value.verdict).toBe('ok');
    expect(a.ok && a.value.fields.map((f) => f.label)).toEqual(['RSSI', 'Bit error rate']);
    expect(b.ok && b.value.fields).toEqual([{ label: 'IMEI', value: unit.module.identity.imei }]);
    const [result] = run.units;
    expect(result?.result).toBe('pass');
    expect(result?.state.keepalive).toMatch(/"keepalive".*:60\b/);
    expect(result?.state.version).toMatch(/"version".*:3\b/);
    expect(result?.steps.map((s) => [s.step, s.status])).toEqual([
      ['set', 'passed'],
      ['read', 'passed'],
    ]);
    // Each step's transcript slice holds its own commands only.
    expect(result?.steps[0]?.transcript.filter((l) => l.dir === 'tx').map((l) => l.text)).toEqual([
      'AT+QMTCFG="keepalive",0,60',
      'AT+QMTCFG="keepalive",0',
    ]);
    expect(result?.steps[1]?.transcript.filter((l) => l.dir === 'tx').map((l) => l.text)).toEqual([
      'AT+QMTCFG="version",0',
    ]);

    // On the wire: identification's probes (the engine's resynchronising probes and the boot `AT`) and reads,
    // then A, then the script's three commands and B (in either order: both asked at once), with nothing of one
    // holder between the lines of another.
    const lines = commandLines(unit);
    const probes = lines.findIndex((line) => line !== 'AT' && !PROBES.includes(line));
    expect(probes).toBeGreaterThan(0);
    expect(lines.slice(probes, probes + 5)).toEqual(['ATI', 'AT+CGSN', 'AT+QCCID', 'AT+CIMI', 'AT+CSQ']);
    const scriptLines = ['AT+QMTCFG="keepalive",0,60', 'AT+QMTCFG="keepalive",0', 'AT+QMTCFG="version",0'];
    expect([
      [...scriptLines, 'AT+CGSN'],
      ['AT+CGSN', ...scriptLines],
    ]).toContainEqual(lines.slice(probes + 5));

    // The states stayed right throughout: identifying only under identification's lease, a console command or the
    // script only on an identified unit, and the script's steps shown as they ran.
    const mine = seen.filter((m) => m.id === unit.path);
    for (const m of mine) {
      if (m.activity.kind === 'console' || (m.activity.kind === 'script' && m.activity.script === 'settings')) {
        expect(m.connection).toBe('ready');
        expect(m.state).toBe('busy');
      }
      // Identification applies what it found before it lets go of the lease: `ready` may show for its last moment.
      if (m.activity.kind === 'script' && m.activity.script === 'identify') {
        expect(['identifying', 'ready']).toContain(m.connection);
      }
      expect(['attached', 'identifying', 'ready']).toContain(m.connection);
    }
    const steps = mine.flatMap((m) =>
      m.activity.kind === 'script' && m.activity.script === 'settings' && m.activity.step !== null
        ? [m.activity.step]
        : [],
    );
    expect([...new Set(steps)]).toEqual(['set', 'read']);
    expect(mine.some((m) => m.activity.kind === 'console')).toBe(true);
    expect(mine.some((m) => m.waiting >= 2)).toBe(true);
    const last = station.get(unit.path);
    expect(last).toMatchObject({ connection: 'ready', state: 'ready', activity: { kind: 'idle' }, waiting: 0 });
    expect(last?.imei).toBe(unit.module.identity.imei);
  });
});

describe('named ports', () => {
  it('are listed in the order they were given, whichever of them opens first', async () => {
    const { unit: first, station } = await setUp();
    const second = await startPtyUnit({ bootDelayMs: 20 });
    cleanups.push(() => second.close());
    let secondOpened = (): void => undefined;
    const secondDone = new Promise<void>((resolve) => (secondOpened = resolve));
    const watcher = new PortWatcher(station, {
      paths: [first.path, second.path],
      scan: false,
      open: async (path) => {
        const transport = await SerialTransport.open({ path });
        // The first port's open completes only after the second's has.
        if (path === second.path) secondOpened();
        else await secondDone;
        return transport;
      },
    });
    cleanups.push(() => watcher.dispose());
    await watcher.start();
    expect(station.list().map((m) => m.port)).toEqual([first.path, second.path]);
  });
});

describe('units that go and come back (issue 8 item 7)', () => {
  it('marks an unplugged unit gone and re-attaches and re-identifies it when its path returns', async () => {
    const { unit, station } = await setUp();
    const watcher = new PortWatcher(station, {
      paths: [unit.path],
      scan: false,
      intervalMs: 50,
      open: (path) => SerialTransport.open({ path, presenceCheckMs: 50 }),
    });
    cleanups.push(() => watcher.dispose());
    await watcher.start();
    const first = await waitForModule(station, unit.path, (m) => m.connection === 'ready');
    expect(first.imei).toBe(unit.module.identity.imei);

    await unit.unplug();
    const gone = await waitForModule(station, unit.path, (m) => m.connection === 'gone');
    expect(gone.state).toBe('disconnected');
    expect(gone.problem).toMatch(/went away|vanished/);
    const refused = await station.sendAt(unit.path, 'AT');
    expect(refused.ok ? 'ok' : refused.error.code).toBe('module-unavailable');

    await unit.replug();
    const back = await waitForModule(station, unit.path, (m) => m.connection === 'ready');
    expect(back.imei).toBe(unit.module.identity.imei);
    expect(back.problem).toBeNull();
    const answer = await station.sendAt(unit.path, 'AT+CGSN');
    expect(answer.ok && answer.value.fields).toEqual([{ label: 'IMEI', value: unit.module.identity.imei }]);
    expect(station.list()).toHaveLength(1);
  });

  it('with --all, attaches USB serial ports as they appear, without udevadm (a container)', async () => {
    const { unit, station } = await setUp();
    const root = await mkdtemp(join(tmpdir(), 'fleet-dev-'));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const devDir = join(root, 'dev');
    const noUdev = join(root, 'bin');
    await mkdir(devDir);
    await mkdir(noUdev);
    const fallbacks: string[] = [];
    // Told of every listing: each scan asks udev (udevEveryMs 0) and falls back to the device folder, udevadm missing.
    let onListing: (() => void) | null = null;
    const watcher = new PortWatcher(station, {
      paths: [],
      scan: true,
      intervalMs: 50,
      udevEveryMs: 0,
      open: (path) => SerialTransport.open({ path, presenceCheckMs: 50 }),
      listing: {
        devDir,
        env: { PATH: noUdev },
        onFallback: (reason) => {
          fallbacks.push(reason);
          onListing?.();
        },
      },
    });
    cleanups.push(() => watcher.dispose());
    await watcher.start();
    expect(station.list()).toEqual([]);
    // The module's port appears as /dev/ttyUSB0 would.
    const port = join(devDir, 'ttyUSB0');
    await symlink(unit.path, port);
    const ready = await waitForModule(station, port, (m) => m.connection === 'ready');
    expect(ready.imei).toBe(unit.module.identity.imei);
    expect(fallbacks[0]).toMatch(/udev port listing failed/);

    await unit.unplug();
    await waitForModule(station, port, (m) => m.connection === 'gone');
    // Its link is left dangling (as a udev symlink can be): the unit stays gone through whole scans, it is not
    // opened and failed on each (that put it in error, with a growing delay before the next try).
    await new Promise<void>((resolve) => {
      let listings = 3;
      onListing = () => {
        if (--listings > 0) return;
        onListing = null;
        resolve();
      };
    });
    expect(station.get(port)?.connection).toBe('gone');
    await unit.replug();
    const back = await waitForModule(station, port, (m) => m.connection === 'ready');
    expect(back.imei).toBe(unit.module.identity.imei);
  });

  it('identifies again, with a growing delay, a unit whose identification failed', async () => {
    const { unit, station } = await setUp({ identifyRetry: { firstMs: 200, maxMs: 1_000 } });
    // The module refuses AT+CGSN at first: identification fails after its own retries.
    unit.module.setFaults({ errorOn: ['+CGSN'] });
    station.attach(await SerialTransport.open({ path: unit.path }));
    const failed = await waitForModule(station, unit.path, (m) => m.connection === 'error');
    expect(failed.problem).toMatch(/^Identification failed at identity: /);
    expect(failed.imei).toBeNull();
    // The fault clears; the station tries again by itself.
    unit.module.setFaults({});
    const ready = await waitForModule(station, unit.path, (m) => m.connection === 'ready');
    expect(ready.imei).toBe(unit.module.identity.imei);
    expect(ready.problem).toBeNull();
  });

  it('identifies a unit under line noise (--fault garbage=150) with its real IMEI', async () => {
    const { unit, station } = await setUp({ identifyRetry: { firstMs: 200, maxMs: 1_000 } });
    const noise = setInterval(() => unit.module.injectGarbage(), 150);
    cleanups.push(() => clearInterval(noise));
    station.attach(await SerialTransport.open({ path: unit.path }));
    const ready = await waitForModule(station, unit.path, (m) => m.connection === 'ready', 60_000);
    expect(ready.imei).toBe(unit.module.identity.imei);
    expect(ready.iccid).toBe(unit.module.identity.iccid);
    expect(ready.model).toBe(unit.module.identity.model);
  }, 90_000);
});
