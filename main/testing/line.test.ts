import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import * as at from '../at/commands';
import { describeFinal } from '../at/decode/describe';
import { AtEngine, inThreadParserLink, type TranscriptEntry, type UrcNotice } from '../at/engine';
import { AtCommandError } from '../at/vocab/errors';
import { compilePlan, type ProvisioningPlan } from '../provisioning/compile';
import { loadProfile, type LoadedProfile } from '../provisioning/load';
import { loadManifest, type Manifest } from '../provisioning/manifest';
import { SerialTransport } from '../transport/serial';
import { startLine, type Line, type LineUnit } from './line';

/**
 * The line fixture from the outside: its profile and manifest load with the project's own loaders, and a module on
 * one of its pseudo-terminals, driven through the AT engine and the command builders (not the batch), gets onto the
 * broker with its manifest password and the client certificate, while a wrong password is refused by the broker
 * itself and a module without a client certificate cannot even finish the TLS handshake.
 */

let line: Line;
let loaded: LoadedProfile;
let manifest: Manifest;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  line = await startLine({
    count: 3,
    units: { 1: { wrongPassword: true }, 2: { faults: { errorOn: ['+CSQ'] } } },
    observer: true,
    negative: true,
  });
  const profile = await loadProfile(line.profile, { columns: ['credential_id', 'imei', 'password'], env: line.env });
  if (!profile.ok) throw new Error(JSON.stringify(profile.errors));
  loaded = profile.profile;
  manifest = await loadManifest(line.manifest, { requiredColumns: loaded.requiredColumns });
});

async function closeStations(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
}

afterEach(closeStations);

afterAll(async () => {
  await closeStations();
  await line.stop();
});

interface Station {
  readonly engine: AtEngine;
  readonly transcript: TranscriptEntry[];
}

/** The station's side of one unit: its serial device opened as a real port, an engine on it, echo off. */
async function open(unit: LineUnit): Promise<Station> {
  const port = await SerialTransport.open({ path: unit.path });
  const engine = new AtEngine({ transport: port, parser: inThreadParserLink(), describeFinal });
  cleanups.push(async () => {
    engine.dispose();
    await port.close();
  });
  const transcript: TranscriptEntry[] = [];
  engine.onTranscript((entry) => transcript.push(entry));
  onTestFailed(() => {
    const lines = transcript.map((e) => `${e.direction === 'out' ? '>>' : '<<'} ${JSON.stringify(e.text)}`);
    console.error(`transcript of unit ${unit.index} (${unit.path}):\n${lines.join('\n')}`);
  });
  await engine.run(at.echo(false));
  return { engine, transcript };
}

async function plan(station: Station, unit: LineUnit): Promise<ProvisioningPlan> {
  const imei = await station.engine.run(at.gsn());
  expect(imei).toBe(unit.identity.imei);
  const row = manifest.rows.find((r) => r.imei === imei);
  if (row === undefined) throw new Error(`no manifest row for ${imei}`);
  const compiled = compilePlan(loaded, {
    imei,
    iccid: await station.engine.run(at.qccid()),
    imsi: await station.engine.run(at.cimi()),
    row: row.values,
    runId: 'line-test',
    nonce: `n${String(unit.index)}`,
  });
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
  return compiled.value;
}

/** upload, sslcfg, mqttcfg and open, as the batch will do them. */
async function configureAndOpen({ engine }: Station, steps: ProvisioningPlan): Promise<number> {
  for (const upload of steps.uploads.filter((file) => file.role !== 'verify.negative.cacert')) {
    try {
      await engine.run(at.qfdel(upload.ufsName));
    } catch (error) {
      if (!(error instanceof AtCommandError && error.detail.cmeCode === 405)) throw error;
    }
    expect(await engine.run(at.qfupl(upload.ufsName, upload.bytes, { secret: upload.secret }))).toEqual({
      size: upload.bytes.length,
      checksum: upload.checksum,
    });
  }
  const ctx = steps.ssl?.contextId ?? 0;
  for (const setting of steps.ssl?.settings ?? []) await engine.run(at.qsslcfg(ctx, setting));
  for (const setting of steps.mqtt) await engine.run(at.qmtcfg(steps.clientIdx, setting));
  const opened = await engine.run(at.qmtopen(steps.clientIdx, steps.open.host, steps.open.port));
  return opened.result;
}

describe('startLine', { timeout: 60_000 }, () => {
  it('writes a profile the loader accepts and a manifest with one reserved password per unit', async () => {
    const profile = await loadProfile(line.profile, { columns: ['credential_id', 'imei', 'password'], env: line.env });
    expect(profile).toMatchObject({ ok: true, warnings: [] });
    expect(loaded.profile.broker).toEqual({ host: line.brokerHost, port: line.broker.tlsPort });
    expect(loaded.requiredColumns).toEqual(['password']);
    expect(manifest.secretColumns).toEqual(['password']);
    expect(manifest.rows.map((row) => [row.id, row.imei, row.values.password])).toEqual(
      line.units.map((unit) => [unit.credentialId, unit.identity.imei, unit.manifestPassword]),
    );
    const corrected = await loadManifest(line.correctedManifest);
    expect(corrected.rows.map((row) => row.values.password)).toEqual(line.units.map((unit) => unit.password));
    expect(line.units.map((unit) => unit.password === unit.manifestPassword)).toEqual([true, false, true]);
    expect(new Set(line.units.map((unit) => unit.identity.imei)).size).toBe(3);
    expect(line.ports).toEqual(line.units.map((unit) => unit.path));
    // Three right passwords, a wrong one, the observer's, and a line of each client key.
    expect(line.secrets).toHaveLength(7);
    expect(line.env).toEqual({ FLEET_OBSERVER_PASSWORD: expect.any(String) as unknown });
  });

  it('lets a unit onto the broker with its manifest password and client certificate, round trip included', async () => {
    const unit = line.units[0];
    if (unit === undefined) throw new Error('no unit 0');
    const station = await open(unit);
    const steps = await plan(station, unit);
    expect(steps.open).toEqual({ host: line.brokerHost, port: line.broker.tlsPort });
    expect(await configureAndOpen(station, steps)).toBe(0);
    const { engine } = station;
    const conn = await engine.run(at.qmtconn(steps.clientIdx, steps.connect.clientId, steps.connect));
    expect(conn).toMatchObject({ ok: true, retCode: 0 });
    await line.broker.waitForLog(
      new RegExp(`New client connected .* as ${unit.identity.imei} .*u'${unit.identity.imei}'`),
    );

    const { verify } = steps;
    const watcher = await line.broker.subscribe(verify.topic, 1);
    await engine.run(at.qmtsub(steps.clientIdx, 1, [{ topic: verify.topic, qos: verify.qos }]));
    const arrival = new Promise<UrcNotice>((resolve) => {
      const watch = engine.onClientUrc('+QMTRECV', steps.clientIdx, (event) => {
        watch.dispose();
        resolve(event);
      });
    });
    await engine.run(at.qmtpubex(steps.clientIdx, 2, verify.qos, verify.topic, verify.payload));
    const recv = await arrival;
    expect(recv.kind === 'recv' && Buffer.from(recv.payload).toString()).toBe(verify.payload);
    expect((await watcher.waitFor(1))[0]?.payload.toString()).toBe(verify.payload);
    expect(await engine.run(at.qmtdisc(steps.clientIdx))).toMatchObject({ ok: true });

    // Without its client certificate (server authentication only) the broker ends the handshake: +QMTOPEN -1.
    await engine.run(at.qsslcfg(steps.ssl?.contextId ?? 0, { param: 'seclevel', value: 1 }));
    expect(await engine.run(at.qmtopen(steps.clientIdx, steps.open.host, steps.open.port))).toMatchObject({
      ok: false,
      result: -1,
    });
    const logged = JSON.stringify(station.transcript);
    for (const secret of line.secrets) expect(logged).not.toContain(secret);
  });

  it('has the broker refuse a unit whose manifest password is wrong (CONNACK: not authorized)', async () => {
    const unit = line.units[1];
    if (unit === undefined) throw new Error('no unit 1');
    const station = await open(unit);
    const steps = await plan(station, unit);
    expect(steps.connect.password).toBe(unit.manifestPassword);
    expect(await configureAndOpen(station, steps)).toBe(0);
    const conn = await station.engine.run(at.qmtconn(steps.clientIdx, steps.connect.clientId, steps.connect));
    expect(conn).toMatchObject({ ok: false, result: 0, retCode: 5 });
    // Mosquitto logs a refused login without its client id: this is the only unit of the line that meets one.
    await line.broker.waitForLog(/Sending CONNACK to 127\.0\.0\.1 \(0, 5\)/);
    await line.broker.waitForLog(/Client <unknown> disconnected, not authorised\./);
  });

  it('gives each unit its own fault plan, which a test can change while the line runs', async () => {
    const [healthy, faulty] = [line.units[0], line.units[2]];
    if (healthy === undefined || faulty === undefined) throw new Error('missing units');
    const [a, b] = await Promise.all([open(healthy), open(faulty)]);
    await expect(a.engine.run(at.csq())).resolves.toMatchObject({ rssi: expect.any(Number) as unknown });
    await expect(b.engine.run(at.csq())).rejects.toBeInstanceOf(AtCommandError);
    faulty.module.setFaults({});
    await expect(b.engine.run(at.csq())).resolves.toMatchObject({ rssi: expect.any(Number) as unknown });
  });

  it('stops everything: modules, ports, broker and folder', async () => {
    const { dir, ports, broker } = line;
    await line.stop();
    expect(existsSync(dir)).toBe(false);
    for (const port of ports) expect(existsSync(port)).toBe(false);
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port: broker.tlsPort });
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(true));
    });
    expect(refused).toBe(true);
    await line.stop();
  });
});
