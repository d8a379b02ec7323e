import * as at from '../../at/commands';
import type { AtRequest } from '../../at/vocab/request';
import type { StepContext } from '../../core/script';
import { doing } from './plan';

/** The requests `closeLink` may send, for step time limits. */
export function closeLinkRequests(clientIdx: number): AtRequest<unknown>[] {
  return [at.qmtconnQuery(), at.qmtopenQuery(), at.qmtdisc(clientIdx), at.qmtopenQuery(), at.qmtclose(clientIdx)];
}

/** Where the client's link stands, as the module tells it (AT+QMTCONN?, AT+QMTOPEN?). */
export interface LinkState {
  /** 1 initializing, 2 connecting, 3 connected, 4 disconnecting; absent when the client has no connection. */
  readonly connState?: number;
  /** The network the client has open (`host:port`), if any. */
  readonly open?: string;
}

export async function linkState<S>(ctx: StepContext<S>, clientIdx: number): Promise<LinkState> {
  const conns = await doing('the MQTT state (AT+QMTCONN?)', () => ctx.at(at.qmtconnQuery()));
  const opens = await doing('the open networks (AT+QMTOPEN?)', () => ctx.at(at.qmtopenQuery()));
  const conn = conns.find((entry) => entry.clientIdx === clientIdx);
  const open = opens.find((entry) => entry.clientIdx === clientIdx);
  return {
    ...(conn !== undefined ? { connState: conn.state } : {}),
    ...(open !== undefined ? { open: `${open.host}:${open.port}` } : {}),
  };
}

/**
 * Ends whatever the client has open: AT+QMTDISC when it is connected, then AT+QMTCLOSE when its network is still
 * open. A module whose network closes with the disconnect (AT+QMTOPEN? lists nothing after it) is not sent
 * AT+QMTCLOSE: on one EC200U firmware it answers OK and never sends its +QMTCLOSE (field notes), on others ERROR.
 * Returns what it did, for the transcript.
 */
export async function closeLink<S>(ctx: StepContext<S>, clientIdx: number): Promise<string> {
  const before = await linkState(ctx, clientIdx);
  const done: string[] = [];
  // 2 connecting, 3 connected: a CONNECT was sent (1 is a network open without a connection).
  if (before.connState === 2 || before.connState === 3) {
    const disc = await doing(`AT+QMTDISC=${clientIdx}`, () => ctx.at(at.qmtdisc(clientIdx)));
    done.push(`disconnected (+QMTDISC: ${clientIdx},${disc.result})`);
  }
  const open =
    done.length === 0
      ? before.open !== undefined
      : (await doing('the open networks (AT+QMTOPEN?)', () => ctx.at(at.qmtopenQuery()))).some(
          (entry) => entry.clientIdx === clientIdx,
        );
  if (open) {
    const close = await doing(`AT+QMTCLOSE=${clientIdx}`, () => ctx.at(at.qmtclose(clientIdx)));
    done.push(`network closed (+QMTCLOSE: ${clientIdx},${close.result})`);
  } else if (done.length > 0) {
    done.push('the network closed with the disconnect (AT+QMTOPEN? lists none): no AT+QMTCLOSE needed');
  }
  return done.length === 0 ? `client ${clientIdx} had nothing open` : done.join('; ');
}
