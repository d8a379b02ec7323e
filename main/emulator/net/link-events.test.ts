import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMosquitto, type Mosquitto } from '../../testing/mosquitto';
import { connectRequest, openPlain, recordedSession, type RecordedSession } from './fixtures/session';
import type { ConnectRequest, PacketReport } from './types';

const noReport = (_r: PacketReport): void => undefined;

describe('link events against a real Mosquitto', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    await broker.stop();
  });

  async function connected(overrides: Partial<ConnectRequest> = {}): Promise<RecordedSession & { clientId: string }> {
    const rec = recordedSession();
    const request = connectRequest(overrides);
    expect(await rec.session.open(openPlain(broker.host, broker.port))).toBe(0);
    expect(await rec.session.connect(request)).toEqual({ result: 0, retCode: 0 });
    return { ...rec, clientId: request.clientId };
  }

  it('publishes the will when the link drops (+QMTSTAT 7) or the network is closed without DISCONNECT', async () => {
    const watcher = await broker.subscribe('fleet/will/#', 1);
    const will = {
      qos: 1,
      retain: false,
      topic: 'fleet/will/a',
      message: Buffer.from('device lost, "really"'),
    } as const;
    const a = await connected({ will });
    a.session.dropLink();
    expect(a.session.state).toBe('closed');
    expect(await a.nextStat()).toBe(7);
    const [first] = await watcher.waitFor(1);
    expect(first?.topic).toBe('fleet/will/a');
    expect(first?.payload.toString()).toBe('device lost, "really"');
    expect(first?.qos).toBe(1);

    const b = await connected({ will: { ...will, topic: 'fleet/will/b', message: Buffer.from('closed') } });
    expect(await b.session.close()).toBe(0);
    const seen = await watcher.waitFor(2);
    expect(seen[1]?.payload.toString()).toBe('closed');
    expect(b.stats).toEqual([]);
  });

  it('does not publish the will after a clean DISCONNECT', async () => {
    const watcher = await broker.subscribe('fleet/nowill', 1);
    const c = await connected({ will: { qos: 1, retain: false, topic: 'fleet/nowill', message: Buffer.from('will') } });
    expect(await c.session.disconnect()).toBe(0);
    // The broker handled our DISCONNECT before it closed the link, so a will would already be ahead of this marker.
    await broker.publish('fleet/nowill', 'marker', 1);
    const [first] = await watcher.waitFor(1);
    expect(first?.payload.toString()).toBe('marker');
  });

  it('retained messages reach a later subscriber with the retain flag', async () => {
    const a = await connected();
    const payload = Buffer.from('{"fw":"EC200UCNAAR03A03M08"}');
    expect(await a.session.publish(3, 1, true, 'fleet/retained/state', payload, noReport)).toEqual({ result: 0 });
    const b = await connected();
    expect(await b.session.subscribe(1, [{ topic: 'fleet/retained/#', qos: 1 }], noReport)).toEqual({
      result: 0,
      value: [1],
    });
    const message = await b.nextMessage();
    expect(message.retain).toBe(true);
    expect(Buffer.from(message.payload).equals(payload)).toBe(true);
    await broker.publish('fleet/retained/state', '', 1, true); // clear it
    await a.session.disconnect();
    await b.session.disconnect();
  });

  it('sends PINGREQ at the keep-alive interval and stays connected on PINGRESP', async () => {
    const a = await connected({ keepaliveSec: 1 });
    await broker.waitForLog(new RegExp(`Received PINGREQ from ${a.clientId}`));
    await broker.waitForLog(new RegExp(`Sending PINGRESP to ${a.clientId}`));
    expect(a.session.state).toBe('connected');
    expect(await a.session.publish(0, 0, false, 'fleet/alive', Buffer.from('x'), noReport)).toEqual({ result: 0 });
    expect(a.stats).toEqual([]);
    expect(a.pings).toEqual([]);
    await a.session.disconnect();
  });

  it('a CONNECT that cannot be sent (empty will topic) fails at once: result 2, then +QMTSTAT 3', async () => {
    const rec = recordedSession();
    expect(await rec.session.open(openPlain(broker.host, broker.port))).toBe(0);
    const will = { qos: 0, retain: false, topic: '', message: Buffer.from('x') } as const;
    expect(await rec.session.connect(connectRequest({ will, pktTimeoutMs: 20_000 }))).toEqual({ result: 2 });
    expect(await rec.nextStat()).toBe(3);
    expect(rec.session.state).toBe('closed');
  });

  it('reports +QMTSTAT 1 when another client takes over the client id', async () => {
    const a = await connected();
    await connected({ clientId: a.clientId });
    expect(await a.nextStat()).toBe(1);
    expect(a.session.state).toBe('closed');
  });

  it('a pending packet ends with result 2 when the link drops', async () => {
    const a = await connected();
    broker.pause();
    try {
      const pending = a.session.publish(9, 1, false, 'fleet/pending', Buffer.from('x'), noReport);
      a.session.dropLink();
      expect(await pending).toEqual({ result: 2 });
      expect(await a.nextStat()).toBe(7);
    } finally {
      broker.resume();
    }
  });
});

describe('a hung broker (SIGSTOP): timeouts, retransmission and the inflight window', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await startMosquitto({ tls: { requireCertificate: false } });
  });
  afterAll(async () => {
    await broker.stop();
  });

  async function connected(overrides: Partial<ConnectRequest> = {}): Promise<RecordedSession & { clientId: string }> {
    const rec = recordedSession();
    const request = connectRequest({ pktTimeoutMs: 300, retryTimes: 3, ...overrides });
    expect(await rec.session.open(openPlain(broker.host, broker.port))).toBe(0);
    expect(await rec.session.connect(request)).toEqual({ result: 0, retCode: 0 });
    return { ...rec, clientId: request.clientId };
  }

  async function whilePaused<T>(body: () => Promise<T>): Promise<T> {
    broker.pause();
    try {
      return await body();
    } finally {
      broker.resume();
    }
  }

  it('close() while the TLS handshake hangs aborts the open (5) and succeeds at once (0)', async () => {
    await whilePaused(async () => {
      const rec = recordedSession();
      const opening = rec.session.open({
        host: broker.host,
        port: broker.tlsPort,
        hostMap: new Map(),
        tls: { seclevel: 0, sslversion: 4, sni: false, ignoreLocalTime: true },
      });
      expect(rec.session.state).toBe('opening');
      expect(await rec.session.open({ host: broker.host, port: broker.port, hostMap: new Map() })).toBe(2);
      expect(await rec.session.close()).toBe(0);
      expect(await opening).toBe(5);
      expect(rec.session.state).toBe('closed');
      expect(rec.stats).toEqual([]);
    });
  });

  it('no CONNACK after retry_times retransmissions: result 2, then +QMTSTAT 4', async () => {
    await whilePaused(async () => {
      const rec = recordedSession();
      expect(await rec.session.open(openPlain(broker.host, broker.port))).toBe(0); // the kernel still accepts
      expect(await rec.session.connect(connectRequest({ pktTimeoutMs: 200, retryTimes: 2 }))).toEqual({ result: 2 });
      expect(await rec.nextStat()).toBe(4);
      expect(rec.session.state).toBe('closed');
    });
  });

  it('no PINGRESP: +QMTPING 1 then +QMTSTAT 2', async () => {
    const a = await connected({ keepaliveSec: 1 });
    await whilePaused(async () => {
      expect(await a.nextStat()).toBe(2);
      expect(a.pings).toEqual([1]);
    });
  });

  it('retransmits an unacknowledged PUBLISH with DUP set, reporting result 1 with the count, then 0', async () => {
    const a = await connected();
    const reports: PacketReport[] = [];
    broker.pause();
    let resumed = false;
    const final = await a.session
      .publish(5, 1, false, 'fleet/retry', Buffer.from('again'), (r) => {
        reports.push(r);
        if (!resumed) {
          resumed = true;
          broker.resume();
        }
      })
      .finally(() => broker.resume());
    expect(final).toEqual({ result: 0 });
    expect(reports[0]).toEqual({ result: 1, value: 1 });
    expect(reports.every((r, i) => r.result === 1 && r.value === i + 1)).toBe(true);
    await broker.waitForLog(new RegExp(`Received PUBLISH from ${a.clientId} \\(d1, q1, r0, m5, 'fleet/retry'`));
    await a.session.disconnect();
  });

  it('gives up after retry_times: result 1 per retransmission, final 2, then +QMTSTAT 6', async () => {
    const a = await connected({ retryTimes: 2, pktTimeoutMs: 200 });
    await whilePaused(async () => {
      const reports: PacketReport[] = [];
      const sub = await a.session.subscribe(4, [{ topic: 'fleet/never', qos: 1 }], (r) => reports.push(r));
      expect(reports).toEqual([
        { result: 1, value: 1 },
        { result: 1, value: 2 },
      ]);
      expect(sub).toEqual({ result: 2 });
      expect(await a.nextStat()).toBe(6);
      expect(a.session.state).toBe('closed');
    });
  });

  it('holds at most 5 QoS 1/2 publishes in flight; the sixth fails at once', async () => {
    const a = await connected({ pktTimeoutMs: 5000 });
    broker.pause();
    const pending = [1, 2, 3, 4, 5].map((id) =>
      a.session.publish(id, id % 2 === 0 ? 2 : 1, false, 'fleet/window', Buffer.from(`m${id}`), noReport),
    );
    try {
      expect(a.session.inflight).toBe(5);
      expect(await a.session.publish(6, 1, false, 'fleet/window', Buffer.from('m6'), noReport)).toEqual({ result: 2 });
    } finally {
      broker.resume();
    }
    expect(await Promise.all(pending)).toEqual([0, 0, 0, 0, 0].map((result) => ({ result })));
    expect(a.session.inflight).toBe(0);
    await a.session.disconnect();
  });
});

describe('broker killed', () => {
  it('reports +QMTSTAT 1 when the broker process dies', async () => {
    const broker = await startMosquitto();
    try {
      const rec = recordedSession();
      expect(await rec.session.open(openPlain(broker.host, broker.port))).toBe(0);
      expect(await rec.session.connect(connectRequest())).toEqual({ result: 0, retCode: 0 });
      await broker.kill();
      expect(await rec.nextStat()).toBe(1);
      expect(rec.session.state).toBe('closed');
      expect(await rec.session.publish(0, 0, false, 't', Buffer.from('x'), noReport)).toEqual({ result: 2 });
    } finally {
      await broker.stop();
    }
  });
});
