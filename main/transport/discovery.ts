import { execFile } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';

/** A serial port the station could open. */
export interface SerialPortInfo {
  readonly path: string;
  /** Where we learnt about it: udev (rich data), a scan of the device folder (fallback), or the caller. */
  readonly source: 'udev' | 'scan' | 'explicit';
  /** False for an explicit path that does not exist (yet): listed so the caller can say so, not dropped silently. */
  readonly available: boolean;
  readonly manufacturer?: string;
  readonly serialNumber?: string;
  readonly vendorId?: string;
  readonly productId?: string;
}

export interface ListSerialPortsOptions {
  /** Paths given by the operator (pseudo-terminals, symlinks such as /dev/serial/by-id/...): always listed. */
  readonly explicitPaths?: readonly string[];
  /** The folder scanned for ttyUSB / ttyACM. Default: FLEET_STATION_DEV_DIR, else `/dev`. */
  readonly devDir?: string;
  /** Limit for the udev listing. Default 5 s. */
  readonly timeoutMs?: number;
  /** Environment of the listing child process (its PATH decides which udevadm runs). Default: this process's. */
  readonly env?: NodeJS.ProcessEnv;
  /** Told why the udev listing was not used, when the scan fallback was taken. */
  readonly onFallback?: (reason: string) => void;
  /** Ask udev (a child process). Default true; a watcher polling every second skips it between full listings. */
  readonly udev?: boolean;
  /** Scan the device folder for ttyUSB / ttyACM. Default true; false lists the explicit paths only. */
  readonly scan?: boolean;
}

/** Device names a USB modem's AT port takes on Linux (usb-serial option driver / CDC ACM). */
const SCANNED = /^tty(USB|ACM)\d+$/;

/**
 * The environment variable naming the device folder to scan instead of `/dev` (a container's mapped device
 * folder, a test's folder of pseudo-terminals named like USB serial ports).
 */
export const DEVICE_FOLDER_ENV = 'FLEET_STATION_DEV_DIR';

/** A USB serial port: udev knows its USB vendor, or it has a USB serial port's name (no udev data). */
function isUsbSerial(port: SerialPortInfo): boolean {
  return port.vendorId !== undefined || SCANNED.test(basename(port.path));
}

const udevListing = z.array(
  z.object({
    path: z.string().min(1),
    manufacturer: z.string().optional(),
    serialNumber: z.string().optional(),
    vendorId: z.string().optional(),
    productId: z.string().optional(),
  }),
);

/**
 * Lists serial ports without ever taking the process down. `SerialPort.list()` spawns `udevadm`, which may be
 * missing (it then throws or crashes, depending on the platform and version), so it runs in a child process
 * with a time limit; the device folder is scanned for ttyUSB / ttyACM in every case (see below), and explicit
 * paths are appended. Each path appears once.
 */
export async function listSerialPorts(options: ListSerialPortsOptions = {}): Promise<SerialPortInfo[]> {
  let ports: SerialPortInfo[] = [];
  const scan = options.scan ?? true;
  if (scan && (options.udev ?? true)) {
    try {
      // udev lists every serial port (a PC's own UARTs too): only USB ones can be a module's AT port.
      ports = (await listThroughUdev(options.timeoutMs ?? 5000, options.env ?? process.env)).filter(isUsbSerial);
    } catch (error: unknown) {
      options.onFallback?.(error instanceof Error ? error.message : String(error));
    }
  }
  // serialport resolves an empty list when udevadm fails or crashes (its stream ends before the exit code is
  // seen), so the scan always runs and adds what udev did not report.
  const known = new Set(ports.map((port) => port.path));
  const fromEnvironment = process.env[DEVICE_FOLDER_ENV];
  const devDir = options.devDir ?? (fromEnvironment === undefined || fromEnvironment === '' ? '/dev' : fromEnvironment);
  for (const port of scan ? await scanDeviceFolder(devDir) : []) {
    if (!known.has(port.path)) ports.push(port);
    known.add(port.path);
  }
  for (const path of options.explicitPaths ?? []) {
    if (known.has(path)) continue;
    known.add(path);
    ports.push({ path, source: 'explicit', available: await exists(path) });
  }
  return ports;
}

/** The child prints SerialPort.list() as JSON; anything else (no udevadm, a crash, a hang) is a failure. */
function listThroughUdev(timeoutMs: number, env: NodeJS.ProcessEnv): Promise<SerialPortInfo[]> {
  const serialportUrl = import.meta.resolve('serialport');
  const script =
    `import(${JSON.stringify(serialportUrl)})` +
    '.then((m) => m.SerialPort.list())' +
    '.then((ports) => process.stdout.write(JSON.stringify(ports)), (e) => { process.stderr.write(String(e && e.message)); process.exit(2); });';
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', script],
      { env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 4 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          const detail = stderr.trim() || error.message;
          reject(new Error(`udev port listing failed: ${detail.slice(0, 300)}`));
          return;
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(stdout);
        } catch {
          reject(new Error('udev port listing printed something that is not JSON'));
          return;
        }
        const listing = udevListing.safeParse(parsed);
        if (!listing.success) {
          reject(new Error(`udev port listing has an unexpected shape: ${listing.error.message}`));
          return;
        }
        resolve(
          listing.data.map((port) => ({
            path: port.path,
            source: 'udev',
            available: true,
            ...(port.manufacturer === undefined ? {} : { manufacturer: port.manufacturer }),
            ...(port.serialNumber === undefined ? {} : { serialNumber: port.serialNumber }),
            ...(port.vendorId === undefined ? {} : { vendorId: port.vendorId }),
            ...(port.productId === undefined ? {} : { productId: port.productId }),
          })),
        );
      },
    );
  });
}

async function scanDeviceFolder(devDir: string): Promise<SerialPortInfo[]> {
  let names: string[];
  try {
    names = await readdir(devDir);
  } catch {
    return [];
  }
  // A name whose device is gone (a link left dangling) is not available: its unit stays `gone` until the device is
  // back, instead of failing to open on every scan.
  const paths = names
    .filter((name) => SCANNED.test(name))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
    .map((name) => join(devDir, name));
  return Promise.all(paths.map(async (path) => ({ path, source: 'scan', available: await exists(path) })));
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
