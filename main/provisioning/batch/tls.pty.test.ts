import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProvisioningRuntime, type ProvisioningRuntime } from '../../app/provision';
import { startVirtualFleet, type VirtualFleet } from '../../emulator/pty-module';
import { openSqliteStore, type Store } from '../../store';
import { startMosquitto, type Mosquitto } from '../../testing/mosquitto';
import { issueExample, writeIn } from '../fixtures/profiles';
import { loadManifest, toCredentialInputs } from '../manifest';
import { retrySelection, startBatch, uploadInputTimeoutS, UPLOAD_MARGIN_S, type BatchResult } from '.';
import { loadOk } from './fixtures/fleet';

/**
 * The whole run on virtual modules behind real pseudo-terminals, through the station's composition root, against
 * a real Mosquitto that checks each unit's client certificate (mutual TLS) and its own password: certificates
 * uploaded and checked, SSL and MQTT settings written and read back, the round trip confirmed by the station's
 * MQTT.js observer, the negative check (a wrong CA refused), a wrong password and two faults explained, then
 * "retry failed" passing the fixed units without touching the one that passed.
 */

const OBSERVER_PASSWORD = 'observer-pass-9134';
const count = 4;

let broker: Mosquitto;
let fleet: VirtualFleet;
let runtime: ProvisioningRuntime;
let store: Store;
let dir: string;
let passwords: string[];

const imei = (index: number): string => fleet.modules[index]?.module.identity.imei ?? '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleet-tls-'));
  fleet = await startVirtualFleet({
    count,
    bootDelayMs: 20,
    faults: (index) => (index === 2 ? { errorOn: ['+QSSLCFG'] } : index === 3 ? { errorOn: ['+QFUPL'] } : undefined),
  });
  passwords = fleet.modules.map((_, index) => `unit-${index}-Pw-${index * 7919}`);
  broker = await startMosquitto({
    tls: { requireCertificate: true },
    passwords: {
      ...Object.fromEntries(fleet.modules.map((m, index) => [m.module.identity.imei, passwords[index] ?? ''])),
      station: OBSERVER_PASSWORD,
    },
  });
  const { caPem, clientCert, clientKey, otherCa } = broker.certs;
  await writeIn(dir, 'certs/ca.pem', caPem.pem);
  await writeIn(dir, 'certs/client.pem', clientCert.pem);
  await writeIn(dir, 'certs/client.key', clientKey.pem);
  await writeIn(dir, 'certs/wrong-ca.pem', otherCa.pem);
  // Unit 1's manifest row carries a wrong password: the broker must refuse it.
  const rows = fleet.modules.map(
    (m, index) => `c-${index},${m.module.identity.imei},${index === 1 ? 'not-the-password' : (passwords[index] ?? '')}`,
  );
  await writeIn(dir, 'manifest.csv', `credential_id,imei,password\n${rows.join('\n')}\n`);
  store = await openSqliteStore({ dataDir: join(dir, 'data') });
  const imported = await store.ledger.importCredentials(
    toCredentialInputs(await loadManifest(join(dir, 'manifest.csv'))),
  );
  if (!imported.ok) throw new Error(JSON.stringify(imported.problems));
  runtime = await startProvisioningRuntime({
    units: { kind: 'ports', paths: fleet.modules.map((m) => m.path) },
    brokerHost: '127.0.0.1',
  });
  await runtime.identified(60_000);
}, 120_000);

afterAll(async () => {
  await runtime.close();
  await store.close();
  await fleet.close();
  await broker.stop();
  await rm(dir, { recursive: true, force: true });
});

const unit = (result: BatchResult, index: number) => {
  const found = result.units.find((u) => u.imei === imei(index));
  if (found === undefined) throw new Error(`unit ${index} is not in the result`);
  return found;
};

describe('a batch on ptys against Mosquitto with mutual TLS and per-device passwords', () => {
  let profileFile: string;

  it('passes the good unit (observer, negative check) and explains each failing one', async () => {
    const profile = issueExample();
    profile.broker = { host: '127.0.0.1', port: broker.tlsPort };
    profile.verify = {
      topic: 'fleet/{imei}/selftest',
      qos: 1,
      observer: {
        port: broker.tlsPort,
        ca: 'certs/ca.pem',
        cert: 'certs/client.pem',
        key: 'certs/client.key',
        username: 'station',
        password_env: 'FLEET_TEST_OBSERVER',
      },
      negative: { cacert: 'certs/wrong-ca.pem' },
    };
    profileFile = await writeIn(dir, 'line-a.json', profile);
    const loaded = await loadOk(profileFile, { FLEET_TEST_OBSERVER: OBSERVER_PASSWORD });
    const moduleIds = fleet.modules.map((m) => m.path);
    const result = await startBatch({ station: runtime.station, store, profile: loaded, moduleIds, stationId: 'tls' })
      .done;

    const good = unit(result, 0);
    expect(good, good.error ?? '').toMatchObject({ result: 'pass', credentialId: 'c-0' });
    const steps = result.run.units.find((u) => u.unitId === fleet.modules[0]?.path)?.steps ?? [];
    const text = (name: string): string[] => steps.find((s) => s.step === name)?.transcript.map((l) => l.text) ?? [];
    // The upload's own timeout parameter: the file's wire time at 115200 baud, rounded up, plus the margin.
    const caBytes = Buffer.byteLength(broker.certs.caPem.pem);
    expect(text('upload')).toContain(
      `AT+QFUPL="UFS:ctx2_cacert.pem",${caBytes},${uploadInputTimeoutS(caBytes, 115_200)}`,
    );
    expect(uploadInputTimeoutS(caBytes, 115_200)).toBe(1 + UPLOAD_MARGIN_S);
    const sent = steps.find((s) => s.step === 'upload')?.transcript.filter((l) => l.dir === 'tx') ?? [];
    expect(sent.filter((l) => l.text.startsWith('AT+QFUPL='))).toHaveLength(4);
    expect(text('readback').at(-1)).toMatch(/^\d+ settings read back as written$/);
    expect(text('receive').some((t) => t.startsWith("the station's observer saw it on the broker"))).toBe(true);
    expect(
      text('close').some((t) => /negative check: with the wrong CA the module refused .*\+QMTOPEN: 0,-1/.test(t)),
    ).toBe(true);
    // The key's bytes never reach a transcript.
    const keyBody = broker.certs.clientKey.pem.split('\n')[1] ?? '';
    expect(JSON.stringify(result.run.units.map((u) => u.steps))).not.toContain(keyBody);

    expect(unit(result, 1)).toMatchObject({ result: 'fail', failedStep: 'connect' });
    expect(unit(result, 1).error).toMatch(/check the user name and password/);
    expect(unit(result, 1).errorCode).toMatch(/^\+QMTCONN: 0,0,[45]$/);
    expect(unit(result, 2)).toMatchObject({ result: 'fail', failedStep: 'sslcfg', errorCode: 'ERROR' });
    expect(unit(result, 2).error).toMatch(/^SSL context 2, cacert: AT\+QSSLCFG="cacert",2,"UFS:ctx2_cacert.pem": /);
    expect(unit(result, 3)).toMatchObject({ result: 'fail', failedStep: 'upload' });
    expect(unit(result, 3).error).toMatch(/^uploading certs\/ca\.pem as UFS:ctx2_cacert\.pem: /);

    // The passwords never reach the records.
    const records = await store.history.units({ runId: result.runId });
    const transcripts = await Promise.all(records.map((r) => store.history.transcript(r.id)));
    for (const password of [...passwords, OBSERVER_PASSWORD]) {
      expect(JSON.stringify(records) + transcripts.join('')).not.toContain(password);
    }

    // Fixed: the right password for unit 1 (a correction of an assigned credential), the faults gone.
    const corrected = fleet.modules.map((m, index) => ({
      id: `c-${index}`,
      imei: m.module.identity.imei,
      fields: {},
      secrets: { password: passwords[index] ?? '' },
    }));
    expect(await store.ledger.importCredentials(corrected, { replace: true })).toMatchObject({ ok: true });
    for (const module of fleet.modules) module.module.setFaults({});
    const selection = await retrySelection(store, result.runId);
    expect([...selection.imeis].sort()).toEqual([imei(1), imei(2), imei(3)].sort());
    const retryIds = runtime.station
      .list()
      .filter((m) => m.imei !== null && selection.imeis.includes(m.imei))
      .map((m) => m.id);
    const before = (await store.history.units({ since: 0 })).length;
    const retry = await startBatch({
      station: runtime.station,
      store,
      profile: loaded,
      moduleIds: retryIds,
      stationId: 'tls',
      retryOf: result.runId,
    }).done;
    expect(retry.units.map((u) => [u.imei, u.result]).sort()).toEqual(
      [1, 2, 3].map((index) => [imei(index), 'pass']).sort(),
    );
    expect((await store.history.units({ since: 0 })).length).toBe(before + 3);
    expect(retry.units.some((u) => u.imei === imei(0))).toBe(false);
  }, 180_000);
});
