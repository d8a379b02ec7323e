import * as at from '../../at/commands';
import { AtCommandError } from '../../at/vocab/errors';
import { identifyStep } from '../../core/identify';
import { StepError, type StepContext, type WorkStep } from '../../core/script';
import { loadUnitFiles } from '../unit-files';
import { formatIssue } from '../issues';
import { explainCme } from './explain';
import { doing, limitOf, needsCredential, pause, planOf, stepErrorOf, TRANSIENT_RETRY } from './plan';
import type { ProvisionState } from './state';

/** How often `precheck` asks again while the module is still searching for a network or starting its SIM. */
export const PRECHECK_POLL_MS = 1_000;

/**
 * `identify`: model, firmware revision, IMEI, ICCID and IMSI (the core's identify step, all five required), then
 * committed to the store at once: from here on the unit is known by its IMEI.
 */
export function identify(): WorkStep<ProvisionState> {
  const base = identifyStep<ProvisionState>((found) => {
    const { model, revision, imei, iccid, imsi } = found;
    if (model === null || revision === null || imei === null || iccid === null || imsi === null) {
      throw new StepError('the module did not tell its whole identity (model, revision, IMEI, ICCID, IMSI)');
    }
    return { identity: { model, firmware: revision, imei, iccid, imsi } };
  });
  return {
    ...base,
    run: async (ctx) => {
      const patch = await base.run(ctx);
      const identity = patch?.identity;
      if (identity === undefined) throw new StepError('the module did not tell its identity');
      await ctx.state.facts.identified(identity);
      ctx.note(`unit ${identity.imei}: ${identity.model} ${identity.firmware}, ICCID ${identity.iccid}`);
      return patch;
    },
  };
}

/** What to do about a SIM state other than READY (the words of 27.007's +CPIN states). */
function simAdvice(state: string): string {
  switch (state.toUpperCase()) {
    case 'SIM PIN':
      return 'the SIM asks for its PIN: unlock it (AT+CPIN) or use a SIM without a PIN';
    case 'SIM PUK':
      return 'the SIM is blocked: unblock it with its PUK';
    case 'SIM PIN2':
    case 'SIM PUK2':
      return 'the SIM asks for its PIN2/PUK2: use a SIM without one';
    default:
      return 'check the SIM card (seated, activated, not locked)';
  }
}

/** The PDP context the MQTT client uses (AT+QMTCFG="pdpcid", 1 by default). */
function pdpContext(state: ProvisionState): number {
  const value = state.batch.profile.profile.mqtt.pdpcid;
  return typeof value === 'number' ? value : 1;
}

/** +CME ERROR codes that mean "not yet" while a module starts up: SIM busy (14), no network service yet (30). */
const NOT_YET = new Set([14, 30]);

/**
 * `precheck`: the SIM is ready (AT+CPIN?), there is a signal (AT+CSQ), the module is registered (AT+CEREG?, then
 * AT+CGREG?), and the MQTT client's PDP context is active (AT+QIACT?, activated with AT+QIACT when it is not).
 * A module still starting (SIM busy, no signal yet, searching for a network) is asked again every second for up to
 * `registrationWaitMs`. A failure says which check failed, the module's answer, and what to do.
 */
export function precheck(): WorkStep<ProvisionState> {
  return {
    name: 'precheck',
    retry: TRANSIENT_RETRY,
    timeoutMs: (state) =>
      limitOf(
        [at.cpinQuery(), at.csq(), at.ceregQuery(), at.cgregQuery(), at.qiactQuery(), at.qiact(pdpContext(state))],
        state.batch.registrationWaitMs,
      ),
    run: async (ctx) => {
      const deadline = Date.now() + ctx.state.batch.registrationWaitMs;
      const waitMore = async (): Promise<boolean> => {
        if (Date.now() + PRECHECK_POLL_MS > deadline) return false;
        await pause(PRECHECK_POLL_MS, ctx.signal);
        return true;
      };

      // The SIM.
      for (;;) {
        try {
          const sim = await ctx.at(at.cpinQuery());
          if (sim.ready) break;
          throw new StepError(
            `SIM: not ready (+CPIN: ${sim.state}): ${simAdvice(sim.state)}`,
            'failed',
            `+CPIN: ${sim.state}`,
          );
        } catch (error) {
          const cme = error instanceof AtCommandError ? error.detail.cmeCode : undefined;
          if (cme !== undefined && NOT_YET.has(cme) && (await waitMore())) continue;
          if (cme !== undefined) throw new StepError(`SIM: ${explainCme(cme)}`, 'command-error', `+CME ERROR: ${cme}`);
          throw stepErrorOf('SIM (AT+CPIN?)', error);
        }
      }

      // The signal.
      for (;;) {
        const signal = await doing('signal (AT+CSQ)', () => ctx.at(at.csq()));
        if (signal.dbm !== null) {
          ctx.note(`signal ${signal.dbm} dBm (+CSQ: ${signal.rssi},${signal.ber})`);
          break;
        }
        if (await waitMore()) continue;
        throw new StepError(
          `signal: none (+CSQ: ${signal.rssi},${signal.ber}): check the antenna and the network coverage`,
          'failed',
          `+CSQ: ${signal.rssi},${signal.ber}`,
        );
      }

      // The registration: LTE (EPS) first, then GPRS.
      for (;;) {
        const eps = await doing('registration (AT+CEREG?)', () => ctx.at(at.ceregQuery()));
        if (eps.registered) break;
        const gprs = await doing('registration (AT+CGREG?)', () => ctx.at(at.cgregQuery())).catch(() => undefined);
        if (gprs?.registered === true) break;
        // 3: denied (waiting does not help); 0, 2, 4: not (yet) registered.
        if (eps.stat !== 3 && (await waitMore())) continue;
        const advice =
          eps.stat === 3
            ? "the network denied the registration: check the SIM's subscription and that it is activated"
            : 'check the antenna, the network coverage and that the SIM is activated';
        throw new StepError(
          `registration: not registered (+CEREG: ${eps.n},${eps.stat}: ${eps.statText}): ${advice}`,
          'failed',
          `+CEREG: ${eps.n},${eps.stat}`,
        );
      }

      // The PDP context of the MQTT client.
      const cid = pdpContext(ctx.state);
      const active = await doing('PDP context (AT+QIACT?)', () => ctx.at(at.qiactQuery()));
      const context = active.find((entry) => entry.contextId === cid && entry.state === 1);
      if (context === undefined) {
        ctx.note(`PDP context ${cid} is not active: activating it`);
        await doing(`PDP context ${cid} (AT+QIACT=${cid})`, () => ctx.at(at.qiact(cid)));
      } else {
        ctx.note(`PDP context ${cid} active (${context.address})`);
      }
      return undefined;
    },
  };
}

/**
 * `credential`: the ledger gives the unit its credential (or finds the one it already holds), committed before
 * anything of it is written to the module; the credential id goes on the unit's record at once, its secrets are
 * masked in everything the unit's run records, and the unit's plan is compiled with it (per-unit certificate files
 * read and checked). Skipped when the profile needs no credential. An exhausted pool fails this unit only.
 */
export function credential(): WorkStep<ProvisionState> {
  return {
    name: 'credential',
    // The ledger's claim waits at most the store's 15 s busy timeout for the write lock, twice at worst.
    timeoutMs: 30_000 + limitOf([]),
    skip: (state) =>
      needsCredential(state) ? undefined : 'the profile needs no credential (no manifest column, no per-unit file)',
    run: async (ctx: StepContext<ProvisionState>) => {
      const { batch, identity, facts } = ctx.state;
      if (identity === undefined) throw new StepError('the unit is not identified');
      const claim = await batch.ledger.claim(identity.imei, { runId: ctx.runId, station: batch.station });
      if (claim.kind === 'exhausted') throw new StepError(claim.message);
      const held = claim.credential;
      await facts.credential(held.credentialId);
      const secrets = await batch.ledger.secretsFor(held.credentialId);
      ctx.secret(Object.values(secrets));
      const how =
        claim.kind === 'existing'
          ? 'already held by this unit'
          : held.reserved
            ? 'reserved for this unit'
            : 'from the pool';
      ctx.note(`credential ${held.credentialId} (${how})`);
      const row = { ...held.fields, ...secrets };
      const files = await loadUnitFiles(batch.profile, row, { baseDir: batch.profile.dir });
      if (!files.ok) {
        throw new StepError(
          `the credential's certificate files are not usable: ${files.errors.map(formatIssue).join('; ')}`,
        );
      }
      const plan = planOf(ctx.state, row, files.files);
      ctx.secret(plan.secrets);
      return { credentialId: held.credentialId, plan };
    },
  };
}
