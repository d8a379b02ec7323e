/** Decoded result texts, plain-words explanations and the captured-log decoder. */
export * from './texts';
export * from './describe';
export { decodeLog, type DecodedEvent, type DecodedKind, type CommandOutcome } from './decoder';
export { renderText, renderJsonLines } from './render';
export { redactAtLine } from './redact';
