import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listSerialPorts } from './discovery';
import { startPtyPair, type PtyPair } from './pty-pair';

let root: string;
let devDir: string;
let ptys: PtyPair;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'fleet-discovery-'));
  devDir = join(root, 'dev');
  await mkdir(devDir);
  for (const name of ['ttyUSB10', 'ttyUSB2', 'ttyUSB0', 'ttyACM0', 'ttyS0', 'null', 'ttyUSBx']) {
    await writeFile(join(devDir, name), '');
  }
  ptys = await startPtyPair();
});

afterAll(async () => {
  await ptys.stop();
  await rm(root, { recursive: true, force: true });
});

/** A PATH holding only a fake `udevadm` with this shell body (or no udevadm at all when body is null). */
async function pathWithUdevadm(name: string, body: string | null): Promise<string> {
  const bin = join(root, name);
  await mkdir(bin);
  if (body !== null) {
    await writeFile(join(bin, 'udevadm'), `#!/bin/sh\n${body}\n`);
    await chmod(join(bin, 'udevadm'), 0o755);
  }
  return bin;
}

describe('listSerialPorts', () => {
  it('falls back to scanning for ttyUSB/ttyACM when udevadm is missing, and says why', async () => {
    const reasons: string[] = [];
    const ports = await listSerialPorts({
      env: { PATH: await pathWithUdevadm('none', null) },
      devDir,
      onFallback: (reason) => reasons.push(reason),
    });
    expect(ports.map((port) => port.path)).toEqual(
      ['ttyACM0', 'ttyUSB0', 'ttyUSB2', 'ttyUSB10'].map((name) => join(devDir, name)),
    );
    expect(ports.every((port) => port.source === 'scan' && port.available)).toBe(true);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toContain('udev port listing failed');
  });

  it('lists a scanned name whose device is gone (a dangling link) as not available', async () => {
    const dir = join(root, 'dev-dangling');
    await mkdir(dir);
    await symlink(join(root, 'no-such-pty'), join(dir, 'ttyUSB0'));
    await symlink(ptys.a, join(dir, 'ttyUSB1'));
    const ports = await listSerialPorts({ env: { PATH: await pathWithUdevadm('none-dangling', null) }, devDir: dir });
    expect(ports.map(({ path, available }) => ({ path, available }))).toEqual([
      { path: join(dir, 'ttyUSB0'), available: false },
      { path: join(dir, 'ttyUSB1'), available: true },
    ]);
  });

  it('uses udev data when udevadm answers', async () => {
    const udevDb = [
      'P: /devices/pci0000:00/usb1/1-1/1-1:1.2/ttyUSB2/tty/ttyUSB2',
      'N: ttyUSB2',
      'E: DEVNAME=/dev/ttyUSB2',
      'E: ID_VENDOR_ENC=Quectel',
      'E: ID_SERIAL_SHORT=0123456789',
      'E: ID_VENDOR_ID=2c7c',
      'E: ID_MODEL_ID=0901',
      '',
      // A serial port that is not USB (a PC's UART): never a module's AT port, never listed.
      'P: /devices/pnp0/00:04/tty/ttyS0',
      'N: ttyS0',
      'E: DEVNAME=/dev/ttyS0',
      'E: SUBSYSTEM=tty',
      '',
      'P: /devices/virtual/net/lo',
      'N: lo',
      '',
    ].join('\n');
    const fake = await pathWithUdevadm('answers', `/bin/cat <<'EOF'\n${udevDb}\nEOF`);
    const reasons: string[] = [];
    const ports = await listSerialPorts({ env: { PATH: fake }, devDir, onFallback: (r) => reasons.push(r) });
    expect(reasons).toEqual([]);
    expect(ports[0]).toEqual({
      path: '/dev/ttyUSB2',
      source: 'udev',
      available: true,
      manufacturer: 'Quectel',
      serialNumber: '0123456789',
      vendorId: '2c7c',
      productId: '0901',
    });
    // The scan adds what udev did not report; udev's ttyS0 is not a USB serial port.
    expect(ports.slice(1).map((port) => port.source)).toEqual(['scan', 'scan', 'scan', 'scan']);
    expect(ports.map((port) => port.path)).not.toContain('/dev/ttyS0');
  });

  it('still finds the scanned ports when udevadm crashes (serialport then reports an empty list)', async () => {
    const fake = await pathWithUdevadm('crashes', 'kill -SEGV $$');
    const ports = await listSerialPorts({ env: { PATH: fake }, devDir });
    expect(ports.map((port) => `${port.source}:${port.path}`)).toEqual(
      ['ttyACM0', 'ttyUSB0', 'ttyUSB2', 'ttyUSB10'].map((name) => `scan:${join(devDir, name)}`),
    );
  });

  it('gives up on a udevadm that hangs, within the time limit', async () => {
    const pidFile = join(root, 'hang.pid');
    const fake = await pathWithUdevadm('hangs', `echo $$ > ${pidFile}\nexec /bin/sleep 600`);
    try {
      const reasons: string[] = [];
      const ports = await listSerialPorts({
        env: { PATH: fake },
        devDir,
        timeoutMs: 1500,
        onFallback: (r) => reasons.push(r),
      });
      expect(reasons).toHaveLength(1);
      expect(ports).toHaveLength(4);
    } finally {
      const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
      if (pid > 0) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }
  });

  it("lists this machine's ports with the default settings without throwing", async () => {
    const ports = await listSerialPorts({ explicitPaths: [ptys.a] });
    expect(ports.at(-1)).toEqual({ path: ptys.a, source: 'explicit', available: true });
    expect(new Set(ports.map((port) => port.path)).size).toBe(ports.length);
  });

  it('appends explicit paths once each, marking the ones that do not exist', async () => {
    const missing = join(root, 'not-there');
    const ports = await listSerialPorts({
      env: { PATH: await pathWithUdevadm('none2', null) },
      devDir,
      explicitPaths: [ptys.a, missing, ptys.a, join(devDir, 'ttyUSB0')],
    });
    expect(ports.filter((port) => port.source === 'explicit')).toEqual([
      { path: ptys.a, source: 'explicit', available: true },
      { path: missing, source: 'explicit', available: false },
    ]);
    expect(ports).toHaveLength(6);
  });
});
