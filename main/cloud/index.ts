/** Cloud signing: pure functions that derive MQTT CONNECT credentials the way each cloud (and the module) does. */
export { aliauthCredentials, type AliauthInput, type MqttCredentials } from './aliauth';
export { CredentialError } from './errors';
export {
  ONENET_TOKEN_VERSION,
  onenetCredentials,
  onenetToken,
  type OnenetInput,
  type OnenetMethod,
  type OnenetTokenInput,
} from './onenet';
