import { createMqttClientSession } from '../main/emulator/net/session';
import type { MqttClientSession, OpenRequest, PacketReport } from '../main/emulator/net/types';
import { startMosquitto, type Mosquitto } from '../main/testing/mosquitto';

/**
 * The virtual module's network side against a real local Mosquitto: what one emulated MQTT client costs.
 *  1. broker start-up through the test harness (certificates + process, what every integration test pays);
 *  2. QMTOPEN + QMTCONN latency, plain TCP and TLS seclevel 2 (median of N);
 *  3. publish throughput at QoS 0 / 1 / 2 with the inflight window of 5 kept full;
 *  4. round trip: publish on a topic the same session subscribes to, until +QMTRECV (median of N).
 * Usage: node bin/run-ts.mjs bench/net-session.ts [messages=2000] [samples=20]
 */
const messages = Number(process.argv[2] ?? 2000);
const samples = Number(process.argv[3] ?? 20);
const noReport = (_r: PacketReport): void => undefined;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function session(onMessage: () => void = () => undefined): MqttClientSession {
  return createMqttClientSession(0, { onMessage, onStat: () => undefined, onPing: () => undefined });
}

async function connected(open: OpenRequest, onMessage?: () => void): Promise<MqttClientSession> {
  const s = session(onMessage);
  if ((await s.open(open)) !== 0) throw new Error('open failed');
  const result = await s.connect({
    version: 4,
    clientId: `bench-${Math.random().toString(16).slice(2)}`,
    keepaliveSec: 120,
    cleanSession: true,
    pktTimeoutMs: 5000,
    retryTimes: 3,
  });
  if (result.retCode !== 0) throw new Error('connect failed');
  return s;
}

async function openConnectMs(open: OpenRequest): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < samples; i += 1) {
    const start = performance.now();
    const s = await connected(open);
    times.push(performance.now() - start);
    await s.disconnect();
  }
  return median(times);
}

/** Publishes `messages` messages keeping up to 5 in flight (the module's window); returns messages per second. */
async function publishRate(s: MqttClientSession, qos: 0 | 1 | 2): Promise<number> {
  const payload = Buffer.alloc(200, 0x61);
  const start = performance.now();
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < messages) {
      const id = (next % 60000) + 1;
      next += 1;
      const r = await s.publish(qos === 0 ? 0 : id, qos, false, 'bench/rate', payload, noReport);
      if (r.result !== 0) throw new Error(`publish failed at QoS ${qos}`);
    }
  };
  await Promise.all(Array.from({ length: qos === 0 ? 1 : 5 }, lane));
  return messages / ((performance.now() - start) / 1000);
}

async function roundTripMs(broker: Mosquitto): Promise<number> {
  let arrived: () => void = () => undefined;
  const s = await connected({ host: broker.host, port: broker.port, hostMap: new Map() }, () => arrived());
  await s.subscribe(1, [{ topic: 'bench/rt', qos: 1 }], noReport);
  const times: number[] = [];
  for (let i = 0; i < samples; i += 1) {
    const got = new Promise<void>((resolve) => (arrived = resolve));
    const start = performance.now();
    await s.publish(2, 1, false, 'bench/rt', Buffer.from('ping'), noReport);
    await got;
    times.push(performance.now() - start);
  }
  await s.disconnect();
  return median(times);
}

const startedAt = performance.now();
const broker = await startMosquitto({ tls: { requireCertificate: true } });
const startup = performance.now() - startedAt;
try {
  const plain: OpenRequest = { host: broker.host, port: broker.port, hostMap: new Map() };
  const { certs } = broker;
  const tls: OpenRequest = {
    host: broker.host,
    port: broker.tlsPort,
    hostMap: new Map(),
    tls: {
      seclevel: 2,
      ca: Buffer.from(certs.caPem.pem),
      cert: Buffer.from(certs.clientCert.pem),
      key: Buffer.from(certs.clientKey.pem),
      sslversion: 4,
      sni: false,
      ignoreLocalTime: true,
    },
  };
  console.log(`harness start (certs + mosquitto):   ${startup.toFixed(0)} ms`);
  console.log(`open+connect plain TCP (median):     ${(await openConnectMs(plain)).toFixed(2)} ms`);
  console.log(`open+connect TLS seclevel 2 (median): ${(await openConnectMs(tls)).toFixed(2)} ms`);
  const publisher = await connected(plain);
  for (const qos of [0, 1, 2] as const) {
    console.log(`publish QoS ${qos}, 200 B, window 5:      ${(await publishRate(publisher, qos)).toFixed(0)} msg/s`);
  }
  await publisher.disconnect();
  console.log(`round trip pub->recv QoS 1 (median): ${(await roundTripMs(broker)).toFixed(2)} ms`);
} finally {
  await broker.stop();
}
