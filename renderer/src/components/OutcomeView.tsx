import type { AtOutcomeView } from '../../../shared/contract';

/** The decoded answer of one command: verdict, plain-words summary, labelled fields, and the raw lines. */
export function OutcomeView({ outcome }: { readonly outcome: AtOutcomeView }) {
  return (
    <section className={`outcome outcome-${outcome.verdict}`} aria-label="Answer" data-verdict={outcome.verdict}>
      <header>
        <span className="verdict">{outcome.final}</span>
        <code className="mono">{outcome.command}</code>
        <span className="muted">{outcome.elapsedMs} ms</span>
      </header>
      <p className="summary">{outcome.summary}</p>
      {outcome.fields.length > 0 && (
        <dl className="fields">
          {outcome.fields.map((f, i) => (
            <div key={`${f.label}-${i}`} className="field">
              <dt>{f.label}</dt>
              <dd className="mono">{f.value}</dd>
            </div>
          ))}
        </dl>
      )}
      {outcome.lines.length > 0 && <pre className="raw">{outcome.lines.join('\n')}</pre>}
    </section>
  );
}
