/**
 * Batch provisioning (issue 10): the provisioning script on the station's one runner, the batch service that runs
 * it on many units at once, the History recorder, the MQTT.js observer, and "retry failed". docs/provisioning.md
 * describes the run, the steps, what each failure means and the `provision` command.
 */
export { CONNACK_HOW_TO, explainConnect, explainOpen, explainStat } from './explain';
export { Mailbox } from './mailbox';
export { MqttObserver, mqttObserver, type BrokerObserver, type ObserverFactory } from './observer';
export { errorCodeOf, HistoryRecorder, transcriptText, type RunMeta } from './recorder';
export {
  provisionAborts,
  provisioningScript,
  PROVISION_SCRIPT,
  PROVISION_STEPS,
  type ProvisionStepName,
} from './script';
export {
  DEFAULT_REGISTRATION_WAIT_MS,
  observerSettings,
  RetryError,
  retrySelection,
  startBatch,
  unitOutcome,
  type BatchHandle,
  type BatchOptions,
  type BatchResult,
  type RetrySelection,
  type UnitOutcome,
} from './service';
export type { BatchInputs, ProvisionState, UnitFacts, UnitIdentityFound } from './state';
export { uploadInputTimeoutS, UPLOAD_MARGIN_S, wireMs } from './steps-config';
