import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { mkdtemp, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Two linked pseudo-terminals made by socat: bytes written to one come out of the other, like a null-modem cable. */
export interface PtyPair {
  /** The end the station opens. */
  readonly a: string;
  /** The far end (a test opens it to play the device). */
  readonly b: string;
  /** Kills socat: both ends and their links vanish, as a device being unplugged. Resolves when they have. */
  unplug(): Promise<void>;
  /** Unplugs (if still plugged) and removes the temporary directory. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Runs socat under a small shell guard that kills it (SIGKILL, as a pulled cable) as soon as our end of its stdin
 * pipe closes: when we unplug, and also when this process dies without cleaning up (a crashed or killed test
 * run), so no socat is ever left behind. The guard exits when socat does.
 */
const GUARD = [
  'exec 3<&0',
  'socat "$@" &',
  'pid=$!',
  '{ read -r _ <&3; kill -9 "$pid" 2>/dev/null; } &',
  'wait "$pid"',
].join('\n');

/**
 * Starts `socat pty,raw,echo=0,link=a pty,raw,echo=0,link=b` and resolves once socat reports its transfer loop,
 * i.e. once both links exist. Used by the transport and engine integration tests and the engine benchmark.
 */
export async function startPtyPair(options?: { readonly a: string; readonly b: string }): Promise<PtyPair> {
  // Given paths: the same port "comes back" after an unplug (a replug test); the links a killed socat left behind
  // are removed first, and stop() removes only the links.
  if (options !== undefined) await Promise.all([rm(options.a, { force: true }), rm(options.b, { force: true })]);
  const dir = options === undefined ? await mkdtemp(join(tmpdir(), 'fleet-pty-')) : dirname(options.a);
  const a = options?.a ?? join(dir, 'a');
  const b = options?.b ?? join(dir, 'b');
  const removeAll = async (): Promise<void> => {
    if (options === undefined) await rm(dir, { recursive: true, force: true });
    else await Promise.all([rm(a, { force: true }), rm(b, { force: true })]);
  };
  const child = spawn('sh', ['-c', GUARD, 'sh', '-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], {
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitForTransferLoop(child);
  } catch (error: unknown) {
    if (child.pid !== undefined) {
      child.stdin.end();
      await exited;
    }
    await removeAll();
    throw error;
  }
  // From here on socat's diagnostics are of no interest, but the pipe must keep draining.
  child.stderr.resume();
  const unplug = async (): Promise<void> => {
    child.stdin.end();
    await exited;
    // socat, killed, leaves its links behind, leading to pty numbers the system hands to the next pair made (another
    // test's): the paths vanish with the device, as a ttyUSB node does.
    await Promise.all([rm(a, { force: true }), rm(b, { force: true })]);
  };
  return {
    a,
    b,
    unplug,
    stop: async () => {
      await unplug();
      await removeAll();
    },
  };
}

function waitForTransferLoop(child: ChildProcessByStdio<Writable, null, Readable>): Promise<void> {
  return new Promise((resolve, reject) => {
    let log = '';
    const onData = (chunk: Buffer): void => {
      log += chunk.toString('utf8');
      if (log.includes('starting data transfer loop')) {
        child.stderr.off('data', onData);
        resolve();
      }
    };
    child.stderr.on('data', onData);
    child.once('error', (error) => reject(new Error(`cannot start socat: ${error.message}`)));
    child.once('exit', (code) =>
      reject(new Error(`socat exited (${String(code)}) before its ptys were ready: ${log}`)),
    );
  });
}
