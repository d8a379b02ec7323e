import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMosquitto, type Mosquitto } from '../../testing/mosquitto';
import { connectRequest, openPlain, recordedSession } from './fixtures/session';
import type { PacketReport } from './types';

const noReport = (_r: PacketReport): void => undefined;

describe('MQTT client session over plain TCP against a real Mosquitto', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    await broker.stop();
  });

  it('opens, connects, subscribes, publishes and receives at QoS 0/1/2, disconnects and closes', async () => {
    const rec = recordedSession();
    const { session } = rec;
    expect(session.state).toBe('closed');
    expect(await session.open(openPlain(broker.host, broker.port))).toBe(0);
    expect(session.state).toBe('open');
    expect(await session.connect(connectRequest())).toEqual({ result: 0, retCode: 0 });
    expect(session.state).toBe('connected');

    const sub = await session.subscribe(
      1,
      [
        { topic: 'fleet/rt/0', qos: 0 },
        { topic: 'fleet/rt/1', qos: 1 },
        { topic: 'fleet/rt/2', qos: 2 },
      ],
      noReport,
    );
    expect(sub).toEqual({ result: 0, value: [0, 1, 2] });

    const outside = await broker.subscribe('fleet/rt/#', 2);
    const payloads = ['zero', 'one, "quoted"', 'two\r\nlines\t\u0000\u001a'];
    for (const qos of [0, 1, 2] as const) {
      const payload = Buffer.from(payloads[qos] ?? '', 'latin1');
      const result = await session.publish(qos === 0 ? 0 : 10 + qos, qos, false, `fleet/rt/${qos}`, payload, noReport);
      expect(result).toEqual({ result: 0 });
    }
    expect(session.inflight).toBe(0);
    const seen = await outside.waitFor(3);
    expect(seen.map((m) => m.payload.toString('latin1'))).toEqual(payloads);

    // Our own publishes come back through our subscriptions, each at its granted QoS with the broker's packet id.
    const back = [await rec.nextMessage(), await rec.nextMessage(), await rec.nextMessage()];
    expect(back.map((m) => [m.topic, Buffer.from(m.payload).toString('latin1'), m.qos])).toEqual([
      ['fleet/rt/0', payloads[0], 0],
      ['fleet/rt/1', payloads[1], 1],
      ['fleet/rt/2', payloads[2], 2],
    ]);
    expect(back[0]?.msgid).toBe(0);
    expect(back[1]?.msgid).toBeGreaterThan(0);
    expect(back[2]?.msgid).toBeGreaterThan(0);

    // Messages from another client (mosquitto_pub) arrive too; a QoS 2 one exactly once.
    await broker.publish('fleet/rt/2', 'from outside', 2);
    const external = await rec.nextMessage();
    expect(Buffer.from(external.payload).toString()).toBe('from outside');
    expect(external.qos).toBe(2);

    expect(await session.unsubscribe(2, ['fleet/rt/0', 'fleet/rt/1', 'fleet/rt/2'], noReport)).toEqual({ result: 0 });
    expect(await session.disconnect()).toBe(0);
    expect(session.state).toBe('closed');
    expect(await session.close()).toBe(0);
    expect(rec.stats).toEqual([]);
    expect(rec.messages).toHaveLength(4);
  });

  it('reports identifier occupied (2) when the client is already open, and wrong parameter (1) for a bad port', async () => {
    const { session } = recordedSession();
    expect(await session.open(openPlain(broker.host, 0))).toBe(1);
    expect(await session.open(openPlain('', broker.port))).toBe(1);
    expect(await session.open(openPlain(broker.host, broker.port))).toBe(0);
    expect(await session.open(openPlain(broker.host, broker.port))).toBe(2);
    expect(await session.close()).toBe(0);
    expect(session.state).toBe('closed');
  });

  it('maps host names through the host map, and reports DNS failure (4) and refused connections (5)', async () => {
    const { session } = recordedSession();
    const hostMap = new Map([['iot-as-mqtt.cn-shanghai.aliyuncs.com', { host: '127.0.0.1', port: broker.port }]]);
    expect(await session.open({ host: 'iot-as-mqtt.cn-shanghai.aliyuncs.com', port: 1883, hostMap })).toBe(0);
    expect(await session.close()).toBe(0);
    expect(await session.open(openPlain('no-such-host.invalid', 1883))).toBe(4);
    const closedPort = await import('../../testing/mosquitto').then((m) => m.freePort());
    expect(await session.open(openPlain('127.0.0.1', closedPort))).toBe(5);
  });

  it('injects faults: pdp-failure 3, dns-failure 4, network-loss 5, tls-failure -1', async () => {
    const { session } = recordedSession();
    const base = openPlain(broker.host, broker.port);
    expect(await session.open({ ...base, fault: 'pdp-failure' })).toBe(3);
    expect(await session.open({ ...base, fault: 'dns-failure' })).toBe(4);
    expect(await session.open({ ...base, fault: 'network-loss' })).toBe(5);
    expect(await session.open({ ...base, fault: 'tls-failure' })).toBe(-1);
    expect(session.state).toBe('closed');
  });
});
