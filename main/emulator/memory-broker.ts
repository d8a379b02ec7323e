import { Emitter, type Event } from '../base';
import type {
  ConnectRequest,
  ConnectResult,
  IncomingMessage,
  MqttClientSession,
  MqttClientSessionFactory,
  OpenRequest,
  OpenResult,
  PacketReport,
  SessionEvents,
} from './net/types';

/**
 * An in-memory MQTT broker and client sessions for it: the network side of virtual modules where no real broker
 * runs (fast unit tests of the AT text, demo mode). It keeps MQTT's observable rules that the AT side reports on:
 * CONNACK codes, granted QoS, topic filters with + and #, retained messages, client-id takeover, wills on link
 * loss, packet ids for QoS > 0, the inflight window, and retransmission when acknowledgements stall.
 */

export interface PublishedMessage {
  readonly clientId: string;
  readonly topic: string;
  readonly payload: Uint8Array;
  readonly qos: 0 | 1 | 2;
  readonly retain: boolean;
}

export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const part = f[i];
    if (part === '#') return !(i === 0 && topic.startsWith('$'));
    if (i >= t.length) return false;
    if (part === '+') {
      if (i === 0 && topic.startsWith('$')) return false;
      continue;
    }
    if (part !== t[i]) return false;
  }
  return f.length === t.length;
}

export class MemoryBroker {
  /** user name → password; when set, CONNECTs with other credentials get return code 4. */
  passwords: ReadonlyMap<string, string> | undefined;
  /** While true, acknowledgements never come: QoS > 0 packets are retransmitted and finally fail. */
  stallAcks = false;
  /** Acknowledgements take this long (keeps packets inflight). */
  ackDelayMs = 0;
  /** Every CONNECT the broker saw (credentials included: this is a test double, never logged). */
  readonly connects: ConnectRequest[] = [];
  /** Every PUBLISH that reached the broker, in order. */
  readonly published: PublishedMessage[] = [];
  private readonly sessions = new Set<MemorySession>();
  private readonly retained = new Map<string, PublishedMessage>();
  private readonly publishes = new Emitter<PublishedMessage>('broker.publish');

  readonly createSession: MqttClientSessionFactory = (clientIdx, events) => new MemorySession(this, clientIdx, events);

  /** Publishes as "another device" would (the chapter 5 examples' incoming messages). */
  publish(topic: string, payload: Uint8Array | string, qos: 0 | 1 | 2 = 0, retain = false): void {
    const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
    this.route({ clientId: '', topic, payload: data, qos, retain });
  }

  /** The keep-alive of this client fails: PINGRESP never comes (+QMTPING: <idx>,1, then +QMTSTAT: <idx>,2). */
  failPing(clientId: string): void {
    for (const session of [...this.sessions]) if (session.clientId === clientId) session.pingFailed();
  }

  /** Every PUBLISH that reaches the broker, as it arrives. */
  readonly onPublish: Event<PublishedMessage> = this.publishes.event;

  /** @internal */
  attach(session: MemorySession): void {
    for (const other of this.sessions) {
      if (other !== session && other.clientId === session.clientId) other.takenOver();
    }
    this.sessions.add(session);
  }

  /** @internal */
  detach(session: MemorySession): void {
    this.sessions.delete(session);
  }

  /** @internal */
  retainedFor(filter: string): PublishedMessage[] {
    return [...this.retained.values()].filter((m) => topicMatches(filter, m.topic));
  }

  /** @internal */
  route(message: PublishedMessage): void {
    this.published.push(message);
    this.publishes.fire(message);
    if (message.retain) {
      if (message.payload.length === 0) this.retained.delete(message.topic);
      else this.retained.set(message.topic, message);
    }
    for (const session of this.sessions) session.deliver(message);
  }
}

type State = MqttClientSession['state'];

class MemorySession implements MqttClientSession {
  state: State = 'closed';
  clientId = '';
  private readonly subscriptions = new Map<string, 0 | 1 | 2>();
  private pending = 0;
  private nextPacketId = 1;
  private timing = { pktTimeoutMs: 5000, retryTimes: 3 };
  private will: ConnectRequest['will'];
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly broker: MemoryBroker,
    readonly clientIdx: number,
    private readonly events: SessionEvents,
  ) {}

  get inflight(): number {
    return this.pending;
  }

  async open(request: OpenRequest): Promise<OpenResult> {
    if (this.state !== 'closed') return 2;
    if (request.host.length === 0 || request.port < 1 || request.port > 65535) return 1;
    this.state = 'opening';
    await this.tick(2);
    if (!this.is('opening')) return -1;
    const failure = { 'tls-failure': -1, 'network-loss': 5, 'dns-failure': 4, 'pdp-failure': 3 } as const;
    if (request.fault) {
      this.state = 'closed';
      return failure[request.fault];
    }
    this.state = 'open';
    return 0;
  }

  async connect(request: ConnectRequest): Promise<ConnectResult> {
    if (this.state !== 'open') return { result: 2 };
    this.state = 'connecting';
    this.timing = { pktTimeoutMs: request.pktTimeoutMs, retryTimes: request.retryTimes };
    await this.tick(2);
    if (!this.is('connecting')) return { result: 2 };
    this.broker.connects.push(request);
    let code = request.forceConnackCode ?? 0;
    const passwords = this.broker.passwords;
    if (code === 0 && passwords && passwords.get(request.username ?? '') !== request.password) code = 4;
    if (code === 0 && request.clientId.length === 0 && !request.cleanSession) code = 2;
    if (code !== 0) {
      // The server closes the network after a refusing CONNACK.
      this.state = 'closed';
      return { result: 0, retCode: code };
    }
    this.clientId = request.clientId;
    this.will = request.will;
    this.broker.attach(this);
    this.state = 'connected';
    return { result: 0, retCode: 0 };
  }

  async subscribe(
    _msgid: number,
    topics: readonly { readonly topic: string; readonly qos: 0 | 1 | 2 }[],
    report: (r: PacketReport) => void,
  ): Promise<PacketReport> {
    const failed = await this.acknowledged(report);
    if (failed) return failed;
    for (const t of topics) this.subscriptions.set(t.topic, t.qos);
    for (const t of topics) for (const m of this.broker.retainedFor(t.topic)) this.deliver(m, t.topic);
    return { result: 0, value: topics.map((t) => t.qos) };
  }

  async unsubscribe(
    _msgid: number,
    topics: readonly string[],
    report: (r: PacketReport) => void,
  ): Promise<PacketReport> {
    const failed = await this.acknowledged(report);
    if (failed) return failed;
    for (const t of topics) this.subscriptions.delete(t);
    return { result: 0 };
  }

  async publish(
    _msgid: number,
    qos: 0 | 1 | 2,
    retain: boolean,
    topic: string,
    payload: Uint8Array,
    report: (r: PacketReport) => void,
  ): Promise<PacketReport> {
    if (this.state !== 'connected') return { result: 2 };
    if (qos === 0) {
      this.broker.route({ clientId: this.clientId, topic, payload, qos, retain });
      return { result: 0 };
    }
    this.pending++;
    try {
      const failed = await this.acknowledged(report);
      if (failed) return failed;
      this.broker.route({ clientId: this.clientId, topic, payload, qos, retain });
      return { result: 0 };
    } finally {
      this.pending--;
    }
  }

  async disconnect(): Promise<0 | -1> {
    if (this.state !== 'connected') return -1;
    this.state = 'disconnecting';
    await this.tick(2);
    this.end();
    return 0;
  }

  async close(): Promise<0 | -1> {
    if (this.state === 'closed') return -1;
    await this.tick(1);
    this.end();
    return 0;
  }

  /** The module's own network went away: +QMTSTAT 7 ("the link is not alive"), as the real session reports it. */
  dropLink(): void {
    if (this.state === 'closed') return;
    const will = this.state === 'connected' ? this.will : undefined;
    this.end();
    if (will)
      this.broker.route({
        clientId: this.clientId,
        topic: will.topic,
        payload: will.message,
        qos: will.qos,
        retain: will.retain,
      });
    this.events.onStat(7);
  }

  destroy(): void {
    this.end();
  }

  pingFailed(): void {
    if (this.state !== 'connected') return;
    this.end();
    this.events.onPing(1);
    this.events.onStat(2);
  }

  /** Another connection took this client id: the broker closes this one. */
  takenOver(): void {
    this.end();
    this.events.onStat(1);
  }

  deliver(message: PublishedMessage, onlyFilter?: string): void {
    if (this.state !== 'connected') return;
    let granted: number | undefined;
    for (const [filter, qos] of this.subscriptions) {
      if (onlyFilter !== undefined && filter !== onlyFilter) continue;
      if (topicMatches(filter, message.topic)) granted = Math.max(granted ?? 0, qos);
    }
    if (granted === undefined) return;
    const qos = Math.min(granted, message.qos);
    const incoming: IncomingMessage = {
      msgid: qos === 0 ? 0 : this.packetId(),
      topic: message.topic,
      payload: message.payload,
      qos: qos === 0 ? 0 : qos === 1 ? 1 : 2,
      retain: onlyFilter !== undefined && message.retain,
    };
    this.later(1, () => {
      if (this.state === 'connected') this.events.onMessage(incoming);
    });
  }

  private packetId(): number {
    const id = this.nextPacketId;
    this.nextPacketId = id >= 65535 ? 1 : id + 1;
    return id;
  }

  /** Waits for the acknowledgement; with stalled acks, reports each retransmission and fails (result 2). */
  private async acknowledged(report: (r: PacketReport) => void): Promise<PacketReport | undefined> {
    if (this.state !== 'connected') return { result: 2 };
    if (!this.broker.stallAcks) {
      await this.tick(1 + this.broker.ackDelayMs);
      return this.is('connected') ? undefined : { result: 2 };
    }
    for (let n = 1; n <= this.timing.retryTimes; n++) {
      await this.tick(this.timing.pktTimeoutMs);
      if (!this.is('connected')) return { result: 2 };
      report({ result: 1, value: n });
    }
    await this.tick(this.timing.pktTimeoutMs);
    return { result: 2 };
  }

  /** State check that the compiler does not narrow: the state changes across awaits. */
  private is(state: State): boolean {
    return this.state === state;
  }

  private end(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.state = 'closed';
    this.broker.detach(this);
  }

  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  private tick(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }
}
