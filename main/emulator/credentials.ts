import { aliauthCredentials, CredentialError, onenetCredentials } from '../cloud';
import { ParamSyntaxError } from './command-line';
import type { MqttConfig } from './state';

/**
 * What AT+QMTCONN sends as client id, user name and password. With "aliauth" or "onenet" configured the module
 * derives them itself by the cloud's signing scheme (main/cloud/), and the user name and password of the command
 * may be omitted; otherwise they are the command's own.
 */
export interface MqttCredentials {
  readonly clientId: string;
  readonly username: string | undefined;
  readonly password: string | undefined;
}

/** Alibaba: HMAC-SHA256 signing; securemode 2 over TLS, 3 over plain TCP (field notes). */
const ALIAUTH_SIGN_METHOD = 'hmacsha256';
/** OneNET tokens the module makes are valid for a year from the moment of connecting. */
const ONENET_TOKEN_LIFETIME_S = 365 * 24 * 3600;

export function deriveCredentials(config: MqttConfig, given: MqttCredentials, nowMs: number): MqttCredentials {
  try {
    if (config.aliauth) {
      return aliauthCredentials({
        ...config.aliauth,
        timestamp: nowMs,
        signMethod: ALIAUTH_SIGN_METHOD,
        secureMode: config.sslEnable === 1 ? 2 : 3,
      });
    }
    if (config.onenet) {
      return onenetCredentials({
        productId: config.onenet.productId,
        deviceName: given.clientId,
        accessKey: config.onenet.accessKey,
        et: Math.floor(nowMs / 1000) + ONENET_TOKEN_LIFETIME_S,
        method: 'sha256',
      });
    }
  } catch (error: unknown) {
    // A key that cannot be used (e.g. an access key that is not base64) makes the command fail with ERROR.
    if (error instanceof CredentialError) throw new ParamSyntaxError('credentials cannot be derived');
    throw error;
  }
  return given;
}
