import { QueryClient } from '@tanstack/react-query';
import { describe, expect, it } from 'vitest';
import type { EventName, EventPayload, FleetApi, ModuleInfo, TranscriptLine } from '../../../shared/contract';
import { keys, mergeTranscript, subscribeToStation } from './queries';

type Listeners = { [E in EventName]: Set<(payload: EventPayload<E>) => void> };

/** A station seen through the contract only: requests answer from fixed data, events are fired by the test. */
function fakeStation() {
  const listeners: Listeners = { modulesChanged: new Set(), transcriptLines: new Set() };
  const api: FleetApi = {
    listModules: () => Promise.resolve({ ok: true, value: [] }),
    sendAt: () => Promise.resolve({ ok: false, error: { code: 'internal', message: 'not used' } }),
    getTranscript: () => Promise.resolve({ ok: true, value: [] }),
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
  state: 'ready',
  problem: null,
};

describe('the root subscription', () => {
  it('writes a pushed module list into the query cache', () => {
    const station = fakeStation();
    const client = new QueryClient();
    const stop = subscribeToStation(station.api, client);
    station.fire('modulesChanged', [module]);
    expect(client.getQueryData(keys.modules)).toEqual([module]);
    stop();
    expect(station.listeners.modulesChanged.size).toBe(0);
    expect(station.listeners.transcriptLines.size).toBe(0);
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
