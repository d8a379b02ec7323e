import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import mqtt, { type IConnectPacket, type Packet } from 'mqtt-packet';
import { connectPacket, encodeConnect } from './connect-packet';
import { openLink } from './link';
import { Outstanding } from './outstanding';
import { Wire } from './wire';
import type {
  ConnectRequest,
  NetworkPacing,
  ConnectResult,
  MqttClientSession,
  MqttClientSessionFactory,
  OpenRequest,
  OpenResult,
  PacketReport,
  SessionEvents,
} from './types';

/**
 * +QMTSTAT <err_code> values (spec table 4), named by the situation that causes each one here. Code 5 (the
 * server closes the link after our DISCONNECT) is the normal end of AT+QMTDISC: it is reported as disconnect()
 * resolving 0 (+QMTDISC: <idx>,0), never through onStat. A refused CONNACK is followed by code 1, because the
 * broker then closes the link.
 */
export const Stat = {
  /** The broker closed or reset the link. */
  peerClosed: 1,
  /** PINGREQ got no PINGRESP within pkt_timeout (or could not be sent). */
  pingFailed: 2,
  /** The CONNECT packet could not be encoded or written. */
  connectSendFailed: 3,
  /** No CONNACK after all retries, or the link closed while waiting for it. */
  connackFailed: 4,
  /** A packet was retransmitted retry_times times and still not acknowledged. */
  sendFailedRepeatedly: 6,
  /** The module's own network went away (link dropped, network loss). */
  linkNotAlive: 7,
  /** The client closed the connection itself because the broker sent something it cannot accept. */
  clientClosed: 8,
} as const;

export interface SessionOptions {
  /** Upper bound on DNS + TCP + TLS for +QMTOPEN (the spec allows up to 120 s). */
  readonly openTimeoutMs?: number;
}

type State = MqttClientSession['state'];

interface Link {
  readonly socket: Socket | TLSSocket;
  /** The socket as seen through the modeled network (packet delays), or as it is. */
  readonly wire: Wire;
  readonly parser: mqtt.Parser;
}

/** Where a pending CONNECT stands: written decides between +QMTSTAT 3 and 4 when it fails. */
interface PendingConnect {
  readonly packet: IConnectPacket;
  readonly resolve: (result: ConnectResult) => void;
  written: boolean;
  retries: number;
  timer?: NodeJS.Timeout;
  forced?: number;
}

const FAILED: PacketReport = { result: 2 };

class ClientSession implements MqttClientSession {
  state: State = 'closed';
  private link: Link | undefined;
  private pendingConnect: PendingConnect | undefined;
  private settleDisconnect: ((result: 0 | -1) => void) | undefined;
  private settleClose: ((result: 0 | -1) => void) | undefined;
  private abortOpen: (() => void) | undefined;
  private readonly outstanding: Outstanding;
  /** Incoming QoS 2 packet ids between PUBREC and PUBREL: a re-sent PUBLISH with such an id is not delivered twice. */
  private readonly incomingQos2 = new Set<number>();
  private protocolVersion: 3 | 4 = 4;
  private keepaliveMs = 0;
  private pktTimeoutMs = 5000;
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private destroyed = false;

  constructor(
    private readonly events: SessionEvents,
    private readonly options: Required<SessionOptions>,
  ) {
    this.outstanding = new Outstanding({
      send: (packet) => this.send(packet),
      giveUp: () => this.teardown(Stat.sendFailedRepeatedly),
    });
  }

  get inflight(): number {
    return this.outstanding.inflight;
  }

  async open(request: OpenRequest): Promise<OpenResult> {
    if (this.destroyed) return -1;
    if (this.state !== 'closed') return 2;
    this.state = 'opening';
    const aborted = new Promise<'aborted'>((resolve) => (this.abortOpen = () => resolve('aborted')));
    const linking = openLink(request, this.options.openTimeoutMs);
    const outcome = await Promise.race([linking, aborted]);
    this.abortOpen = undefined;
    if (outcome === 'aborted') {
      // The link may still come up after the abort: it must not be left open behind our back.
      void linking.then((late) => {
        if (late.ok) late.socket.destroy();
      });
      return 5;
    }
    if (!outcome.ok) {
      this.state = 'closed';
      return outcome.result;
    }
    // close() or destroy() may have cut the open short while the link was being made.
    if (!this.stillOpening()) {
      outcome.socket.destroy();
      return 5;
    }
    this.attach(outcome.socket, request.network);
    this.state = 'open';
    return 0;
  }

  connect(request: ConnectRequest): Promise<ConnectResult> {
    if (this.state !== 'open' || this.link === undefined) return Promise.resolve({ result: 2 });
    this.state = 'connecting';
    this.pktTimeoutMs = request.pktTimeoutMs;
    this.protocolVersion = request.version;
    this.keepaliveMs = request.keepaliveSec * 1000;
    this.outstanding.configure(request.pktTimeoutMs, request.retryTimes);
    const packet = connectPacket(request);
    return new Promise((resolve) => {
      const pending: PendingConnect = { packet, resolve, written: false, retries: 0 };
      if (request.forceConnackCode !== undefined) pending.forced = request.forceConnackCode;
      this.pendingConnect = pending;
      const attempt = (): void => {
        void this.send(packet, encodeConnect).then((ok) => {
          if (ok) pending.written = true;
          // Not encodable (e.g. an empty will topic) or the write failed: nothing for a CONNACK to answer.
          else if (this.pendingConnect === pending) this.failConnect(Stat.connectSendFailed);
        });
        pending.timer = setTimeout(() => {
          if (this.pendingConnect !== pending) return;
          if (pending.retries < request.retryTimes) {
            pending.retries += 1;
            attempt();
            return;
          }
          this.failConnect(Stat.connackFailed);
        }, request.pktTimeoutMs);
      };
      attempt();
    });
  }

  subscribe(
    msgid: number,
    topics: readonly { readonly topic: string; readonly qos: 0 | 1 | 2 }[],
    report: (r: PacketReport) => void,
  ): Promise<PacketReport> {
    if (this.state !== 'connected' || !validId(msgid) || topics.length === 0) return Promise.resolve(FAILED);
    return this.outstanding.start(
      { cmd: 'subscribe', messageId: msgid, subscriptions: topics.map((t) => ({ topic: t.topic, qos: t.qos })) },
      report,
    );
  }

  unsubscribe(msgid: number, topics: readonly string[], report: (r: PacketReport) => void): Promise<PacketReport> {
    if (this.state !== 'connected' || !validId(msgid) || topics.length === 0) return Promise.resolve(FAILED);
    return this.outstanding.start({ cmd: 'unsubscribe', messageId: msgid, unsubscriptions: [...topics] }, report);
  }

  async publish(
    msgid: number,
    qos: 0 | 1 | 2,
    retain: boolean,
    topic: string,
    payload: Uint8Array,
    report: (r: PacketReport) => void,
  ): Promise<PacketReport> {
    if (this.state !== 'connected' || topic === '') return FAILED;
    const packet = { cmd: 'publish', qos, retain, dup: false, topic, payload: Buffer.from(payload) } as const;
    if (qos === 0) return (await this.send(packet)) ? { result: 0 } : FAILED;
    if (!validId(msgid)) return FAILED;
    return this.outstanding.start({ ...packet, messageId: msgid }, report);
  }

  disconnect(): Promise<0 | -1> {
    const link = this.link;
    if (link === undefined || this.state === 'disconnecting') return Promise.resolve(-1);
    if (this.state !== 'connected') return this.close();
    this.state = 'disconnecting';
    return new Promise((resolve) => {
      this.settleDisconnect = resolve;
      // After DISCONNECT the client closes the connection; the broker closing it first is just as normal.
      void this.send({ cmd: 'disconnect' }).then((ok) => {
        if (!ok) {
          this.settleDisconnect = undefined;
          this.teardown(undefined);
          resolve(-1);
          return;
        }
        link.wire.end();
        this.guardClosing(link);
      });
    });
  }

  close(): Promise<0 | -1> {
    if (this.state === 'opening') {
      this.state = 'closed';
      this.abortOpen?.();
      return Promise.resolve(0);
    }
    const link = this.link;
    // Closing a network that is already closed succeeds: the end state is the one asked for.
    if (link === undefined) return Promise.resolve(0);
    return new Promise((resolve) => {
      this.settleClose = resolve;
      this.outstanding.failAll();
      link.wire.end();
      this.guardClosing(link);
    });
  }

  private stillOpening(): boolean {
    return !this.destroyed && this.state === 'opening';
  }

  dropLink(): void {
    if (this.link === undefined) return;
    this.teardown(Stat.linkNotAlive);
  }

  destroy(): void {
    this.destroyed = true;
    if (this.state === 'opening') this.abortOpen?.();
    this.teardown(undefined);
  }

  /** A broker that never answers our FIN must not keep the session half-closed: give up after one pkt_timeout. */
  private guardClosing(link: Link): void {
    const timer = setTimeout(() => link.socket.destroy(), this.pktTimeoutMs);
    link.socket.once('close', () => clearTimeout(timer));
  }

  private attach(socket: Socket | TLSSocket, network: NetworkPacing | undefined): void {
    const parser = mqtt.parser();
    const wire = new Wire(socket, network);
    const link: Link = { socket, wire, parser };
    this.link = link;
    parser.on('packet', (packet: Packet) => this.receive(packet));
    // A broker that sends bytes no MQTT parser accepts: the module gives up on the connection itself.
    parser.on('error', () => this.teardown(Stat.clientClosed));
    wire.onData((chunk) => {
      if (this.link === link) parser.parse(chunk);
    });
    socket.on('error', () => undefined);
    wire.onceClosed(() => {
      if (this.link === link) this.linkClosed();
    });
  }

  /** The socket closed: what that means depends on what we were doing when it did. */
  private linkClosed(): void {
    if (this.settleClose !== undefined || this.settleDisconnect !== undefined) {
      this.teardown(undefined);
      return;
    }
    if (this.pendingConnect !== undefined) {
      this.failConnect(this.pendingConnect.written ? Stat.connackFailed : Stat.connectSendFailed);
      return;
    }
    this.teardown(Stat.peerClosed);
  }

  private failConnect(stat: number): void {
    const pending = this.pendingConnect;
    if (pending === undefined) return;
    this.pendingConnect = undefined;
    clearTimeout(pending.timer);
    pending.resolve({ result: 2 });
    this.teardown(stat);
  }

  private receive(packet: Packet): void {
    switch (packet.cmd) {
      case 'connack':
        this.connack(packet.returnCode ?? 0);
        return;
      case 'publish':
        this.incoming(packet);
        return;
      case 'pubrel':
        if (packet.messageId !== undefined) {
          this.incomingQos2.delete(packet.messageId);
          void this.send({ cmd: 'pubcomp', messageId: packet.messageId }, undefined, false);
        }
        return;
      case 'pingresp':
        clearTimeout(this.pingTimer);
        this.pingTimer = undefined;
        return;
      default:
        this.outstanding.acknowledge(packet);
    }
  }

  private connack(brokerCode: number): void {
    const pending = this.pendingConnect;
    if (pending === undefined) return;
    this.pendingConnect = undefined;
    clearTimeout(pending.timer);
    const retCode = pending.forced ?? brokerCode;
    if (retCode !== 0) {
      // A refused CONNECT: the broker closes the link (MQTT 3.1.1 §3.2.2.3), which the module then reports.
      pending.resolve({ result: 0, retCode });
      setImmediate(() => this.teardown(Stat.peerClosed));
      return;
    }
    this.state = 'connected';
    this.armKeepalive();
    pending.resolve({ result: 0, retCode });
  }

  private incoming(packet: Extract<Packet, { cmd: 'publish' }>): void {
    const msgid = packet.messageId ?? 0;
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    const message = {
      msgid: packet.qos === 0 ? 0 : msgid,
      topic: packet.topic,
      payload,
      qos: packet.qos,
      retain: packet.retain,
    };
    if (packet.qos === 1) void this.send({ cmd: 'puback', messageId: msgid }, undefined, false);
    if (packet.qos === 2) {
      void this.send({ cmd: 'pubrec', messageId: msgid }, undefined, false);
      if (this.incomingQos2.has(msgid)) return;
      this.incomingQos2.add(msgid);
    }
    this.events.onMessage(message);
  }

  /**
   * Writes one packet; resolves false when the link is gone or the write fails. Every write re-arms keep-alive.
   * `awaited` is false for the acknowledgements the module sends of what it received (no answer comes to them).
   */
  private send<P extends Packet>(packet: P, encode?: (packet: P) => Buffer, awaited = true): Promise<boolean> {
    const link = this.link;
    if (link === undefined || link.socket.destroyed) return Promise.resolve(false);
    let bytes: Buffer;
    try {
      bytes = encode !== undefined ? encode(packet) : mqtt.generate(packet, { protocolVersion: this.protocolVersion });
    } catch {
      return Promise.resolve(false);
    }
    if (this.state === 'connected') this.armKeepalive();
    return link.wire.write(bytes, awaited);
  }

  /** PINGREQ after keepalive seconds without sending anything; no PINGRESP within pkt_timeout ends the link. */
  private armKeepalive(): void {
    clearTimeout(this.keepaliveTimer);
    if (this.keepaliveMs <= 0) return;
    this.keepaliveTimer = setTimeout(() => {
      if (this.state !== 'connected' || this.pingTimer !== undefined) return;
      this.pingTimer = setTimeout(() => this.pingFailed(), this.pktTimeoutMs);
      void this.send({ cmd: 'pingreq' }).then((ok) => {
        if (!ok) this.pingFailed();
      });
    }, this.keepaliveMs);
  }

  private pingFailed(): void {
    if (this.link === undefined) return;
    this.events.onPing(1);
    this.teardown(Stat.pingFailed);
  }

  /** Ends the link: every pending operation fails (result 2), then `stat` (if any) is reported once. */
  private teardown(stat: number | undefined): void {
    const link = this.link;
    this.link = undefined;
    clearTimeout(this.keepaliveTimer);
    clearTimeout(this.pingTimer);
    this.keepaliveTimer = undefined;
    this.pingTimer = undefined;
    this.incomingQos2.clear();
    this.state = 'closed';
    const pending = this.pendingConnect;
    this.pendingConnect = undefined;
    if (pending !== undefined) {
      clearTimeout(pending.timer);
      pending.resolve({ result: 2 });
    }
    this.outstanding.failAll();
    link?.socket.destroy();
    const settleDisconnect = this.settleDisconnect;
    const settleClose = this.settleClose;
    this.settleDisconnect = undefined;
    this.settleClose = undefined;
    settleDisconnect?.(0);
    settleClose?.(0);
    // After the failed operations' final results have reached the AT side, as +QMTSTAT follows them on the wire.
    if (stat !== undefined && link !== undefined) {
      setImmediate(() => {
        if (!this.destroyed) this.events.onStat(stat);
      });
    }
  }
}

function validId(msgid: number): boolean {
  return Number.isInteger(msgid) && msgid >= 1 && msgid <= 65535;
}

/** The network side of one MQTT client (client_idx 0-5) of a virtual module. */
export function createMqttClientSessionWith(options: SessionOptions = {}): MqttClientSessionFactory {
  const resolved: Required<SessionOptions> = { openTimeoutMs: options.openTimeoutMs ?? 60_000 };
  return (_clientIdx, events) => new ClientSession(events, resolved);
}

export const createMqttClientSession: MqttClientSessionFactory = createMqttClientSessionWith();
