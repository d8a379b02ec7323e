/** The AT transaction engine: one per port, running AtRequests over a ByteTransport and a parser link. */
export {
  AtEngine,
  type AtEngineOptions,
  type PortMode,
  type ResyncOptions,
  type RunOptions,
  type UrcNotice,
} from './engine';
export type { PortHealth } from './health';
export { inThreadParserLink, type ParserLink } from './parser-link';
export { Redactor, secretsOf, describePayload, type TranscriptEntry } from './transcript';
