import * as commands from '../at/commands';
import { AtCommandError } from '../at/vocab/errors';
import type { Script, StepContext, WorkStep } from './script';
import type { UnitIdentity } from './units';

/** What identification found: the five identity fields, and why the SIM ones are missing if they are. */
export interface IdentifyState extends UnitIdentity {
  readonly manufacturer: string | null;
  /** Plain words when the module answers but its SIM identity cannot be read (no SIM, SIM not ready). */
  readonly simProblem: string | null;
}

export const emptyIdentify: IdentifyState = {
  manufacturer: null,
  model: null,
  revision: null,
  imei: null,
  iccid: null,
  imsi: null,
  simProblem: null,
};

export interface IdentifyOptions {
  /** How long to wait for a module that has not finished booting (it ignores commands before RDY). Default 15 s. */
  readonly bootWaitMs?: number;
}

/** Failures worth another try while identifying: noise, a late or damaged answer, a reboot (ERROR/RDY) in between. */
const identifyRetryOn = ['timeout', 'bad-response', 'busy', 'command-error'] as const;

/**
 * The `identify` script the station runs on every unit it attaches (and again after the module restarts):
 * `boot` waits until the module answers `AT` (it is silent until RDY), `identity` reads manufacturer, model and
 * revision (ATI) and the IMEI (AT+CGSN), `sim` reads the ICCID (AT+QCCID) and the IMSI (AT+CIMI). Every step
 * is retried with a growing delay; an answer the engine doubts (`bad-response`) is a failure, never an IMEI. A
 * module without a usable SIM is still identified, with the reason in `simProblem`.
 *
 * It has no abort URCs: a restart while identifying is what `boot` waits for, and a command interrupted by RDY is
 * tried again.
 */
export function identifyScript(options: IdentifyOptions = {}): Script<IdentifyState> {
  const bootWaitMs = options.bootWaitMs ?? 15_000;
  return {
    name: 'identify',
    abortOn: [],
    steps: [
      {
        name: 'boot',
        timeoutMs: 5_000,
        retry: {
          attempts: Number.MAX_SAFE_INTEGER,
          backoffMs: 100,
          factor: 1.5,
          maxBackoffMs: 1_000,
          withinMs: bootWaitMs,
          retryOn: identifyRetryOn,
        },
        requests: () => [commands.at()],
        explain: (failure) => `the module does not answer AT (${failure.message}); is it powered and booted?`,
      },
      {
        name: 'identity',
        timeoutMs: 5_000,
        retry: { attempts: 4, backoffMs: 250, factor: 2, maxBackoffMs: 2_000, retryOn: identifyRetryOn },
        run: async (ctx) => {
          const id = await ctx.at(commands.ati());
          const imei = await ctx.at(commands.cgsn());
          return { manufacturer: id.manufacturer, model: id.model, revision: id.revision, imei };
        },
        explain: (failure) => `cannot read the module's identity: ${failure.message}`,
      },
      {
        name: 'sim',
        timeoutMs: 15_000,
        retry: { attempts: 3, backoffMs: 250, factor: 2, maxBackoffMs: 2_000 },
        run: async (ctx) => {
          const sim = await readSim(ctx);
          return sim;
        },
        explain: (failure) => `cannot read the SIM identity: ${failure.message}`,
      },
    ],
  };
}

/** ICCID and IMSI; a module refusing them (no SIM, SIM not ready) is an answer, not a failure. */
async function readSim<S>(ctx: StepContext<S>): Promise<Pick<IdentifyState, 'iccid' | 'imsi' | 'simProblem'>> {
  try {
    const iccid = await ctx.at(commands.qccid());
    const imsi = await ctx.at(commands.cimi());
    return { iccid, imsi, simProblem: null };
  } catch (error) {
    if (!(error instanceof AtCommandError)) throw error;
    return { iccid: null, imsi: null, simProblem: `No SIM identity: ${error.message}` };
  }
}

/**
 * Issue 10's `identify` step for provisioning scripts: model, firmware revision, IMEI, ICCID and IMSI, all five
 * required (a unit without a SIM cannot be provisioned). `found` maps them into the script's state.
 */
export function identifyStep<S>(found: (identity: IdentifyState) => Partial<S>): WorkStep<S> {
  return {
    name: 'identify',
    timeoutMs: 15_000,
    retry: { attempts: 3, backoffMs: 250, factor: 2, maxBackoffMs: 2_000, retryOn: identifyRetryOn },
    run: async (ctx) => {
      const id = await ctx.at(commands.ati());
      const imei = await ctx.at(commands.cgsn());
      const iccid = await ctx.at(commands.qccid());
      const imsi = await ctx.at(commands.cimi());
      return found({
        manufacturer: id.manufacturer,
        model: id.model,
        revision: id.revision,
        imei,
        iccid,
        imsi,
        simProblem: null,
      });
    },
    explain: (failure) => `cannot identify the unit: ${failure.message}`,
  };
}
