import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify as csv } from 'csv-stringify/sync';
import { stringify as yaml } from 'yaml';
import type { FaultPlan } from '../emulator/faults';
import { moduleIdentity, type ModuleIdentity } from '../emulator/identity';
import { createMqttClientSession } from '../emulator/net/session';
import type { HostMap } from '../emulator/net/types';
import type { VirtualModule } from '../emulator/virtual-module';
import { startMosquitto, type Mosquitto } from './mosquitto';
import { startPtyUnit, type PtyUnit } from './pty-unit';

/**
 * A production line in a temp folder, for acceptance tests of the batch: N virtual modules on pseudo-terminals
 * (deterministic identities, each with its own fault plan), a real Mosquitto that requires a client certificate
 * (mutual TLS) and checks a password per device (`allow_anonymous false`, a password file of IMEI → password),
 * the certificates, a profile (docs/profiles.md) and a credential manifest (docs/credentials.md) with one
 * password per unit, some of them deliberately wrong if asked. Every byte the station sends a unit is kept
 * (`unit.pty.received()`), and a unit can be unplugged and plugged back in at the same port. `stop()` removes all
 * of it.
 */

/** What is special about one unit of the line. */
export interface LineUnitOptions {
  /** Faults of its virtual module (main/emulator/faults.ts); change them later with `unit.module.setFaults`. */
  readonly faults?: FaultPlan;
  /** The manifest gives it a password the broker refuses (CONNACK "not authorized"). */
  readonly wrongPassword?: boolean;
  /**
   * Extra cells of its manifest row (per-device files `cacert`, `clientcert`, `clientkey`, relative to the line's
   * folder: `certs/wrong-ca.pem`, `certs/wrong-client.pem`, `certs/wrong-client.key`). The other rows leave
   * these columns empty.
   */
  readonly row?: Readonly<Record<string, string>>;
  /** Where its module reaches the profile's broker host instead of the line's broker (another broker, a dead one). */
  readonly brokerAddress?: { readonly host: string; readonly port: number };
}

export interface LineOptions {
  /** How many units, 1-256. */
  readonly count: number;
  /** Their identities are `moduleIdentity(index, seed)` (main/emulator/identity.ts): the same on every start. */
  readonly seed?: number;
  /** Per unit index. */
  readonly units?: Readonly<Record<number, LineUnitOptions>>;
  /** The serial line's speed, which paces the modules' bytes (default 115200). */
  readonly baud?: number;
  readonly bootDelayMs?: number;
  /**
   * Power the modules on at once and resolve only when every one is ready (default). With false, they stay off
   * until the test calls `unit.module.powerOn()`.
   */
  readonly autoPowerOn?: boolean;
  /**
   * The broker's host name in the profile (default `mqtt.line.test`): the modules reach the broker under it (their
   * host map), as units on a line reach the factory broker by name.
   */
  readonly brokerHost?: string;
  /**
   * Adds `verify.observer` to the profile: the station's MQTT.js client, on the broker's address, with the CA and a
   * client certificate, logging in as `station` with the password in FLEET_OBSERVER_PASSWORD (see `env`).
   */
  readonly observer?: boolean;
  /** Adds `verify.negative`: a CA that did not sign the broker's certificate, which the module must refuse. */
  readonly negative?: boolean;
  /**
   * How the manifest gives out credentials: `reserved` (default), one row per unit with its IMEI, the broker's user
   * name being the IMEI; or `pool`, `poolSize` rows without IMEI (`credential_id,username,password`), each with a
   * broker account of its own, so any unit can take any row (the profile logs in with `{username}`).
   */
  readonly credentials?: 'reserved' | 'pool';
  /** Rows of a pool manifest (default: the unit count). */
  readonly poolSize?: number;
  /**
   * The profile gives the modules a client certificate (default). With false it has none (server authentication
   * only, `seclevel` 1), which the broker, requiring one, refuses.
   */
  readonly clientCertificate?: boolean;
  /**
   * The units' serial devices are named as USB serial ports (`ttyUSB0`, `ttyUSB1`, ...) in a `dev` folder of
   * their own (`devDir`), as `--all` finds them; otherwise each is a link in a temp folder.
   */
  readonly usbNames?: boolean;
}

export interface LineUnit {
  readonly index: number;
  /** The serial device the station opens (a link to /dev/pts/N). */
  readonly path: string;
  /**
   * The virtual module of the current plug-in: faults (`setFaults`), `reboot()`, `injectGarbage()`, `dropLink()`,
   * `identity`.
   */
  readonly module: VirtualModule;
  /** The unit's pty: the bytes it received (`received()`, `waitForReceived`), its output, unplug and replug. */
  readonly pty: PtyUnit;
  readonly identity: ModuleIdentity;
  /** Its manifest row's `credential_id` (reserved credentials; empty with a pool). */
  readonly credentialId: string;
  /** The password the broker accepts for it (user name: its IMEI); empty with a pool. */
  readonly password: string;
  /** The password its manifest row gives: `password` unless the unit was asked a wrong one. */
  readonly manifestPassword: string;
  /** Pulls its cable: the module stops and `path` vanishes. */
  unplug(): Promise<void>;
}

export interface Line {
  /** The temp folder holding everything below. */
  readonly dir: string;
  readonly units: readonly LineUnit[];
  /** The units' serial devices, in unit order (`--port` for each). */
  readonly ports: readonly string[];
  /** The broker: `tlsPort` is the one in the profile; `subscribe`/`publish` use a harness account. */
  readonly broker: Mosquitto;
  /** The broker's address as the profile names it, and where the modules' host map sends it. */
  readonly brokerHost: string;
  /** The profile (YAML), its certificates in `certs/` next to it. */
  readonly profile: string;
  /** The manifest (CSV: `credential_id,imei,password`, one reserved row per unit), wrong passwords included. */
  readonly manifest: string;
  /** The same manifest with every password right: the correction a line imports with `--replace`. */
  readonly correctedManifest: string;
  /** A data directory for the station, not created yet. */
  readonly dataDir: string;
  /** With `usbNames`, the folder holding the units' `ttyUSB<n>` devices (as /dev does); otherwise undefined. */
  readonly devDir: string | undefined;
  /** Environment for the station's process: FLEET_OBSERVER_PASSWORD with `observer`. */
  readonly env: Readonly<Record<string, string>>;
  /**
   * Every password of the line (right and wrong, the observer's) and a line of each client private key: none may
   * appear in any output.
   */
  readonly secrets: readonly string[];
  /** Stops the modules and the broker and removes the folder. Safe to call twice. */
  stop(): Promise<void>;
}

export const OBSERVER_USER = 'station';
export const OBSERVER_PASSWORD_ENV = 'FLEET_OBSERVER_PASSWORD';

const secret = (label: string): string => `${label}-${randomBytes(9).toString('hex')}`;

interface ProfileShape {
  readonly brokerHost: string;
  readonly tlsPort: number;
  readonly observer: boolean;
  readonly negative: boolean;
  readonly pool: boolean;
  readonly clientCertificate: boolean;
}

function profileText(line: ProfileShape): string {
  const verify: Record<string, unknown> = { topic: 'fleet/{imei}/selftest', qos: 1 };
  if (line.observer) {
    verify.observer = {
      host: '127.0.0.1',
      port: line.tlsPort,
      tls: 1,
      ca: 'certs/ca.pem',
      cert: 'certs/client.pem',
      key: 'certs/client.key',
      username: OBSERVER_USER,
      password_env: OBSERVER_PASSWORD_ENV,
    };
  }
  if (line.negative) verify.negative = { cacert: 'certs/wrong-ca.pem' };
  const profile = {
    format: 1,
    name: 'test-line',
    description: 'A line of virtual modules against Mosquitto with mutual TLS and per-device passwords.',
    broker: { host: line.brokerHost, port: line.tlsPort },
    mqtt: {
      version: 4,
      keepalive: 60,
      session: 1,
      timeout: { pkt_timeout: 5, retry_times: 3, timeout_notice: 0 },
      'recv/mode': { msg_recv_mode: 0, msg_len_enable: 1 },
    },
    ssl: {
      ctx: 2,
      cacert: 'certs/ca.pem',
      ...(line.clientCertificate ? { clientcert: 'certs/client.pem', clientkey: 'certs/client.key' } : {}),
      seclevel: line.clientCertificate ? 2 : 1,
      sslversion: 4,
      ciphersuite: '0xFFFF',
      ignorelocaltime: 1,
    },
    auth: {
      mode: 'password',
      client_id: '{imei}',
      username: line.pool ? '{username}' : '{imei}',
      password: '{password}',
    },
    verify,
  };
  return `# Written by main/testing/line.ts for one test line.\n${yaml(profile)}`;
}

/** The first line of a PEM key's base64 body: 64 characters found nowhere else. */
function keyLine(pem: string): string {
  const line = pem.split(/\r?\n/)[1] ?? '';
  if (line.length < 32) throw new Error('a PEM key without a body line');
  return line;
}

function manifestText(rows: string[][]): string {
  return csv(rows, { record_delimiter: 'windows' });
}

/** The per-unit manifest cells of the reserved manifest: `credential_id,imei,password`, then the extra columns. */
function reservedManifest(
  plans: readonly { credentialId: string; identity: ModuleIdentity; row: Readonly<Record<string, string>> }[],
  password: (index: number) => string,
): string {
  const extra = [...new Set(plans.flatMap((plan) => Object.keys(plan.row)))];
  return manifestText([
    ['credential_id', 'imei', 'password', ...extra],
    ...plans.map((plan, index) => [
      plan.credentialId,
      plan.identity.imei,
      password(index),
      ...extra.map((column) => plan.row[column] ?? ''),
    ]),
  ]);
}

/** Stands the line up; on any failure, removes what was started and rethrows. */
export async function startLine(options: LineOptions): Promise<Line> {
  if (!Number.isInteger(options.count) || options.count < 1 || options.count > 256) {
    throw new RangeError(`a line has 1 to 256 units, got ${options.count}`);
  }
  const pool = options.credentials === 'pool';
  const poolSize = options.poolSize ?? options.count;
  if (pool && (!Number.isInteger(poolSize) || poolSize < 1)) throw new RangeError(`a pool of ${poolSize} rows`);
  const brokerHost = options.brokerHost ?? 'mqtt.line.test';
  const dir = await mkdtemp(join(tmpdir(), 'fleet-line-'));
  let broker: Mosquitto | undefined;
  const ptys: PtyUnit[] = [];
  const cleanUp = async (): Promise<void> => {
    await Promise.all(ptys.map((pty) => pty.close()));
    await broker?.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const seed = options.seed ?? 0;
    const plans = Array.from({ length: options.count }, (_, index) => {
      const unit = options.units?.[index] ?? {};
      const identity = moduleIdentity(index, seed);
      const password = pool ? '' : secret(`pw-${index}`);
      return {
        index,
        identity,
        credentialId: pool ? '' : `cred-${String(index).padStart(3, '0')}`,
        password,
        manifestPassword: unit.wrongPassword === true ? secret(`wrong-${index}`) : password,
        faults: unit.faults,
        row: unit.row ?? {},
        brokerAddress: unit.brokerAddress,
      };
    });
    const accounts = pool
      ? Array.from({ length: poolSize }, (_, k) => ({
          id: `pool-${String(k).padStart(3, '0')}`,
          username: `line-user-${k}`,
          password: secret(`pool-${k}`),
        }))
      : [];
    const observerPassword = options.observer === true ? secret('observer') : undefined;
    broker = await startMosquitto({
      tls: { requireCertificate: true },
      passwords: {
        ...Object.fromEntries(plans.filter(() => !pool).map((plan) => [plan.identity.imei, plan.password])),
        ...Object.fromEntries(accounts.map((account) => [account.username, account.password])),
        ...(observerPassword === undefined ? {} : { [OBSERVER_USER]: observerPassword }),
      },
      allowAnonymous: false,
    });
    const certs = join(dir, 'certs');
    await mkdir(certs);
    await Promise.all([
      copyFile(broker.certs.caPem.path, join(certs, 'ca.pem')),
      copyFile(broker.certs.clientCert.path, join(certs, 'client.pem')),
      copyFile(broker.certs.clientKey.path, join(certs, 'client.key')),
      copyFile(broker.certs.otherCa.path, join(certs, 'wrong-ca.pem')),
      copyFile(broker.certs.wrongClientCert.path, join(certs, 'wrong-client.pem')),
      copyFile(broker.certs.wrongClientKey.path, join(certs, 'wrong-client.key')),
    ]);
    const profile = join(dir, 'profile.yaml');
    await writeFile(
      profile,
      profileText({
        brokerHost,
        tlsPort: broker.tlsPort,
        observer: options.observer === true,
        negative: options.negative === true,
        pool,
        clientCertificate: options.clientCertificate ?? true,
      }),
    );
    const manifest = join(dir, 'manifest.csv');
    const correctedManifest = join(dir, 'manifest-corrected.csv');
    if (pool) {
      const text = manifestText([
        ['credential_id', 'username', 'password'],
        ...accounts.map((account) => [account.id, account.username, account.password]),
      ]);
      await writeFile(manifest, text);
      await writeFile(correctedManifest, text);
    } else {
      await writeFile(
        manifest,
        reservedManifest(plans, (index) => plans[index]?.manifestPassword ?? ''),
      );
      await writeFile(
        correctedManifest,
        reservedManifest(plans, (index) => plans[index]?.password ?? ''),
      );
    }

    const devDir = options.usbNames === true ? join(dir, 'dev') : undefined;
    if (devDir !== undefined) await mkdir(devDir);
    const tlsAddress = { host: '127.0.0.1', port: broker.tlsPort };
    // Each unit is a socat process: a few at a time.
    for (let start = 0; start < plans.length; start += 8) {
      const started = await Promise.all(
        plans.slice(start, start + 8).map((plan) => {
          const hostMap: HostMap = new Map([[brokerHost, plan.brokerAddress ?? tlsAddress]]);
          return startPtyUnit({
            index: plan.index,
            seed,
            hostMap,
            sessionFactory: createMqttClientSession,
            ...(devDir === undefined ? {} : { path: join(devDir, `ttyUSB${plan.index}`) }),
            ...(plan.faults === undefined ? {} : { faults: plan.faults }),
            ...(options.baud === undefined ? {} : { baud: options.baud }),
            ...(options.bootDelayMs === undefined ? {} : { bootDelayMs: options.bootDelayMs }),
            ...(options.autoPowerOn === undefined ? {} : { autoPowerOn: options.autoPowerOn }),
          });
        }),
      );
      ptys.push(...started);
    }
    if (options.autoPowerOn !== false) await Promise.all(ptys.map((pty) => pty.module.whenReady()));
    const units = plans.map((plan): LineUnit => {
      const pty = ptys[plan.index];
      if (pty?.module.identity.imei !== plan.identity.imei) {
        throw new Error(`module ${plan.index} of the line is not the unit its manifest row was written for`);
      }
      return {
        index: plan.index,
        path: pty.path,
        get module(): VirtualModule {
          return pty.module;
        },
        pty,
        identity: plan.identity,
        credentialId: plan.credentialId,
        password: plan.password,
        manifestPassword: plan.manifestPassword,
        unplug: () => pty.unplug(),
      };
    });
    let stopping: Promise<void> | undefined;
    return {
      dir,
      units,
      ports: units.map((unit) => unit.path),
      broker,
      brokerHost,
      profile,
      manifest,
      correctedManifest,
      dataDir: join(dir, 'station'),
      devDir,
      env: observerPassword === undefined ? {} : { [OBSERVER_PASSWORD_ENV]: observerPassword },
      secrets: [
        ...new Set(
          [
            ...plans.flatMap((plan) => [plan.password, plan.manifestPassword]),
            ...accounts.map((account) => account.password),
            ...(observerPassword === undefined ? [] : [observerPassword]),
            // The client private keys the modules receive: a line of each key's body stands for the key.
            ...[broker.certs.clientKey.pem, broker.certs.wrongClientKey.pem].map((pem) => keyLine(pem)),
          ].filter((value) => value !== ''),
        ),
      ],
      stop: () => (stopping ??= cleanUp()),
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}
