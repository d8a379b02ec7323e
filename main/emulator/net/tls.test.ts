import { createServer as createTlsServer } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMosquitto, type Mosquitto } from '../../testing/mosquitto';
import { connectRequest, recordedSession } from './fixtures/session';
import type { OpenRequest, PacketReport, TlsSettings } from './types';

const noReport = (_r: PacketReport): void => undefined;
const pem = (text: string): Uint8Array => Buffer.from(text);

function tlsOpen(broker: Mosquitto, tls: Partial<TlsSettings> & Pick<TlsSettings, 'seclevel'>): OpenRequest {
  return {
    host: '127.0.0.1',
    port: broker.tlsPort,
    hostMap: new Map(),
    tls: { sslversion: 4, sni: false, ignoreLocalTime: true, ...tls },
  };
}

describe('TLS against Mosquitto without client certificates required', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await startMosquitto({ tls: { requireCertificate: false } });
  });
  afterAll(async () => {
    await broker.stop();
  });

  it('seclevel 0 accepts the server without verifying it', async () => {
    const { session } = recordedSession();
    expect(await session.open(tlsOpen(broker, { seclevel: 0 }))).toBe(0);
    expect(await session.connect(connectRequest())).toEqual({ result: 0, retCode: 0 });
    expect(await session.disconnect()).toBe(0);
  });

  it('seclevel 1 verifies the server against the uploaded CA, with a cloud host name mapped and SNI sent', async () => {
    const { session } = recordedSession();
    const request: OpenRequest = {
      ...tlsOpen(broker, { seclevel: 1, ca: pem(broker.certs.caPem.pem), sni: true }),
      host: 'a1zgnxur10j8ux.iot.us-east-1.amazonaws.com',
      port: 8883,
      hostMap: new Map([['a1zgnxur10j8ux.iot.us-east-1.amazonaws.com', { host: '127.0.0.1', port: broker.tlsPort }]]),
    };
    expect(await session.open(request)).toBe(0);
    expect(await session.connect(connectRequest())).toEqual({ result: 0, retCode: 0 });
    expect(
      await session.subscribe(1, [{ topic: '$aws/things/M26_0206/shadow/update/accepted', qos: 1 }], noReport),
    ).toEqual({
      result: 0,
      value: [1],
    });
    expect(await session.disconnect()).toBe(0);
  });

  it('seclevel 1 with the wrong CA, or no CA at all, fails the handshake: -1', async () => {
    const { session } = recordedSession();
    expect(await session.open(tlsOpen(broker, { seclevel: 1, ca: pem(broker.certs.otherCa.pem) }))).toBe(-1);
    expect(await session.open(tlsOpen(broker, { seclevel: 1 }))).toBe(-1);
    expect(await session.open(tlsOpen(broker, { seclevel: 1, ca: pem('not a certificate') }))).toBe(-1);
    expect(session.state).toBe('closed');
  });

  it('TLS 1.0/1.1 only (sslversion 1/2) and SSL 3.0 (0) fail against a modern broker: -1; TLS 1.2 (3) works', async () => {
    const { session } = recordedSession();
    for (const sslversion of [0, 1, 2]) {
      expect(await session.open(tlsOpen(broker, { seclevel: 0, sslversion }))).toBe(-1);
    }
    expect(await session.open(tlsOpen(broker, { seclevel: 0, sslversion: 3 }))).toBe(0);
    expect(await session.close()).toBe(0);
  });

  it('plain TCP to the TLS port is not MQTT: the broker drops the link while we wait for CONNACK', async () => {
    const rec = recordedSession();
    expect(await rec.session.open({ host: '127.0.0.1', port: broker.tlsPort, hostMap: new Map() })).toBe(0);
    expect(await rec.session.connect(connectRequest())).toEqual({ result: 2 });
    expect(await rec.nextStat()).toBe(4);
  });
});

describe('TLS against Mosquitto with require_certificate true', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await startMosquitto({ tls: { requireCertificate: true } });
  });
  afterAll(async () => {
    await broker.stop();
  });

  it('seclevel 2 presents the client certificate and carries a QoS 1 round trip', async () => {
    const rec = recordedSession();
    const { certs } = broker;
    const open = tlsOpen(broker, {
      seclevel: 2,
      ca: pem(certs.caPem.pem),
      cert: pem(certs.clientCert.pem),
      key: pem(certs.clientKey.pem),
    });
    expect(await rec.session.open(open)).toBe(0);
    expect(await rec.session.connect(connectRequest())).toEqual({ result: 0, retCode: 0 });
    expect(await rec.session.subscribe(7, [{ topic: 'fleet/tls/#', qos: 1 }], noReport)).toEqual({
      result: 0,
      value: [1],
    });
    const payload = Buffer.from('This is publish data from client');
    expect(await rec.session.publish(8, 1, false, 'fleet/tls/a', payload, noReport)).toEqual({ result: 0 });
    const message = await rec.nextMessage();
    expect(Buffer.from(message.payload).equals(payload)).toBe(true);
    expect(message.qos).toBe(1);
    expect(await rec.session.disconnect()).toBe(0);
  });

  it('without a client certificate (seclevel 0/1, or 2 with none uploaded) the handshake fails: -1', async () => {
    const { session } = recordedSession();
    const ca = pem(broker.certs.caPem.pem);
    expect(await session.open(tlsOpen(broker, { seclevel: 0 }))).toBe(-1);
    expect(await session.open(tlsOpen(broker, { seclevel: 1, ca }))).toBe(-1);
    expect(await session.open(tlsOpen(broker, { seclevel: 2, ca }))).toBe(-1);
  });

  it('a client certificate from another CA fails the handshake: -1', async () => {
    const { session } = recordedSession();
    const { certs } = broker;
    const open = tlsOpen(broker, {
      seclevel: 2,
      ca: pem(certs.caPem.pem),
      cert: pem(certs.wrongClientCert.pem),
      key: pem(certs.wrongClientKey.pem),
    });
    expect(await session.open(open)).toBe(-1);
  });

  it('a client key that does not belong to the certificate, or is not a key at all, fails the open: -1', async () => {
    const { certs } = broker;
    const base = { seclevel: 2 as const, ca: pem(certs.caPem.pem), cert: pem(certs.clientCert.pem) };
    const mismatched = recordedSession();
    expect(await mismatched.session.open(tlsOpen(broker, { ...base, key: pem(certs.wrongClientKey.pem) }))).toBe(-1);
    const garbage = recordedSession();
    expect(
      await garbage.session.open(tlsOpen(broker, { ...base, key: pem('-----BEGIN PRIVATE KEY-----\nnot a key\n') })),
    ).toBe(-1);
    // The right pair still works on a fresh session afterwards.
    const good = recordedSession();
    expect(await good.session.open(tlsOpen(broker, { ...base, key: pem(certs.clientKey.pem) }))).toBe(0);
    expect(await good.session.close()).toBe(0);
  });
});

describe('SNI and ignorelocaltime against a plain Node TLS server', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await startMosquitto(); // only for its generated certificates
  });
  afterAll(async () => {
    await broker.stop();
  });

  /** A TLS server (real handshake, the harness's server certificate) that records the server name each client sent. */
  async function sniRecorder(
    cert = broker.certs.serverCert.pem,
    key = broker.certs.serverKey.pem,
  ): Promise<{
    port: number;
    names: (string | false | null)[];
    handshakes: (count: number) => Promise<void>;
    close: () => Promise<void>;
  }> {
    const names: (string | false | null)[] = [];
    let waiter: { count: number; resolve: () => void } | undefined;
    const server = createTlsServer({ cert, key }, (socket) => {
      names.push(socket.servername);
      if (waiter !== undefined && names.length >= waiter.count) waiter.resolve();
      socket.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const handshakes = (count: number): Promise<void> =>
      names.length >= count ? Promise.resolve() : new Promise((resolve) => (waiter = { count, resolve }));
    return { port, names, handshakes, close: () => new Promise((resolve) => server.close(() => resolve())) };
  }

  it('sends the host name as given to QMTOPEN (not the mapped address) only when sni is on', async () => {
    const recorder = await sniRecorder();
    try {
      const host = 'iot-06z00abcd.mqtt.iothub.aliyuncs.com';
      const hostMap = new Map([[host, { host: '127.0.0.1', port: recorder.port }]]);
      const ca = pem(broker.certs.caPem.pem);
      for (const sni of [true, false]) {
        const rec = recordedSession();
        const open: OpenRequest = {
          host,
          port: 8883,
          hostMap,
          tls: { seclevel: 1, ca, sslversion: 4, sni, ignoreLocalTime: true },
        };
        expect(await rec.session.open(open)).toBe(0);
        rec.session.destroy();
      }
      await recorder.handshakes(2);
      expect(recorder.names).toEqual([host, false]);
    } finally {
      await recorder.close();
    }
  });

  it('an expired server certificate passes only with ignorelocaltime, and only if it chains to the uploaded CA', async () => {
    const { certs } = broker;
    const server = await sniRecorder(certs.expiredServerCert.pem, certs.expiredServerKey.pem);
    try {
      const { session } = recordedSession();
      const open = (tls: Partial<TlsSettings>): OpenRequest => ({
        host: '127.0.0.1',
        port: server.port,
        hostMap: new Map(),
        tls: { seclevel: 1, ca: pem(certs.caPem.pem), sslversion: 4, sni: false, ignoreLocalTime: true, ...tls },
      });
      expect(await session.open(open({ ignoreLocalTime: false }))).toBe(-1);
      expect(await session.open(open({ ca: pem(certs.otherCa.pem) }))).toBe(-1);
      expect(await session.open(open({ ca: pem(certs.otherCa.pem + certs.caPem.pem) }))).toBe(0);
      expect(await session.close()).toBe(0);
      expect(await session.open(open({}))).toBe(0);
      expect(await session.close()).toBe(0);
      expect(await session.open(open({ seclevel: 0, ca: undefined, ignoreLocalTime: false }))).toBe(0);
      expect(await session.close()).toBe(0);
    } finally {
      await server.close();
    }
  });
});
