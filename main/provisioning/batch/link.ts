import * as at from '../../at/commands';
import { requireOk } from '../../at/commands/outcome';
import type { UrcNotice } from '../../at/engine';
import { AtCommandError } from '../../at/vocab/errors';
import type { AtRequest } from '../../at/vocab/request';
import { StepError, type StepContext } from '../../core/script';
import { doing, pause } from './plan';

/** How often the close asks AT+QMTOPEN? while it waits for a +QMTCLOSE that may never come. */
const CLOSE_POLL_MS = 1_000;

/**
 * AT+QMTCLOSE as the builder writes it, complete at its final result: its +QMTCLOSE URC is awaited separately,
 * since one EC200U firmware answers OK after AT+QMTDISC and never sends it (field notes).
 */
function closeCommand(clientIdx: number): AtRequest<void> {
  const built = at.qmtclose(clientIdx);
  return {
    line: built.line,
    redacted: built.redacted,
    timeoutMs: built.timeoutMs,
    parse: (outcome) => requireOk(outcome, 'AT+QMTCLOSE'),
  };
}

/** The requests `closeLink` may send, for step time limits (the +QMTCLOSE wait included). */
export function closeLinkRequests(clientIdx: number): AtRequest<unknown>[] {
  return [at.qmtconnQuery(), at.qmtopenQuery(), at.qmtdisc(clientIdx), at.qmtclose(clientIdx), at.qmtopenQuery()];
}

/** Where the client's link stands, as the module tells it (AT+QMTCONN?, AT+QMTOPEN?). */
export interface LinkState {
  /** 1 initializing, 2 connecting, 3 connected, 4 disconnecting; absent when the client has no connection. */
  readonly connState?: number;
  /** The network the client has open (`host:port`), if any. */
  readonly open?: string;
}

async function openNetwork<S>(ctx: StepContext<S>, clientIdx: number): Promise<string | undefined> {
  const opens = await doing('the open networks (AT+QMTOPEN?)', () => ctx.at(at.qmtopenQuery()));
  const open = opens.find((entry) => entry.clientIdx === clientIdx);
  return open === undefined ? undefined : `${open.host}:${open.port}`;
}

export async function linkState<S>(ctx: StepContext<S>, clientIdx: number): Promise<LinkState> {
  const conns = await doing('the MQTT state (AT+QMTCONN?)', () => ctx.at(at.qmtconnQuery()));
  const conn = conns.find((entry) => entry.clientIdx === clientIdx);
  const open = await openNetwork(ctx, clientIdx);
  return { ...(conn !== undefined ? { connState: conn.state } : {}), ...(open !== undefined ? { open } : {}) };
}

/**
 * AT+QMTCLOSE, tolerant of what modules do after a disconnect: `+QMTCLOSE: <idx>,<result>` (closed), ERROR
 * (nothing was left open: the network closed with the disconnect), or OK and no +QMTCLOSE ever (one EC200U
 * firmware): then AT+QMTOPEN? is asked until it lists no network for the client, within the command's own budget.
 */
async function closeNetwork<S>(ctx: StepContext<S>, clientIdx: number): Promise<string> {
  const budget = at.qmtclose(clientIdx).completion?.timeoutMs ?? at.TIMEOUTS.qmtclose;
  const forClient = at.forClient(clientIdx);
  const urc = ctx.expectUrc('+QMTCLOSE', (event) => event.kind === 'urc' && forClient(event), budget);
  const seen: { closed?: UrcNotice } = {};
  void urc.then(
    (event) => (seen.closed = event),
    () => undefined,
  );
  const closedBy = (): UrcNotice | undefined => seen.closed;
  try {
    await ctx.at(closeCommand(clientIdx));
  } catch (error) {
    if (error instanceof AtCommandError && !ctx.signal.aborted) {
      return `AT+QMTCLOSE answered ${error.detail.final ?? 'ERROR'}: nothing was left open`;
    }
    throw error;
  }
  const deadline = Date.now() + budget;
  for (;;) {
    const arrived = closedBy();
    if (arrived !== undefined) return `network closed (${arrived.raw})`;
    if ((await openNetwork(ctx, clientIdx)) === undefined) {
      const late = closedBy();
      return late === undefined
        ? 'AT+QMTCLOSE answered OK without +QMTCLOSE (a known firmware quirk); AT+QMTOPEN? lists no network'
        : `network closed (${late.raw})`;
    }
    if (Date.now() + CLOSE_POLL_MS > deadline) {
      throw new StepError(`AT+QMTCLOSE answered OK, but the network is still open ${budget} ms later`, 'timeout');
    }
    await Promise.race([urc.catch(() => undefined), pause(CLOSE_POLL_MS, ctx.signal)]);
  }
}

/**
 * Ends whatever the client has open: AT+QMTDISC when it is connected (or connecting), then AT+QMTCLOSE (see
 * closeNetwork) when it was connected or has a network open. Returns what it did, for the transcript.
 */
export async function closeLink<S>(ctx: StepContext<S>, clientIdx: number): Promise<string> {
  const before = await linkState(ctx, clientIdx);
  const done: string[] = [];
  // 2 connecting, 3 connected: a CONNECT was sent (1 is a network open without a connection).
  if (before.connState === 2 || before.connState === 3) {
    const disc = await doing(`AT+QMTDISC=${clientIdx}`, () => ctx.at(at.qmtdisc(clientIdx)));
    done.push(`disconnected (+QMTDISC: ${clientIdx},${disc.result})`);
  }
  if (done.length > 0 || before.open !== undefined) done.push(await closeNetwork(ctx, clientIdx));
  return done.length === 0 ? `client ${clientIdx} had nothing open` : done.join('; ');
}
