import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { selectClient, type StationClient } from './client/select';
import { App } from './components/App';
import { ApiContext } from './state/api-context';
import { subscribeToStation } from './state/queries';
import './styles.css';

const client = selectClient();
const queryClient = new QueryClient({
  defaultOptions: { queries: { staleTime: Infinity, retry: 1, refetchOnWindowFocus: false } },
});

/** Owns the one subscription to the station; refetches snapshots whenever the event link (re)connects. */
function Root({ station }: { readonly station: StationClient }) {
  const [connected, setConnected] = useState(station.kind === 'electron');
  useEffect(() => subscribeToStation(station.api, queryClient), [station]);
  useEffect(
    () =>
      station.onConnection((up) => {
        setConnected(up);
        // Events may have been missed while the link was down: refetch the snapshots.
        if (up) void queryClient.invalidateQueries();
      }),
    [station],
  );
  return (
    <ApiContext.Provider value={station.api}>
      <App connected={connected} />
    </ApiContext.Provider>
  );
}

const container = document.getElementById('root');
if (container === null) throw new Error('index.html has no #root element');
createRoot(container).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <Root station={client} />
    </QueryClientProvider>
  </StrictMode>,
);
