import * as at from '../../at/commands';
import type { AtRequest } from '../../at/vocab/request';
import { StepError, type StepContext, type WorkStep } from '../../core/script';
import type { ProvisioningPlan } from '../compile';
import { sslDifference } from '../readback';
import { explainConnect, explainOpen, explainPacket, explainStat } from './explain';
import { closeLink, closeLinkRequests } from './link';
import { doing, limitOf, stepErrorOf, TRANSIENT_RETRY } from './plan';
import type { ProvisionState } from './state';

/**
 * The round trip: `open` (AT+QMTOPEN), `connect` (AT+QMTCONN), `subscribe` (AT+QMTSUB to the verify topic),
 * `publish` (AT+QMTPUBEX of a payload unique to the unit and run), `receive` (that very payload back in +QMTRECV,
 * in the URC or read with AT+QMTRECV, and seen by the station's observer when one is configured), and `close`
 * (AT+QMTDISC, AT+QMTCLOSE where still needed, and the negative check).
 */

/** msgid of the verify subscription; the publish uses the next (two packets of one client in flight at most). */
const SUB_MSGID = 1;
const PUB_MSGID = 2;

function planIn(state: ProvisionState): ProvisioningPlan {
  if (state.plan === undefined) throw new StepError('the unit has no plan (an earlier step did not make it)');
  return state.plan;
}

/** The delivery settings of the client (AT+QMTCFG="timeout"): the budgets of CONNECT, SUBSCRIBE and PUBLISH. */
function delivery(plan: ProvisioningPlan): { pktTimeoutS: number; retryTimes: number } {
  return { pktTimeoutS: plan.verify.delivery.pktTimeoutS, retryTimes: plan.verify.delivery.retryTimes };
}

/** The bytes AT+QMTPUBEX sends: the payload as text, or as hex digits with AT+QMTCFG="dataformat" send mode 1. */
export function publishedPayload(plan: ProvisioningPlan): string {
  const text = plan.verify.payload;
  return plan.verify.dataFormat.send === 1 ? Buffer.from(text, 'utf8').toString('hex').toUpperCase() : text;
}

/**
 * The payload as +QMTRECV delivers it, decoded: hex digits with AT+QMTCFG="dataformat" receive mode 1 (null when
 * they are not hex), the bytes as they are otherwise.
 */
export function receivedPayload(plan: ProvisioningPlan, bytes: Uint8Array): Buffer | null {
  if (plan.verify.dataFormat.recv !== 1) return Buffer.from(bytes);
  const text = Buffer.from(bytes).toString('latin1');
  return /^(?:[0-9A-Fa-f]{2})*$/.test(text) ? Buffer.from(text, 'hex') : null;
}

const openRequest = (plan: ProvisioningPlan): AtRequest<at.LinkResult> =>
  at.qmtopen(plan.clientIdx, plan.open.host, plan.open.port);

function connectRequest(plan: ProvisioningPlan): AtRequest<at.ConnectResult> {
  // The client's delivery settings give the CONNECT packet's budget (the builder takes what it knows of them).
  const options: at.ConnectOptions = {
    ...(plan.connect.username !== undefined ? { username: plan.connect.username } : {}),
    ...(plan.connect.password !== undefined ? { password: plan.connect.password } : {}),
    ...delivery(plan),
  };
  return at.qmtconn(plan.clientIdx, plan.connect.clientId, options);
}

const subscribeRequest = (plan: ProvisioningPlan): AtRequest<at.SubscribeResult> =>
  at.qmtsub(plan.clientIdx, SUB_MSGID, [{ topic: plan.verify.topic, qos: plan.verify.qos }], delivery(plan));

const publishRequest = (plan: ProvisioningPlan): AtRequest<at.PacketResult> =>
  at.qmtpubex(
    plan.clientIdx,
    plan.verify.qos === 0 ? 0 : PUB_MSGID,
    plan.verify.qos,
    plan.verify.topic,
    publishedPayload(plan),
    delivery(plan),
  );

/**
 * How long a message may take to come back: the budget the module itself gives a PUBLISH (its retries included),
 * as the builder computes it from the client's delivery settings (whatever the payload).
 */
function deliveryBudgetMs(plan: ProvisioningPlan): number {
  const request = at.qmtpubex(plan.clientIdx, PUB_MSGID, 1, plan.verify.topic, 'x', delivery(plan));
  return request.completion?.timeoutMs ?? request.timeoutMs;
}

/** Fails the step when the client's link has closed (+QMTSTAT since `open`), in the note's words. */
function checkLink(state: ProvisionState): void {
  const lost = state.mailbox.linkLost;
  if (lost !== undefined) throw new StepError(explainStat(lost.code), 'aborted', lost.raw);
}

/**
 * An MQTT command of a step on an open link: a link already closed fails the step at once, and a command that fails
 * because the link closed meanwhile (the builders abort on the client's +QMTSTAT) is explained by that +QMTSTAT.
 */
async function onLink<T>(ctx: StepContext<ProvisionState>, what: string, work: () => Promise<T>): Promise<T> {
  checkLink(ctx.state);
  try {
    return await work();
  } catch (error) {
    if (!ctx.signal.aborted) checkLink(ctx.state);
    throw stepErrorOf(what, error);
  }
}

/** A step's limit from the requests the plan makes it send (no plan: it fails at once). */
const limitFor =
  (requests: (plan: ProvisioningPlan) => readonly AtRequest<unknown>[], extra?: (plan: ProvisioningPlan) => number) =>
  (state: ProvisionState): number =>
    state.plan === undefined ? limitOf([]) : limitOf(requests(state.plan), extra?.(state.plan) ?? 0);

/**
 * `open`: AT+QMTOPEN to the profile's broker; a result other than 0 is explained with the note's words. From here
 * on the client's +QMTRECV and +QMTSTAT go to the unit's mailbox.
 */
export function open(): WorkStep<ProvisionState> {
  return {
    name: 'open',
    timeoutMs: limitFor((plan) => [openRequest(plan)]),
    run: async (ctx) => {
      const plan = planIn(ctx.state);
      const { mailbox } = ctx.state;
      // From here on the client's messages and the state of its link are kept for the later steps.
      ctx.onRunUrc('+QMTRECV', (event) => mailbox.accept(event));
      ctx.onRunUrc('+QMTSTAT', (event) => mailbox.accept(event));
      const where = `${plan.open.host}:${plan.open.port}`;
      const result = await doing(`AT+QMTOPEN to ${where}`, () => ctx.at(openRequest(plan)));
      if (!result.ok) {
        throw new StepError(
          `the module could not open ${where}: ${explainOpen(result.result)}`,
          'failed',
          `+QMTOPEN: ${plan.clientIdx},${result.result}`,
        );
      }
      return undefined;
    },
  };
}

/** `connect`: AT+QMTCONN with the unit's client id (and user name and password when the profile says so). */
export function connect(): WorkStep<ProvisionState> {
  return {
    name: 'connect',
    timeoutMs: limitFor((plan) => [connectRequest(plan)]),
    run: async (ctx) => {
      const plan = planIn(ctx.state);
      const result = await onLink(ctx, 'AT+QMTCONN', () => ctx.at(connectRequest(plan)));
      if (!result.ok) {
        const code = `+QMTCONN: ${plan.clientIdx},${result.result}${result.retCode === undefined ? '' : `,${result.retCode}`}`;
        throw new StepError(explainConnect(result.result, result.retCode), 'failed', code);
      }
      return undefined;
    },
  };
}

/**
 * `subscribe`: AT+QMTSUB to the verify topic (every +QMTRECV of the client goes to the unit's mailbox since `open`:
 * a message may come back before its publish completes). With an observer, the station's own client subscribes to
 * the same topic on the broker.
 */
export function subscribe(): WorkStep<ProvisionState> {
  return {
    name: 'subscribe',
    timeoutMs: limitFor(
      (plan) => [subscribeRequest(plan)],
      (plan) => deliveryBudgetMs(plan),
    ),
    run: async (ctx) => {
      const plan = planIn(ctx.state);
      const { batch } = ctx.state;
      const topic = plan.verify.topic;
      const result = await onLink(ctx, `AT+QMTSUB to ${topic}`, () => ctx.at(subscribeRequest(plan)));
      if (result.result !== 0) {
        throw new StepError(
          explainPacket(`the subscription to ${topic}`, result.result),
          'failed',
          `+QMTSUB: ${plan.clientIdx},${SUB_MSGID},${result.result}`,
        );
      }
      if (!result.ok) {
        throw new StepError(
          `the broker refused the subscription to ${topic} (granted QoS ${result.grantedQos.join(',')}): check the broker's access rules for this unit`,
          'failed',
          `+QMTSUB: ${plan.clientIdx},${SUB_MSGID},0,${result.grantedQos.join(',')}`,
        );
      }
      const observer = batch.observer;
      if (observer === undefined || plan.verify.observer === undefined) return undefined;
      try {
        await observer.watch(topic, plan.verify.qos, ctx.signal);
      } catch (error) {
        if (ctx.signal.aborted) throw error;
        throw new StepError(`the station's observer: ${error instanceof Error ? error.message : String(error)}`);
      }
      ctx.note(`the station's observer watches ${topic}`);
      return { observing: true };
    },
  };
}

/** `publish`: AT+QMTPUBEX of the plan's payload (unique to the unit and run: it holds a nonce). */
export function publish(): WorkStep<ProvisionState> {
  return {
    name: 'publish',
    timeoutMs: limitFor((plan) => [publishRequest(plan)]),
    run: async (ctx) => {
      const plan = planIn(ctx.state);
      const request = publishRequest(plan);
      const publishedAt = Date.now();
      const result = await onLink(ctx, `AT+QMTPUBEX to ${plan.verify.topic}`, () => ctx.at(request));
      if (!result.ok) {
        throw new StepError(
          explainPacket('the message was not acknowledged by the broker', result.result),
          'failed',
          `+QMTPUBEX: ${plan.clientIdx},${result.msgid},${result.result}`,
        );
      }
      return { publishedAt };
    },
  };
}

/**
 * `receive`: the published payload must come back to the unit within the budget the module gives a PUBLISH: in
 * the +QMTRECV URC (recv/mode 0), or announced by `+QMTRECV: <idx>,<recv_id>` and read with AT+QMTRECV (recv/mode
 * 1). Other messages (another payload on the topic, other topics) are passed over. With an observer, the
 * station's own client must have seen it on the broker too. `roundTripMs` is from the publish to the payload back.
 */
export function receive(): WorkStep<ProvisionState> {
  return {
    name: 'receive',
    timeoutMs: limitFor(
      (plan) => (plan.verify.receive.mode === 1 ? [at.qmtrecv(plan.clientIdx, 0)] : []),
      (plan) => deliveryBudgetMs(plan),
    ),
    run: async (ctx) => {
      const plan = planIn(ctx.state);
      const { mailbox, publishedAt, batch } = ctx.state;
      if (publishedAt === undefined) throw new StepError('nothing was published');
      const expected = Buffer.from(plan.verify.payload, 'utf8');
      const budget = deliveryBudgetMs(plan);
      const deadline = Date.now() + budget;
      let others = 0;
      let backAt: number | undefined;
      const matches = (topic: string, bytes: Uint8Array): boolean => {
        if (topic !== plan.verify.topic) return false;
        const payload = receivedPayload(plan, bytes);
        if (payload !== null && payload.equals(expected)) return true;
        others++;
        return false;
      };
      while (backAt === undefined) {
        for (const arrival of mailbox.takeArrivals()) {
          if (backAt === undefined && matches(arrival.topic, arrival.payload)) backAt = arrival.at;
        }
        for (const notice of mailbox.takeNotices()) {
          const stored = await onLink(ctx, `reading stored message ${notice.recvId} (AT+QMTRECV)`, () =>
            ctx.at(at.qmtrecv(plan.clientIdx, notice.recvId)),
          );
          for (const message of stored) {
            if (backAt === undefined && matches(message.topic, message.payload)) backAt = Date.now();
          }
        }
        if (backAt !== undefined) break;
        checkLink(ctx.state);
        if (!(await mailbox.next(deadline, ctx.signal))) {
          const seen =
            others === 0
              ? 'no +QMTRECV of it arrived'
              : `${others} other message(s) came on the topic, not this run's payload`;
          throw new StepError(
            `the message did not come back within ${budget} ms (${seen}): check that the broker lets this unit ` +
              'subscribe to and receive on the verify topic',
            'timeout',
          );
        }
      }
      const roundTripMs = Math.max(0, backAt - publishedAt);
      ctx.note(`the payload came back in ${roundTripMs} ms`);
      const observer = batch.observer;
      if (ctx.state.observing === true && observer !== undefined) {
        const seenAt = await observer.sighting(plan.verify.topic, expected, deadline, ctx.signal);
        if (seenAt === null) {
          throw new StepError(
            `the unit got its message back, but the station's observer did not see it on the broker within ${budget} ms`,
            'timeout',
          );
        }
        ctx.note(
          `the station's observer saw it on the broker ${Math.max(0, seenAt - publishedAt)} ms after the publish`,
        );
      }
      return { roundTripMs };
    },
  };
}

/** The negative check's requests (for the close step's limit). */
function negativeRequests(plan: ProvisioningPlan): AtRequest<unknown>[] {
  const negative = plan.verify.negative;
  if (negative === undefined) return [];
  return [
    at.qsslcfg(negative.contextId, negative.apply),
    openRequest(plan),
    at.qmtclose(plan.clientIdx),
    at.qsslcfg(negative.contextId, negative.restore),
    at.qsslcfgQuery(negative.contextId, 'cacert'),
  ];
}

/**
 * The negative check: with the context's CA pointed at one that did not sign the broker's certificate, AT+QMTOPEN
 * must fail (+QMTOPEN: <idx>,-1). The right CA is restored (and read back) whatever happens.
 */
async function negativeCheck(ctx: StepContext<ProvisionState>, plan: ProvisioningPlan): Promise<void> {
  const negative = plan.verify.negative;
  if (negative === undefined) return;
  const where = `${plan.open.host}:${plan.open.port}`;
  await doing('pointing the CA at the wrong one (AT+QSSLCFG="cacert")', () =>
    ctx.at(at.qsslcfg(negative.contextId, negative.apply)),
  );
  let failure: StepError | undefined;
  try {
    const result = await doing(`AT+QMTOPEN to ${where} with the wrong CA`, () => ctx.at(openRequest(plan)));
    if (result.ok) {
      await doing(`AT+QMTCLOSE=${plan.clientIdx}`, () => ctx.at(at.qmtclose(plan.clientIdx))).catch(() => undefined);
      failure = new StepError(
        `negative check: the module opened ${where} with a CA that did not sign the broker's certificate: it does ` +
          'not check the server (check ssl.seclevel, and that the broker presents the certificate it should)',
        'failed',
        `+QMTOPEN: ${plan.clientIdx},0`,
      );
    } else {
      ctx.note(
        `negative check: with the wrong CA the module refused ${where} (+QMTOPEN: ${plan.clientIdx},${result.result})`,
      );
    }
  } finally {
    await doing('restoring the right CA (AT+QSSLCFG="cacert")', () =>
      ctx.at(at.qsslcfg(negative.contextId, negative.restore)),
    );
    const reading = await doing('reading the CA back (AT+QSSLCFG="cacert")', () =>
      ctx.at(at.qsslcfgQuery(negative.contextId, 'cacert')),
    );
    const difference = sslDifference(negative.contextId, negative.restore, reading);
    if (difference !== undefined)
      failure ??= new StepError(`negative check: the right CA was not restored: ${difference}`);
  }
  if (failure !== undefined) throw failure;
}

/**
 * `close` (runs after a failure too, not after a cancel): the observer stops watching, AT+QMTDISC, AT+QMTCLOSE where
 * the network is still open (modules that never send +QMTCLOSE after a disconnect are not asked), then, after a
 * round trip that passed, the negative check. Skipped when the unit never got a plan (nothing was opened).
 */
export function close(): WorkStep<ProvisionState> {
  return {
    name: 'close',
    always: true,
    // Each try asks the module where the link stands first, so a try after a late answer picks up from there.
    retry: TRANSIENT_RETRY,
    skip: (state) => (state.plan === undefined ? 'nothing was opened' : undefined),
    timeoutMs: limitFor((plan) => [...closeLinkRequests(plan.clientIdx), ...negativeRequests(plan)]),
    run: async (ctx) => {
      const plan = planIn(ctx.state);
      const { batch } = ctx.state;
      if (ctx.state.observing === true) await batch.observer?.forget(plan.verify.topic).catch(() => undefined);
      ctx.note(await closeLink(ctx, plan.clientIdx));
      if (ctx.state.roundTripMs !== undefined) await negativeCheck(ctx, plan);
      return undefined;
    },
  };
}
