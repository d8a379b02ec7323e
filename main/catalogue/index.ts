/**
 * The command catalogue: protocol facts written once, everything else derived from them. See
 * docs/catalogue.md for the shape of an entry and what reads it.
 */
export type {
  CommandSpec,
  CompletionSpec,
  DataPhaseSpec,
  ParamSpec,
  ResponseTime,
  SettingSpec,
  TimeSpec,
} from './types';
export { CATALOGUE, BASIC_COMMAND_MS } from './commands';
export { qmtcfgSettings, QMTCFG_HEAD } from './qmtcfg';
export { qsslcfgSettings, QSSLCFG_HEAD } from './qsslcfg';
export { CLOSE_RESULTS, CONN_STATES, CONNACK_RET_CODES, PACKET_RESULTS, QMTOPEN_RESULTS } from './results';
export {
  allCommands,
  answerFields,
  answerHasSecrets,
  carriesSecrets,
  commandSpec,
  completionByUrc,
  completionOf,
  dataPhaseCommands,
  dataPhaseOf,
  formParams,
  maxResponseMs,
  secretRule,
  settingSpec,
  type DataPhase,
  type DeliveryTiming,
  type SecretRule,
} from './lookup';
export { paramSpans, paramValue, readCommandLine, splitParams, type CommandReading, type ParamSpan } from './syntax';
export { LineRedactor, mayHoldSecret, REDACTED, redact, redactLine, redactText, type Redaction } from './redact';
export { SecretMask } from './mask';
