import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { StepProgress, TranscriptLine } from '../../../shared/contract';
import { waitForIdentified } from '../../core/wait-for';
import type { FaultPlan } from '../../emulator/faults';
import { PROVISION_STEPS, retrySelection, startBatch, type BatchOptions, type BatchResult } from '.';
import { demoProfile, loadOk, startTestFleet, type TestFleet } from './fixtures/fleet';

const fleets: TestFleet[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const fleet of fleets.splice(0)) await fleet.close();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function fleetOf(options: Parameters<typeof startTestFleet>[0]): Promise<TestFleet> {
  const fleet = await startTestFleet(options);
  fleets.push(fleet);
  return fleet;
}

function batchOn(fleet: TestFleet, extra: Partial<BatchOptions> & Pick<BatchOptions, 'profile'>) {
  return startBatch({ station: fleet.station, store: fleet.store, moduleIds: fleet.ids, stationId: 'test', ...extra });
}

/** Calls `action` (once) when `step` of `moduleId` reaches `status` (the runner's own progress event). */
function when(fleet: TestFleet, moduleId: string, step: string, status: StepProgress['status'], action: () => void) {
  let done = false;
  const subscription = fleet.station.on('stepProgress', (progress) => {
    if (done || progress.moduleId !== moduleId || progress.step !== step || progress.status !== status) return;
    done = true;
    subscription.dispose();
    action();
  });
}

/** A profile file written next to nothing else: the demo profile with changes. */
async function demoVariant(change: (text: string) => string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fleet-profile-'));
  dirs.push(dir);
  const file = join(dir, 'variant.yaml');
  await writeFile(file, change(await readFile(demoProfile, 'utf8')));
  return file;
}

const unitOf = (result: BatchResult, moduleId: string) => {
  const unit = result.units.find((u) => u.moduleId === moduleId);
  if (unit === undefined) throw new Error(`${moduleId} is not in the result`);
  return unit;
};

describe('a provisioning batch on in-process virtual modules against the embedded broker', () => {
  it('provisions every unit with the demo profile, each step recorded as it happened', async () => {
    const fleet = await fleetOf({ count: 3 });
    const profile = await loadOk(demoProfile);
    const batch = batchOn(fleet, { profile, operator: 'ann', workOrder: 'WO-1' });
    const result = await batch.done;
    for (const unit of result.run.units) {
      expect(unit.steps.map((s) => [s.step, s.status])).toEqual(
        PROVISION_STEPS.map((name) => [name, ['upload', 'sslcfg'].includes(name) ? 'skipped' : 'passed']),
      );
    }
    expect(result.counts).toEqual({ total: 3, passed: 3, failed: 0, cancelled: 0 });
    const run = await fleet.store.history.run(batch.runId);
    expect(run).toMatchObject({ state: 'finished', station: 'test', operator: 'ann', workOrder: 'WO-1' });
    expect(run?.profileHash).toBe(profile.hash);
    const records = await fleet.store.history.units({ runId: batch.runId });
    expect(records.map((r) => [r.result, r.imei, r.iccid, r.model])).toEqual(
      fleet.modules.map((m) => ['pass', m.identity.imei, m.identity.iccid, m.identity.model]),
    );
    for (const record of records) {
      expect(record.credentialId).toMatch(/^demo-\d{4}$/);
      expect(record.roundTripMs).toBeGreaterThanOrEqual(0);
      expect(record.steps.map((s) => [s.name, s.status])).toEqual(
        PROVISION_STEPS.map((name) => [name, ['upload', 'sslcfg'].includes(name) ? 'skipped' : 'passed']),
      );
      const transcript = await fleet.store.history.transcript(record.id);
      expect(transcript).toContain('AT+QMTPUBEX=0,2,1,0,"fleet/');
      expect(transcript).toMatch(/\+QMTRECV: 0,\d+,"fleet\/\d{15}\/selftest"/);
    }
    // Three units, three different credentials, and the payload unique to each unit and run.
    expect(new Set(records.map((r) => r.credentialId)).size).toBe(3);
    const payloads = result.run.units.map((u) => u.state.plan?.verify.payload);
    expect(new Set(payloads).size).toBe(3);
    for (const [i, payload] of payloads.entries()) {
      expect(payload).toContain(fleet.modules[i]?.identity.imei);
      expect(payload).toContain(batch.runId);
    }
  });

  it('keeps every secret out of events, records, transcripts and the data directory', async () => {
    const fleet = await fleetOf({ count: 2 });
    const profile = await loadOk(demoProfile);
    const events: unknown[] = [];
    const lines: TranscriptLine[] = [];
    fleet.station.on('stepProgress', (progress) => events.push(progress));
    fleet.station.on('runChanged', (run) => events.push(run));
    fleet.station.on('transcriptLines', (batchOfLines) => lines.push(...batchOfLines));
    const result = await batchOn(fleet, { profile }).done;
    expect(result.counts.passed).toBe(2);
    const records = await fleet.store.history.units({ runId: result.runId });
    const secrets: string[] = [];
    for (const record of records) {
      if (record.credentialId === undefined) throw new Error('no credential');
      secrets.push(...Object.values(await fleet.store.ledger.secretsFor(record.credentialId)));
    }
    expect(secrets).toHaveLength(2);
    // The passwords went to the modules (the broker saw them), and to nothing the station shows or keeps.
    const shown = JSON.stringify({ events, lines, records, units: result.units });
    const transcripts = await Promise.all(records.map((r) => fleet.store.history.transcript(r.id)));
    expect(transcripts.join('\n')).toContain('"***"');
    for (const secret of secrets) {
      expect(shown).not.toContain(secret);
      expect(transcripts.join('\n')).not.toContain(secret);
    }
    for (const file of await readdir(fleet.dataDir)) {
      const bytes = await readFile(join(fleet.dataDir, file));
      for (const secret of secrets) expect(bytes.includes(Buffer.from(secret)), file).toBe(false);
    }
  });

  it('receives the message stored (recv/mode 1, read with AT+QMTRECV) and in hex (dataformat 1,1)', async () => {
    const fleet = await fleetOf({ count: 1 });
    const file = await demoVariant((text) =>
      text.replace(
        'recv/mode: { msg_recv_mode: 0, msg_len_enable: 1 }',
        'recv/mode: { msg_recv_mode: 1, msg_len_enable: 1 }\n  dataformat: { send_mode: 1, recv_mode: 1 }',
      ),
    );
    const result = await batchOn(fleet, { profile: await loadOk(file) }).done;
    const [unit] = result.run.units;
    expect(unit?.result, unit?.error ?? '').toBe('pass');
    const receive = unit?.steps.find((s) => s.step === 'receive');
    const texts = receive?.transcript.map((l) => l.text) ?? [];
    expect(texts.some((t) => /^\+QMTRECV: 0,\d$/.test(t))).toBe(true);
    expect(texts).toContain('AT+QMTRECV=0,0');
    const publish = unit?.steps.find((s) => s.step === 'publish');
    const hex = Buffer.from(unit?.state.plan?.verify.payload ?? '')
      .toString('hex')
      .toUpperCase();
    expect(publish?.transcript.map((l) => l.text)).toContain(hex);
  });

  it("confirms each unit's message on the broker with the station's own MQTT client", async () => {
    const fleet = await fleetOf({ count: 2 });
    const file = await demoVariant((text) => text.replace('  qos: 1\n', '  qos: 1\n  observer: {}\n'));
    const observerUrl = `mqtt://${fleet.broker.host}:${fleet.broker.port}`;
    const result = await batchOn(fleet, { profile: await loadOk(file), observerUrl }).done;
    expect(result.counts.passed).toBe(2);
    for (const unit of result.run.units) {
      const receive = unit.steps.find((s) => s.step === 'receive');
      expect(receive?.transcript.some((l) => l.text.startsWith("the station's observer saw it on the broker"))).toBe(
        true,
      );
    }
  });

  it('an observer that cannot reach the broker fails each unit at subscribe, saying so', async () => {
    const fleet = await fleetOf({ count: 1 });
    const file = await demoVariant((text) => text.replace('  qos: 1\n', '  qos: 1\n  observer: {}\n'));
    const result = await batchOn(fleet, { profile: await loadOk(file), observerUrl: 'mqtt://127.0.0.1:1' }).done;
    expect(unitOf(result, 'virtual:0')).toMatchObject({ result: 'fail', failedStep: 'subscribe' });
    expect(unitOf(result, 'virtual:0').error).toMatch(
      /^the station's observer: the observer could not connect to mqtt:\/\/127\.0\.0\.1:1: /,
    );
    // The close still ran: the unit's link is not left open.
    expect(result.run.units[0]?.steps.at(-1)).toMatchObject({ step: 'close', status: 'passed' });
  });

  it('closes on a firmware that never sends +QMTCLOSE after a disconnect', async () => {
    const fleet = await fleetOf({ count: 1 });
    fleet.modules[0]?.setFaults({ silentCloseAfterDisc: true });
    const result = await batchOn(fleet, { profile: await loadOk(demoProfile) }).done;
    const close = result.run.units[0]?.steps.find((s) => s.step === 'close');
    expect(close?.status).toBe('passed');
    expect(close?.transcript.map((l) => l.text)).toContain(
      'disconnected (+QMTDISC: 0,0); AT+QMTCLOSE answered OK without +QMTCLOSE (a known firmware quirk); AT+QMTOPEN? lists no network',
    );
  });
});

describe('each step failure is explained, per unit, while the other units pass', () => {
  const cases: readonly {
    readonly step: string;
    readonly faults?: FaultPlan;
    readonly explanation: RegExp;
    readonly errorCode: string | RegExp;
  }[] = [
    {
      step: 'identify',
      faults: { errorOn: ['+QCCID'] },
      explanation: /cannot identify the unit: AT\+QCCID/,
      errorCode: 'ERROR',
    },
    {
      step: 'precheck',
      faults: { openFault: 'pdp-failure' },
      explanation: /PDP context 1 \(AT\+QIACT=1\): open PDP context failed: Check the APN/,
      errorCode: '+CME ERROR: 561',
    },
    {
      step: 'mqttcfg',
      faults: { errorOn: ['+QMTCFG'] },
      explanation: /^MQTT setting version: AT\+QMTCFG="version",0,4: /,
      errorCode: 'ERROR',
    },
    {
      step: 'open',
      faults: { openFault: 'dns-failure' },
      explanation: /could not open broker\.fleet\.local:1883: Failed to parse domain name: Check the host name/,
      errorCode: '+QMTOPEN: 0,4',
    },
    {
      step: 'connect',
      faults: { forceConnackCode: 5 },
      explanation: /CONNACK 5.*not authorized: check the user name and password/,
      errorCode: '+QMTCONN: 0,0,5',
    },
    {
      step: 'connect',
      faults: { forceConnackCode: 4 },
      explanation: /bad user name or password: check the user name and password/,
      errorCode: '+QMTCONN: 0,0,4',
    },
    { step: 'subscribe', faults: { errorOn: ['+QMTSUB'] }, explanation: /AT\+QMTSUB to fleet\//, errorCode: 'ERROR' },
    { step: 'publish', faults: { errorOn: ['+QMTPUBEX'] }, explanation: /AT\+QMTPUBEX to fleet\//, errorCode: 'ERROR' },
    { step: 'close', faults: { errorOn: ['+QMTDISC'] }, explanation: /AT\+QMTDISC=0: /, errorCode: 'ERROR' },
  ];

  it.each(cases)('$step ($errorCode)', async ({ step, faults, explanation, errorCode }) => {
    const fleet = await fleetOf({ count: 2 });
    if (faults !== undefined) fleet.modules[1]?.setFaults(faults);
    const result = await batchOn(fleet, { profile: await loadOk(demoProfile) }).done;
    expect(unitOf(result, 'virtual:0')).toMatchObject({ result: 'pass', failedStep: null });
    const failed = unitOf(result, 'virtual:1');
    expect(failed).toMatchObject({ result: 'fail', failedStep: step, errorCode });
    expect(failed.error).toMatch(explanation);
    const [record] = await fleet.store.history.units({ runId: result.runId }).then((r) => r.slice(1));
    expect(record).toMatchObject({ result: 'fail', failedStep: step, errorCode, error: failed.error });
    // A step tried again has a record per try: the last one carries the unit's error.
    const failedStep = record?.steps.filter((s) => s.status === 'failed').at(-1);
    expect(failedStep).toMatchObject({ name: step, explanation: failed.error });
  });

  it('precheck says which check failed: no signal while the radio is off', async () => {
    const fleet = await fleetOf({ count: 2 });
    when(fleet, 'virtual:1', 'identify', 'passed', () => {
      const module = fleet.modules[1];
      if (module !== undefined) module.state.cfun = 4;
    });
    const result = await batchOn(fleet, { profile: await loadOk(demoProfile), registrationWaitMs: 1_500 }).done;
    expect(unitOf(result, 'virtual:0').result).toBe('pass');
    expect(unitOf(result, 'virtual:1')).toMatchObject({
      result: 'fail',
      failedStep: 'precheck',
      errorCode: '+CSQ: 99,99',
      error: 'signal: none (+CSQ: 99,99): check the antenna and the network coverage',
    });
  });

  it('readback names the setting that reads back differently', async () => {
    const fleet = await fleetOf({ count: 2 });
    // After mqttcfg and before readback, the module's keepalive changes (as a firmware that ignores a setting).
    when(fleet, 'virtual:1', 'mqttcfg', 'passed', () => {
      const slot = fleet.modules[1]?.state.mqtt[0];
      if (slot !== undefined) slot.config.keepalive = 30;
    });
    const result = await batchOn(fleet, { profile: await loadOk(demoProfile) }).done;
    expect(unitOf(result, 'virtual:0').result).toBe('pass');
    expect(unitOf(result, 'virtual:1')).toMatchObject({
      result: 'fail',
      failedStep: 'readback',
      error: '1 of 13 settings read back differently: mqtt keepalive: seconds: wrote 60, read 30',
    });
  });

  it('receive fails when the message never comes back', async () => {
    const fleet = await fleetOf({ count: 2 });
    // The broker forgets the unit's subscription right after granting it.
    when(fleet, 'virtual:1', 'subscribe', 'passed', () => {
      const session = fleet.modules[1]?.state.mqtt[0]?.session;
      void session?.unsubscribe(9, [`fleet/${fleet.modules[1]?.identity.imei ?? ''}/selftest`], () => undefined);
    });
    const file = await demoVariant((text) =>
      text.replace('keepalive: 60', 'keepalive: 60\n  timeout: { pkt_timeout: 1, retry_times: 0 }'),
    );
    const result = await batchOn(fleet, { profile: await loadOk(file) }).done;
    expect(unitOf(result, 'virtual:0').result).toBe('pass');
    expect(unitOf(result, 'virtual:1')).toMatchObject({ result: 'fail', failedStep: 'receive', errorCode: 'timeout' });
    expect(unitOf(result, 'virtual:1').error).toMatch(
      /the message did not come back within \d+ ms \(no \+QMTRECV of it arrived\)/,
    );
  });

  it("a link that drops mid-run (+QMTSTAT) fails the step it hits, in the note's words", async () => {
    const fleet = await fleetOf({ count: 2 });
    when(fleet, 'virtual:1', 'publish', 'running', () => fleet.modules[1]?.dropLink(0));
    const result = await batchOn(fleet, { profile: await loadOk(demoProfile) }).done;
    expect(unitOf(result, 'virtual:0').result).toBe('pass');
    const failed = unitOf(result, 'virtual:1');
    expect(failed).toMatchObject({ result: 'fail', errorCode: '+QMTSTAT: 0,7' });
    expect(['publish', 'receive']).toContain(failed.failedStep);
    expect(failed.error).toBe(
      'the MQTT link was closed: The link is not alive or the server is unavailable. ' +
        'Make sure the link is alive or the server is available currently.',
    );
  });

  it('a unit unplugged mid-run fails there, saying the port went away', async () => {
    const fleet = await fleetOf({ count: 2 });
    when(fleet, 'virtual:1', 'readback', 'running', () => fleet.modules[1]?.unplug());
    const result = await batchOn(fleet, { profile: await loadOk(demoProfile) }).done;
    expect(unitOf(result, 'virtual:0').result).toBe('pass');
    expect(unitOf(result, 'virtual:1')).toMatchObject({
      result: 'fail',
      failedStep: 'readback',
      errorCode: 'port-closed',
    });
    expect(unitOf(result, 'virtual:1').error).toMatch(/the port went away .*check the cable/);
  });

  it('answers that keep coming too late fail the step after its tries, naming the command', async () => {
    const fleet = await fleetOf({ count: 2 });
    fleet.modules[1]?.setFaults({ lateResponse: { '+QMTCFG': 2_000 } });
    const result = await batchOn(fleet, { profile: await loadOk(demoProfile) }).done;
    expect(unitOf(result, 'virtual:0').result).toBe('pass');
    expect(unitOf(result, 'virtual:1')).toMatchObject({ result: 'fail', failedStep: 'mqttcfg', errorCode: 'timeout' });
    expect(unitOf(result, 'virtual:1').error).toMatch(/^MQTT setting version: /);
    const tries = result.run.units[1]?.steps.find((s) => s.step === 'mqttcfg')?.attempt;
    expect(tries).toBe(3);
  });

  it('an exhausted pool stops the unit it cannot serve, the others go on', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fleet-manifest-'));
    dirs.push(dir);
    const manifest = join(dir, 'one.csv');
    await writeFile(manifest, 'credential_id,password\nonly-1,only-password-1\n');
    const fleet = await fleetOf({ count: 2, manifest });
    const result = await batchOn(fleet, { profile: await loadOk(demoProfile) }).done;
    expect(result.counts).toMatchObject({ passed: 1, failed: 1 });
    const failed = result.units.find((u) => u.result === 'fail');
    expect(failed).toMatchObject({ failedStep: 'credential', errorCode: 'failed' });
    expect(failed?.error).toMatch(/pool exhausted/);
    const close = result.run.units.find((u) => u.result === 'fail')?.steps.find((s) => s.step === 'close');
    expect(close).toMatchObject({ status: 'skipped', explanation: 'nothing was opened' });
  });

  it('a unit that restarts mid-run fails with "the module restarted" and passes when run again', async () => {
    const fleet = await fleetOf({ count: 2 });
    when(fleet, 'virtual:1', 'subscribe', 'running', () => fleet.modules[1]?.reboot());
    const profile = await loadOk(demoProfile);
    const first = await batchOn(fleet, { profile }).done;
    expect(unitOf(first, 'virtual:0').result).toBe('pass');
    expect(unitOf(first, 'virtual:1')).toMatchObject({ result: 'fail', failedStep: 'subscribe', errorCode: 'RDY' });
    expect(unitOf(first, 'virtual:1').error).toMatch(/^the module restarted/);
    await waitForIdentified(fleet.station);
    const again = await startBatch({
      station: fleet.station,
      store: fleet.store,
      profile,
      moduleIds: ['virtual:1'],
      stationId: 'test',
    }).done;
    expect(unitOf(again, 'virtual:1').result).toBe('pass');
    // The same credential: re-provisioning reuses it.
    expect(unitOf(again, 'virtual:1').credentialId).toBe(unitOf(first, 'virtual:1').credentialId);
  });
});

describe('cancelling and retrying', () => {
  it('cancels a whole run: every unit cancelled where it was, the run recorded cancelled', async () => {
    const fleet = await fleetOf({ count: 3 });
    const profile = await loadOk(demoProfile);
    const batch = batchOn(fleet, { profile });
    when(fleet, 'virtual:0', 'open', 'running', () => batch.cancel('the shift ended'));
    const result = await batch.done;
    expect(result.counts.cancelled + result.counts.passed).toBe(3);
    expect(unitOf(result, 'virtual:0')).toMatchObject({
      result: 'cancelled',
      errorCode: 'cancelled',
      error: 'the shift ended',
    });
    expect(await fleet.store.history.run(batch.runId)).toMatchObject({ state: 'cancelled' });
    // A link left open by the cancelled run is closed by the next one (mqttcfg), which passes.
    await waitForIdentified(fleet.station);
    const again = await batchOn(fleet, { profile }).done;
    expect(again.counts.passed).toBe(3);
  });

  it('cancels one unit: the others pass', async () => {
    const fleet = await fleetOf({ count: 3 });
    const batch = batchOn(fleet, { profile: await loadOk(demoProfile) });
    when(fleet, 'virtual:1', 'readback', 'running', () => batch.cancelUnit('virtual:1', 'pulled for rework'));
    const result = await batch.done;
    expect(unitOf(result, 'virtual:1')).toMatchObject({
      result: 'cancelled',
      failedStep: 'readback',
      error: 'pulled for rework',
    });
    expect(unitOf(result, 'virtual:0').result).toBe('pass');
    expect(unitOf(result, 'virtual:2').result).toBe('pass');
    expect(batch.cancelUnit('virtual:9')).toBe(false);
    const records = await fleet.store.history.units({ runId: batch.runId });
    expect(records.map((r) => r.result)).toEqual(['pass', 'cancelled', 'pass']);
  });

  it('retry failed reruns only the units that did not pass, from the start', async () => {
    const fleet = await fleetOf({ count: 3 });
    fleet.modules[1]?.setFaults({ forceConnackCode: 5 });
    const profile = await loadOk(demoProfile);
    const first = await batchOn(fleet, { profile }).done;
    expect(first.units.map((u) => u.result)).toEqual(['pass', 'fail', 'pass']);
    fleet.modules[1]?.setFaults({});
    const selection = await retrySelection(fleet.store, first.runId);
    expect(selection).toEqual({
      runId: first.runId,
      imeis: [fleet.modules[1]?.identity.imei],
      // Where the unit was: a retry looks there first.
      ports: ['virtual:1'],
      unidentified: 0,
    });
    const moduleIds = fleet.station
      .list()
      .filter((m) => m.imei !== null && selection.imeis.includes(m.imei))
      .map((m) => m.id);
    expect(moduleIds).toEqual(['virtual:1']);
    const retry = await batchOn(fleet, { profile, moduleIds, retryOf: first.runId }).done;
    expect(retry.units.map((u) => [u.moduleId, u.result])).toEqual([['virtual:1', 'pass']]);
    expect(retry.run.units[0]?.steps[0]).toMatchObject({ step: 'identify', status: 'passed' });
    expect(await fleet.store.history.run(retry.runId)).toMatchObject({ retryOf: first.runId, state: 'finished' });
    // The first run's records are as they were; the retry holds the one unit.
    expect((await fleet.store.history.units({ runId: first.runId })).map((u) => u.result)).toEqual([
      'pass',
      'fail',
      'pass',
    ]);
    expect(await fleet.store.history.units({ runId: retry.runId })).toHaveLength(1);
    await expect(retrySelection(fleet.store, 'no-such-run')).rejects.toThrow(/no run no-such-run/);
  });
});
