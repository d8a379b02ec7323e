import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { InProcessTransport } from './in-process-transport';
import { MemoryBroker } from './memory-broker';
import { EXAMPLE_WITHOUT_SSL, exampleWithSsl } from './spec-examples';
import { runSteps } from '../testing/spec-runner';
import { TestHost } from '../testing/test-host';
import { VirtualModule } from './virtual-module';
import { formatQfuplChecksum } from './checksum';

/** An independent reference for the checksum: sum of 16-bit words via DataView, XOR-folded. */
function referenceChecksum(data: Uint8Array): string {
  const padded = new Uint8Array(data.length + (data.length % 2));
  padded.set(data);
  const view = new DataView(padded.buffer);
  let x = 0;
  for (let i = 0; i < padded.length; i += 2) x ^= view.getUint16(i, false);
  return x.toString(16);
}

const modules: VirtualModule[] = [];
afterEach(() => {
  for (const m of modules.splice(0)) m.dispose();
});

async function start() {
  const broker = new MemoryBroker();
  const module = new VirtualModule({ sessionFactory: broker.createSession, bootDelayMs: 5 });
  modules.push(module);
  const host = new TestHost(new InProcessTransport(module));
  module.powerOn();
  await host.until('+QIND: SMS DONE\r\n');
  return { broker, module, host };
}

describe('QFUPL checksum', () => {
  it('matches the field notes check values', () => {
    const amazon = readFileSync(new URL('./fixtures/AmazonRootCA1.pem', import.meta.url));
    const isrg = readFileSync(new URL('./fixtures/ISRG_Root_X1.pem', import.meta.url));
    expect(amazon.length).toBe(1188);
    expect(formatQfuplChecksum(amazon)).toBe('2d13');
    expect(isrg.length).toBe(1939);
    expect(formatQfuplChecksum(isrg)).toBe('4f64');
    expect(formatQfuplChecksum(Uint8Array.from([0x12, 0x34, 0x56]))).toBe('4434');
    expect(formatQfuplChecksum(Uint8Array.from([0x00, 0x0f]))).toBe('f');
  });
});

describe('spec chapter 5 examples (in-process)', () => {
  it('5.1 MQTT without SSL answers exactly as documented', async () => {
    const { broker, host } = await start();
    const results = await runSteps(host, EXAMPLE_WITHOUT_SSL, (t, p, q) => broker.publish(t, p, q));
    for (const r of results) expect(r.got).toBe(r.want);
    // aliauth was configured: the CONNECT carried the derived Alibaba client id, not "clientExample".
    expect(broker.published.map((m) => m.topic)).toEqual(['topic/example', 'topic/pub']);
  });

  it('5.2 MQTT with SSL answers exactly as documented', async () => {
    const { broker, host, module } = await start();
    const results = await runSteps(host, exampleWithSsl(referenceChecksum), (t, p, q) => broker.publish(t, p, q));
    for (const r of results) expect(r.got).toBe(r.want);
    expect([...module.state.files.keys()].sort()).toEqual(['cacert.pem', 'client.pem', 'user_key.pem']);
    expect(module.state.ssl[2]).toMatchObject({ seclevel: 2, sslversion: 4, ciphersuite: 0xffff, ignorelocaltime: 1 });
  });
});
