/**
 * The typed AT command library: one builder per command, each returning an AtRequest<T> for the engine
 * (`engine.run(qmtopen(0, host, 8883))`). Every parameter is validated before a line is built (AtValidationError
 * names the field; values never appear in messages); `redacted` and `secretResponses` are derived from the
 * command catalogue (main/catalogue), whose time limits `timeoutMs` follows; `parse` turns the outcome into a
 * typed result with the spec's words (result texts come from main/at/decode/texts.ts and the catalogue).
 */
export * from './basics';
export * from './files';
export * from './ssl';
export * from './qmtcfg';
export * from './mqtt-link';
export * from './mqtt-messages';
export { LINK_BUDGET_MS, MQTT_FINAL_MS, NETWORK_MARGIN_MS, packetBudgetMs } from './mqtt-timing';
export * from './test-forms';
export { REDACTED, TIMEOUTS } from './define';
