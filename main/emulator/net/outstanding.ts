import type { IPublishPacket, ISubscribePacket, IUnsubscribePacket, Packet } from 'mqtt-packet';
import type { PacketReport } from './types';

/** MQTT packets that wait for an acknowledgement and are retransmitted until they get one. */
export type AcknowledgedPacket = ISubscribePacket | IUnsubscribePacket | IPublishPacket;

/** The spec's inflight window: at most 5 QoS 1/2 publishes may be unacknowledged at once. */
export const INFLIGHT_WINDOW = 5;

interface Entry {
  readonly packet: AcknowledgedPacket;
  /** QoS 2 publishes move from waiting for PUBREC to waiting for PUBCOMP (retransmitting PUBREL). */
  phase: 'ack' | 'pubcomp';
  retries: number;
  timer?: NodeJS.Timeout;
  readonly report: (r: PacketReport) => void;
  readonly resolve: (r: PacketReport) => void;
}

export interface OutstandingLink {
  send(packet: Packet): Promise<boolean>;
  /** Called after a packet exhausted its retries (its final result 2 already delivered). */
  giveUp(): void;
}

const FAILED: PacketReport = { result: 2 };

/**
 * The packets of one session that await acknowledgement, keyed by packet id. One mechanism for SUBSCRIBE,
 * UNSUBSCRIBE and QoS 1/2 PUBLISH: send, wait pkt_timeout, retransmit up to retry_times (PUBLISH with DUP set),
 * reporting each retransmission as result 1 with its count, then a final result 0 or 2.
 */
export class Outstanding {
  private readonly entries = new Map<number, Entry>();
  private timeoutMs = 5000;
  private retryTimes = 3;

  constructor(private readonly link: OutstandingLink) {}

  configure(timeoutMs: number, retryTimes: number): void {
    this.timeoutMs = timeoutMs;
    this.retryTimes = retryTimes;
  }

  get inflight(): number {
    let count = 0;
    for (const entry of this.entries.values()) if (entry.packet.cmd === 'publish') count += 1;
    return count;
  }

  start(packet: AcknowledgedPacket, report: (r: PacketReport) => void): Promise<PacketReport> {
    const msgid = packet.messageId;
    // A packet id must be unique among the packets in flight (spec, AT+QMTSUB note).
    if (msgid === undefined || this.entries.has(msgid)) return Promise.resolve(FAILED);
    if (packet.cmd === 'publish' && this.inflight >= INFLIGHT_WINDOW) return Promise.resolve(FAILED);
    return new Promise((resolve) => {
      const entry: Entry = { packet, phase: 'ack', retries: 0, report, resolve };
      this.entries.set(msgid, entry);
      this.transmit(msgid, entry, packet);
    });
  }

  /** Routes SUBACK, UNSUBACK, PUBACK, PUBREC and PUBCOMP to the packet they acknowledge; others are ignored. */
  acknowledge(ack: Packet): void {
    const msgid = ack.messageId;
    if (msgid === undefined) return;
    const entry = this.entries.get(msgid);
    if (entry === undefined) return;
    const { packet } = entry;
    if (ack.cmd === 'suback' && packet.cmd === 'subscribe') {
      this.finish(msgid, entry, { result: 0, value: ack.granted.map((g) => (typeof g === 'number' ? g : 0x80)) });
    } else if (ack.cmd === 'unsuback' && packet.cmd === 'unsubscribe') {
      this.finish(msgid, entry, { result: 0 });
    } else if (ack.cmd === 'puback' && packet.cmd === 'publish' && packet.qos === 1) {
      this.finish(msgid, entry, { result: 0 });
    } else if (ack.cmd === 'pubrec' && packet.cmd === 'publish' && packet.qos === 2) {
      // A repeated PUBREC (our PUBREL was lost) is answered with PUBREL again.
      entry.phase = 'pubcomp';
      entry.retries = 0;
      this.transmit(msgid, entry, { cmd: 'pubrel', messageId: msgid });
    } else if (ack.cmd === 'pubcomp' && entry.phase === 'pubcomp') {
      this.finish(msgid, entry, { result: 0 });
    }
  }

  /** The link is gone: every pending packet ends with result 2. */
  failAll(): void {
    const entries = [...this.entries.values()];
    this.entries.clear();
    for (const entry of entries) {
      clearTimeout(entry.timer);
      entry.resolve(FAILED);
    }
  }

  private transmit(msgid: number, entry: Entry, packet: Packet): void {
    clearTimeout(entry.timer);
    void this.link.send(packet);
    entry.timer = setTimeout(() => this.expired(msgid, entry), this.timeoutMs);
  }

  private expired(msgid: number, entry: Entry): void {
    if (this.entries.get(msgid) !== entry) return;
    if (entry.retries >= this.retryTimes) {
      this.entries.delete(msgid);
      entry.resolve(FAILED);
      this.link.giveUp();
      return;
    }
    entry.retries += 1;
    const again: Packet =
      entry.phase === 'pubcomp'
        ? { cmd: 'pubrel', messageId: msgid }
        : entry.packet.cmd === 'publish'
          ? { ...entry.packet, dup: true }
          : entry.packet;
    this.transmit(msgid, entry, again);
    entry.report({ result: 1, value: entry.retries });
  }

  private finish(msgid: number, entry: Entry, report: PacketReport): void {
    clearTimeout(entry.timer);
    this.entries.delete(msgid);
    entry.resolve(report);
  }
}
