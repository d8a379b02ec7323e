import { connectAsync } from 'mqtt';
import { createConnection } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startEmbeddedBroker } from './embedded';

describe('embedded broker', () => {
  it('round-trips a message between two real MQTT clients on the loopback interface', async () => {
    const broker = await startEmbeddedBroker();
    try {
      expect(broker.host).toBe('127.0.0.1');
      const url = `mqtt://${broker.host}:${broker.port}`;
      const subscriber = await connectAsync(url, { clientId: 'sub', reconnectPeriod: 0 });
      const publisher = await connectAsync(url, { clientId: 'pub', reconnectPeriod: 0 });
      try {
        await subscriber.subscribeAsync('fleet/+/up', { qos: 1 });
        const received = new Promise<[string, string]>((resolve) =>
          subscriber.once('message', (topic, payload) => resolve([topic, payload.toString()])),
        );
        await publisher.publishAsync('fleet/868691050000048/up', 'hello "station", 1', { qos: 1 });
        expect(await received).toEqual(['fleet/868691050000048/up', 'hello "station", 1']);
      } finally {
        await Promise.all([subscriber.endAsync(true), publisher.endAsync(true)]);
      }
    } finally {
      await broker.close();
    }
  });

  it('frees its port on close, even with a client still connected', async () => {
    const broker = await startEmbeddedBroker();
    const client = await connectAsync(`mqtt://127.0.0.1:${broker.port}`, { reconnectPeriod: 0 });
    const clientClosed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    await broker.close();
    await clientClosed;
    await client.endAsync(true);
    const refused = await new Promise<string>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port: broker.port });
      socket.once('connect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
  });
});
