/** The AT transaction engine: one per port, running AtRequests over a ByteTransport and a parser link. */
export {
  AtEngine,
  type AtEngineOptions,
  type PortMode,
  type ResyncOptions,
  type RunOptions,
  type TrapOptions,
  type UrcNotice,
} from './engine';
export type { PortHealth, PortTrap } from './health';
export { inThreadParserLink, type ParserLink } from './parser-link';
export { PROBES } from './probes';
export { Redactor, secretsOf, describePayload, type TranscriptEntry } from './transcript';
