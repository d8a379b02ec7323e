import { afterEach, describe, expect, it } from 'vitest';
import type { StepProgress } from '../../shared/contract';
import * as commands from '../at/commands';
import { AtEngine, inThreadParserLink, type UrcNotice } from '../at/engine';
import { InProcessTransport } from '../emulator/in-process-transport';
import { MemoryBroker } from '../emulator/memory-broker';
import { VirtualModule } from '../emulator/virtual-module';
import { StepError, type Script } from './script';
import { Station } from './station';
import { waitForIdentified } from './wait-for';

// The runner's scope beyond one step, on real virtual modules: step limits computed from the unit's state, URC
// listeners that outlive the step that set them up, and values a step marks secret.

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function oneUnit() {
  const broker = new MemoryBroker();
  const station = new Station({ openEngine: (transport) => new AtEngine({ transport, parser: inThreadParserLink() }) });
  cleanups.push(() => station.dispose());
  const module = new VirtualModule({ index: 0, sessionFactory: broker.createSession, baud: 0, bootDelayMs: 5 });
  cleanups.push(() => module.dispose());
  station.attach(new InProcessTransport(module, 'virtual:0'));
  module.powerOn();
  await waitForIdentified(station);
  return { station, module };
}

describe('step limits computed from the unit state', () => {
  it('a try is limited by the function of the state it starts with', async () => {
    const { station } = await oneUnit();
    const script: Script<{ limitMs: number }> = {
      name: 'limits',
      steps: [
        {
          name: 'wait',
          timeoutMs: (state) => state.limitMs,
          run: (ctx) =>
            new Promise((resolve, reject) => {
              ctx.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
              setTimeout(() => resolve(undefined), 60_000).unref();
            }),
        },
      ],
    };
    const run = await station.runScript(script, { moduleIds: ['virtual:0'], input: () => ({ limitMs: 50 }) }).done;
    expect(run.units[0]?.steps[0]).toMatchObject({
      status: 'failed',
      failure: { code: 'timeout' },
      explanation: 'wait did not finish within 50 ms',
    });
  });

  it('a limit that is not a positive number fails the step, naming it', async () => {
    const { station } = await oneUnit();
    const script: Script<object> = {
      name: 'limits',
      steps: [{ name: 'broken', timeoutMs: () => Number.NaN, run: () => Promise.resolve(undefined) }],
    };
    const run = await station.runScript(script, { moduleIds: ['virtual:0'], input: () => ({}) }).done;
    expect(run.units[0]?.steps[0]?.explanation).toBe('broken: its time limit is not a positive number (NaN)');
  });
});

const URC = '\r\n+QIURC: "pdpdeact",1\r\n';

describe('URC listeners for the rest of a unit run', () => {
  it('hears a URC between and after the steps, and stops when the run of the unit ends', async () => {
    const { station, module } = await oneUnit();
    const heard: string[] = [];
    const script: Script<object> = {
      name: 'listen',
      steps: [
        {
          name: 'arm',
          timeoutMs: 5_000,
          run: (ctx) => {
            ctx.onRunUrc('+QIURC', (event: UrcNotice) => heard.push(event.raw));
            return Promise.resolve(undefined);
          },
        },
        {
          name: 'later',
          timeoutMs: 5_000,
          run: async (ctx) => {
            await ctx.at(commands.at());
            return undefined;
          },
        },
      ],
    };
    // The URC comes out between the two steps: after `arm` ended, before `later` started.
    const off = station.on('stepProgress', (progress: StepProgress) => {
      if (progress.step === 'arm' && progress.status === 'passed') module.injectGarbage(Buffer.from(URC));
    });
    await station.runScript(script, { moduleIds: ['virtual:0'], input: () => ({}) }).done;
    off.dispose();
    await station.sendAt('virtual:0', 'AT');
    expect(heard).toEqual(['+QIURC: "pdpdeact",1']);
    // After the run, the listener is gone.
    module.injectGarbage(Buffer.from(URC));
    await station.sendAt('virtual:0', 'AT');
    expect(heard).toHaveLength(1);
  });
});

describe('values a step marks secret', () => {
  it('are masked in the transcript lines, the step records and the explanations, until the run of the unit ends', async () => {
    const { station } = await oneUnit();
    const secret = 'Sup3r-Secret-Value';
    const script: Script<object> = {
      name: 'secrets',
      steps: [
        {
          name: 'mark',
          timeoutMs: 5_000,
          run: async (ctx) => {
            ctx.secret([secret, 'abc']);
            ctx.note(`holding ${secret} and abc`);
            // A line the redactor's rules leave alone (a Will message is no secret by itself), carrying the value.
            await ctx.at(
              commands.qmtcfg(0, { name: 'will', enabled: true, qos: 0, retain: false, topic: 't', message: secret }),
            );
            return undefined;
          },
        },
        {
          name: 'fail',
          timeoutMs: 5_000,
          run: () => Promise.reject(new StepError(`refused ${secret}`)),
        },
      ],
    };
    const run = await station.runScript(script, { moduleIds: ['virtual:0'], input: () => ({}) }).done;
    const [unit] = run.units;
    const texts = unit?.steps[0]?.transcript.map((l) => [l.dir, l.text]);
    expect(texts).toContainEqual(['note', 'holding *** and abc']);
    expect(texts).toContainEqual(['tx', 'AT+QMTCFG="will",0,1,0,0,"t","***"']);
    expect(texts).toContainEqual(['rx', 'AT+QMTCFG="will",0,1,0,0,"t","***"']);
    expect(unit?.steps[1]).toMatchObject({ explanation: 'refused ***', failure: { message: 'refused ***' } });
    expect(unit?.error).toBe('refused ***');
    // Every line the unit recorded (what `transcriptLines` pushes and late-joining clients read).
    const recorded = station.transcript('virtual:0', 1000);
    expect(recorded.ok && recorded.value.some((l) => l.text === 'holding *** and abc')).toBe(true);
    expect(JSON.stringify(recorded)).not.toContain(secret);
    // Once the run of the unit is over, the value is no longer a secret of this unit.
    await station.sendAt('virtual:0', `AT+QMTCFG="will",0,1,0,0,"t","${secret}"`);
    expect(station.transcript('virtual:0', 4).ok && JSON.stringify(station.transcript('virtual:0', 4))).toContain(
      secret,
    );
  });
});
