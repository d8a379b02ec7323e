import { afterEach, describe, expect, it } from 'vitest';
import { startPtyPair, type PtyPair } from './pty-pair';
import { SerialOpenError, SerialTransport } from './serial';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function pair(): Promise<PtyPair> {
  const ptys = await startPtyPair();
  cleanups.push(() => ptys.stop());
  return ptys;
}

async function open(path: string): Promise<SerialTransport> {
  const transport = await SerialTransport.open({ path });
  cleanups.push(() => transport.close());
  return transport;
}

/** Collects bytes from a transport until `count` have arrived. */
function receive(transport: SerialTransport, count: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const sub = transport.onData((chunk) => {
      chunks.push(Buffer.from(chunk));
      total += chunk.byteLength;
      if (total >= count) {
        sub.dispose();
        resolve(Buffer.concat(chunks));
      }
    });
  });
}

describe('SerialTransport over real pseudo-terminals', () => {
  it('carries bytes both ways, exactly', async () => {
    const ptys = await pair();
    const station = await open(ptys.a);
    const device = await open(ptys.b);
    expect(station.id).toBe(ptys.a);
    expect(station.isOpen).toBe(true);

    const all = new Uint8Array(256).map((_, i) => i);
    const atDevice = receive(device, all.byteLength);
    await station.write(all);
    expect([...(await atDevice)]).toEqual([...all]);

    const atStation = receive(station, 6);
    await device.write(new TextEncoder().encode('\r\nOK\r\n'));
    expect((await atStation).toString('latin1')).toBe('\r\nOK\r\n');
  });

  it('rejects with a clear error when the port cannot be opened', async () => {
    const missing = '/tmp/fleet-no-such-port-' + String(process.pid);
    const failure = SerialTransport.open({ path: missing });
    await expect(failure).rejects.toBeInstanceOf(SerialOpenError);
    await expect(failure).rejects.toThrow(`cannot open serial port ${missing}`);
  });

  it('reports the device vanishing through onClose(error) and refuses writes afterwards', async () => {
    const ptys = await pair();
    const station = await open(ptys.a);
    const closed = new Promise<Error | undefined>((resolve) => station.onClose(resolve));
    await ptys.unplug();
    const error = await closed;
    expect(error).toBeInstanceOf(Error);
    expect(error?.message).toContain(`serial port ${ptys.a} vanished`);
    expect(station.isOpen).toBe(false);
    await expect(station.write(new Uint8Array([0x41]))).rejects.toThrow('vanished');
  });

  it('fires onClose once, without an error, on an orderly close', async () => {
    const ptys = await pair();
    const station = await open(ptys.a);
    const reasons: (Error | undefined)[] = [];
    station.onClose((error) => reasons.push(error));
    await station.close();
    await station.close();
    expect(reasons).toEqual([undefined]);
  });
});
