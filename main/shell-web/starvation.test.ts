import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { serverMessageSchema, type Result } from '../../shared/contract';
import { AtEngine, inThreadParserLink } from '../at/engine';
import { createDispatch, createHandlers } from '../core/handlers';
import { Station } from '../core/station';
import { waitForEvent, waitForIdentified } from '../core/wait-for';
import { InProcessTransport } from '../emulator/in-process-transport';
import { createMqttClientSession } from '../emulator/net/session';
import { VirtualModule } from '../emulator/virtual-module';
import { defaultClientLimits, slowReaderCloseCode, startWebShell, type DroppedClient, type WebShell } from './server';

// Issue 8 item 6, over the real web shell with real WebSocket clients and virtual modules: one client must not
// be able to starve the station. virtual:0 never answers AT+CSQ, and the station's command time limit is far
// beyond the test's, so a command of a departed client that was not cancelled blocks its module for good.
let station: Station;
let shell: WebShell;
let staticRoot: string;
let modules: VirtualModule[];
let transports: InProcessTransport[];

beforeAll(async () => {
  staticRoot = await mkdtemp(join(tmpdir(), 'fleet-starve-'));
  await writeFile(join(staticRoot, 'index.html'), '<!doctype html><title>Fleet Station</title>');
  modules = [0, 1].map(
    (index) =>
      new VirtualModule({
        index,
        sessionFactory: createMqttClientSession,
        hostMap: new Map(),
        faults: index === 0 ? { dropResponseOn: ['+CSQ'] } : {},
      }),
  );
  transports = modules.map((module, index) => new InProcessTransport(module, `virtual:${index}`));
  for (const module of modules) module.powerOn();
  station = new Station({
    openEngine: (transport) => new AtEngine({ transport, parser: inThreadParserLink() }),
    commandTimeoutMs: 600_000,
  });
  for (const transport of transports) station.attach(transport);
  await waitForIdentified(station);
  shell = await startWebShell({
    dispatch: createDispatch(createHandlers(station)),
    events: station,
    staticRoot,
    port: 0,
  });
});

afterAll(async () => {
  await shell.close();
  await station.dispose();
  await Promise.all(transports.map((t) => t.close()));
  for (const module of modules) module.dispose();
  await rm(staticRoot, { recursive: true, force: true });
});

/** A WebSocket client of the station that keeps every answer by request id. */
class Client {
  private readonly answers = new Map<number, Result<unknown>>();
  private readonly waiters = new Map<number, (result: Result<unknown>) => void>();
  private nextId = 1;
  /** How many answers have come in so far. */
  answered = 0;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const message = serverMessageSchema.parse(JSON.parse(data.toString()));
      if (message.kind !== 'response') return;
      this.answered++;
      const waiter = this.waiters.get(message.id);
      if (waiter === undefined) this.answers.set(message.id, message.result);
      else {
        this.waiters.delete(message.id);
        waiter(message.result);
      }
    });
  }

  static async open(): Promise<Client> {
    const ws = new WebSocket(`ws://127.0.0.1:${shell.port}/ws`, {
      headers: { authorization: `Bearer ${shell.token}` },
    });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    return new Client(ws);
  }

  /** Sends a request without waiting; returns its id. */
  send(name: string, input: unknown): number {
    const id = this.nextId++;
    this.ws.send(JSON.stringify({ kind: 'request', id, name, input }));
    return id;
  }

  answer(id: number): Promise<Result<unknown>> {
    const known = this.answers.get(id);
    if (known !== undefined) return Promise.resolve(known);
    return new Promise((resolve) => this.waiters.set(id, resolve));
  }

  request(name: string, input: unknown): Promise<Result<unknown>> {
    return this.answer(this.send(name, input));
  }

  /** Sends, and resolves once the bytes have left this process (or the socket failed). */
  flush(): Promise<void> {
    return new Promise((resolve) =>
      this.ws.send(JSON.stringify({ kind: 'request', id: 0, name: 'flush', input: {} }), () => resolve()),
    );
  }

  async close(): Promise<void> {
    const closed = new Promise((resolve) => this.ws.once('close', resolve));
    this.ws.close();
    await closed;
  }
}

const txLines = (moduleId: string, text: string): number => {
  const lines = station.transcript(moduleId, 2000);
  return lines.ok ? lines.value.filter((l) => l.dir === 'tx' && l.text === text).length : -1;
};

describe('clients cannot starve the station (issue 8 item 6)', () => {
  it('refuses requests beyond a client’s cap as data, and cancels its work when it disconnects', async () => {
    const cap = defaultClientLimits.maxRequestsPerClient;
    const before = txLines('virtual:0', 'AT+CSQ');
    const greedy = await Client.open();
    const written = waitForEvent(station, 'transcriptLines', (lines) =>
      lines.some((l) => l.moduleId === 'virtual:0' && l.dir === 'tx' && l.text === 'AT+CSQ'),
    );
    const ids = Array.from({ length: cap + 8 }, () => greedy.send('sendAt', { moduleId: 'virtual:0', line: 'AT+CSQ' }));
    const refused = await Promise.all(ids.slice(cap).map((id) => greedy.answer(id)));
    for (const result of refused) {
      expect(result).toMatchObject({ ok: false, error: { code: 'too-many-requests' } });
      if (!result.ok) expect(result.error.message).toContain(`${cap} requests`);
    }
    await written;
    // The first `cap` are still waiting (the module never answers AT+CSQ): nothing else was answered.
    expect(greedy.answered).toBe(8);
    await greedy.close();

    // The next client is served: the abandoned command was cancelled and the queued ones were never sent.
    const next = await Client.open();
    expect(await next.request('sendAt', { moduleId: 'virtual:0', line: 'ATI' })).toMatchObject({
      ok: true,
      value: { verdict: 'ok' },
    });
    expect(txLines('virtual:0', 'AT+CSQ') - before).toBe(1);
    await next.close();
  });

  it('a client that queues 3,000 commands and disconnects does not hold up the next command', async () => {
    const cap = defaultClientLimits.maxRequestsPerClient;
    const startSeq = lastSeq('virtual:1');
    const flood = await Client.open();
    for (let i = 0; i < 3000; i++) flood.send('sendAt', { moduleId: 'virtual:1', line: 'AT' });
    await flood.flush();
    expect(await flood.answer(1)).toMatchObject({ ok: true });
    flood.ws.terminate();

    const next = await Client.open();
    expect(await next.request('sendAt', { moduleId: 'virtual:1', line: 'AT+CGSN' })).toMatchObject({ ok: true });
    const lines = station.transcript('virtual:1', 2000);
    if (!lines.ok) throw new Error('no transcript');
    const after = lines.value.filter((l) => l.seq > startSeq && l.dir === 'tx');
    const cgsn = after.findIndex((l) => l.text === 'AT+CGSN');
    // Before AT+CGSN ran: at most the flood's capped requests, plus the resync probes after the abandoned one.
    expect(after.slice(0, cgsn).filter((l) => l.text === 'AT').length).toBeLessThanOrEqual(cap + 3);
    await next.close();
  }, 120_000);

  it('an HTTP client that gives up cancels its command', async () => {
    const written = waitForEvent(station, 'transcriptLines', (lines) =>
      lines.some((l) => l.moduleId === 'virtual:0' && l.dir === 'tx' && l.text === 'AT+CSQ'),
    );
    const controller = new AbortController();
    const pending = fetch(`${shell.url}/api/sendAt`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${shell.token}` },
      body: JSON.stringify({ moduleId: 'virtual:0', line: 'AT+CSQ' }),
      signal: controller.signal,
    }).catch((error: unknown) => error);
    await written;
    controller.abort();
    await pending;
    const next = await Client.open();
    expect(await next.request('sendAt', { moduleId: 'virtual:0', line: 'AT+CGSN' })).toMatchObject({ ok: true });
    await next.close();
  });

  it('refuses HTTP API requests beyond the shell’s cap with 429 as data', async () => {
    const cap = defaultClientLimits.maxHttpRequests;
    const controller = new AbortController();
    const call = (): Promise<Response | 'aborted'> =>
      fetch(`${shell.url}/api/sendAt`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${shell.token}` },
        body: JSON.stringify({ moduleId: 'virtual:0', line: 'AT+CSQ' }),
        signal: controller.signal,
      }).catch(() => 'aborted' as const);
    const calls = Array.from({ length: cap + 3 }, call);
    const refusals: Response[] = [];
    await new Promise<void>((resolve) => {
      for (const c of calls) {
        void c.then((response) => {
          if (response === 'aborted') return;
          refusals.push(response);
          if (refusals.length === 3) resolve();
        });
      }
    });
    for (const response of refusals) {
      expect(response.status).toBe(429);
      expect(await response.json()).toMatchObject({ ok: false, error: { code: 'too-many-requests' } });
    }
    controller.abort();
    await Promise.all(calls);
    const next = await Client.open();
    expect(await next.request('sendAt', { moduleId: 'virtual:0', line: 'AT+CGSN' })).toMatchObject({ ok: true });
    await next.close();
  });

  it('closes a client that stops reading before its unread bytes grow past the limit', async () => {
    const limit = defaultClientLimits.maxBufferedBytes;
    const reader = await Client.open();
    let dropped: DroppedClient | undefined;
    const subscription = shell.onDidDropClient((client) => (dropped = client));
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      reader.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    reader.ws.pause();
    let sent = 0;
    // Ask for the module list over and over without reading a single answer, until the station gives up on us.
    while (dropped === undefined && reader.ws.readyState === WebSocket.OPEN && sent < 200_000) {
      for (let i = 0; i < 1000; i++) reader.send('listModules', {});
      sent += 1000;
      await reader.flush();
    }
    subscription.dispose();
    expect(dropped).toBeDefined();
    const largest = JSON.stringify({ kind: 'response', id: sent, result: { ok: true, value: station.list() } }).length;
    expect(dropped?.bufferedBytes).toBeLessThanOrEqual(limit + largest);
    expect(shell.stats().peakBufferedBytes).toBeLessThanOrEqual(limit + largest);
    // A reader that comes back finds the reason at the end of what was waiting for it.
    reader.ws.resume();
    const { code, reason } = await closed;
    expect(code).toBe(slowReaderCloseCode);
    expect(reason).toMatch(/did not read/);
    expect(shell.stats().droppedClients).toBe(1);
  }, 120_000);
});

function lastSeq(moduleId: string): number {
  const lines = station.transcript(moduleId, 1);
  return lines.ok ? (lines.value[0]?.seq ?? -1) : -1;
}
