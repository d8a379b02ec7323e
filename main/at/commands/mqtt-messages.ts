import { AtResponseError, AtValidationError } from '../vocab/errors';
import type { AtOutcome, AtRequest, RecvEvent, UrcEvent } from '../vocab/request';
import { lookup, PACKET_RESULTS } from '../decode/texts';
import { defineRequest } from './define';
import { forClient, linkDropped } from './mqtt-link';
import {
  isFinalPacketResult,
  isRetransmission,
  MQTT_FINAL_MS,
  packetBudgetMs,
  type DeliveryTiming,
} from './mqtt-timing';
import { intAt, requireCompletion, requireOk, responsesNamed } from './outcome';
import { clientIndex, qos, TOPIC_RULE } from './qmtcfg';
import { int, list as checkedList, payloadBytes, quoted, record } from './validate';

/**
 * MQTT messages: subscribe, unsubscribe, publish, and reading stored messages. SUB, UNS and PUBEX answer OK (or
 * the prompt) at once, then a URC matched by client index AND msgid, within the packet's budget (mqtt-timing.ts).
 */

export type { DeliveryTiming } from './mqtt-timing';

const msgId = (value: unknown): number => int('msgid', value, 0, 65535);

/** Station limit on topics per SUB/UNS (the spec gives none; a module line buffer is finite). */
export const MAX_TOPICS_PER_REQUEST = 10;

/** The completion of packet `id` of client `idx`: its result URC, with its retransmission notices as progress. */
function packetCompletion(
  urc: string,
  idx: number,
  id: number,
  timing: DeliveryTiming,
): NonNullable<AtRequest<unknown>['completion']> {
  const ours = (event: UrcEvent): boolean => forClient(idx)(event) && event.params[1]?.trim() === String(id);
  return {
    urc,
    match: (event) => ours(event) && isFinalPacketResult(event, 2),
    progress: (event) => ours(event) && isRetransmission(event, 2),
    timeoutMs: packetBudgetMs(timing),
  };
}

export interface PacketResult {
  readonly clientIdx: number;
  readonly msgid: number;
  readonly result: number;
  readonly resultText: string;
  readonly ok: boolean;
}

function packetResult(outcome: AtOutcome, command: string, urc: string): PacketResult & { extra: number[] } {
  requireOk(outcome, command);
  const { params } = requireCompletion(outcome, urc);
  const result = intAt(params, 2, urc);
  const extra = params.slice(3).map((_, i) => intAt(params, i + 3, urc));
  return {
    clientIdx: intAt(params, 0, urc),
    msgid: intAt(params, 1, urc),
    result,
    resultText: lookup(PACKET_RESULTS, result, 'result'),
    ok: result === 0,
    extra,
  };
}

export interface Subscription {
  readonly topic: string;
  readonly qos: 0 | 1 | 2;
}

export interface SubscribeResult extends PacketResult {
  /** Granted QoS per topic when result is 0 (128 = refused by the server). */
  readonly grantedQos: readonly number[];
}

/** `AT+QMTSUB=<idx>,<msgid>,"<topic1>",<qos1>[,"<topic2>",<qos2>...]` then `+QMTSUB: <idx>,<msgid>,<result>[,<value>]`. */
export function qmtsub(
  clientIdx: number,
  msgid: number,
  subscriptions: readonly Subscription[],
  timing: DeliveryTiming = {},
): AtRequest<SubscribeResult> {
  const idx = clientIndex(clientIdx);
  const id = msgId(msgid);
  const list = checkedList('subscriptions', subscriptions, 1, MAX_TOPICS_PER_REQUEST)
    .map((sub, i) => {
      const entry = record(`subscriptions[${i}]`, sub);
      return `${quoted(`topic[${i}]`, entry.topic, TOPIC_RULE)},${qos(`qos[${i}]`, entry.qos)}`;
    })
    .join(',');
  return defineRequest({
    line: `AT+QMTSUB=${idx},${id},${list}`,
    timeoutMs: MQTT_FINAL_MS,
    completion: packetCompletion('+QMTSUB', idx, id, timing),
    abortOn: linkDropped(idx),
    parse: (outcome) => {
      const { extra, ...result } = packetResult(outcome, 'AT+QMTSUB', '+QMTSUB');
      const grantedQos = result.result === 0 ? extra : [];
      return { ...result, grantedQos, ok: result.ok && grantedQos.every((granted) => granted <= 2) };
    },
  });
}

/** `AT+QMTUNS=<idx>,<msgid>,"<topic1>"[,"<topic2>"...]` then `+QMTUNS: <idx>,<msgid>,<result>`. */
export function qmtuns(
  clientIdx: number,
  msgid: number,
  topics: readonly string[],
  timing: DeliveryTiming = {},
): AtRequest<PacketResult> {
  const idx = clientIndex(clientIdx);
  const id = msgId(msgid);
  const list = checkedList('topics', topics, 1, MAX_TOPICS_PER_REQUEST)
    .map((topic, i) => quoted(`topic[${i}]`, topic, TOPIC_RULE))
    .join(',');
  return defineRequest({
    line: `AT+QMTUNS=${idx},${id},${list}`,
    timeoutMs: MQTT_FINAL_MS,
    completion: packetCompletion('+QMTUNS', idx, id, timing),
    abortOn: linkDropped(idx),
    parse: (outcome) => {
      const { extra: _extra, ...result } = packetResult(outcome, 'AT+QMTUNS', '+QMTUNS');
      return result;
    },
  });
}

export interface PublishOptions extends DeliveryTiming {
  readonly retain?: boolean;
  /** The payload is a secret (e.g. a credential pushed to the device): it never reaches a transcript. */
  readonly secret?: boolean;
}

/** Largest payload the module takes at a time (spec note 2). */
export const MAX_PUBLISH_BYTES = 1500;

const PUBLISH_TOPIC_RULE = {
  ...TOPIC_RULE,
  pattern: { regex: /^[^#+]+$/, expected: 'a topic without wildcards (+ or #)' },
} as const;

/**
 * `AT+QMTPUBEX=<idx>,<msgid>,<qos>,<retain>,"<topic>",<length>`, the payload after `>`, then
 * `+QMTPUBEX: <idx>,<msgid>,<result>[,<value>]`. msgid is 0 only with QoS 0 (spec).
 */
export function qmtpubex(
  clientIdx: number,
  msgid: number,
  qosLevel: 0 | 1 | 2,
  topic: string,
  payload: string | Uint8Array,
  options: PublishOptions = {},
): AtRequest<PacketResult> {
  const idx = clientIndex(clientIdx);
  const id = msgId(msgid);
  const level = qos('qos', qosLevel);
  if (id === 0 && level !== 0)
    throw new AtValidationError('msgid', 'must be 1-65535 with QoS 1 or 2 (0 only with QoS 0)');
  const topicText = quoted('topic', topic, PUBLISH_TOPIC_RULE);
  const data = payloadBytes('payload', payload, 1, MAX_PUBLISH_BYTES);
  const retain = record('options', options).retain === true ? 1 : 0;
  return defineRequest({
    line: `AT+QMTPUBEX=${idx},${id},${level},${retain},${topicText},${data.length}`,
    payload: { after: 'prompt', bytes: data, ...(options.secret === true ? { secret: true } : {}) },
    timeoutMs: MQTT_FINAL_MS,
    completion: packetCompletion('+QMTPUBEX', idx, id, options),
    abortOn: linkDropped(idx),
    parse: (outcome) => {
      const { extra: _extra, ...result } = packetResult(outcome, 'AT+QMTPUBEX', '+QMTPUBEX');
      return result;
    },
  });
}

export interface StoreStatus {
  readonly clientIdx: number;
  /** One flag per buffer slot (recv_id 0-4): true when it holds a message. */
  readonly stored: readonly boolean[];
}

/** Reading stored messages is local to the module: a short, documented limit (the spec gives none). */
export const QMTRECV_TIMEOUT_MS = 2_000;

/** `AT+QMTRECV?`: which buffer slots hold messages, per client. */
export function qmtrecvQuery(): AtRequest<StoreStatus[]> {
  return defineRequest({
    line: 'AT+QMTRECV?',
    timeoutMs: QMTRECV_TIMEOUT_MS,
    parse: (outcome) => {
      requireOk(outcome, 'AT+QMTRECV?');
      return responsesNamed(outcome, '+QMTRECV').map(({ params }) => ({
        clientIdx: intAt(params, 0, 'AT+QMTRECV?'),
        stored: params.slice(1).map((_, i) => intAt(params, i + 1, 'AT+QMTRECV?') === 1),
      }));
    },
  });
}

export interface ReceivedMessage {
  readonly clientIdx: number;
  readonly msgid: number;
  readonly topic: string;
  readonly payload: Uint8Array;
}

/** `AT+QMTRECV=<idx>[,<recv_id>]`: read stored messages (all, or slot 0-4). */
export function qmtrecv(clientIdx: number, recvId?: number): AtRequest<ReceivedMessage[]> {
  const idx = clientIndex(clientIdx);
  const slot = recvId === undefined ? undefined : int('recvId', recvId, 0, 4);
  return defineRequest({
    line: slot === undefined ? `AT+QMTRECV=${idx}` : `AT+QMTRECV=${idx},${slot}`,
    timeoutMs: QMTRECV_TIMEOUT_MS,
    parse: (outcome) => {
      requireOk(outcome, 'AT+QMTRECV');
      return outcome.responses
        .filter((event): event is RecvEvent => event.kind === 'recv')
        .map((event) => {
          if (event.payloadLength !== null && event.payloadLength !== event.payload.length) {
            throw new AtResponseError('+QMTRECV: payload length does not match <payload_len>');
          }
          return { clientIdx: event.clientIdx, msgid: event.msgid, topic: event.topic, payload: event.payload };
        });
    },
  });
}
