import type { MqttConfig } from './state';

/**
 * What AT+QMTCONN sends as client id, user name and password. With "aliauth" or "onenet" configured the module
 * derives them itself by the cloud's signing scheme (main/cloud/); otherwise they are the command's own.
 */
export interface MqttCredentials {
  readonly clientId: string;
  readonly username: string | undefined;
  readonly password: string | undefined;
}

export function deriveCredentials(config: MqttConfig, given: MqttCredentials, _nowMs: number): MqttCredentials {
  return given;
}
