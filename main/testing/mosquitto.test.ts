import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runMosquittoPub } from './mosquitto-clients';
import { startMosquitto } from './mosquitto';

const run = promisify(execFile);

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

describe('startMosquitto', () => {
  it('generates certificates that openssl verifies (and the wrong ones it rejects)', async () => {
    const broker = await startMosquitto({ tls: { requireCertificate: true } });
    try {
      const { certs } = broker;
      const verify = (ca: string, cert: string) => run('openssl', ['verify', '-CAfile', ca, cert]);
      await expect(verify(certs.caPem.path, certs.serverCert.path)).resolves.toBeDefined();
      await expect(verify(certs.caPem.path, certs.clientCert.path)).resolves.toBeDefined();
      await expect(verify(certs.caPem.path, certs.wrongClientCert.path)).rejects.toThrow();
      await expect(verify(certs.otherCa.path, certs.wrongClientCert.path)).resolves.toBeDefined();
      const { stdout } = await run('openssl', [
        'x509',
        '-in',
        certs.serverCert.path,
        '-noout',
        '-ext',
        'subjectAltName',
      ]);
      expect(stdout).toMatch(/IP Address:127\.0\.0\.1/);
      expect(stdout).toMatch(/DNS:localhost/);
      expect(certs.clientKey.pem).toMatch(/PRIVATE KEY/);
      expect(broker.tlsPort).toBeGreaterThan(0);
      expect(broker.tlsPort).not.toBe(broker.port);
    } finally {
      await broker.stop();
    }
  });

  it('enforces the password file, lets its own helpers in, and cleans up everything on stop', async () => {
    const broker = await startMosquitto({ passwords: { alice: 'wonderland' } });
    const port = broker.port;
    const certPath = broker.certs.caPem.path;
    try {
      await expect(runMosquittoPub({ host: broker.host, port }, 't', 'x', 0, false)).rejects.toThrow(
        /mosquitto_pub exited/,
      );
      await runMosquittoPub(
        { host: broker.host, port, credentials: { username: 'alice', password: 'wonderland' } },
        't',
        'x',
        0,
        false,
      );
      const sub = await broker.subscribe('bin/#', 2);
      const binary = Buffer.from([0x00, 0x1a, 0x0d, 0x0a, 0x22, 0x2c, 0xff]);
      await broker.publish('bin/one', binary, 2);
      await broker.publish('bin/two', 'text', 1, true);
      const messages = await sub.waitFor(2);
      // Two separate publisher processes: the order between them is not defined, so compare sorted by topic.
      const byTopic = [...messages].sort((x, y) => x.topic.localeCompare(y.topic));
      expect(byTopic.map((m) => [m.topic, m.payload.toString('hex'), m.qos])).toEqual([
        ['bin/one', binary.toString('hex'), 2],
        ['bin/two', Buffer.from('text').toString('hex'), 1],
      ]);
    } finally {
      await broker.stop();
    }
    expect(await refused(port)).toBe(true);
    expect(existsSync(certPath)).toBe(false);
    await broker.stop(); // idempotent
  });

  it('two brokers run side by side on different ports', async () => {
    const [a, b] = await Promise.all([startMosquitto(), startMosquitto()]);
    try {
      expect(a.port).not.toBe(b.port);
      const sub = await b.subscribe('x');
      await b.publish('x', 'only b', 0);
      expect((await sub.waitFor(1))[0]?.payload.toString()).toBe('only b');
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
