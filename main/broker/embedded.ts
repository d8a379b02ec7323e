import { Aedes } from 'aedes';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/** A running embedded broker: where it listens and how to stop it. */
export interface EmbeddedBroker {
  readonly host: string;
  readonly port: number;
  /** Stops accepting, drops every client and closes the broker. */
  close(): Promise<void>;
}

export interface EmbeddedBrokerOptions {
  /** Loopback only by default: the embedded broker serves the station's own virtual modules. */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
}

/**
 * The MQTT broker of the station's embedded default (aedes over plain TCP on 127.0.0.1), so virtual modules have
 * a real broker to round-trip through when no cloud or Mosquitto is configured.
 */
export async function startEmbeddedBroker(options: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const host = options.host ?? '127.0.0.1';
  const broker = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    broker.handle(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    host,
    port,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
      await new Promise<void>((resolve) => broker.close(() => resolve()));
    },
  };
}
