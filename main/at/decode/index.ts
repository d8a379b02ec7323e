/** Decoded result texts, plain-words explanations and the captured-log decoder. */
export * from './texts';
export * from './describe';
export {
  decodeLog,
  LogDecoder,
  LogScan,
  HOLD_EVENTS,
  type DecodedEvent,
  type DecodedKind,
  type CommandOutcome,
  type LogFacts,
} from './decoder';
export { renderText, renderJsonLines, renderJsonLine, TextRenderer, escapeInvisible } from './render';
