/** The pure AT parsing layer: what the engine, the worker, the emulator and the log decoder reuse. */
export {
  AtStreamParser,
  MAX_LINE,
  MAX_RECV_LINE,
  MAX_RECV_PAYLOAD,
  MAX_RETAINED,
  type HoldKind,
  type ParserOptions,
} from './stream-parser';
export { splitParams } from './split-params';
export { UrcTable, isKnownUrc, isBareUrc, type UrcInfo } from './urc-table';
export { parseCommandLine, MAX_DATA_PHASE, type CommandInfo } from './command-info';
export { classifyLine, classifyFinal } from './classify-line';
