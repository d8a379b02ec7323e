import { useMutation, useQuery, type QueryClient } from '@tanstack/react-query';
import type { ContractError, FleetApi, ModuleInfo, Result, TranscriptLine } from '../../../shared/contract';
import { useApi } from './api-context';

/** Query keys: one place, so the live subscription and the components agree. */
export const keys = {
  modules: ['modules'] as const,
  transcript: (moduleId: string) => ['transcript', moduleId] as const,
};

/** A contract error carried through TanStack Query's error channel, keeping its stable code. */
export class RequestError extends Error {
  constructor(readonly error: ContractError) {
    super(error.message);
    this.name = 'RequestError';
  }
}

export function unwrap<T>(result: Result<T>): T {
  if (!result.ok) throw new RequestError(result.error);
  return result.value;
}

export function useModules() {
  const api = useApi();
  return useQuery({ queryKey: keys.modules, queryFn: async () => unwrap(await api.listModules({})) });
}

export function useTranscript(moduleId: string) {
  const api = useApi();
  return useQuery({
    queryKey: keys.transcript(moduleId),
    queryFn: async () => unwrap(await api.getTranscript({ moduleId })),
  });
}

/** Sends one AT line; the outcome (including a module's ERROR) is data, transport failures are RequestErrors. */
export function useSendAt() {
  const api = useApi();
  return useMutation({
    mutationFn: async (input: { moduleId: string; line: string }) => unwrap(await api.sendAt(input)),
  });
}

/**
 * Applies one pushed unit change to the cached list: replaces the unit with the same id, or appends a new one.
 * Without a cached list (the snapshot has not arrived yet) nothing is written: the snapshot will bring it.
 */
export function upsertModule(cached: readonly ModuleInfo[] | undefined, changed: ModuleInfo): ModuleInfo[] | undefined {
  if (cached === undefined) return undefined;
  const index = cached.findIndex((m) => m.id === changed.id);
  if (index < 0) return [...cached, changed];
  const next = [...cached];
  next[index] = changed;
  return next;
}

/** Merges pushed transcript lines into the cached snapshot, keeping order and dropping duplicates by seq. */
export function mergeTranscript(cached: readonly TranscriptLine[] | undefined, added: readonly TranscriptLine[]) {
  const last = cached?.at(-1)?.seq ?? -1;
  const fresh = added.filter((l) => l.seq > last);
  const merged = [...(cached ?? []), ...fresh];
  return merged.length > 2000 ? merged.slice(-2000) : merged;
}

/**
 * The root subscription: pushed events go straight into the query cache (setQueryData), so components only ever
 * read queries. Subscribe first, then (re)fetch snapshots, so nothing falls between the two. Unit events carry one
 * unit each and are applied to the cached list, so a change costs the same with 3 units or 256.
 */
export function subscribeToStation(api: FleetApi, queryClient: QueryClient): () => void {
  const unsubscribes = [
    api.subscribe('moduleChanged', (module: ModuleInfo) =>
      queryClient.setQueryData(keys.modules, (cached: ModuleInfo[] | undefined) => upsertModule(cached, module)),
    ),
    api.subscribe('moduleRemoved', ({ moduleId }: { moduleId: string }) =>
      queryClient.setQueryData(keys.modules, (cached: ModuleInfo[] | undefined) =>
        cached?.filter((m) => m.id !== moduleId),
      ),
    ),
    api.subscribe('transcriptLines', (lines: TranscriptLine[]) => {
      const byModule = new Map<string, TranscriptLine[]>();
      for (const line of lines) byModule.set(line.moduleId, [...(byModule.get(line.moduleId) ?? []), line]);
      for (const [moduleId, added] of byModule) {
        const key = keys.transcript(moduleId);
        // Only modules someone has looked at keep a transcript cache; the snapshot query fills the rest.
        if (queryClient.getQueryData(key) === undefined) continue;
        queryClient.setQueryData(key, (cached: TranscriptLine[] | undefined) => mergeTranscript(cached, added));
      }
    }),
  ];
  return () => {
    for (const u of unsubscribes) u();
  };
}
