import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describeFinal } from '../../at/decode/describe';
import { AtEngine, inThreadParserLink } from '../../at/engine';
import type { Script, StepRecord } from '../../core/script';
import { Station } from '../../core/station';
import { waitForIdentified } from '../../core/wait-for';
import { InProcessTransport } from '../../emulator/in-process-transport';
import { MemoryBroker } from '../../emulator/memory-broker';
import { VirtualModule } from '../../emulator/virtual-module';
import { openSqliteStore, type Store } from '../../store';
import { generateCertificates } from '../../testing/certs';
import type { ByteTransport } from '../../transport/types';
import { writeIn } from '../fixtures/profiles';
import { Mailbox, type ProvisionState } from '.';
import { loadOk } from './fixtures/fleet';
import { upload, uploadInputTimeoutS } from './steps-config';

/**
 * The `upload` step alone, on a virtual module whose line can be made to corrupt what the station sends: the
 * module's +QFUPL size and checksum are checked against the exact bytes sent, a mismatch fails the try, and the
 * step is tried once more from the deletion of the stale file on.
 */

/** The module's port, with a line that flips one bit of the next `count` certificate uploads. */
class NoisyLine implements ByteTransport {
  corruptions = 0;
  constructor(private readonly inner: InProcessTransport) {}
  get id(): string {
    return this.inner.id;
  }
  get isOpen(): boolean {
    return this.inner.isOpen;
  }
  write(data: Uint8Array): Promise<void> {
    if (this.corruptions > 0 && Buffer.from(data).includes('-----BEGIN CERTIFICATE-----')) {
      this.corruptions--;
      const copy = Uint8Array.from(data);
      copy[100] = (copy[100] ?? 0) ^ 0x01;
      return this.inner.write(copy);
    }
    return this.inner.write(data);
  }
  onData(listener: (chunk: Uint8Array) => void) {
    return this.inner.onData(listener);
  }
  onClose(listener: (error: Error | undefined) => void) {
    return this.inner.onClose(listener);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setUp(): Promise<{
  station: Station;
  module: VirtualModule;
  line: NoisyLine;
  state: ProvisionState;
  store: Store;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'fleet-upload-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const certs = await generateCertificates(dir);
  await writeIn(dir, 'profile/certs/ca.pem', certs.caPem.pem);
  const file = await writeIn(
    dir,
    'profile/tls.yaml',
    [
      'format: 1',
      'name: tls-upload',
      'broker: { host: 127.0.0.1, port: 8883 }',
      'ssl: { ctx: 1, cacert: certs/ca.pem, seclevel: 1 }',
      "auth: { mode: none, client_id: '{imei}' }",
      "verify: { topic: 'fleet/{imei}', qos: 1 }",
      '',
    ].join('\n'),
  );
  const profile = await loadOk(file);
  const store = await openSqliteStore({ dataDir: join(dir, 'data') });
  cleanups.push(() => store.close());
  const station = new Station({
    openEngine: (transport) => new AtEngine({ transport, parser: inThreadParserLink(), describeFinal }),
  });
  cleanups.push(() => station.dispose());
  const module = new VirtualModule({ sessionFactory: new MemoryBroker().createSession, baud: 0, bootDelayMs: 5 });
  cleanups.push(() => module.dispose());
  const line = new NoisyLine(new InProcessTransport(module, 'virtual:0'));
  station.attach(line);
  module.powerOn();
  await waitForIdentified(station);
  const { imei, iccid, imsi, model, revision } = module.identity;
  const state: ProvisionState = {
    batch: { profile, ledger: store.ledger, station: 'test', baudRate: 115_200, registrationWaitMs: 1_000 },
    facts: { identified: () => Promise.resolve(), credential: () => Promise.resolve() },
    mailbox: new Mailbox(0),
    runId: 'run-upload',
    nonce: 'n1',
    identity: { imei, iccid, imsi, model, firmware: revision },
  };
  return { station, module, line, state, store };
}

const uploadOnly: Script<ProvisionState> = { name: 'upload-only', steps: [upload()] };

describe('the upload step', () => {
  it('replaces a stale file of the same name, and gives AT+QFUPL a time limit of the file wire time plus a margin', async () => {
    const { station, module, state } = await setUp();
    module.state.files.set('ctx1_cacert.pem', Buffer.from('stale'));
    const run = await station.runScript(uploadOnly, { moduleIds: ['virtual:0'], input: () => state }).done;
    const [step] = run.units[0]?.steps ?? [];
    expect(step?.status, step?.explanation ?? '').toBe('passed');
    const sent = step?.transcript.filter((l) => l.dir === 'tx').map((l) => l.text) ?? [];
    const bytes = state.batch.profile.files.get('ssl.cacert')?.bytes.length ?? 0;
    expect(sent.slice(0, 3)).toEqual([
      'AT+QFLST="*"',
      'AT+QFDEL="UFS:ctx1_cacert.pem"',
      `AT+QFUPL="UFS:ctx1_cacert.pem",${bytes},${uploadInputTimeoutS(bytes, 115_200)}`,
    ]);
    expect(module.state.files.get('ctx1_cacert.pem')?.length).toBe(bytes);
  });

  it('a file corrupted on the line once is caught by its checksum and uploaded again', async () => {
    const { station, line, state } = await setUp();
    line.corruptions = 1;
    const records: StepRecord[] = [];
    const run = await station.runScript(uploadOnly, {
      moduleIds: ['virtual:0'],
      input: () => state,
      observers: [{ stepFinished: (record) => void records.push(record) }],
    }).done;
    expect(run.units[0]?.result).toBe('pass');
    // One record per try: the first names the mismatch (and says it tries again), the second passed.
    expect(records.map((r) => [r.attempt, r.status])).toEqual([
      [1, 'failed'],
      [2, 'passed'],
    ]);
    expect(records[0]?.explanation).toMatch(/checksum [0-9a-f]+ does not match the data sent .* \(trying again\)$/);
  });

  it('a file the module keeps storing differently fails the step with both checksums', async () => {
    const { station, line, state } = await setUp();
    line.corruptions = Number.POSITIVE_INFINITY;
    const run = await station.runScript(uploadOnly, { moduleIds: ['virtual:0'], input: () => state }).done;
    const [unit] = run.units;
    expect(unit).toMatchObject({ result: 'fail', failedStep: 'upload', failure: { code: 'bad-response' } });
    expect(unit?.error).toMatch(
      /^uploading certs\/ca\.pem as UFS:ctx1_cacert\.pem: the module's answer could not be trusted \(AT\+QFUPL: checksum [0-9a-f]+ does not match the data sent \([0-9a-f]+\)\); check the cable and try again$/,
    );
  });
});
