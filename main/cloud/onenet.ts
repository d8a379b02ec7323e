import { createHmac } from 'node:crypto';
import type { MqttCredentials } from './aliauth';
import { CredentialError, requireText, requireTime } from './errors';

export type OnenetMethod = 'md5' | 'sha1' | 'sha256';

/** The token version OneNET's new platform signs with. */
export const ONENET_TOKEN_VERSION = '2018-10-31';

export interface OnenetTokenInput {
  /** `products/<pid>` for a product key, `products/<pid>/devices/<device>` for a device key. */
  readonly res: string;
  /** Expiry, Unix seconds. */
  readonly et: number;
  readonly method: OnenetMethod;
  /** Base64 as shown by the OneNET console. */
  readonly accessKey: string;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function decodeKey(accessKey: string): Buffer {
  requireText('accessKey', accessKey);
  if (!BASE64.test(accessKey)) throw new CredentialError('accessKey', 'must be base64');
  return Buffer.from(accessKey, 'base64');
}

/**
 * A OneNET security token: `sign` is the base64 HMAC (key: the decoded access key) over et, method, res and version,
 * one per line; `res` and `sign` are URL-encoded in the token because they contain `/`, `+` and `=`.
 */
export function onenetToken(input: OnenetTokenInput): string {
  const res = requireText('res', input.res);
  const et = requireTime('et', input.et);
  if (!['md5', 'sha1', 'sha256'].includes(input.method))
    throw new CredentialError('method', 'must be md5, sha1 or sha256');
  const key = decodeKey(input.accessKey);
  const content = `${et}\n${input.method}\n${res}\n${ONENET_TOKEN_VERSION}`;
  const sign = createHmac(input.method, key).update(content).digest('base64');
  return (
    `version=${ONENET_TOKEN_VERSION}&res=${encodeURIComponent(res)}&et=${et}` +
    `&method=${input.method}&sign=${encodeURIComponent(sign)}`
  );
}

export interface OnenetInput {
  readonly productId: string;
  readonly deviceName: string;
  readonly accessKey: string;
  readonly et: number;
  readonly method: OnenetMethod;
  /** Which key `accessKey` is; AT+QMTCFG="onenet" takes the key from the device details, hence 'device'. */
  readonly keyScope?: 'device' | 'product';
}

/** CONNECT fields for OneNET's new platform: client id = device name, user name = product id, password = token. */
export function onenetCredentials(input: OnenetInput): MqttCredentials {
  const productId = requireText('productId', input.productId);
  const deviceName = requireText('deviceName', input.deviceName);
  const res = input.keyScope === 'product' ? `products/${productId}` : `products/${productId}/devices/${deviceName}`;
  const password = onenetToken({ res, et: input.et, method: input.method, accessKey: input.accessKey });
  return { clientId: deviceName, username: productId, password };
}
