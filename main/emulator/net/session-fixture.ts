import type { IncomingMessage, MqttClientSession, OpenRequest, ConnectRequest } from './types';
import { createMqttClientSession } from './session';

/** What a session reported, in order, plus promises that resolve when a given report arrives (no sleeps). */
export interface RecordedSession {
  readonly session: MqttClientSession;
  readonly messages: IncomingMessage[];
  readonly stats: number[];
  readonly pings: number[];
  nextStat(): Promise<number>;
  nextMessage(): Promise<IncomingMessage>;
}

/** Creates a session (client_idx 0) whose events are recorded for assertions. */
export function recordedSession(): RecordedSession {
  const messages: IncomingMessage[] = [];
  const stats: number[] = [];
  const pings: number[] = [];
  const statWaiters: ((n: number) => void)[] = [];
  const messageWaiters: ((m: IncomingMessage) => void)[] = [];
  let statsTaken = 0;
  let messagesTaken = 0;
  const session = createMqttClientSession(0, {
    onMessage(message) {
      messages.push(message);
      messageWaiters.shift()?.(message);
    },
    onStat(errCode) {
      stats.push(errCode);
      statWaiters.shift()?.(errCode);
    },
    onPing(result) {
      pings.push(result);
    },
  });
  return {
    session,
    messages,
    stats,
    pings,
    nextStat() {
      const already = stats[statsTaken];
      statsTaken += 1;
      if (already !== undefined) return Promise.resolve(already);
      return new Promise((resolve) => statWaiters.push(resolve));
    },
    nextMessage() {
      const already = messages[messagesTaken];
      messagesTaken += 1;
      if (already !== undefined) return Promise.resolve(already);
      return new Promise((resolve) => messageWaiters.push(resolve));
    },
  };
}

export function openPlain(host: string, port: number): OpenRequest {
  return { host, port, hostMap: new Map() };
}

/** CONNECT settings as a fresh module has them (AT+QMTCFG defaults: 3.1.1 here, keepalive 120, clean, 5 s x 3). */
export function connectRequest(overrides: Partial<ConnectRequest> = {}): ConnectRequest {
  return {
    version: 4,
    clientId: `fleet-test-${Math.random().toString(16).slice(2, 10)}`,
    keepaliveSec: 120,
    cleanSession: true,
    pktTimeoutMs: 5000,
    retryTimes: 3,
    ...overrides,
  };
}
