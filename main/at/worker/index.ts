/** Parser workers: the pool the AT engines use, and the message protocol between the threads. */
export { ParserPool, defaultWorkerCount, type ParserPortHandle, type ParserPoolOptions, type WorkerLoss } from './pool';
export type { FromWorker, ToWorker } from './protocol';
