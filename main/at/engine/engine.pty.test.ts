import { readFile } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import * as at from '../commands';
import { AtError } from '../vocab/errors';
import { ParserPool } from '../worker/pool';
import { startPtyModule, type PtyModule, type PtyModuleOptions } from '../../emulator/pty-module';
import { startMosquitto, type Mosquitto } from '../../testing/mosquitto';
import { SerialTransport } from '../../transport/serial';
import { AtEngine, type UrcNotice } from './engine';
import type { TranscriptEntry } from './transcript';

/**
 * The engine as production runs it: SerialTransport on a real pseudo-terminal, parsing in the worker pool,
 * against the virtual module (main/emulator/) whose MQTT client talks to a real Mosquitto.
 */

let pool: ParserPool;
let broker: Mosquitto;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  pool = new ParserPool({ workers: 1 });
  broker = await startMosquitto({ tls: { requireCertificate: true } });
});

afterAll(async () => {
  await broker.stop();
  await pool.dispose();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Station {
  readonly device: PtyModule;
  readonly port: SerialTransport;
  readonly engine: AtEngine;
  readonly transcript: TranscriptEntry[];
}

const ALI_HOST = 'iot-as-mqtt.cn-shanghai.aliyuncs.com';
const AWS_HOST = 'a1zgnxur10j8ux.iot.us-east-1.amazonaws.com';

/** Resolves with the next URC of that name. */
function nextUrc(engine: AtEngine, name: string): Promise<UrcNotice> {
  return new Promise((resolve) => {
    const subscription = engine.onUrc(name, (event) => {
      subscription.dispose();
      resolve(event);
    });
  });
}

/** A powered-on virtual module behind a pty, and an engine on the station end; resolves once the module said RDY. */
async function station(options: PtyModuleOptions = {}): Promise<Station> {
  const hostMap = new Map([
    [ALI_HOST, { host: broker.host, port: broker.port }],
    [AWS_HOST, { host: '127.0.0.1', port: broker.tlsPort }],
  ]);
  const device = await startPtyModule({ hostMap, autoPowerOn: false, ...options });
  cleanups.push(() => device.close());
  const port = await SerialTransport.open({ path: device.path });
  cleanups.push(() => port.close());
  const engine = new AtEngine({ transport: port, parser: pool.open(device.path) });
  cleanups.push(() => Promise.resolve(engine.dispose()));
  const transcript: TranscriptEntry[] = [];
  engine.onTranscript((entry) => transcript.push(entry));
  // The transcript is redacted, so it is safe to print: it is what a support engineer would look at first.
  onTestFailed(() => {
    const lines = transcript.map(
      (e) => `${e.direction === 'out' ? '>>' : '<<'} ${e.kind} ${JSON.stringify(e.text)} ${e.note ?? ''}`,
    );
    console.error(`transcript of ${device.path}:\n${lines.join('\n')}`);
  });
  const ready = nextUrc(engine, 'RDY');
  device.module.powerOn();
  await ready;
  return { device, port, engine, transcript };
}

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');

describe('AtEngine over a real pty against the virtual module', () => {
  it('works with echo on (power-up default) and after ATE0', async () => {
    const { engine, transcript } = await station();
    await engine.run(at.at());
    const info = await engine.run(at.ati());
    expect(info.manufacturer).toBe('Quectel');
    // The first line written proves the port clean: the probe's own echo and OK, before any command.
    expect(transcript.find((e) => e.direction === 'out')?.text).toBe('ATE1V1Q0');
    const commandEchoes = (): string[] =>
      transcript.filter((e) => e.kind === 'echo' && e.note === undefined).map((e) => e.text);
    expect(commandEchoes()).toEqual(['AT', 'ATI']);
    await engine.run(at.echo(false));
    const imei = await engine.run(at.gsn());
    expect(imei).toMatch(/^\d{15}$/);
    expect(await engine.run(at.cgsn())).toBe(imei);
    // ATE0 still echoes itself; nothing after it does.
    expect(commandEchoes()).toEqual(['AT', 'ATI', 'ATE0']);
    expect(engine.health).toMatchObject({ state: 'ok', staleLines: 0 });
  });

  it('runs the spec 5.1 session (no SSL, Alibaba credentials) against Mosquitto', async () => {
    const { engine, transcript } = await station();
    const secret = 'wN9Y6pZSIly7Exa5qVzcmigEGO4kAazZ';
    await engine.run(at.qmtcfg(0, { name: 'recv/mode', msgRecvMode: 0, msgLenEnable: true }));
    await engine.run(
      at.qmtcfg(0, { name: 'aliauth', productKey: 'oyjtmPI5a5j', deviceName: 'MQTT_TEST', deviceSecret: secret }),
    );
    expect(await engine.run(at.qmtopen(0, ALI_HOST, 1883))).toMatchObject({ clientIdx: 0, result: 0 });
    expect(await engine.run(at.qmtopenQuery())).toEqual([{ clientIdx: 0, host: ALI_HOST, port: 1883 }]);
    expect(await engine.run(at.qmtconn(0, 'clientExample'))).toMatchObject({ result: 0, retCode: 0 });
    expect(await engine.run(at.qmtsub(0, 1, [{ topic: 'topic/example', qos: 2 }]))).toMatchObject({
      result: 0,
      grantedQos: [2],
    });
    expect(await engine.run(at.qmtsub(0, 1, [{ topic: 'topic/pub', qos: 0 }]))).toMatchObject({ result: 0 });

    const received = nextUrc(engine, '+QMTRECV');
    await broker.publish('topic/example', 'This is the payload related to topic', 0);
    const message = await received;
    expect(message.kind).toBe('recv');
    if (message.kind === 'recv') {
      expect(message).toMatchObject({ clientIdx: 0, topic: 'topic/example', payloadLength: 36 });
      expect(text(message.payload)).toBe('This is the payload related to topic');
    }

    expect(await engine.run(at.qmtuns(0, 2, ['topic/example']))).toMatchObject({ result: 0 });
    const listener = await broker.subscribe('topic/pub');
    cleanups.push(() => listener.stop());
    const echoBack = nextUrc(engine, '+QMTRECV');
    const payload = 'This is test data, hello MQTT.';
    expect(await engine.run(at.qmtpubex(0, 0, 0, 'topic/pub', payload))).toMatchObject({ result: 0 });
    const [published] = await listener.waitFor(1);
    expect(published?.payload.toString()).toBe(payload);
    const back = await echoBack;
    expect(back.kind === 'recv' ? text(back.payload) : back.raw).toBe(payload);

    expect(await engine.run(at.qmtdisc(0))).toMatchObject({ clientIdx: 0, result: 0 });
    expect(JSON.stringify(transcript)).not.toContain(secret);
    expect(engine.health.state).toBe('ok');
  });

  it.each([true, false])(
    'runs the spec 5.2 session (SSL, client certificate) over TLS to Mosquitto, echo %s',
    async (echo) => {
      const { engine, transcript } = await station();
      const { caPem, clientCert, clientKey } = broker.certs;
      // With echo on (power-up default) the file bytes after CONNECT are not echoed, the prompt payload is.
      if (!echo) await engine.run(at.echo(false));
      await engine.run(at.qmtcfg(0, { name: 'recv/mode', msgRecvMode: 0, msgLenEnable: true }));
      await engine.run(at.qmtcfg(0, { name: 'ssl', enable: true, contextId: 2 }));
      for (const [name, pem] of [
        ['cacert.pem', caPem.pem],
        ['client.pem', clientCert.pem],
        ['user_key.pem', clientKey.pem],
      ] as const) {
        const bytes = new TextEncoder().encode(pem);
        expect(await engine.run(at.qfupl(name, bytes, { inputTimeoutS: 100 }))).toMatchObject({ size: bytes.length });
      }
      await engine.run(at.qsslcfg(2, { param: 'cacert', value: 'UFS:cacert.pem' }));
      await engine.run(at.qsslcfg(2, { param: 'clientcert', value: 'UFS:client.pem' }));
      await engine.run(at.qsslcfg(2, { param: 'clientkey', value: 'UFS:user_key.pem' }));
      await engine.run(at.qsslcfg(2, { param: 'seclevel', value: 2 }));
      await engine.run(at.qsslcfg(2, { param: 'sslversion', value: 4 }));
      await engine.run(at.qsslcfg(2, { param: 'ciphersuite', value: 0xffff }));
      await engine.run(at.qsslcfg(2, { param: 'ignorelocaltime', value: true }));
      expect(await engine.run(at.qmtopen(0, AWS_HOST, 8883))).toMatchObject({ result: 0 });
      expect(await engine.run(at.qmtconn(0, 'M26_0206'))).toMatchObject({ result: 0, retCode: 0 });
      const topic = '$aws/things/M26_0206/shadow/update/accepted';
      expect(await engine.run(at.qmtsub(0, 1, [{ topic, qos: 1 }]))).toMatchObject({ result: 0, grantedQos: [1] });
      const received = nextUrc(engine, '+QMTRECV');
      const payload = 'This is publish data from client';
      expect(await engine.run(at.qmtpubex(0, 1, 1, topic, payload))).toMatchObject({ result: 0 });
      const message = await received;
      expect(message.kind === 'recv' ? text(message.payload) : message.raw).toBe(payload);
      expect(await engine.run(at.qmtdisc(0))).toMatchObject({ result: 0 });
      // The private key went over the wire but never into the transcript.
      const keyBody = (await readFile(clientKey.path, 'utf8')).split('\n')[1] ?? 'missing';
      expect(JSON.stringify(transcript)).not.toContain(keyBody);
      expect(transcript.some((e) => /^<\d+ bytes redacted>$/.test(e.text))).toBe(true);
    },
  );

  it('fails the upload in flight and everything queued when the port is unplugged mid-upload', async () => {
    const { device, engine } = await station();
    const file = new Uint8Array(64 * 1024).map((_, i) => i & 0xff);
    const writing = new Promise<void>((resolve) => {
      const sub = engine.onTranscript((entry) => {
        if (entry.kind === 'payload') {
          sub.dispose();
          resolve();
        }
      });
    });
    const upload = engine.run(at.qfupl('big.bin', file)).catch((error: unknown) => error);
    const queued = engine.run(at.csq()).catch((error: unknown) => error);
    await writing;
    expect(engine.mode).toBe('data');
    await device.unplug();
    for (const error of [await upload, await queued]) {
      expect(error).toBeInstanceOf(AtError);
      expect((error as AtError).code).toBe('port-closed');
      expect((error as AtError).message).toContain(`port ${device.path} closed`);
      expect((error as AtError).message).toContain('vanished');
    }
    expect(engine.health.state).toBe('closed');
    await expect(engine.run(at.at())).rejects.toMatchObject({ code: 'port-closed' });
  });

  it('reports a module that reboots mid-session and carries on after it', async () => {
    const { device, engine } = await station({ faults: { lateResponse: { '+QIACT': 60_000 } } });
    const written = new Promise<void>((resolve) => {
      const sub = engine.onTranscript((entry) => {
        if (entry.direction === 'in' && entry.kind === 'echo' && entry.text === 'AT+QIACT=1') {
          sub.dispose();
          resolve();
        }
      });
    });
    const pending = engine.run(at.qiact(1)).catch((error: unknown) => error);
    const rdy = nextUrc(engine, 'RDY');
    // Reboot once the module has the command (its echo is back), while it is still working on it.
    await written;
    device.module.reboot();
    const error = (await pending) as AtError;
    expect(error.code).toBe('command-error');
    expect(error.message).toContain('RDY');
    await rdy;
    // After a reboot echo is back on and MQTT settings are gone; the port works as before.
    expect((await engine.run(at.ati())).manufacturer).toBe('Quectel');
    expect(engine.health.state).toBe('ok');
  });

  it('survives garbage on the line, idle and mid-command', async () => {
    const { device, engine, transcript } = await station();
    const imei = await engine.run(at.gsn());
    const seen = new Promise<void>((resolve) => {
      const sub = engine.onTranscript((entry) => {
        if (entry.direction === 'in' && entry.kind === 'unknown') {
          sub.dispose();
          resolve();
        }
      });
    });
    device.module.injectGarbage(new Uint8Array([0x00, 0xff, 0x0d, 0x0a, 0x4f, 0x4b, 0x21, 0x0d, 0x0a]));
    await seen;
    expect(await engine.run(at.cgsn())).toBe(imei);
    // Noise while a command is in flight may spoil that answer, but only as a clean error, never a crash or a
    // wrong value; the port goes on working.
    const during = engine.run(at.gsn()).catch((error: unknown) => error);
    device.module.injectGarbage();
    const outcome = await during;
    if (outcome instanceof AtError) expect(outcome.code).toBe('bad-response');
    else expect(outcome).toBe(imei);
    expect(await engine.run(at.qccid())).toMatch(/^\d{19,20}$/);
    expect(await engine.run(at.cgsn())).toBe(imei);
    expect(transcript.some((e) => e.direction === 'in' && e.kind === 'unknown')).toBe(true);
  });

  it('times out a response that never comes, resyncs, and the next command still works', async () => {
    const { engine } = await station({ faults: { dropResponseOn: ['+CSQ'] } });
    const error = (await engine.run(at.csq()).catch((e: unknown) => e)) as AtError;
    expect(error.code).toBe('timeout');
    expect(engine.health).toMatchObject({ state: 'degraded', consecutiveTimeouts: 1 });
    const imei = await engine.run(at.gsn());
    expect(imei).toMatch(/^\d{15}$/);
    expect(engine.health).toMatchObject({ state: 'ok', consecutiveTimeouts: 0, totalTimeouts: 1 });
    expect(engine.health.resyncs).toBeGreaterThanOrEqual(1);
  });

  it('never hands a late reply to the next command', async () => {
    const { engine } = await station({ faults: { lateResponse: { '+CGSN': 700 } } });
    const late = (await engine.run(at.cgsn()).catch((e: unknown) => e)) as AtError;
    expect(late.code).toBe('timeout');
    const iccid = await engine.run(at.qccid());
    expect(iccid).toMatch(/^\d{19,20}$/);
    const imei = await engine.run(at.gsn());
    expect(imei).toMatch(/^\d{15}$/);
    expect(engine.health.staleLines).toBeGreaterThan(0);
  });
});
