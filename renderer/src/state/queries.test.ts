import { QueryClient } from '@tanstack/react-query';
import { describe, expect, it } from 'vitest';
import type { EventName, EventPayload, FleetApi, ModuleInfo, TranscriptLine } from '../../../shared/contract';
import { keys, mergeTranscript, subscribeToStation } from './queries';

type Listeners = { [E in EventName]: Set<(payload: EventPayload<E>) => void> };

/** A station seen through the contract only: requests answer from fixed data, events are fired by the test. */
function fakeStation() {
  const listeners: Listeners = {
    moduleChanged: new Set(),
    moduleRemoved: new Set(),
    transcriptLines: new Set(),
    runChanged: new Set(),
    stepProgress: new Set(),
  };
  const api: FleetApi = {
    listModules: () => Promise.resolve({ ok: true, value: [] }),
    sendAt: () => Promise.resolve({ ok: false, error: { code: 'internal', message: 'not used' } }),
    getTranscript: () => Promise.resolve({ ok: true, value: [] }),
    cancelRun: () => Promise.resolve({ ok: true, value: { cancelled: false } }),
    subscribe<E extends EventName>(name: E, listener: (payload: EventPayload<E>) => void) {
      const set: Set<(payload: EventPayload<E>) => void> = listeners[name];
      set.add(listener);
      return () => set.delete(listener);
    },
  };
  const fire = <E extends EventName>(name: E, payload: EventPayload<E>): void => {
    const set: Set<(payload: EventPayload<E>) => void> = listeners[name];
    for (const l of set) l(payload);
  };
  return { api, fire, listeners };
}

const line = (moduleId: string, seq: number, text = `line ${seq}`): TranscriptLine => ({
  moduleId,
  seq,
  at: 1_700_000_000_000 + seq,
  dir: 'rx',
  text,
});

const module: ModuleInfo = {
  id: 'virtual:0',
  port: 'virtual:0',
  model: 'EC200U',
  revision: 'EC200UCNAAR03A03M08',
  imei: '868691050000048',
  iccid: '89860015107252000002',
  imsi: '460001234567890',
  state: 'ready',
  connection: 'ready',
  activity: { kind: 'idle' },
  waiting: 0,
  health: { state: 'ok', detail: null },
  problem: null,
};

describe('the root subscription', () => {
  it('applies pushed unit changes and removals to the cached list', () => {
    const station = fakeStation();
    const client = new QueryClient();
    const stop = subscribeToStation(station.api, client);
    // No snapshot yet: a change is not invented into a partial list (the snapshot will bring it).
    station.fire('moduleChanged', module);
    expect(client.getQueryData(keys.modules)).toBeUndefined();
    const other: ModuleInfo = { ...module, id: 'virtual:1', port: 'virtual:1' };
    client.setQueryData(keys.modules, [module, other]);
    const busy: ModuleInfo = { ...module, state: 'busy', activity: { kind: 'console' } };
    station.fire('moduleChanged', busy);
    expect(client.getQueryData(keys.modules)).toEqual([busy, other]);
    const added: ModuleInfo = { ...module, id: '/dev/ttyUSB2', port: '/dev/ttyUSB2', connection: 'attached' };
    station.fire('moduleChanged', added);
    expect(client.getQueryData<ModuleInfo[]>(keys.modules)?.map((m) => m.id)).toEqual([
      'virtual:0',
      'virtual:1',
      '/dev/ttyUSB2',
    ]);
    station.fire('moduleRemoved', { moduleId: 'virtual:1' });
    expect(client.getQueryData<ModuleInfo[]>(keys.modules)?.map((m) => m.id)).toEqual(['virtual:0', '/dev/ttyUSB2']);
    stop();
    for (const set of Object.values(station.listeners)) expect(set.size).toBe(0);
  });

  it('appends pushed transcript lines to the modules whose transcript is loaded, without duplicates', () => {
    const station = fakeStation();
    const client = new QueryClient();
    subscribeToStation(station.api, client);
    client.setQueryData(keys.transcript('virtual:0'), [line('virtual:0', 0), line('virtual:0', 1)]);
    station.fire('transcriptLines', [line('virtual:0', 1), line('virtual:1', 0), line('virtual:0', 2)]);
    expect(client.getQueryData<TranscriptLine[]>(keys.transcript('virtual:0'))?.map((l) => l.seq)).toEqual([0, 1, 2]);
    // Not loaded yet: its snapshot query will bring these lines; the cache stays empty until then.
    expect(client.getQueryData(keys.transcript('virtual:1'))).toBeUndefined();
  });
});

describe('mergeTranscript', () => {
  it('keeps order, drops what the snapshot already has, and caps the length', () => {
    const snapshot = Array.from({ length: 1999 }, (_, i) => line('m', i));
    const merged = mergeTranscript(snapshot, [line('m', 1998), line('m', 1999), line('m', 2000)]);
    expect(merged).toHaveLength(2000);
    expect(merged[0]?.seq).toBe(1);
    expect(merged.at(-1)?.seq).toBe(2000);
    expect(mergeTranscript(undefined, [line('m', 0)])).toEqual([line('m', 0)]);
  });
});
