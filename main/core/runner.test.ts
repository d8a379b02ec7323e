import { afterEach, describe, expect, it } from 'vitest';
import * as commands from '../at/commands';
import { AtEngine, inThreadParserLink } from '../at/engine';
import { setUnexpectedErrorHandler } from '../base';
import { InProcessTransport } from '../emulator/in-process-transport';
import { MemoryBroker } from '../emulator/memory-broker';
import { VirtualModule } from '../emulator/virtual-module';
import { createDispatch, createHandlers } from './handlers';
import { identifyStep, type IdentifyState } from './identify';
import { StepError, type RunObserver, type Script, type StepRecord, type StepStart } from './script';
import { Station } from './station';
import { waitForIdentified } from './wait-for';

// The runner on real virtual modules (in-process transports, in-thread parsers: fast), through the station that
// owns it, as batch work will use it.

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function fleet(count: number, options: { concurrency?: number; transcriptKeep?: number } = {}) {
  const broker = new MemoryBroker();
  const station = new Station({
    openEngine: (transport) => new AtEngine({ transport, parser: inThreadParserLink() }),
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    ...(options.transcriptKeep === undefined ? {} : { transcriptKeep: options.transcriptKeep }),
  });
  cleanups.push(() => station.dispose());
  const modules = Array.from(
    { length: count },
    (_, index) => new VirtualModule({ index, sessionFactory: broker.createSession, baud: 0, bootDelayMs: 5 }),
  );
  for (const [index, module] of modules.entries()) {
    cleanups.push(() => module.dispose());
    station.attach(new InProcessTransport(module, `virtual:${index}`));
    module.powerOn();
  }
  await waitForIdentified(station);
  return { station, modules, ids: modules.map((_, i) => `virtual:${i}`) };
}

interface Found {
  readonly rssi?: number;
  readonly imei?: string;
  readonly tries?: number;
}

describe('the script runner', () => {
  it('runs steps in order, merges what they found, and records each with its transcript slice', async () => {
    const { station, ids, modules } = await fleet(2);
    const script: Script<Found> = {
      name: 'probe',
      steps: [
        { name: 'signal', timeoutMs: 5_000, requests: () => [commands.csq()], found: () => ({ rssi: 1 }) },
        {
          name: 'imei',
          timeoutMs: 5_000,
          run: async (ctx) => {
            expect(ctx.state.rssi).toBe(1);
            ctx.note('reading the IMEI');
            return { imei: await ctx.at(commands.cgsn()) };
          },
        },
      ],
    };
    const run = await station.runScript<Found>(script, { moduleIds: ids, input: () => ({}) }).done;
    expect(run.units.map((u) => [u.unitId, u.result, u.state.imei])).toEqual(
      modules.map((m, i) => [`virtual:${i}`, 'pass', m.identity.imei]),
    );
    const [first] = run.units;
    expect(first?.steps.map((s) => [s.step, s.index, s.status, s.attempt])).toEqual([
      ['signal', 0, 'passed', 1],
      ['imei', 1, 'passed', 1],
    ]);
    expect(first?.steps[1]?.transcript.map((l) => [l.dir, l.text])).toEqual([
      ['note', 'reading the IMEI'],
      ['tx', 'AT+CGSN'],
      ['rx', 'AT+CGSN'],
      ['rx', modules[0]?.identity.imei],
      ['rx', 'OK'],
    ]);
  });

  it('keeps a line that arrives between two steps, in the slice of the step that follows', async () => {
    const { station, ids, modules } = await fleet(1);
    const between = '+QIURC: "pdpdeact",1';
    // The observer recording the first step's end is slow (a store committing it); the module speaks meanwhile.
    const observer: RunObserver = {
      stepFinished: async (record) => {
        if (record.step !== 'first') return;
        const heard = new Promise<void>((resolve) => {
          const subscription = station.on('transcriptLines', (lines) => {
            if (!lines.some((line) => line.text === between)) return;
            subscription.dispose();
            resolve();
          });
        });
        modules[0]?.injectGarbage(Buffer.from(`\r\n${between}\r\n`));
        await heard;
      },
    };
    const script: Script<Found> = {
      name: 'gap',
      steps: [
        { name: 'first', timeoutMs: 5_000, requests: () => [commands.csq()] },
        { name: 'second', timeoutMs: 5_000, requests: () => [commands.csq()] },
      ],
    };
    const [unit] = (
      await station.runScript<Found>(script, { moduleIds: ids, input: () => ({}), observers: [observer] }).done
    ).units;
    expect(unit?.result).toBe('pass');
    expect(unit?.steps[0]?.transcript.map((l) => l.text)).not.toContain(between);
    const second = unit?.steps[1]?.transcript.map((l) => l.text) ?? [];
    expect(second.slice(0, 3)).toEqual([between, 'AT+CSQ', 'AT+CSQ']);
    expect(second.at(-1)).toBe('OK');
  });

  it("records the module's own result code and the step's explanation, and skips what follows a failure", async () => {
    const { station, ids, modules } = await fleet(1);
    modules[0]?.setFaults({ errorOn: ['+CIMI'] });
    const ran: string[] = [];
    const script: Script<Found> = {
      name: 'failing',
      steps: [
        {
          name: 'imsi',
          timeoutMs: 5_000,
          requests: () => [commands.cimi()],
          explain: (failure) => `no IMSI: the module said ${failure.resultCode ?? 'nothing'}`,
        },
        {
          name: 'after',
          timeoutMs: 5_000,
          run: () => {
            ran.push('after');
            return Promise.resolve(undefined);
          },
        },
        {
          name: 'cleanup',
          always: true,
          timeoutMs: 5_000,
          run: () => {
            ran.push('cleanup');
            return Promise.resolve(undefined);
          },
        },
      ],
    };
    const [unit] = (await station.runScript<Found>(script, { moduleIds: ids, input: () => ({}) }).done).units;
    expect(unit?.result).toBe('fail');
    expect(unit?.failedStep).toBe('imsi');
    expect(unit?.error).toBe('no IMSI: the module said ERROR');
    expect(unit?.steps.map((s) => [s.step, s.status, s.resultCode])).toEqual([
      ['imsi', 'failed', 'ERROR'],
      ['after', 'skipped', null],
      ['cleanup', 'passed', null],
    ]);
    expect(unit?.steps[1]?.explanation).toBe('not run: imsi did not pass');
    expect(ran).toEqual(['cleanup']);
  });

  it('retries a failing step with a growing delay and records every try', async () => {
    const { station, ids } = await fleet(1);
    let calls = 0;
    const starts: number[] = [];
    const script: Script<Found> = {
      name: 'flaky',
      steps: [
        {
          name: 'flaky',
          timeoutMs: 5_000,
          retry: { attempts: 4, backoffMs: 40, factor: 2 },
          run: (ctx) => {
            starts.push(Date.now());
            calls++;
            if (ctx.attempt < 3) return Promise.reject(new StepError('not yet', 'timeout'));
            return Promise.resolve({ tries: ctx.attempt });
          },
        },
      ],
    };
    const records: StepRecord[] = [];
    const [unit] = (
      await station.runScript<Found>(script, {
        moduleIds: ids,
        input: () => ({}),
        observers: [{ stepFinished: (r) => void records.push(r) }],
      }).done
    ).units;
    expect(unit?.result).toBe('pass');
    expect(unit?.state.tries).toBe(3);
    expect(calls).toBe(3);
    expect(records.map((r) => [r.attempt, r.status, r.explanation])).toEqual([
      [1, 'failed', 'not yet (trying again)'],
      [2, 'failed', 'not yet (trying again)'],
      [3, 'passed', null],
    ]);
    // 40 ms, then 80 ms.
    expect((starts[1] ?? 0) - (starts[0] ?? 0)).toBeGreaterThanOrEqual(38);
    expect((starts[2] ?? 0) - (starts[1] ?? 0)).toBeGreaterThanOrEqual(78);
  });

  it('does not retry what the policy does not name (a module error), and fails a step at its own timeout', async () => {
    const { station, ids, modules } = await fleet(1);
    modules[0]?.setFaults({ errorOn: ['+CSQ'], dropResponseOn: ['+CIMI'] });
    const script: Script<Found> = {
      name: 'limits',
      steps: [
        { name: 'refused', timeoutMs: 5_000, retry: { attempts: 3, backoffMs: 10 }, requests: () => [commands.csq()] },
      ],
    };
    const [refused] = (await station.runScript<Found>(script, { moduleIds: ids, input: () => ({}) }).done).units;
    expect(refused?.steps.map((s) => [s.attempt, s.status, s.failure?.code])).toEqual([[1, 'failed', 'command-error']]);

    const slow: Script<Found> = {
      name: 'slow',
      steps: [{ name: 'silent', timeoutMs: 150, requests: () => [{ ...commands.cimi(), timeoutMs: 10_000 }] }],
    };
    const [timedOut] = (await station.runScript<Found>(slow, { moduleIds: ids, input: () => ({}) }).done).units;
    expect(timedOut?.failure).toEqual({
      code: 'timeout',
      resultCode: null,
      message: 'silent did not finish within 150 ms',
    });
    // The abandoned command was cancelled in the engine: the unit answers the next one.
    modules[0]?.setFaults({});
    const after = await station.sendAt('virtual:0', 'AT');
    expect(after.ok && after.value.verdict).toBe('ok');
  });

  it('aborts a unit whose module restarts mid-run (RDY) with "the module restarted"', async () => {
    const { station, ids, modules } = await fleet(2);
    const script: Script<Found> = {
      name: 'long',
      steps: [
        {
          name: 'wait',
          timeoutMs: 10_000,
          run: async (ctx) => {
            if (ctx.unit.id === 'virtual:0') modules[0]?.reboot();
            await ctx.expectUrc('+NEVER', () => true, ctx.unit.id === 'virtual:0' ? 8_000 : 50).catch(() => undefined);
            return undefined;
          },
        },
      ],
    };
    const run = await station.runScript<Found>(script, { moduleIds: ids, input: () => ({}) }).done;
    expect(run.units.map((u) => u.result)).toEqual(['fail', 'pass']);
    expect(run.units[0]?.failure).toMatchObject({ code: 'aborted', resultCode: 'RDY' });
    expect(run.units[0]?.error).toMatch(/the module restarted/);
    // The station identifies the restarted module again, after the run let go of it.
    await waitForIdentified(station);
    expect(station.get('virtual:0')?.connection).toBe('ready');
  });

  it('cancels one unit or the whole run, waiting or in flight', async () => {
    const { station, ids } = await fleet(3, { concurrency: 2 });
    const script: Script<Found> = {
      name: 'hang',
      steps: [
        {
          name: 'hang',
          timeoutMs: 20_000,
          run: async (ctx) => {
            await ctx.expectUrc('+NEVER', () => true, 20_000);
            return undefined;
          },
        },
        { name: 'next', timeoutMs: 1_000, run: () => Promise.resolve(undefined) },
      ],
    };
    const started: StepStart[] = [];
    const run = station.runScript<Found>(script, {
      moduleIds: ids,
      input: () => ({}),
      observers: [
        {
          stepStarted: (s) => {
            started.push(s);
            // Two units run (the limit); the third waits for a slot. Cancel one running unit, then everything.
            if (started.length === 2) {
              expect(run.cancelUnit('virtual:1', 'operator stopped unit 1')).toBe(true);
              expect(run.cancelUnit('virtual:9')).toBe(false);
              run.cancel('operator stopped the run');
            }
          },
        },
      ],
    });
    const result = await run.done;
    expect(result.units.map((u) => u.result)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    expect(result.units[1]?.error).toBe('operator stopped unit 1');
    expect(result.units[0]?.error).toBe('operator stopped the run');
    // The third never started: both its steps are recorded, the first as cancelled.
    expect(result.units[2]?.steps.map((s) => [s.status, s.durationMs])).toEqual([
      ['cancelled', 0],
      ['skipped', 0],
    ]);
    expect(started.map((s) => s.unitId).sort()).toEqual(['virtual:0', 'virtual:1']);
    for (const id of ids) expect(station.get(id)?.activity).toEqual({ kind: 'idle' });
  });

  it("runs issue 10's identify step: all five identity values, a unit without SIM failing it", async () => {
    const { station, ids, modules } = await fleet(2, { concurrency: 1 });
    modules[1]?.setFaults({ errorOn: ['+QCCID'] });
    interface Provisioning {
      readonly identity?: IdentifyState;
    }
    const script: Script<Provisioning> = {
      name: 'provision',
      steps: [identifyStep<Provisioning>((identity) => ({ identity }))],
    };
    const run = await station.runScript<Provisioning>(script, { moduleIds: ids, input: () => ({}) }).done;
    const [good, noSim] = run.units;
    const identity = modules[0]?.identity;
    expect(good?.state.identity).toMatchObject({
      model: identity?.model,
      imei: identity?.imei,
      iccid: identity?.iccid,
      imsi: identity?.imsi,
    });
    expect(good?.state.identity?.revision).toMatch(new RegExp(`^${identity?.model ?? '-'}`));
    expect(noSim?.result).toBe('fail');
    expect(noSim?.failedStep).toBe('identify');
    expect(noSim?.steps[0]?.attempt).toBe(3);
  });

  it('identifies a newly attached unit while a batch holds every slot', async () => {
    const { station, ids } = await fleet(1, { concurrency: 1 });
    const hold: Script<Found> = {
      name: 'hold',
      steps: [
        {
          name: 'hold',
          timeoutMs: 20_000,
          run: async (ctx) => {
            await ctx.expectUrc('+NEVER', () => true, 20_000).catch(() => undefined);
            return undefined;
          },
        },
      ],
    };
    const batch = station.runScript(hold, { moduleIds: ids, input: () => ({}) });
    const broker = new MemoryBroker();
    const late = new VirtualModule({ index: 7, sessionFactory: broker.createSession, baud: 0, bootDelayMs: 5 });
    cleanups.push(() => late.dispose());
    station.attach(new InProcessTransport(late, 'virtual:7'));
    late.powerOn();
    await waitForIdentified(station);
    expect(station.get('virtual:7')).toMatchObject({ connection: 'ready', imei: late.identity.imei });
    // Through the contract's request, as the UI cancels.
    const dispatch = createDispatch(createHandlers(station));
    expect(await dispatch('cancelRun', { runId: 'no-such-run' })).toEqual({ ok: true, value: { cancelled: false } });
    expect(await dispatch('cancelRun', { runId: batch.id })).toEqual({ ok: true, value: { cancelled: true } });
    const [held] = (await batch.done).units;
    expect(held?.result).toBe('cancelled');
    expect(held?.error).toBe('cancelled by the operator');
  });

  it('keeps to its concurrency limit across units', async () => {
    const { station, ids } = await fleet(6, { concurrency: 2 });
    let running = 0;
    let peak = 0;
    const script: Script<Found> = {
      name: 'limited',
      steps: [
        {
          name: 'work',
          timeoutMs: 5_000,
          run: async (ctx) => {
            running++;
            peak = Math.max(peak, running);
            await ctx.at(commands.csq());
            running--;
            return undefined;
          },
        },
      ],
    };
    const run = await station.runScript<Found>(script, { moduleIds: ids, input: () => ({}) }).done;
    expect(run.units.every((u) => u.result === 'pass')).toBe(true);
    expect(peak).toBe(2);
  });

  it('awaits its observers in order, and does not run a step whose start cannot be recorded', async () => {
    const { station, ids } = await fleet(1);
    const order: string[] = [];
    let sent = false;
    const observer: RunObserver = {
      runStarted: () => void order.push('run'),
      stepStarted: async (s) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        order.push(`start ${s.step}`);
        if (s.step === 'second') throw new Error('disk full');
      },
      stepFinished: (r) => void order.push(`end ${r.step} ${r.status}`),
      unitFinished: (u) => void order.push(`unit ${u.result}`),
      runFinished: () => void order.push('done'),
    };
    const script: Script<Found> = {
      name: 'recorded',
      steps: [
        { name: 'first', timeoutMs: 5_000, run: () => Promise.resolve(void order.push('ran first')) },
        {
          name: 'second',
          timeoutMs: 5_000,
          run: async (ctx) => {
            sent = true;
            await ctx.at(commands.at());
            return undefined;
          },
        },
      ],
    };
    const [unit] = (
      await station.runScript<Found>(script, { moduleIds: ids, input: () => ({}), observers: [observer] }).done
    ).units;
    expect(order).toEqual(['run', 'start first', 'ran first', 'end first passed', 'start second', 'unit fail', 'done']);
    expect(sent).toBe(false);
    expect(unit?.failure).toEqual({
      code: 'recording-failed',
      resultCode: null,
      message: 'the run could not be recorded: disk full',
    });
  });
});

describe('station transcript', () => {
  it('keeps the last lines of each unit, oldest first, with their sequence numbers', async () => {
    const { station } = await fleet(1, { transcriptKeep: 5 });
    for (const line of ['AT+CSQ', 'AT+CGSN', 'ATI']) await station.sendAt('virtual:0', line);
    const kept = station.transcript('virtual:0', 500);
    const all = kept.ok ? kept.value : [];
    expect(all).toHaveLength(5);
    const seqs = all.map((l) => l.seq);
    expect(seqs).toEqual(Array.from({ length: 5 }, (_, i) => (seqs[0] ?? 0) + i));
    expect(all.at(-1)?.text).toBe('OK');
    const last2 = station.transcript('virtual:0', 2);
    expect(last2.ok && last2.value).toEqual(all.slice(-2));
  });
});

describe('station events', () => {
  it('a throwing subscriber neither stops the others nor crashes the process (issue 7 defect)', async () => {
    const reported: string[] = [];
    const restore = setUnexpectedErrorHandler((error, origin) => reported.push(`${origin}: ${String(error)}`));
    cleanups.push(restore);
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown): void => void uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    cleanups.push(() => void process.off('uncaughtException', onUncaught));

    const broker = new MemoryBroker();
    const station = new Station({
      openEngine: (transport) => new AtEngine({ transport, parser: inThreadParserLink() }),
    });
    cleanups.push(() => station.dispose());
    const faulty = (): void => {
      throw new Error('faulty subscriber');
    };
    for (const name of ['moduleChanged', 'transcriptLines', 'stepProgress', 'runChanged'] as const) {
      station.on(name, faulty);
    }
    const heard = new Set<string>();
    for (const name of ['moduleChanged', 'transcriptLines', 'stepProgress', 'runChanged'] as const) {
      station.on(name, () => heard.add(name));
    }
    const module = new VirtualModule({ index: 3, sessionFactory: broker.createSession, baud: 0, bootDelayMs: 5 });
    cleanups.push(() => module.dispose());
    station.attach(new InProcessTransport(module, 'virtual:3'));
    module.powerOn();
    await waitForIdentified(station);
    const answer = await station.sendAt('virtual:3', 'AT');
    expect(answer.ok).toBe(true);
    // Give a rethrow in a microtask or a later turn (what the old emitter did) every chance to surface.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect([...heard].sort()).toEqual(['moduleChanged', 'runChanged', 'stepProgress', 'transcriptLines']);
    expect(uncaught).toEqual([]);
    expect(reported.length).toBeGreaterThan(3);
    expect(reported.every((r) => r.includes('faulty subscriber') && r.startsWith('station.'))).toBe(true);
  });
});
