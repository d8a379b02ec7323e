import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { AtEngine, inThreadParserLink } from '../main/at/engine';
import { createDispatch, createHandlers, type Dispatch } from '../main/core/handlers';
import { Station } from '../main/core/station';
import { waitForIdentified } from '../main/core/wait-for';
import { InProcessTransport } from '../main/emulator/in-process-transport';
import { createMqttClientSession } from '../main/emulator/net/session';
import { VirtualModule } from '../main/emulator/virtual-module';
import { startWebShell, type ClientLimits, type WebShell } from '../main/shell-web/server';

/**
 * Issue 8 item 6, measured over the real web shell and virtual modules, as the shell was (no cap, no
 * cancellation, no limit on unread bytes) and as it is:
 *  1. a client queues N `AT`s on one module and disconnects after the first answer: how long the next client's
 *     AT+CGSN then takes, against the same command on an idle module;
 *  2. a client that never reads asks for the module list M times: the server's unread bytes for it at the peak,
 *     and the growth of the process's resident memory.
 * Usage: node bin/run-ts.mjs bench/web-shell.ts [queued=3000] [requests=120000]
 */
const queued = Number(process.argv[2] ?? 3000);
const requests = Number(process.argv[3] ?? 120_000);

const unbounded: Partial<ClientLimits> = {
  maxRequestsPerClient: Infinity,
  maxHttpRequests: Infinity,
  maxBufferedBytes: Infinity,
};

interface Rig {
  readonly station: Station;
  readonly dispatch: Dispatch;
  close(): Promise<void>;
}

async function rig(): Promise<Rig> {
  const modules = [0, 1].map(
    (index) => new VirtualModule({ index, sessionFactory: createMqttClientSession, hostMap: new Map() }),
  );
  const transports = modules.map((module, index) => new InProcessTransport(module, `virtual:${index}`));
  for (const module of modules) module.powerOn();
  const station = new Station({ openEngine: (transport) => new AtEngine({ transport, parser: inThreadParserLink() }) });
  for (const transport of transports) station.attach(transport);
  await waitForIdentified(station);
  return {
    station,
    dispatch: createDispatch(createHandlers(station)),
    close: async () => {
      await station.dispose();
      await Promise.all(transports.map((t) => t.close()));
      for (const module of modules) module.dispose();
    },
  };
}

async function connect(shell: WebShell): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${shell.port}/ws`, { headers: { authorization: `Bearer ${shell.token}` } });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return ws;
}

function answerOf(ws: WebSocket, id: number): Promise<void> {
  return new Promise((resolve) => {
    const listener = (data: Buffer): void => {
      const message = JSON.parse(data.toString()) as { kind: string; id?: number };
      if (message.kind !== 'response' || message.id !== id) return;
      ws.off('message', listener);
      resolve();
    };
    ws.on('message', listener);
  });
}

const request = (id: number, name: string, input: unknown): string =>
  JSON.stringify({ kind: 'request', id, name, input });

async function timedCgsn(shell: WebShell, moduleId: string): Promise<number> {
  const ws = await connect(shell);
  const start = performance.now();
  const answered = answerOf(ws, 1);
  ws.send(request(1, 'sendAt', { moduleId, line: 'AT+CGSN' }));
  await answered;
  const elapsed = performance.now() - start;
  ws.close();
  return elapsed;
}

async function nextCommandDelay(label: string, limits: Partial<ClientLimits>, withSignal: boolean): Promise<void> {
  const r = await rig();
  const root = await mkdtemp(join(tmpdir(), 'bench-shell-'));
  await writeFile(join(root, 'index.html'), '<!doctype html>');
  // "As it was": the dispatch never hears that its caller went away.
  const dispatch: Dispatch = withSignal ? r.dispatch : (name, input) => r.dispatch(name, input);
  const shell = await startWebShell({ dispatch, events: r.station, staticRoot: root, port: 0, limits });
  try {
    const idle = await timedCgsn(shell, 'virtual:1');
    const flood = await connect(shell);
    const first = answerOf(flood, 1);
    for (let id = 1; id <= queued; id++) flood.send(request(id, 'sendAt', { moduleId: 'virtual:0', line: 'AT' }));
    await first;
    flood.terminate();
    const after = await timedCgsn(shell, 'virtual:0');
    console.log(
      `${label}: AT+CGSN after a client queued ${queued} ATs and left: ${after.toFixed(0)} ms ` +
        `(on an idle module: ${idle.toFixed(0)} ms)`,
    );
  } finally {
    await shell.close();
    await r.close();
    await rm(root, { recursive: true, force: true });
  }
}

async function neverReads(label: string, limits: Partial<ClientLimits>): Promise<void> {
  const r = await rig();
  const root = await mkdtemp(join(tmpdir(), 'bench-shell-'));
  await writeFile(join(root, 'index.html'), '<!doctype html>');
  const shell = await startWebShell({ dispatch: r.dispatch, events: r.station, staticRoot: root, port: 0, limits });
  try {
    const rssBefore = process.memoryUsage().rss;
    const ws = await connect(shell);
    ws.pause();
    const seen = { dropped: false };
    const subscription = shell.onDidDropClient(() => (seen.dropped = true));
    let sent = 0;
    while (!seen.dropped && ws.readyState === WebSocket.OPEN && sent < requests) {
      for (let i = 0; i < 1000; i++) ws.send(request(++sent, 'listModules', {}));
      await new Promise<void>((resolve) => ws.send(request(0, 'flush', {}), () => resolve()));
    }
    // Let the server take in what is still in flight to it.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const stats = shell.stats();
    const rssAfter = process.memoryUsage().rss;
    subscription.dispose();
    console.log(
      `${label}: ${sent} requests from a client that never reads: ` +
        `${seen.dropped ? 'closed' : 'still open'}, peak unread ${(stats.peakBufferedBytes / 1048576).toFixed(1)} MiB, ` +
        `unread now ${(stats.bufferedBytes / 1048576).toFixed(1)} MiB, ` +
        `resident memory +${((rssAfter - rssBefore) / 1048576).toFixed(0)} MiB`,
    );
    ws.terminate();
  } finally {
    await shell.close();
    await r.close();
    await rm(root, { recursive: true, force: true });
  }
}

await nextCommandDelay('unbounded, no cancellation (before)', unbounded, false);
await nextCommandDelay('defaults (after)', {}, true);
await neverReads('unbounded (before)', unbounded);
await neverReads('defaults (after)', {});
