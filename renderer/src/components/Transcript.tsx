import { useEffect, useRef } from 'react';
import { useTranscript } from '../state/queries';

const arrows = { tx: '→', rx: '←', note: '•' } as const;

/** The module's AT transcript (redacted by main), newest at the bottom, kept scrolled to the end. */
export function Transcript({ moduleId }: { readonly moduleId: string }) {
  const transcript = useTranscript(moduleId);
  const end = useRef<HTMLLIElement>(null);
  const count = transcript.data?.length ?? 0;
  useEffect(() => {
    end.current?.scrollIntoView({ block: 'nearest' });
  }, [count]);
  if (transcript.isPending) return <p className="muted">Loading transcript…</p>;
  if (transcript.isError) return <p className="problem">Cannot load the transcript: {transcript.error.message}</p>;
  return (
    <ol className="transcript" aria-label="Transcript">
      {transcript.data.map((line) => (
        <li key={line.seq} className={`dir-${line.dir}`}>
          <time className="muted">{new Date(line.at).toISOString().slice(11, 23)}</time>
          <span className="arrow" aria-hidden="true">
            {arrows[line.dir]}
          </span>
          <span className="mono">{line.text}</span>
        </li>
      ))}
      <li ref={end} className="end" aria-hidden="true" />
    </ol>
  );
}
