import { AtCommandError, AtError } from '../at/errors';
import type { AtOutcome, AtRequest, FinalEvent, ResponseEvent } from '../at/request';
import type { FinalResult } from '../at/types';
import type { ByteTransport, Disposable } from '../transport/types';
import type { AtPort, PortTranscriptEntry } from './at-port';
import { Emitter } from './emitter';
import { splitParams } from './params';
import { redactLine } from './redact';

/** Bare lines a module sends on its own (boot, power-down); never part of an answer. */
const bareUrcs = new Set(['RDY', 'APP RDY', 'POWERED DOWN']);

/** A complete answer: its information lines and its final result code. */
interface Answer {
  readonly responses: readonly ResponseEvent[];
  readonly final: FinalEvent;
}

interface InFlight {
  readonly line: string;
  /** `+CGSN` for `AT+CGSN`, null for `ATI`: which named lines belong to the answer. */
  readonly answerName: string | null;
  echoSeen: boolean;
  readonly responses: ResponseEvent[];
  readonly settle: (outcome: Answer | AtError) => void;
}

/**
 * A small line-based AT path: one command at a time, echo consumed, information lines collected until the final
 * result code. It covers the guided session and identification (no prompts, no data phases, no completion URCs)
 * and stands in until the full AT engine (main/at/engine/) is wired by the composition root.
 */
export class LineAtPort implements AtPort {
  private readonly transcript = new Emitter<PortTranscriptEntry>();
  private readonly subscriptions: Disposable[];
  private readonly decoder = new TextDecoder('latin1');
  private pending = '';
  private inFlight: InFlight | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed: Error | undefined;

  constructor(private readonly transport: ByteTransport) {
    this.subscriptions = [
      transport.onData((chunk) => this.onBytes(chunk)),
      transport.onClose((error) => {
        this.closed = error ?? new Error('the port closed');
        this.inFlight?.settle(new AtError('port-closed', `${transport.id}: ${this.closed.message}`));
      }),
    ];
  }

  onTranscript(listener: (entry: PortTranscriptEntry) => void): Disposable {
    return this.transcript.on(listener);
  }

  run<T>(request: AtRequest<T>, options: { readonly signal?: AbortSignal } = {}): Promise<T> {
    if (request.payload !== undefined || request.completion !== undefined) {
      return Promise.reject(new AtError('invalid-parameter', 'this AT path runs plain commands only'));
    }
    const run = this.queue.then(() => this.execute(request, options.signal));
    this.queue = run.catch(() => undefined);
    return run;
  }

  async dispose(): Promise<void> {
    for (const s of this.subscriptions) s.dispose();
    this.transcript.clear();
    this.inFlight?.settle(new AtError('cancelled', 'the port was released'));
    await Promise.resolve();
  }

  private async execute<T>(request: AtRequest<T>, signal: AbortSignal | undefined): Promise<T> {
    if (this.closed !== undefined || !this.transport.isOpen) {
      throw new AtError('port-closed', `${this.transport.id}: the port is closed`);
    }
    if (signal?.aborted === true) throw new AtError('cancelled', 'cancelled before it was sent');
    const startedAt = Date.now();
    const answer = await new Promise<Answer | AtError>((resolve) => {
      const timer = setTimeout(
        () => settle(new AtError('timeout', `no answer to ${request.redacted} within ${request.timeoutMs} ms`)),
        request.timeoutMs,
      );
      const onAbort = (): void => settle(new AtError('cancelled', `${request.redacted} was cancelled`));
      signal?.addEventListener('abort', onAbort, { once: true });
      const settle = (outcome: Answer | AtError): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (this.inFlight === flight) this.inFlight = undefined;
        resolve(outcome);
      };
      const flight: InFlight = {
        line: request.line,
        answerName: /^AT(\+[A-Z0-9]+)/i.exec(request.line)?.[1]?.toUpperCase() ?? null,
        echoSeen: false,
        responses: [],
        settle,
      };
      this.inFlight = flight;
      this.note('tx', request.redacted);
      this.transport.write(new TextEncoder().encode(`${request.line}\r`)).catch((error: unknown) => {
        settle(
          new AtError(
            'port-closed',
            `${this.transport.id}: ${error instanceof Error ? error.message : 'write failed'}`,
          ),
        );
      });
    });
    if (answer instanceof AtError) {
      if (answer.code === 'timeout') this.note('note', answer.message);
      throw answer;
    }
    const { responses, final } = answer;
    if (final.result !== 'OK') {
      throw new AtCommandError(`${request.redacted} answered ${final.raw}`, {
        final: final.raw,
        ...(final.code === undefined ? {} : { cmeCode: final.code }),
      });
    }
    const outcome: AtOutcome = { responses, final, elapsedMs: Date.now() - startedAt };
    return request.parse(outcome);
  }

  private onBytes(chunk: Uint8Array): void {
    this.pending += this.decoder.decode(chunk, { stream: true });
    const parts = this.pending.split(/\r\n|\r|\n/);
    this.pending = parts.pop() ?? '';
    for (const line of parts) if (line.length > 0) this.onLine(line);
  }

  private onLine(line: string): void {
    this.note('rx', line);
    const flight = this.inFlight;
    if (flight === undefined) return;
    if (!flight.echoSeen && line === flight.line) {
      flight.echoSeen = true;
      return;
    }
    const final = finalOf(line);
    if (final !== undefined) {
      flight.settle({ responses: flight.responses, final });
      return;
    }
    const named = /^(\+[A-Z0-9]+):\s?(.*)$/i.exec(line);
    if (named) {
      const name = (named[1] ?? '').toUpperCase();
      if (name !== flight.answerName) return;
      flight.responses.push({
        kind: 'response',
        name,
        params: splitParams(named[2] ?? '').map((p) => p.value),
        raw: line,
      });
      return;
    }
    if (!bareUrcs.has(line)) flight.responses.push({ kind: 'response', name: null, params: [], raw: line });
  }

  private note(dir: PortTranscriptEntry['dir'], text: string): void {
    this.transcript.fire({ at: Date.now(), dir, text: redactLine(text) });
  }
}

function finalOf(line: string): FinalEvent | undefined {
  const simple: Record<string, FinalResult> = { OK: 'OK', ERROR: 'ERROR', 'NO CARRIER': 'NO CARRIER' };
  const plain = simple[line];
  if (plain !== undefined) return { kind: 'final', result: plain, raw: line };
  const error = /^\+(CME|CMS) ERROR:\s*(.*)$/.exec(line);
  if (error === null) return undefined;
  const result: FinalResult = error[1] === 'CME' ? 'CME ERROR' : 'CMS ERROR';
  const detail = (error[2] ?? '').trim();
  return /^\d+$/.test(detail)
    ? { kind: 'final', result, code: Number(detail), raw: line }
    : { kind: 'final', result, text: detail, raw: line };
}
