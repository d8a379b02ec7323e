import { useState } from 'react';
import { useModules } from '../state/queries';
import { ModuleList } from './ModuleList';
import { SessionPanel } from './SessionPanel';

/** The station's window: the module list, and the guided session of the module picked in it. */
export function App({ connected }: { readonly connected: boolean }) {
  const [selected, setSelected] = useState<string | null>(null);
  const modules = useModules();
  const module = modules.data?.find((m) => m.id === selected);
  return (
    <div className="app">
      <header className="top">
        <h1>Fleet Station</h1>
        <span className={connected ? 'link up' : 'link down'} data-testid="connection">
          {connected ? 'Connected' : 'Reconnecting…'}
        </span>
      </header>
      <main className="layout">
        <section className="panel" aria-label="Module list">
          <h2>Modules</h2>
          <ModuleList selected={selected} onSelect={setSelected} />
        </section>
        <section className="panel">
          {module === undefined ? (
            <p className="muted">Pick a module to open a guided AT session.</p>
          ) : (
            <SessionPanel key={module.id} module={module} />
          )}
        </section>
      </main>
    </div>
  );
}
