import { describe, expect, it } from 'vitest';
import {
  channels,
  eventNames,
  requestNames,
  type EventName,
  type EventPayload,
  type ModuleInfo,
} from '../../shared/contract';
import { createDispatch, createHandlers } from '../core/handlers';
import { AtEngine, inThreadParserLink } from '../at/engine';
import { Emitter } from '../base';
import { Station } from '../core/station';
import type { EventSource } from '../shell-web/server';
import { createBridge, type RendererIpc } from './bridge';
import { bindIpc, type MainIpc } from './ipc';
import { appOrigin, isAppUrl } from './security';

/**
 * An in-memory pair of IPC channels standing in for ipcMain/ipcRenderer: requests go through `handle`d channels
 * with a sender URL, pushes go to renderer listeners. The preload bridge and the main binding are the real code.
 */
function channelPair(senderUrl: string) {
  const handlers = new Map<string, (event: { senderUrl: string | undefined }, input: unknown) => Promise<unknown>>();
  const rendererListeners = new Map<string, Set<(payload: unknown) => void>>();
  const main: MainIpc = {
    handle: (channel, handler) => {
      if (handlers.has(channel)) throw new Error(`second handler for ${channel}`);
      handlers.set(channel, handler);
    },
    removeHandler: (channel) => handlers.delete(channel),
  };
  const renderer: RendererIpc = {
    invoke: (channel, input) => {
      const handler = handlers.get(channel);
      if (handler === undefined) return Promise.reject(new Error(`No handler registered for '${channel}'`));
      return handler({ senderUrl }, structuredClone(input));
    },
    on: (channel, listener) => {
      const set = rendererListeners.get(channel) ?? new Set();
      rendererListeners.set(channel, set);
      set.add(listener);
      return () => set.delete(listener);
    },
  };
  const send = (channel: string, payload: unknown): void => {
    for (const l of rendererListeners.get(channel) ?? []) l(structuredClone(payload));
  };
  return { main, renderer, send, handlers };
}

class FakeEvents implements EventSource {
  readonly emitters: { [E in EventName]: Emitter<EventPayload<E>> } = {
    moduleChanged: new Emitter(),
    moduleRemoved: new Emitter(),
    transcriptLines: new Emitter(),
    runChanged: new Emitter(),
    stepProgress: new Emitter(),
  };
  get modules() {
    return this.emitters.moduleChanged;
  }
  get lines() {
    return this.emitters.transcriptLines;
  }
  on<E extends EventName>(name: E, listener: (payload: EventPayload<E>) => void) {
    const emitter: Emitter<EventPayload<E>> = this.emitters[name];
    return emitter.event(listener);
  }
}

const station = new Station({ openEngine: (transport) => new AtEngine({ transport, parser: inThreadParserLink() }) });
const dispatch = createDispatch(createHandlers(station));

describe('preload bridge', () => {
  it('exposes exactly one function per contract request, plus subscribe', () => {
    const bridge = createBridge(channelPair(`${appOrigin}/index.html`).renderer);
    expect(Object.keys(bridge).sort()).toEqual([...requestNames, 'subscribe'].sort());
    for (const key of Object.keys(bridge)) expect(typeof bridge[key as keyof typeof bridge]).toBe('function');
  });

  it('refuses to subscribe to an event the contract does not declare', () => {
    const bridge = createBridge(channelPair(`${appOrigin}/index.html`).renderer);
    expect(() => bridge.subscribe('shell:exec' as EventName, () => undefined)).toThrow(/no event named/);
  });
});

describe('IPC binding', () => {
  it('registers a handler on every request channel and removes them on dispose', () => {
    const pair = channelPair(`${appOrigin}/index.html`);
    const binding = bindIpc({
      ipc: pair.main,
      dispatch,
      events: new FakeEvents(),
      send: pair.send,
      isTrustedSender: isAppUrl,
    });
    expect([...pair.handlers.keys()].sort()).toEqual(requestNames.map((n) => channels.request(n)).sort());
    binding.dispose();
    expect(pair.handlers.size).toBe(0);
  });

  it('answers requests from the station window through the shared dispatch, validating input', async () => {
    const pair = channelPair(`${appOrigin}/index.html`);
    const binding = bindIpc({
      ipc: pair.main,
      dispatch,
      events: new FakeEvents(),
      send: pair.send,
      isTrustedSender: isAppUrl,
    });
    const bridge = createBridge(pair.renderer);
    expect(await bridge.listModules({})).toEqual({ ok: true, value: [] });
    const bad = await bridge.sendAt({ moduleId: 'virtual:0', line: 'DROP' });
    expect(bad.ok ? 'ok' : bad.error.code).toBe('invalid-input');
    binding.dispose();
  });

  it.each(['https://evil.example/', 'file:///etc/passwd', 'app://other/index.html', undefined])(
    'refuses a request from an untrusted sender (%s)',
    async (url) => {
      const pair = channelPair(url ?? '');
      const binding = bindIpc({
        ipc: pair.main,
        dispatch,
        events: new FakeEvents(),
        send: pair.send,
        isTrustedSender: () => isAppUrl(url),
      });
      const result = await createBridge(pair.renderer).listModules({});
      expect(result.ok ? 'ok' : result.error.code).toBe('forbidden');
      binding.dispose();
    },
  );

  it('pushes every contract event to subscribers and stops after unsubscribe', () => {
    const pair = channelPair(`${appOrigin}/index.html`);
    const events = new FakeEvents();
    const binding = bindIpc({ ipc: pair.main, dispatch, events, send: pair.send, isTrustedSender: isAppUrl });
    const bridge = createBridge(pair.renderer);
    const seen: string[] = [];
    const stops = eventNames.map((name) => bridge.subscribe(name, () => seen.push(name)));
    const module: ModuleInfo = {
      id: 'virtual:0',
      port: 'virtual:0',
      model: 'EC200U',
      revision: null,
      imei: null,
      iccid: null,
      imsi: null,
      state: 'ready',
      connection: 'ready',
      activity: { kind: 'idle' },
      waiting: 0,
      health: { state: 'ok', detail: null },
      problem: null,
    };
    events.modules.fire(module);
    events.lines.fire([{ moduleId: 'virtual:0', seq: 0, at: 1, dir: 'tx', text: 'AT' }]);
    expect(seen).toEqual(['moduleChanged', 'transcriptLines']);
    for (const stop of stops) stop();
    events.modules.fire(module);
    expect(seen).toHaveLength(2);
    binding.dispose();
  });
});
