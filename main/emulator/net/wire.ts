import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { NetworkPacing } from './types';

/**
 * A module's end of its MQTT link as it goes over the modeled mobile network: every packet it sends leaves one
 * one-way delay later, and every packet (and the close) from the broker arrives one one-way delay after the
 * loopback delivered it, each direction in order. A round trip (CONNECT/CONNACK, SUBSCRIBE/SUBACK, PUBLISH/PUBACK,
 * the message coming back through the broker) thus takes what the network model says. Without a network model
 * the socket is used as it is.
 *
 * Every delay is counted in the module's busy time, except those of packets nobody waits for (the module's own
 * acknowledgements of what the broker sent).
 */
export class Wire {
  private readonly outgoing: DelayLine;
  private readonly incoming: DelayLine;

  constructor(
    readonly socket: Socket | TLSSocket,
    private readonly network: NetworkPacing | undefined,
  ) {
    this.outgoing = new DelayLine(network);
    this.incoming = new DelayLine(network);
  }

  /** Sends bytes; resolves false when the link is gone or the write fails. `awaited`: someone waits for an answer. */
  write(bytes: Buffer, awaited = true): Promise<boolean> {
    return new Promise((resolve) => {
      this.outgoing.pass(awaited, () => {
        if (this.socket.destroyed) {
          resolve(false);
          return;
        }
        this.socket.write(bytes, (error) => resolve(error === undefined || error === null));
      });
    });
  }

  /** Ends the connection (FIN) after whatever was sent before. */
  end(): void {
    this.outgoing.pass(true, () => this.socket.end());
  }

  onData(listener: (chunk: Buffer) => void): void {
    this.socket.on('data', (chunk: Buffer) => this.incoming.pass(true, () => listener(chunk)));
  }

  onceClosed(listener: () => void): void {
    this.socket.once('close', () => this.incoming.pass(true, listener));
  }

  get paced(): boolean {
    return this.network !== undefined;
  }
}

/** One direction of the modeled network: each item passes one one-way delay later, never overtaking another. */
class DelayLine {
  private readonly queue: { readonly due: number; readonly deliver: () => void }[] = [];
  private lastDue = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly network: NetworkPacing | undefined) {}

  pass(counted: boolean, deliver: () => void): void {
    const network = this.network;
    if (network === undefined) {
      deliver();
      return;
    }
    const now = network.now();
    const due = Math.max(this.lastDue, now + network.packetDelayMs());
    this.lastDue = due;
    if (counted) network.busy(now, due);
    this.queue.push({ due, deliver });
    this.schedule(network);
  }

  private schedule(network: NetworkPacing): void {
    const head = this.queue[0];
    if (this.timer !== undefined || head === undefined) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        const now = network.now();
        while ((this.queue[0]?.due ?? Infinity) <= now + 0.5) this.queue.shift()?.deliver();
        this.schedule(network);
      },
      Math.max(0, head.due - network.now()),
    );
  }
}
