import type { ModuleInfo } from '../../../shared/contract';
import { useModules } from '../state/queries';

const stateLabels: Record<ModuleInfo['state'], string> = {
  identifying: 'Identifying…',
  ready: 'Ready',
  busy: 'Busy',
  error: 'Error',
  disconnected: 'Disconnected',
};

interface Props {
  readonly selected: string | null;
  readonly onSelect: (moduleId: string) => void;
}

/** What the unit is doing, when it is doing something: the script and its step, or a console command. */
function activityText(m: ModuleInfo): string | null {
  const waiting = m.waiting > 0 ? ` (+${m.waiting} waiting)` : '';
  switch (m.activity.kind) {
    case 'idle':
      return null;
    case 'console':
      return `Console command${waiting}`;
    case 'script':
      return `${m.activity.script}${m.activity.step === null ? '' : `: ${m.activity.step}`}${waiting}`;
  }
}

/** The attached modules with their identity and state; picking one opens its guided session. */
export function ModuleList({ selected, onSelect }: Props) {
  const modules = useModules();
  if (modules.isPending) return <p className="muted">Loading modules…</p>;
  if (modules.isError) return <p className="problem">Cannot list modules: {modules.error.message}</p>;
  if (modules.data.length === 0) return <p className="muted">No modules attached.</p>;
  return (
    <table className="modules" aria-label="Modules">
      <thead>
        <tr>
          <th>Port</th>
          <th>Model</th>
          <th>IMEI</th>
          <th>ICCID</th>
          <th>State</th>
        </tr>
      </thead>
      <tbody>
        {modules.data.map((m) => (
          <tr
            key={m.id}
            data-module-id={m.id}
            className={m.id === selected ? 'selected' : undefined}
            aria-selected={m.id === selected}
            tabIndex={0}
            onClick={() => onSelect(m.id)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' || e.key === ' ') onSelect(m.id);
            }}
          >
            <td className="mono">{m.port}</td>
            <td>{m.model ?? '—'}</td>
            <td className="mono" data-field="imei">
              {m.imei ?? '—'}
            </td>
            <td className="mono" data-field="iccid">
              {m.iccid ?? '—'}
            </td>
            <td>
              <span className={`state state-${m.state}`} data-field="state" title={m.problem ?? undefined}>
                {stateLabels[m.state]}
              </span>
              {m.health.state !== 'ok' && m.health.state !== 'closed' && (
                <span className="health" data-field="health" title={m.health.detail ?? undefined}>
                  {' '}
                  ({m.health.state})
                </span>
              )}
              {activityText(m) !== null && (
                <div className="activity muted" data-field="activity">
                  {activityText(m)}
                </div>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
