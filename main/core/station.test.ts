import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TranscriptLine } from '../../shared/contract';
import { startStationRuntime, type StationRuntime } from '../app/station-app';
import { startVirtualFleet } from '../app/virtual-fleet';
import { InProcessTransport } from '../emulator/in-process-transport';
import { createMqttClientSession } from '../emulator/net/session';
import { VirtualModule } from '../emulator/virtual-module';
import { AtEngine, inThreadParserLink } from '../at/engine';
import { Station } from './station';
import { waitForEvent, waitForIdentified, waitForModule } from './wait-for';

// The station core against real virtual modules (in-process transports) and the embedded broker, through the
// same composition root `fleet-station serve` uses.
describe('Station with virtual modules', () => {
  let runtime: StationRuntime;

  beforeAll(async () => {
    runtime = await startStationRuntime({ virtual: 2, portPaths: [], startVirtualFleet });
    await waitForIdentified(runtime.station);
  });
  afterAll(async () => {
    await runtime.close();
  });

  it('identifies every module: model, revision, IMEI, ICCID, IMSI', () => {
    const modules = runtime.station.list();
    expect(modules.map((m) => m.id)).toEqual(['virtual:0', 'virtual:1']);
    for (const m of modules) {
      expect(m.state).toBe('ready');
      expect(m.connection).toBe('ready');
      expect(m.activity).toEqual({ kind: 'idle' });
      expect(m.imsi).toMatch(/^\d{15}$/);
      expect(m.model).toMatch(/^E[CG][0-9]00U$/);
      expect(m.revision).toMatch(new RegExp(`^${m.model ?? ''}`));
      expect(m.imei).toMatch(/^\d{15}$/);
      expect(m.iccid).toMatch(/^\d{18,19}[0-9A-F]$/);
    }
    expect(new Set(modules.map((m) => m.imei)).size).toBe(2);
  });

  it('answers ATI with the decoded identity', async () => {
    const result = await runtime.station.sendAt('virtual:0', 'ATI');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const module = runtime.station.list()[0];
    expect(result.value.verdict).toBe('ok');
    expect(result.value.final).toBe('OK');
    expect(result.value.fields).toContainEqual({ label: 'Manufacturer', value: 'Quectel' });
    expect(result.value.fields).toContainEqual({ label: 'Model', value: module?.model });
  });

  it('answers AT+CGSN and AT+GSN with the IMEI the list shows', async () => {
    const imei = runtime.station.list()[1]?.imei;
    for (const line of ['AT+CGSN', 'AT+GSN']) {
      const result = await runtime.station.sendAt('virtual:1', line);
      expect(result.ok && result.value.fields).toEqual([{ label: 'IMEI', value: imei }]);
    }
  });

  it('reads an AT+QMTCFG setting with its spec default', async () => {
    const result = await runtime.station.sendAt('virtual:0', 'AT+QMTCFG="keepalive",0');
    expect(result.ok && result.value.fields).toEqual([{ label: 'Keep-alive (s)', value: '120' }]);
  });

  it('reports a command the module refuses as an ERROR outcome, not a failure', async () => {
    const result = await runtime.station.sendAt('virtual:0', 'AT+NOSUCHCOMMAND');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.verdict).toBe('error');
    expect(result.value.final).toBe('ERROR');
    expect(result.value.summary).toMatch(/refused/);
    const after = await runtime.station.sendAt('virtual:0', 'AT');
    expect(after.ok && after.value.verdict).toBe('ok');
  });

  it('refuses commands with a data phase and unknown modules with clear codes', async () => {
    const pub = await runtime.station.sendAt('virtual:0', 'AT+QMTPUBEX=0,0,0,0,"t",5');
    expect(pub.ok ? 'ok' : pub.error.code).toBe('invalid-input');
    const unknown = await runtime.station.sendAt('virtual:9', 'AT');
    expect(unknown.ok ? 'ok' : unknown.error.code).toBe('unknown-module');
    const transcript = runtime.station.transcript('nope');
    expect(transcript.ok ? 'ok' : transcript.error.code).toBe('unknown-module');
  });

  it.each([
    'AT+QMTCFG="willex" ,0,1,0,0,"t",60',
    'AT+QMTCFG = "WILLEX",0,1,0,0,"t",60',
    'AT+QMTCFG="willex",0,1,0,0,"t"',
    'AT+QMTPUBEX =0,0,0,0,"t",5',
    'at+qmtpub=0,0,0,0,"t"',
    'AT+CMGS="+8613800000000"',
    'AT+QISEND=0',
    'AT+QFWRITE=1,10',
    'AT+QHTTPPOST=10,60,60',
    'AT+QFUPL="UFS:a.pem",10',
  ])('refuses the data-phase command %s however it is spelled', async (line) => {
    const result = await runtime.station.sendAt('virtual:0', line);
    expect(result.ok ? 'ok' : result.error.message).toMatch(/data phase/);
  });

  it('refuses joined commands, which would smuggle a data-phase command past the checks', async () => {
    const result = await runtime.station.sendAt('virtual:0', 'AT+CSQ;+QMTPUBEX=0,0,0,0,"t",5');
    expect(result.ok ? 'ok' : result.error.message).toMatch(/one command per line/);
    const after = await runtime.station.sendAt('virtual:0', 'AT');
    expect(after.ok && after.value.verdict).toBe('ok');
  });

  it('sends a Will topic with a ";" inside its quotes (issue 8 item 8) and still refuses a joined tail', async () => {
    const set = await runtime.station.sendAt('virtual:0', 'AT+QMTCFG="will",0,1,0,0,"fleet/a;b","gone;away"');
    expect(set.ok && set.value.verdict).toBe('ok');
    const read = await runtime.station.sendAt('virtual:0', 'AT+QMTCFG="will",0');
    expect(read.ok && read.value.lines).toEqual(['+QMTCFG: "will",1,0,0,"fleet/a;b","gone;away"']);
    for (const line of ['AT+QMTCFG="will",0,1,0,0,"a;b";+CSQ', 'AT+QMTCFG="will",0,1,0,0,"a;b']) {
      const joined = await runtime.station.sendAt('virtual:0', line);
      expect(joined.ok ? 'ok' : joined.error.message).toMatch(/one command per line/);
    }
  });

  it('still sends willex queries and a cleared will flag, which have no data phase', async () => {
    const read = await runtime.station.sendAt('virtual:0', 'AT+QMTCFG="willex",0');
    expect(read.ok && read.value.verdict).toBe('ok');
    const clear = await runtime.station.sendAt('virtual:0', 'AT+QMTCFG="willex",0,0');
    expect(clear.ok && clear.value.verdict).toBe('ok');
  });

  it('never lets the APN password into the answer, the transcript or the pushed lines', async () => {
    const secret = 'apnSecret9';
    const pushed: TranscriptLine[] = [];
    const subscription = runtime.station.on('transcriptLines', (lines) => pushed.push(...lines));
    const set = await runtime.station.sendAt('virtual:0', `AT+QICSGP=1,1,"apn","user","${secret}",1`);
    expect(set.ok && set.value.command).toBe('AT+QICSGP=1,1,"apn","user","***",1');
    const answered = waitForEvent(runtime.station, 'transcriptLines', (lines) =>
      lines.some((l) => l.text.startsWith('+QICSGP:')),
    );
    const read = await runtime.station.sendAt('virtual:0', 'AT+QICSGP=1');
    expect(read.ok && read.value.lines).toEqual(['+QICSGP: 1,"apn","user","***",1']);
    await answered;
    subscription.dispose();
    const stored = runtime.station.transcript('virtual:0');
    expect(stored.ok && stored.value.some((l) => l.dir === 'tx' && l.text.startsWith('AT+QICSGP=1,1'))).toBe(true);
    const everything = JSON.stringify([stored, pushed, set, read]);
    expect(everything).not.toContain(secret);
  });

  it.each([
    ['AT+QMTCFG= "aliauth",0,"pk","dn","aliSecret8"', 'aliSecret8'],
    ['AT+QMTCONN =0,"cid","user","connSecret9"', 'connSecret9'],
    ['AT+QMTCONN=0,"cid","us"er","connSecret9"', 'connSecret9'],
    ['AT+CPIN="pinSecret7"', 'pinSecret7'],
  ])('keeps the secret of %s out of the answer and the transcript', async (line, secret) => {
    const pushed: TranscriptLine[] = [];
    const subscription = runtime.station.on('transcriptLines', (lines) => pushed.push(...lines));
    const result = await runtime.station.sendAt('virtual:1', line);
    // Batches are pushed in order: once the marker's line is pushed, every line before it has been too.
    const flushed = waitForEvent(runtime.station, 'transcriptLines', (lines) =>
      lines.some((l) => l.dir === 'tx' && l.text === 'AT'),
    );
    const marker = await runtime.station.sendAt('virtual:1', 'AT');
    expect(marker.ok).toBe(true);
    await flushed;
    subscription.dispose();
    const stored = runtime.station.transcript('virtual:1', 20);
    const everything = JSON.stringify([stored, pushed, result]);
    expect(everything).not.toContain(secret);
    expect(everything).toContain('***');
  });

  it('never lets a device secret into the transcript, the answer or the pushed lines', async () => {
    const secret = 'S3cretDeviceKey0123456789abcdef';
    const pushed: TranscriptLine[] = [];
    const subscription = runtime.station.on('transcriptLines', (lines) => pushed.push(...lines));
    const set = await runtime.station.sendAt('virtual:1', `AT+QMTCFG="aliauth",0,"pk1","dev1","${secret}"`);
    expect(set.ok && set.value.command).toBe('AT+QMTCFG="aliauth",0,"pk1","dev1","***"');
    const read = await runtime.station.sendAt('virtual:1', 'AT+QMTCFG="aliauth",0');
    expect(read.ok).toBe(true);
    if (!read.ok) return;
    expect(read.value.fields).toContainEqual({ label: 'Device secret', value: '***' });
    expect(read.value.fields).toContainEqual({ label: 'Product key', value: 'pk1' });
    await waitForEvent(runtime.station, 'transcriptLines', (lines) =>
      lines.some((l) => l.text.startsWith('+QMTCFG: "aliauth"')),
    );
    subscription.dispose();
    const stored = runtime.station.transcript('virtual:1');
    const everything = JSON.stringify([stored, pushed, set, read]);
    expect(everything).not.toContain(secret);
    expect(everything).toContain('***');
  });

  it('keeps a per-module transcript with increasing sequence numbers, pushed in batches', async () => {
    const batch = waitForEvent(runtime.station, 'transcriptLines', (lines) => lines.some((l) => l.text === 'AT+CSQ'));
    await runtime.station.sendAt('virtual:0', 'AT+CSQ');
    const lines = await batch;
    expect(lines.length).toBeGreaterThan(1);
    const stored = runtime.station.transcript('virtual:0');
    expect(stored.ok).toBe(true);
    if (!stored.ok) return;
    const seqs = stored.value.map((l) => l.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(stored.value.some((l) => l.dir === 'tx' && l.text === 'AT+CSQ')).toBe(true);
    expect(stored.value.some((l) => l.dir === 'rx' && l.text.startsWith('+CSQ:'))).toBe(true);
  });
});

describe('Station guided session reaching the embedded broker', () => {
  it('opens and closes an MQTT network: OK first, then the +QMTOPEN / +QMTCLOSE results in the transcript', async () => {
    const runtime = await startStationRuntime({ virtual: 1, portPaths: [], startVirtualFleet });
    try {
      await waitForIdentified(runtime.station);
      const opened = waitForEvent(runtime.station, 'transcriptLines', (lines) =>
        lines.some((l) => l.text.startsWith('+QMTOPEN: 0,')),
      );
      const open = await runtime.station.sendAt('virtual:0', 'AT+QMTOPEN=0,"broker.fleet.local",1883');
      expect(open.ok && open.value.final).toBe('OK');
      const openLines = await opened;
      expect(openLines.find((l) => l.text.startsWith('+QMTOPEN: 0,'))?.text).toBe('+QMTOPEN: 0,0');
      const read = await runtime.station.sendAt('virtual:0', 'AT+QMTOPEN?');
      expect(read.ok && read.value.lines).toEqual(['+QMTOPEN: 0,"broker.fleet.local",1883']);
      const closed = waitForEvent(runtime.station, 'transcriptLines', (lines) =>
        lines.some((l) => l.text === '+QMTCLOSE: 0,0'),
      );
      const close = await runtime.station.sendAt('virtual:0', 'AT+QMTCLOSE=0');
      expect(close.ok && close.value.final).toBe('OK');
      await closed;
    } finally {
      await runtime.close();
    }
  });
});

describe('Station when a module goes away', () => {
  it('identifies a rebooted module again, marks an unplugged one gone and refuses it clearly', async () => {
    const module = new VirtualModule({ index: 5, sessionFactory: createMqttClientSession, baud: 0, bootDelayMs: 10 });
    const station = new Station({
      openEngine: (transport) => new AtEngine({ transport, parser: inThreadParserLink() }),
    });
    try {
      station.attach(new InProcessTransport(module, 'virtual:5'));
      module.powerOn();
      const [ready] = await waitForIdentified(station);
      expect(ready?.problem ?? 'none').toBe('none');
      expect(ready?.connection).toBe('ready');
      // A reboot (RDY again) makes the station identify the module afresh.
      const seen: string[] = [];
      const watch = station.on('moduleChanged', (unit) => seen.push(unit.connection));
      const again = waitForEvent(
        station,
        'moduleChanged',
        (unit) => seen.includes('identifying') && unit.connection === 'ready',
      );
      module.reboot();
      const rebooted = await again;
      watch.dispose();
      expect(rebooted.imei).toBe(module.identity.imei);
      expect(seen.slice(seen.indexOf('identifying'))).not.toContain('error');

      module.unplug();
      const after = await waitForModule(station, 'virtual:5', (m) => m.connection === 'gone');
      expect(after.state).toBe('disconnected');
      expect(after.problem).toMatch(/unplugged/);
      const result = await station.sendAt('virtual:5', 'AT');
      expect(result.ok ? 'ok' : result.error.code).toBe('module-unavailable');
    } finally {
      await station.dispose();
      module.dispose();
    }
  });
});
