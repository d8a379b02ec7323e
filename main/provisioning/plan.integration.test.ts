import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddedBrokerHosts } from '../app/virtual-fleet';
import * as at from '../at/commands';
import { describeFinal } from '../at/decode/describe';
import { AtEngine, inThreadParserLink, type TranscriptEntry, type UrcNotice } from '../at/engine';
import { AtCommandError } from '../at/vocab/errors';
import { startEmbeddedBroker, type EmbeddedBroker } from '../broker/embedded';
import { InProcessTransport } from '../emulator/in-process-transport';
import { createMqttClientSession } from '../emulator/net/session';
import type { HostMap } from '../emulator/net/types';
import { VirtualModule } from '../emulator/virtual-module';
import { startMosquitto, type Mosquitto } from '../testing/mosquitto';
import { compilePlan, type ProvisioningPlan, type UnitValues } from './compile';
import { issueExample, writeIn } from './fixtures/profiles';
import { loadProfile, type LoadedProfile } from './load';
import { qmtcfgDifference, sslDifference } from './readback';

/**
 * Compiled plans carried out by hand on virtual modules, through the real engine and parser: against a real
 * Mosquitto that checks the client certificate and the unit's own password, and (the shipped demo profile)
 * against the embedded broker. Proof that what the compiler produces is what a module accepts, reads back the
 * same, and gets a unit onto the broker. The batch runner is the production form of these steps.
 */

interface Unit {
  readonly module: VirtualModule;
  readonly engine: AtEngine;
  readonly transcript: TranscriptEntry[];
}

const units: Unit[] = [];

async function boot(hostMap?: HostMap): Promise<Unit> {
  const module = new VirtualModule({
    sessionFactory: createMqttClientSession,
    bootDelayMs: 2,
    baud: 0,
    ...(hostMap ? { hostMap } : {}),
  });
  const engine = new AtEngine({
    transport: new InProcessTransport(module),
    parser: inThreadParserLink(),
    describeFinal,
  });
  const transcript: TranscriptEntry[] = [];
  engine.onTranscript((entry) => transcript.push(entry));
  const booted = new Promise<void>((resolve) => {
    const watch = engine.onUrc('+QIND', (event) => {
      if (event.kind === 'urc' && event.params[0] === 'SMS DONE') {
        watch.dispose();
        resolve();
      }
    });
  });
  module.powerOn();
  await booted;
  await engine.run(at.echo(false));
  const unit = { module, engine, transcript };
  units.push(unit);
  return unit;
}

afterAll(() => {
  for (const { engine, module } of units) {
    engine.dispose();
    module.dispose();
  }
});

async function compileFor(
  { engine }: Unit,
  loaded: LoadedProfile,
  row: Record<string, string>,
): Promise<ProvisioningPlan> {
  const values: UnitValues = {
    imei: await engine.run(at.gsn()),
    iccid: await engine.run(at.qccid()),
    imsi: await engine.run(at.cimi()),
    row,
    runId: 'run-1',
    nonce: 'a1b2c3',
  };
  const compiled = compilePlan(loaded, values);
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
  return compiled.value;
}

async function removeStale(engine: AtEngine, name: string): Promise<void> {
  try {
    await engine.run(at.qfdel(name));
  } catch (error) {
    // +CME ERROR 405: no such file, nothing stale to remove.
    if (!(error instanceof AtCommandError && error.detail.cmeCode === 405)) throw error;
  }
}

/** upload, sslcfg, mqttcfg, readback, open, connect, subscribe, publish, receive, close: the plan's steps. */
async function carryOut({ engine, transcript }: Unit, steps: ProvisioningPlan): Promise<void> {
  for (const upload of steps.uploads.filter((file) => file.role !== 'verify.negative.cacert')) {
    await removeStale(engine, upload.ufsName);
    const stored = await engine.run(at.qfupl(upload.ufsName, upload.bytes, { secret: upload.secret }));
    expect(stored).toEqual({ size: upload.bytes.length, checksum: upload.checksum });
  }
  const ssl = steps.ssl;
  for (const setting of ssl?.settings ?? []) await engine.run(at.qsslcfg(ssl?.contextId ?? 0, setting));
  for (const setting of steps.mqtt) await engine.run(at.qmtcfg(steps.clientIdx, setting));

  for (const setting of ssl?.settings ?? []) {
    const reading = await engine.run(at.qsslcfgQuery(ssl?.contextId ?? 0, setting.param));
    expect(sslDifference(ssl?.contextId ?? 0, setting, reading)).toBeUndefined();
  }
  for (const setting of steps.mqtt) {
    const reading = await engine.run(at.qmtcfgQuery(steps.clientIdx, setting.name));
    expect(qmtcfgDifference(setting, reading)).toBeUndefined();
  }

  expect(await engine.run(at.qmtopen(steps.clientIdx, steps.open.host, steps.open.port))).toMatchObject({ ok: true });
  const conn = await engine.run(at.qmtconn(steps.clientIdx, steps.connect.clientId, steps.connect));
  expect(conn).toMatchObject({ ok: true, retCode: 0 });
  const { verify } = steps;
  expect(await engine.run(at.qmtsub(steps.clientIdx, 1, [{ topic: verify.topic, qos: verify.qos }]))).toMatchObject({
    ok: true,
  });
  const arrival = new Promise<UrcNotice>((resolve) => {
    const watch = engine.onClientUrc('+QMTRECV', steps.clientIdx, (event) => {
      watch.dispose();
      resolve(event);
    });
  });
  await engine.run(at.qmtpubex(steps.clientIdx, verify.qos === 0 ? 0 : 2, verify.qos, verify.topic, verify.payload));
  const recv = await arrival;
  expect(recv.kind === 'recv' && new TextDecoder().decode(recv.payload)).toBe(verify.payload);
  // AT+QMTDISC ends the network too (AT+QMTCLOSE after it answers ERROR on this module).
  expect(await engine.run(at.qmtdisc(steps.clientIdx))).toMatchObject({ ok: true });

  const logged = JSON.stringify(transcript);
  for (const secret of steps.secrets) expect(logged).not.toContain(secret);
}

describe('a compiled plan on a virtual module against Mosquitto (mutual TLS, per-device password)', () => {
  const PASSWORD = 'unit-password-Zx81';
  let broker: Mosquitto;
  let unit: Unit;
  let dir: string;

  beforeAll(async () => {
    unit = await boot();
    broker = await startMosquitto({
      tls: { requireCertificate: true },
      passwords: { [unit.module.identity.imei]: PASSWORD },
    });
    dir = await mkdtemp(join(tmpdir(), 'fleet-plan-'));
  });

  afterAll(async () => {
    await broker.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('uploads, configures, reads back the same, and makes the round trip; the wrong CA is refused', async () => {
    const { caPem, clientCert, clientKey, otherCa } = broker.certs;
    await writeIn(dir, 'certs/ca.pem', caPem.pem.replace(/\n/g, '\r\n'));
    await writeIn(dir, 'certs/client.pem', clientCert.pem);
    await writeIn(dir, 'certs/client.key', clientKey.pem);
    await writeIn(dir, 'certs/wrong-ca.pem', otherCa.pem);
    const profile = issueExample();
    profile.broker = { host: '127.0.0.1', port: broker.tlsPort };
    profile.verify = { topic: 'fleet/{imei}/selftest', qos: 1, negative: { cacert: 'certs/wrong-ca.pem' } };
    const loaded = await loadProfile(await writeIn(dir, 'line-a.json', profile));
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    const steps = await compileFor(unit, loaded.profile, { credential_id: 'c-1', password: PASSWORD });
    await carryOut(unit, steps);
    const { engine } = unit;

    // A changed setting is named by the comparison (the readback step's failure message).
    const keepalive = steps.mqtt.find((setting) => setting.name === 'keepalive');
    if (keepalive === undefined) throw new Error('no keepalive');
    await engine.run(at.qmtcfg(steps.clientIdx, { name: 'keepalive', seconds: 30 }));
    const changed = await engine.run(at.qmtcfgQuery(steps.clientIdx, 'keepalive'));
    expect(qmtcfgDifference(keepalive, changed)).toBe('keepalive: seconds: wrote 60, read 30');
    await engine.run(at.qmtcfg(steps.clientIdx, keepalive));

    const negative = steps.verify.negative;
    if (negative === undefined) throw new Error('expected a negative check');
    await removeStale(engine, negative.upload.ufsName);
    await engine.run(at.qfupl(negative.upload.ufsName, negative.upload.bytes));
    await engine.run(at.qsslcfg(negative.contextId, negative.apply));
    const refused = await engine.run(at.qmtopen(steps.clientIdx, steps.open.host, steps.open.port));
    expect(refused).toMatchObject({ ok: false, result: -1 });
    await engine.run(at.qsslcfg(negative.contextId, negative.restore));
    const restored = await engine.run(at.qsslcfgQuery(negative.contextId, 'cacert'));
    expect(sslDifference(negative.contextId, negative.restore, restored)).toBeUndefined();

    const keyBody = clientKey.pem.split('\n')[1] ?? '';
    expect(keyBody.length).toBeGreaterThan(10);
    expect(JSON.stringify(unit.transcript)).not.toContain(keyBody);
  });
});

describe('the shipped demo profile on a virtual module against the embedded broker', () => {
  let broker: EmbeddedBroker;

  beforeAll(async () => {
    broker = await startEmbeddedBroker();
  });

  afterAll(async () => {
    await broker.close();
  });

  it('makes the round trip with a credential of the demo manifest', async () => {
    const hostMap: HostMap = new Map(
      embeddedBrokerHosts.map((name) => [name, { host: broker.host, port: broker.port }]),
    );
    const unit = await boot(hostMap);
    const demo = await loadProfile(fileURLToPath(new URL('../../profiles/demo/demo.yaml', import.meta.url)));
    if (!demo.ok) throw new Error(JSON.stringify(demo.errors));
    const steps = await compileFor(unit, demo.profile, { credential_id: 'demo-0001', password: 'demo-password-1' });
    expect(steps.uploads).toEqual([]);
    expect(steps.open).toEqual({ host: 'broker.fleet.local', port: 1883 });
    await carryOut(unit, steps);
  });
});
