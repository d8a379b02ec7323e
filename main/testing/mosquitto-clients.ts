import { spawn, type ChildProcess } from 'node:child_process';
import { exited, track } from './processes';

/** Where the helper clients connect; `credentials` is the harness account when anonymous access is off. */
export interface BrokerAddress {
  readonly host: string;
  readonly port: number;
  readonly credentials?: { readonly username: string; readonly password: string };
}

export interface ReceivedMessage {
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: number;
  readonly retain: boolean;
}

/** A running `mosquitto_sub`: messages collected in arrival order. */
export interface Subscription {
  readonly messages: readonly ReceivedMessage[];
  /** Resolves when `count` messages in total have arrived (at once if they already have). */
  waitFor(count: number): Promise<readonly ReceivedMessage[]>;
  stop(): Promise<void>;
}

/** Marks a message line in mosquitto_sub's output (`-d` debug lines never start with it; `@` and `%` are format escapes). */
const MARK = 'MSG:';
const FORMAT = `${MARK} %q %r %x %t`;
const MESSAGE_LINE = /^MSG: (\d) (\d) ([0-9a-f]*) (.*)$/;

function authArgs(address: BrokerAddress): string[] {
  const args = ['-h', address.host, '-p', String(address.port)];
  // Only ever the harness's own random account (never a device secret), so passing it on the command line is fine.
  if (address.credentials !== undefined)
    args.push('-u', address.credentials.username, '-P', address.credentials.password);
  return args;
}

/**
 * Starts `mosquitto_sub -d` and resolves once its debug output shows the broker's SUBACK, so a message published
 * after this resolves is certain to be delivered. Payloads come back as hex so binary and multi-line payloads
 * survive the line-based output.
 */
export function startMosquittoSub(address: BrokerAddress, topic: string, qos: 0 | 1 | 2): Promise<Subscription> {
  // mosquitto_sub block-buffers stdout into a pipe; stdbuf makes it line-buffered so each line arrives as printed.
  const args = [...authArgs(address), '-d', '-q', String(qos), '-t', topic, '-F', FORMAT];
  const child = spawn('/usr/bin/stdbuf', ['-oL', '/usr/bin/mosquitto_sub', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  const messages: ReceivedMessage[] = [];
  const waiters: { count: number; resolve: (m: readonly ReceivedMessage[]) => void }[] = [];
  let buffered = '';
  let stderr = '';
  let subscribed = false;

  return new Promise((resolve, reject) => {
    const subscription: Subscription = {
      messages,
      waitFor(count) {
        if (messages.length >= count) return Promise.resolve(messages.slice());
        return new Promise((done) => waiters.push({ count, resolve: done }));
      },
      stop: () => stopChild(child),
    };
    const onLine = (line: string): void => {
      const match = MESSAGE_LINE.exec(line);
      if (match !== null) {
        const [, qosText = '0', retainText = '0', hex = '', topicText = ''] = match;
        messages.push({
          topic: topicText,
          payload: Buffer.from(hex, 'hex'),
          qos: Number(qosText),
          retain: retainText === '1',
        });
        for (const waiter of waiters.filter((w) => messages.length >= w.count)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(messages.slice());
        }
      } else if (!subscribed && line.includes('received SUBACK')) {
        subscribed = true;
        resolve(subscription);
      }
    };
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        onLine(buffered.slice(0, newline));
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf('\n');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (!subscribed) reject(new Error(`mosquitto_sub exited (${code ?? 'signal'}): ${stderr.trim()}`));
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  return exited(child);
}

/** Publishes one message with `mosquitto_pub -s` (payload on stdin, so any bytes pass); rejects on failure. */
export function runMosquittoPub(
  address: BrokerAddress,
  topic: string,
  payload: Uint8Array | string,
  qos: 0 | 1 | 2,
  retain: boolean,
): Promise<void> {
  const bytes = typeof payload === 'string' ? Buffer.from(payload) : Buffer.from(payload);
  // `-s` refuses empty input; `-n` sends the empty message (which also clears a retained one).
  const empty = bytes.length === 0;
  const args = [...authArgs(address), '-q', String(qos), '-t', topic, empty ? '-n' : '-s'];
  if (retain) args.push('-r');
  // With -n it reads no input: no pipe to write into after it has gone.
  const child = spawn('/usr/bin/mosquitto_pub', args, { stdio: [empty ? 'ignore' : 'pipe', 'ignore', 'pipe'] });
  track(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // A client that exits before reading its input (it could not connect) closes the pipe: the write fails with
  // EPIPE, and the exit code below says what went wrong.
  child.stdin?.on('error', () => undefined);
  child.stdin?.end(bytes);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`mosquitto_pub exited (${code ?? 'signal'}): ${stderr.trim()}`)),
    );
  });
}
