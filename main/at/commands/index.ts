/** The typed AT command library: one builder per command, each returning an AtRequest<T>. */
export * from './basics';
export * from './files';
export * from './ssl';
export * from './qmtcfg';
export * from './mqtt-link';
export * from './mqtt-messages';
export { REDACTED, TIMEOUTS } from './define';
export * from './test-forms';
