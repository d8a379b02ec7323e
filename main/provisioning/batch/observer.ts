import { randomBytes } from 'node:crypto';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { PlannedObserver } from '../compile';

/**
 * The station's own MQTT client (MQTT.js) on the broker: it subscribes to each unit's verify topic before the
 * unit publishes, and confirms that the unit's message reached the broker, independently of the module's own
 * report. One client serves a whole batch (one connection, one subscription per unit). Its password is a secret
 * (from the station's environment): it never appears in an error or a log.
 */
export interface BrokerObserver {
  /** Subscribes to `topic` (once the broker has granted it, messages on it are kept until `forget`). */
  watch(topic: string, qos: 0 | 1 | 2, signal: AbortSignal): Promise<void>;
  /**
   * Resolves with the time (ms since the epoch) the observer saw `payload` on `topic` (at once when it already
   * has), or null at `deadline`; rejects when `signal` aborts.
   */
  sighting(topic: string, payload: Uint8Array, deadline: number, signal: AbortSignal): Promise<number | null>;
  /** Unsubscribes from `topic` and drops what it kept. */
  forget(topic: string): Promise<void>;
  close(): Promise<void>;
}

/** Makes the batch's observer from the plan's settings (the first unit's: they are the profile's, the same for all). */
export type ObserverFactory = (settings: PlannedObserver) => BrokerObserver;

interface Sighting {
  readonly payload: Buffer;
  readonly at: number;
}

/** The MQTT.js observer. It connects on first use; a connection that fails is reported to every unit that needs it. */
export class MqttObserver implements BrokerObserver {
  private client: Promise<MqttClient> | undefined;
  private readonly seen = new Map<string, Sighting[]>();
  /** Topics being watched, with how many units watch each (two units of one batch never share a topic). */
  private readonly watched = new Map<string, number>();
  private readonly waiters = new Set<() => void>();
  private closed = false;

  constructor(
    private readonly settings: PlannedObserver,
    private readonly now: () => number = Date.now,
  ) {}

  /** Where the observer connects, without credentials (for messages). */
  get where(): string {
    return this.settings.url;
  }

  async watch(topic: string, qos: 0 | 1 | 2, signal: AbortSignal): Promise<void> {
    const client = await abortable(this.connect(), signal);
    this.watched.set(topic, (this.watched.get(topic) ?? 0) + 1);
    if (!this.seen.has(topic)) this.seen.set(topic, []);
    const grants = await abortable(client.subscribeAsync(topic, { qos }), signal);
    const refused = grants.find((grant) => grant.qos === 128);
    if (refused !== undefined) throw new Error(`the broker refused the observer's subscription to ${topic}`);
  }

  sighting(topic: string, payload: Uint8Array, deadline: number, signal: AbortSignal): Promise<number | null> {
    const find = (): number | undefined =>
      this.seen.get(topic)?.find((seen) => Buffer.compare(seen.payload, payload) === 0)?.at;
    const found = find();
    if (found !== undefined) return Promise.resolve(found);
    return new Promise<number | null>((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        signal.removeEventListener('abort', onAbort);
      };
      const check = (): void => {
        const at = find();
        if (at === undefined) return;
        finish();
        resolve(at);
      };
      const onAbort = (): void => {
        finish();
        reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
      };
      const timer = setTimeout(
        () => {
          finish();
          resolve(null);
        },
        Math.max(0, deadline - this.now()),
      );
      this.waiters.add(check);
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  async forget(topic: string): Promise<void> {
    const holders = (this.watched.get(topic) ?? 1) - 1;
    if (holders > 0) {
      this.watched.set(topic, holders);
      return;
    }
    this.watched.delete(topic);
    this.seen.delete(topic);
    const client = await this.client?.catch(() => undefined);
    if (client?.connected === true) await client.unsubscribeAsync(topic).catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = await this.client?.catch(() => undefined);
    await client?.endAsync(true).catch(() => undefined);
  }

  private connect(): Promise<MqttClient> {
    if (this.closed) return Promise.reject(new Error('the observer is closed'));
    this.client ??= this.open();
    return this.client;
  }

  private async open(): Promise<MqttClient> {
    const { settings } = this;
    const options: IClientOptions = {
      // MQTT 3.1.1: what the modules speak, and what every broker the station meets accepts.
      protocolVersion: 4,
      clean: true,
      clientId: settings.clientId ?? `fleet-station-observer-${randomBytes(6).toString('hex')}`,
      connectTimeout: 30_000,
      reconnectPeriod: 1_000,
      ...(settings.username !== undefined ? { username: settings.username } : {}),
      ...(settings.password !== undefined ? { password: settings.password } : {}),
      ...(settings.ca !== undefined ? { ca: Buffer.from(settings.ca) } : {}),
      ...(settings.cert !== undefined ? { cert: Buffer.from(settings.cert) } : {}),
      ...(settings.key !== undefined ? { key: Buffer.from(settings.key) } : {}),
    };
    let client: MqttClient;
    try {
      client = await mqtt.connectAsync(settings.url, options, false);
    } catch (error) {
      // MQTT.js words its errors without the password; only the message is kept, never the options.
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`the observer could not connect to ${settings.url}: ${reason}`, { cause: error });
    }
    client.on('message', (topic, payload) => {
      const list = this.seen.get(topic);
      if (list === undefined) return;
      list.push({ payload: Buffer.from(payload), at: this.now() });
      for (const check of [...this.waiters]) check();
    });
    return client;
  }
}

/** Settles with `work`, or rejects as soon as `signal` aborts. */
function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void =>
      reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** The default factory: an MQTT.js client. */
export const mqttObserver: ObserverFactory = (settings) => new MqttObserver(settings);
