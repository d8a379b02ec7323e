import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { generateCertificates, type TestCertificates } from './certs';
import { LogWatch } from './log-watch';
import { exited, track } from './processes';
import { runMosquittoPub, startMosquittoSub, type BrokerAddress, type Subscription } from './mosquitto-clients';

export type { PemFile, TestCertificates } from './certs';
export type { BrokerAddress, ReceivedMessage, Subscription } from './mosquitto-clients';

const MOSQUITTO = '/usr/sbin/mosquitto';
/** A guard against a broker that never comes up; readiness itself is detected from its log, not by waiting. */
const START_GUARD_MS = 15_000;

export interface MosquittoOptions {
  /** Add a TLS listener (tlsPort) using the generated CA and server certificate. */
  readonly tls?: { readonly requireCertificate: boolean };
  /** user name → password; written to a mosquitto password file (hashed by mosquitto_passwd). */
  readonly passwords?: Readonly<Record<string, string>>;
  /** Defaults to true without `passwords`, false with them. */
  readonly allowAnonymous?: boolean;
}

export interface Mosquitto extends BrokerAddress {
  /** The TLS listener's port, or 0 when no TLS listener was asked for. */
  readonly tlsPort: number;
  /** Always generated (cheap), so a plain-TCP test can still build TLS settings for a negative case. */
  readonly certs: TestCertificates;
  /** Runs `mosquitto_sub` on the plain listener; resolves once the broker has acknowledged the subscription. */
  subscribe(topic: string, qos?: 0 | 1 | 2): Promise<Subscription>;
  /** Runs `mosquitto_pub` on the plain listener; resolves when the message has been handed to the broker. */
  publish(topic: string, payload: Uint8Array | string, qos?: 0 | 1 | 2, retain?: boolean): Promise<void>;
  /** Resolves with the first broker log line matching `pattern` (logged before or after the call). */
  waitForLog(pattern: RegExp): Promise<string>;
  /**
   * Freezes the broker (SIGSTOP): the kernel still accepts TCP connections and buffers bytes, but nothing is
   * answered, as with a hung server. This is how tests get real missing CONNACK / PUBACK / PINGRESP.
   */
  pause(): void;
  resume(): void;
  /** Kills the broker with SIGKILL (no goodbye to clients), as a crash or power cut would. */
  kill(): Promise<void>;
  /** Stops the broker and every helper client, removes the temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

/** Asks the OS for a free loopback port (bind to 0, read it, release it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

async function hashPasswords(dir: string, passwords: Readonly<Record<string, string>>): Promise<string> {
  const path = join(dir, 'passwords');
  const lines = Object.entries(passwords).map(([user, password]) => `${user}:${password}\n`);
  await writeFile(path, lines.join(''), { mode: 0o600 });
  const child = spawn('/usr/bin/mosquitto_passwd', ['-U', path], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`mosquitto_passwd failed: ${stderr.trim()}`);
  return path;
}

function configText(
  port: number,
  tlsPort: number,
  options: MosquittoOptions,
  certs: TestCertificates,
  passwordFile: string | undefined,
): string {
  const anonymous = options.allowAnonymous ?? options.passwords === undefined;
  const lines = [
    `user ${userInfo().username}`,
    'per_listener_settings false',
    `allow_anonymous ${anonymous ? 'true' : 'false'}`,
    'persistence false',
    'log_dest stderr',
    // Everything, including each packet received and sent: tests wait on these lines (see LogWatch).
    'log_type all',
    `listener ${port} 127.0.0.1`,
  ];
  if (passwordFile !== undefined) lines.push(`password_file ${passwordFile}`);
  if (options.tls !== undefined) {
    lines.push(
      `listener ${tlsPort} 127.0.0.1`,
      `cafile ${certs.caPem.path}`,
      `certfile ${certs.serverCert.path}`,
      `keyfile ${certs.serverKey.path}`,
      `require_certificate ${options.tls.requireCertificate ? 'true' : 'false'}`,
    );
  }
  return lines.join('\n') + '\n';
}

/** Starts the broker and resolves once it logs that it is running; rejects with its log if it exits first. */
function launch(configPath: string): Promise<{ child: ChildProcess; log: LogWatch }> {
  return new Promise((resolve, reject) => {
    const child = spawn(MOSQUITTO, ['-c', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    track(child);
    const log = new LogWatch(child.stderr);
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mosquitto did not start: ${log.text.trim()}`));
    }, START_GUARD_MS);
    void log.waitFor(/mosquitto version \S+ running/).then(() => {
      clearTimeout(guard);
      resolve({ child, log });
    });
    child.once('error', (error) => {
      clearTimeout(guard);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(guard);
      reject(new Error(`mosquitto exited (${code ?? 'signal'}) before it was ready: ${log.text.trim()}`));
    });
  });
}

/**
 * Starts a real Mosquitto on free loopback ports with a generated config and certificates in a temp dir.
 * A port taken between `freePort` and the broker's bind is retried with new ports.
 */
export async function startMosquitto(options: MosquittoOptions = {}): Promise<Mosquitto> {
  const dir = await mkdtemp(join(tmpdir(), 'fleet-mosquitto-'));
  try {
    const certs = await generateCertificates(dir);
    // The helper clients need a way in when anonymous access is off: a harness-only account.
    const harnessUser = { username: 'fleet-harness', password: randomBytes(12).toString('hex') };
    const needsHarnessUser = options.passwords !== undefined || options.allowAnonymous === false;
    const passwords = needsHarnessUser
      ? { ...(options.passwords ?? {}), [harnessUser.username]: harnessUser.password }
      : undefined;
    const passwordFile = passwords === undefined ? undefined : await hashPasswords(dir, passwords);
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const port = await freePort();
      const tlsPort = options.tls === undefined ? 0 : await freePort();
      const configPath = join(dir, 'mosquitto.conf');
      await writeFile(configPath, configText(port, tlsPort, options, certs, passwordFile));
      let launched: { child: ChildProcess; log: LogWatch };
      try {
        launched = await launch(configPath);
      } catch (error) {
        lastError = error;
        continue;
      }
      const { child, log } = launched;
      const address: BrokerAddress = {
        host: '127.0.0.1',
        port,
        ...(needsHarnessUser ? { credentials: harnessUser } : {}),
      };
      const clients = new Set<Subscription>();
      let stopped = false;
      const broker: Mosquitto = {
        ...address,
        tlsPort,
        certs,
        async subscribe(topic, qos = 0) {
          const subscription = await startMosquittoSub(address, topic, qos);
          clients.add(subscription);
          return subscription;
        },
        publish: (topic, payload, qos = 0, retain = false) => runMosquittoPub(address, topic, payload, qos, retain),
        waitForLog: (pattern) => log.waitFor(pattern),
        pause() {
          child.kill('SIGSTOP');
        },
        resume() {
          child.kill('SIGCONT');
        },
        async kill() {
          child.kill('SIGKILL');
          await exited(child);
        },
        async stop() {
          if (stopped) return;
          stopped = true;
          await Promise.all([...clients].map((c) => c.stop()));
          child.kill('SIGCONT');
          child.kill('SIGTERM');
          await exited(child);
          await rm(dir, { recursive: true, force: true });
        },
      };
      return broker;
    }
    throw lastError instanceof Error ? lastError : new Error('mosquitto did not start');
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
