import { createHmac } from 'node:crypto';
import { CredentialError, requireText, requireTime } from './errors';

export interface AliauthInput {
  readonly productKey: string;
  readonly deviceName: string;
  readonly deviceSecret: string;
  /** Milliseconds since the epoch, as the module puts it in the client id. */
  readonly timestamp: number;
  readonly signMethod: 'hmacsha1' | 'hmacsha256';
  /** 2: TLS (direct), 3: plain TCP (direct). */
  readonly secureMode: 2 | 3;
}

export interface MqttCredentials {
  readonly clientId: string;
  readonly username: string;
  readonly password: string;
}

const SECURE_MODES: readonly number[] = [2, 3];
const DIGEST = { hmacsha1: 'sha1', hmacsha256: 'sha256' } as const;

/**
 * The MQTT CONNECT fields an Alibaba Cloud IoT device derives from its triple (what AT+QMTCFG="aliauth" makes the
 * module do): the signed content lists the parameters in alphabetical order of their names, each name followed by
 * its value, and the password is the lower-case hex HMAC of it keyed with the device secret.
 */
export function aliauthCredentials(input: AliauthInput): MqttCredentials {
  const productKey = requireText('productKey', input.productKey);
  const deviceName = requireText('deviceName', input.deviceName);
  const deviceSecret = requireText('deviceSecret', input.deviceSecret);
  const timestamp = requireTime('timestamp', input.timestamp);
  const digest = Object.hasOwn(DIGEST, input.signMethod) ? DIGEST[input.signMethod] : undefined;
  if (digest === undefined) throw new CredentialError('signMethod', 'must be hmacsha1 or hmacsha256');
  // Checked at run time too: CLI and IPC callers reach this with unvalidated values.
  if (!SECURE_MODES.includes(input.secureMode)) throw new CredentialError('secureMode', 'must be 2 or 3');
  const id = `${productKey}.${deviceName}`;
  const clientId = `${id}|securemode=${input.secureMode},signmethod=${input.signMethod},timestamp=${timestamp}|`;
  const content = `clientId${id}deviceName${deviceName}productKey${productKey}timestamp${timestamp}`;
  const password = createHmac(digest, deviceSecret).update(content).digest('hex');
  return { clientId, username: `${deviceName}&${productKey}`, password };
}
