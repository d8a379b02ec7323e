import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import * as at from '../commands';
import { AtError } from '../vocab/errors';
import { ParserPool } from '../worker/pool';
import { InProcessTransport } from '../../emulator/in-process-transport';
import { MemoryBroker } from '../../emulator/memory-broker';
import { startPtyModule } from '../../emulator/pty-module';
import { VirtualModule } from '../../emulator/virtual-module';
import { SerialTransport } from '../../transport/serial';
import { AtEngine } from './engine';
import type { PortHealth } from './health';
import { inThreadParserLink } from './parser-link';

/**
 * Issue 8 item 2 and its acceptance: whatever a third party publishes to a topic the module is subscribed to
 * (quotes, CR LF, `CONNECT`, `> `, +QMTRECV headers, random bytes), the port is usable again within the bounded trap
 * time, and the health shows the trap while it lasts. Client 0 keeps the module default (+QMTRECV without a
 * length, where payload bytes can look like protocol); client 1 has `msg_len_enable` 1.
 */

const TRAP = { limitMs: 400, noticeMs: 100 } as const;
/** Beyond the trap time: one resynchronisation round and the command itself, with room for a loaded machine. */
const SLACK_MS = 4_000;

const FRAGMENTS = [
  '"',
  '\r\n',
  '\r',
  '\n',
  'CONNECT',
  '\r\nCONNECT\r\n',
  '\r\n> ',
  '> ',
  '+QMTRECV: 0,9,"t",65000,"',
  '+QMTRECV: 0,1,"a/x",5,"',
  '+QMTRECV: 0,2,"a/x","',
  '+QMTRECV: 1,3,"b/x",4000,"',
  // Whole forgeries: the real message ends at `"` CR LF, and a header of another message seems to follow.
  'x"\r\n+QMTRECV: 0,9,"t",65000,"',
  'x"\r\n+QMTRECV: 0,7,"a/x",300,"',
  'x"\r\n+QMTRECV: 1,3,"b/x",4000,"',
  'x"\r\n+QMTRECV: 1,4,"b/x","unclosed',
  'OK',
  '\r\nOK\r\n',
  '\r\nERROR\r\n',
  'AT+CGSN\r',
  '\r\nRDY\r\n',
  '+CME ERROR: 3',
  '\x1b',
  '\x00',
  ',',
].map((text) => new TextEncoder().encode(text));

const payloadArbitrary = fc
  .array(fc.oneof(fc.constantFrom(...FRAGMENTS), fc.uint8Array({ minLength: 1, maxLength: 40 })), {
    minLength: 1,
    maxLength: 8,
  })
  .map((parts) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  });

interface Rig {
  readonly module: VirtualModule;
  readonly engine: AtEngine;
}

function untilNotTrapped(engine: AtEngine): Promise<void> {
  return new Promise((resolve) => {
    if (engine.health.state !== 'trapped') {
      resolve();
      return;
    }
    const watch = engine.onHealth((health) => {
      if (health.state === 'trapped') return;
      watch.dispose();
      resolve();
    });
  });
}

/** How long until the port answers AT+CGSN right again; the states the health went through meanwhile. */
async function timeToUsable({ module, engine }: Rig): Promise<{ ms: number; states: PortHealth['state'][] }> {
  const states: PortHealth['state'][] = [];
  const watch = engine.onHealth((health) => states.push(health.state));
  const started = Date.now();
  try {
    while (Date.now() - started < TRAP.limitMs + 5 * SLACK_MS) {
      try {
        const imei = await engine.run(at.cgsn());
        expect(imei).toBe(module.identity.imei);
        return { ms: Date.now() - started, states };
      } catch (error) {
        expect(error).toBeInstanceOf(AtError);
        const code = (error as AtError).code;
        expect(['busy', 'timeout', 'bad-response', 'command-error']).toContain(code);
        if (code === 'busy') await untilNotTrapped(engine);
      }
    }
    return { ms: Number.POSITIVE_INFINITY, states };
  } finally {
    watch.dispose();
  }
}

/** Opens and connects clients 0 (+QMTRECV without length) and 1 (with length), subscribed to a/# and b/#. */
async function subscribe(engine: AtEngine): Promise<void> {
  await engine.run(at.qmtcfg(1, { name: 'recv/mode', msgRecvMode: 0, msgLenEnable: true }));
  for (const [idx, topic] of [
    [0, 'a/#'],
    [1, 'b/#'],
  ] as const) {
    expect(await engine.run(at.qmtopen(idx, 'broker.example', 1883))).toMatchObject({ result: 0 });
    expect(await engine.run(at.qmtconn(idx, `third-party-${idx}`))).toMatchObject({ result: 0 });
    expect(await engine.run(at.qmtsub(idx, 1, [{ topic, qos: 0 }]))).toMatchObject({ result: 0 });
  }
}

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('messages from the broker never wedge a port (issue 8, item 2)', () => {
  it('property: random third-party payloads leave the port usable within the trap time', async () => {
    const broker = new MemoryBroker();
    const module = new VirtualModule({ sessionFactory: broker.createSession, bootDelayMs: 2, baud: 0 });
    cleanups.push(() => module.dispose());
    // Attached while the module boots, as a station finds a module it powers up: the engine sees RDY.
    const engine = new AtEngine({
      transport: new InProcessTransport(module),
      parser: inThreadParserLink(),
      resync: { timeoutMs: 150, attempts: 2 },
      trap: TRAP,
    });
    cleanups.push(() => engine.dispose());
    module.powerOn();
    await module.whenReady();
    await subscribe(engine);
    let trapped = 0;
    await fc.assert(
      fc.asyncProperty(payloadArbitrary, fc.constantFrom('a/x', 'b/x'), async (payload, topic) => {
        broker.publish(topic, payload);
        const { ms, states } = await timeToUsable({ module, engine });
        if (states.includes('trapped')) trapped++;
        expect(ms).toBeLessThan(TRAP.limitMs + SLACK_MS);
      }),
      { numRuns: 40, examples: [[new TextEncoder().encode('x"\r\n+QMTRECV: 1,3,"b/x",4000,"'), 'a/x']] },
    );
    // The bounded trap was met, not only payloads the parser shrugs off.
    expect(trapped).toBeGreaterThan(0);
  }, 120_000);

  it('on a real pty: the payloads of the issue, a stray prompt and an unclosed +QMTRECV line', async () => {
    const pool = new ParserPool({ workers: 1 });
    cleanups.push(() => pool.dispose());
    const broker = new MemoryBroker();
    const device = await startPtyModule({ sessionFactory: broker.createSession, bootDelayMs: 5 });
    cleanups.push(() => device.close());
    await device.module.whenReady();
    const port = await SerialTransport.open({ path: device.path });
    cleanups.push(() => port.close());
    const limitMs = 1_500;
    const engine = new AtEngine({ transport: port, parser: pool.open(device.path), trap: { limitMs, noticeMs: 200 } });
    cleanups.push(() => engine.dispose());
    const rig = { module: device.module, engine };
    expect((await timeToUsable(rig)).ms).toBeLessThan(60_000);
    await subscribe(engine);
    // The payloads of the issue, with +QMTRECV carrying no length (msg_len_enable 0, the module default).
    for (const payload of ['x"\r\nCONNECT\r\n', 'x"\r\n+QMTRECV: 0,9,"t",65000,"', '\r\n> ']) {
      broker.publish('a/x', payload);
      const { ms, states } = await timeToUsable(rig);
      expect(states).not.toContain('trapped');
      expect(ms).toBeLessThan(limitMs + SLACK_MS);
    }
    // An unclosed +QMTRECV line off the wire: the port shows a trap while it lasts, then is usable again.
    const trapped = new Promise<PortHealth>((resolve) => {
      const watch = engine.onHealth((health) => {
        if (health.state !== 'trapped') return;
        watch.dispose();
        resolve(health);
      });
    });
    device.module.injectGarbage(new TextEncoder().encode('\r\n+QMTRECV: 0,5,"a/x","no closing quote'));
    const health = await trapped;
    expect(health.trap).toMatchObject({ cause: 'payload' });
    expect((health.trap?.until ?? 0) - (health.trap?.since ?? 0)).toBe(limitMs);
    const { ms } = await timeToUsable(rig);
    expect(ms).toBeLessThan(limitMs + SLACK_MS);
    expect(engine.health.state).not.toBe('trapped');
  }, 120_000);
});
