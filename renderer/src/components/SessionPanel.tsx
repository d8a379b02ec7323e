import { useState, type SyntheticEvent } from 'react';
import { commandCatalog, type ModuleInfo } from '../../../shared/contract';
import { RequestError, useSendAt } from '../state/queries';
import { OutcomeView } from './OutcomeView';
import { Transcript } from './Transcript';

const groups = [...new Set(commandCatalog.map((c) => c.group))];

/** A guided AT session with one module: pick a common command or type one, send it, read the decoded answer. */
export function SessionPanel({ module }: { readonly module: ModuleInfo }) {
  const [line, setLine] = useState('ATI');
  const send = useSendAt();
  const unavailable = module.state === 'disconnected' || module.state === 'identifying';

  const submit = (event: SyntheticEvent<HTMLFormElement>) => {
    event.preventDefault();
    send.mutate({ moduleId: module.id, line });
  };

  return (
    <section className="session" aria-label={`Session with ${module.port}`}>
      <h2>
        {module.model ?? 'Module'} <span className="mono muted">{module.port}</span>
      </h2>
      {module.problem !== null && <p className="problem">{module.problem}</p>}
      <form className="command" onSubmit={submit}>
        <label>
          Common commands
          <select
            aria-label="Common commands"
            value={commandCatalog.some((c) => c.line === line) ? line : ''}
            onChange={(e) => {
              if (e.target.value !== '') setLine(e.target.value);
            }}
          >
            <option value="">(typed by hand)</option>
            {groups.map((group) => (
              <optgroup key={group} label={group}>
                {commandCatalog
                  .filter((c) => c.group === group)
                  .map((c) => (
                    <option key={c.line} value={c.line}>
                      {c.line} — {c.title}
                    </option>
                  ))}
              </optgroup>
            ))}
          </select>
        </label>
        <label>
          Command
          <input
            aria-label="Command"
            className="mono"
            value={line}
            spellCheck={false}
            autoComplete="off"
            onChange={(e) => setLine(e.target.value)}
          />
        </label>
        <button type="submit" disabled={send.isPending || unavailable || line.trim() === ''}>
          {send.isPending ? 'Sending…' : 'Send'}
        </button>
      </form>
      {send.isError && (
        <p
          className="problem"
          role="alert"
          data-code={send.error instanceof RequestError ? send.error.error.code : 'internal'}
        >
          {send.error.message}
        </p>
      )}
      {send.isSuccess && <OutcomeView outcome={send.data} />}
      <h3>Transcript</h3>
      <Transcript moduleId={module.id} />
    </section>
  );
}
