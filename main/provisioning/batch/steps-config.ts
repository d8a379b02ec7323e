import * as at from '../../at/commands';
import type { AtRequest } from '../../at/vocab/request';
import { StepError, type StepContext, type WorkStep } from '../../core/script';
import type { PlannedUpload, ProvisioningPlan } from '../compile';
import { qmtcfgDifference, sslDifference } from '../readback';
import { closeLink, closeLinkRequests } from './link';
import { doing, knownPlan, limitOf, planOf, TRANSIENT_RETRY } from './plan';
import type { ProvisionState } from './state';

/**
 * The configuration steps: `upload` (certificate and key files), `sslcfg` (AT+QSSLCFG), `mqttcfg` (AT+QMTCFG) and
 * `readback` (every setting written, read back and compared).
 */

/** Seconds added to a file's wire time for AT+QFUPL's own <timeout>: the module's and the station's own work. */
export const UPLOAD_MARGIN_S = 3;

/** A file's wire time at `baud` (8N1: 10 bits a byte), in ms. */
export function wireMs(bytes: number, baud: number): number {
  return Math.ceil((bytes * 10 * 1000) / baud);
}

/**
 * AT+QFUPL's <timeout> (how long the module waits for the file after CONNECT): the file's wire time at the port's
 * speed, rounded up to a second, plus UPLOAD_MARGIN_S. A unit left mid-upload (the station crashed, the cable was
 * pulled) leaves its data input after that and takes commands again within seconds, not after the 60 s default.
 */
export function uploadInputTimeoutS(bytes: number, baud: number): number {
  return Math.ceil(wireMs(bytes, baud) / 1000) + UPLOAD_MARGIN_S;
}

function uploadRequest(upload: PlannedUpload, baud: number): AtRequest<at.UploadResult> {
  return at.qfupl(upload.ufsName, upload.bytes, {
    inputTimeoutS: uploadInputTimeoutS(upload.bytes.length, baud),
    secret: upload.secret,
  });
}

/** The plan for this step, compiled now when the profile needs no credential (and masked: it holds secrets). */
function usePlan(ctx: StepContext<ProvisionState>): { plan: ProvisioningPlan; patch: Partial<ProvisionState> } {
  if (ctx.state.plan !== undefined) return { plan: ctx.state.plan, patch: {} };
  const plan = planOf(ctx.state);
  ctx.secret(plan.secrets);
  return { plan, patch: { plan } };
}

const noSsl = (state: ProvisionState): string | undefined =>
  state.batch.profile.profile.ssl === undefined ? 'plain TCP: the profile has no ssl section' : undefined;

/**
 * A step's limit when its plan cannot be made before it runs: it then fails at once, making it (a profile that
 * needs a credential has its plan from `credential`, which the step follows).
 */
const NO_PLAN_MS = limitOf([]);

/**
 * `upload`: each certificate and key file of the unit's plan with AT+QFUPL, after removing stale files of the
 * same names (AT+QFLST, AT+QFDEL). The command builder checks the module's +QFUPL size and checksum against the
 * exact bytes sent; a mismatch fails the try (and the step is tried again, from the deletion on).
 */
export function upload(): WorkStep<ProvisionState> {
  return {
    name: 'upload',
    skip: noSsl,
    retry: TRANSIENT_RETRY,
    timeoutMs: (state) => {
      const plan = knownPlan(state);
      const baud = state.batch.baudRate;
      return plan === undefined
        ? NO_PLAN_MS
        : limitOf([at.qflst(), ...plan.uploads.flatMap((file) => [at.qfdel(file.ufsName), uploadRequest(file, baud)])]);
    },
    run: async (ctx) => {
      const { plan, patch } = usePlan(ctx);
      const listed = await doing('listing the files (AT+QFLST)', () => ctx.at(at.qflst()));
      const present = new Set(listed.map((file) => file.name.toUpperCase()));
      for (const file of plan.uploads) {
        const name = `UFS:${file.ufsName}`;
        if (!present.has(name.toUpperCase())) continue;
        ctx.note(`removing the stale ${name}`);
        await doing(`removing the stale ${name}`, () => ctx.at(at.qfdel(file.ufsName)));
      }
      for (const file of plan.uploads) {
        const name = `UFS:${file.ufsName}`;
        const stored = await doing(`uploading ${file.source} as ${name}`, () =>
          ctx.at(uploadRequest(file, ctx.state.batch.baudRate)),
        );
        ctx.note(`${name}: ${stored.size} bytes, checksum ${stored.checksum}, as sent`);
      }
      return patch;
    },
  };
}

/** `sslcfg`: every AT+QSSLCFG setting of the profile on its SSL context. */
export function sslcfg(): WorkStep<ProvisionState> {
  return {
    name: 'sslcfg',
    skip: noSsl,
    retry: TRANSIENT_RETRY,
    timeoutMs: (state) => {
      const ssl = knownPlan(state)?.ssl;
      return ssl === undefined ? NO_PLAN_MS : limitOf(sslRequests(ssl));
    },
    run: async (ctx) => {
      const { plan, patch } = usePlan(ctx);
      const ssl = plan.ssl;
      if (ssl === undefined) return patch;
      for (const setting of ssl.settings) {
        await doing(`SSL context ${ssl.contextId}, ${setting.param}`, () => ctx.at(at.qsslcfg(ssl.contextId, setting)));
      }
      return patch;
    },
  };
}

function sslRequests(ssl: NonNullable<ProvisioningPlan['ssl']>): AtRequest<void>[] {
  return ssl.settings.map((setting) => at.qsslcfg(ssl.contextId, setting));
}

/**
 * `mqttcfg`: every AT+QMTCFG setting of the plan (the spec's defaults included, "ssl" and the cloud credentials in
 * their places). A link the client still has open from an earlier session is closed first: the module takes the
 * settings only while the client is not connected.
 */
export function mqttcfg(): WorkStep<ProvisionState> {
  return {
    name: 'mqttcfg',
    retry: TRANSIENT_RETRY,
    timeoutMs: (state) => {
      const plan = knownPlan(state);
      return plan === undefined
        ? NO_PLAN_MS
        : limitOf([...closeLinkRequests(plan.clientIdx), ...plan.mqtt.map((s) => at.qmtcfg(plan.clientIdx, s))]);
    },
    run: async (ctx) => {
      const { plan, patch } = usePlan(ctx);
      const stale = await closeLink(ctx, plan.clientIdx);
      if (!stale.endsWith('had nothing open')) ctx.note(`a link left open by an earlier session: ${stale}`);
      for (const setting of plan.mqtt) {
        await doing(`MQTT setting ${setting.name}`, () => ctx.at(at.qmtcfg(plan.clientIdx, setting)));
      }
      return patch;
    },
  };
}

/**
 * `readback`: every setting written by `sslcfg` and `mqttcfg`, read back (AT+QSSLCFG / AT+QMTCFG with only the
 * context or client) and compared; any difference fails the step, naming each (the spec's names, never a secret).
 */
export function readback(): WorkStep<ProvisionState> {
  return {
    name: 'readback',
    retry: TRANSIENT_RETRY,
    timeoutMs: (state) => {
      const plan = knownPlan(state);
      if (plan === undefined) return NO_PLAN_MS;
      const ssl = plan.ssl;
      return limitOf([
        ...(ssl === undefined ? [] : ssl.settings.map((s) => at.qsslcfgQuery(ssl.contextId, s.param))),
        ...plan.mqtt.map((s) => at.qmtcfgQuery(plan.clientIdx, s.name)),
      ]);
    },
    run: async (ctx) => {
      const { plan, patch } = usePlan(ctx);
      const differences: string[] = [];
      const ssl = plan.ssl;
      for (const setting of ssl?.settings ?? []) {
        if (ssl === undefined) break;
        const reading = await doing(`reading AT+QSSLCFG="${setting.param}"`, () =>
          ctx.at(at.qsslcfgQuery(ssl.contextId, setting.param)),
        );
        const difference = sslDifference(ssl.contextId, setting, reading);
        if (difference !== undefined) differences.push(`ssl ${difference}`);
      }
      for (const setting of plan.mqtt) {
        const reading = await doing(`reading AT+QMTCFG="${setting.name}"`, () =>
          ctx.at(at.qmtcfgQuery(plan.clientIdx, setting.name)),
        );
        const difference = qmtcfgDifference(setting, reading);
        if (difference !== undefined) differences.push(`mqtt ${difference}`);
      }
      const count = ssl === undefined ? plan.mqtt.length : plan.mqtt.length + ssl.settings.length;
      if (differences.length > 0) {
        throw new StepError(
          `${differences.length} of ${count} settings read back differently: ${differences.join('; ')}`,
        );
      }
      ctx.note(`${count} settings read back as written`);
      return patch;
    },
  };
}
