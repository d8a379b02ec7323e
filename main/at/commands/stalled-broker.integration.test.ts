import { afterEach, describe, expect, it } from 'vitest';
import { AtEngine, inThreadParserLink } from '../engine';
import { InProcessTransport } from '../../emulator/in-process-transport';
import { closeScriptedBrokers, scriptedBroker } from '../../emulator/net/fixtures/scripted-broker';
import { createMqttClientSession } from '../../emulator/net/session';
import { VirtualModule } from '../../emulator/virtual-module';
import * as at from './index';

/**
 * Issue 7, "MQTT completions time out before the module answers", where it was found: the builders run through
 * the engine against the virtual module, whose real MQTT client talks TCP to a broker that accepts the connection
 * and then withholds every acknowledgement. With pkt_timeout 1 s and retry_times 2 the module sends SUBSCRIBE,
 * retries twice, and reports `+QMTSUB: 0,3,2` after about 3 s: the step must report that result, not give up first.
 */

const HOST = 'stalled.broker.example';
const modules: VirtualModule[] = [];
const engines: AtEngine[] = [];
afterEach(async () => {
  for (const engine of engines.splice(0)) engine.dispose();
  for (const module of modules.splice(0)) module.dispose();
  await closeScriptedBrokers();
});

async function connectedModule() {
  const broker = await scriptedBroker();
  const module = new VirtualModule({
    sessionFactory: createMqttClientSession,
    hostMap: new Map([[HOST, { host: '127.0.0.1', port: broker.port }]]),
    bootDelayMs: 2,
    baud: 0,
  });
  modules.push(module);
  module.powerOn();
  await module.whenReady();
  const engine = new AtEngine({ transport: new InProcessTransport(module), parser: inThreadParserLink() });
  engines.push(engine);
  return { engine, broker };
}

describe('a broker that withholds its acknowledgements', () => {
  it('the subscribe step reports the module own result (2, failed to send packet), after all its retries', async () => {
    const { engine, broker } = await connectedModule();
    const timing = { pktTimeoutS: 1, retryTimes: 2 };
    await engine.run(at.qmtcfg(0, { name: 'timeout', pktTimeoutS: 1, retryTimes: 2, notice: false }));
    expect(await engine.run(at.qmtopen(0, HOST, 1883))).toMatchObject({ result: 0 });
    expect(await engine.run(at.qmtconn(0, 'stalled-client', timing))).toMatchObject({ result: 0, retCode: 0 });
    const started = Date.now();
    const result = await engine.run(at.qmtsub(0, 3, [{ topic: 'fleet/t', qos: 1 }], timing));
    const elapsed = Date.now() - started;
    expect(result).toMatchObject({ clientIdx: 0, msgid: 3, result: 2, ok: false });
    expect(result.resultText).toMatch(/failed to send packet/i);
    // The module sent SUBSCRIBE once and retried twice before it gave up.
    expect(broker.received.filter((p) => p.cmd === 'subscribe')).toHaveLength(3);
    expect(elapsed).toBeGreaterThanOrEqual(2_900);
  });
});
