import type { AtRequest } from '../vocab/request';
import { defineRequest, TIMEOUTS } from './define';
import { ufsPath } from './files';
import { oneResponse, requireOk, stringAt } from './outcome';
import { flag, int, member, oneOf, record } from './validate';

/**
 * AT+QSSLCFG: the SSL context an MQTT client uses (AT+QMTCFG="ssl",<idx>,1,<ctx>). Every parameter has a write
 * form `AT+QSSLCFG="<param>",<ctx>,<value>` and a read form without the value (field notes). The parameter is
 * spelled "seclevel" (the application note's example misspells it "secllevel"); "ciphersuite" is unquoted hex.
 */
export type SslSetting =
  /** 0 SSL 3.0, 1 TLS 1.0, 2 TLS 1.1, 3 TLS 1.2, 4 all. */
  | { readonly param: 'sslversion'; readonly value: 0 | 1 | 2 | 3 | 4 }
  /** A TLS cipher suite code (0x0000-0xFFFF); 0xFFFF means all the module supports. */
  | { readonly param: 'ciphersuite'; readonly value: number }
  /** Files on the module's UFS (uploaded with AT+QFUPL). */
  | { readonly param: 'cacert' | 'clientcert' | 'clientkey'; readonly value: string }
  /** 0 no authentication, 1 server authentication, 2 server and client authentication. */
  | { readonly param: 'seclevel'; readonly value: 0 | 1 | 2 }
  /** 10-300 s for the TLS handshake. */
  | { readonly param: 'negotiatetime'; readonly value: number }
  | {
      readonly param: 'ignorelocaltime' | 'sni' | 'ignoreinvalidcertsign' | 'ignoremulticertchainverify';
      readonly value: boolean;
    };

export type SslParam = SslSetting['param'];

export const SSL_PARAMS: readonly SslParam[] = [
  'sslversion',
  'ciphersuite',
  'cacert',
  'clientcert',
  'clientkey',
  'seclevel',
  'negotiatetime',
  'ignorelocaltime',
  'sni',
  'ignoreinvalidcertsign',
  'ignoremulticertchainverify',
];

/** The value as it goes on the line, validated. */
function encodeValue(setting: SslSetting): string {
  switch (setting.param) {
    case 'sslversion':
      return String(oneOf('sslversion', setting.value, [0, 1, 2, 3, 4] as const));
    case 'ciphersuite':
      return `0x${int('ciphersuite', setting.value, 0, 0xffff).toString(16).toUpperCase().padStart(4, '0')}`;
    case 'cacert':
    case 'clientcert':
    case 'clientkey':
      return `"${ufsPath(setting.param, setting.value)}"`;
    case 'seclevel':
      return String(oneOf('seclevel', setting.value, [0, 1, 2] as const));
    case 'negotiatetime':
      return String(int('negotiatetime', setting.value, 10, 300));
    case 'ignorelocaltime':
    case 'sni':
    case 'ignoreinvalidcertsign':
    case 'ignoremulticertchainverify':
      return String(flag(setting.param, setting.value));
  }
}

/** `AT+QSSLCFG="<param>",<ctx>,<value>`. */
export function qsslcfg(contextId: number, setting: SslSetting): AtRequest<void> {
  const ctx = int('sslContextId', contextId, 0, 5);
  const param = member('param', record('setting', setting).param, SSL_PARAMS);
  const line = `AT+QSSLCFG="${param}",${ctx},${encodeValue(setting)}`;
  return defineRequest({ line, timeoutMs: TIMEOUTS.query, parse: (outcome) => requireOk(outcome, 'AT+QSSLCFG') });
}

export interface SslReading {
  readonly param: SslParam;
  readonly contextId: number;
  /** Numbers for numeric parameters (the cipher suite parsed from hex), the file name for certificates. */
  readonly value: number | string;
}

/** `AT+QSSLCFG="<param>",<ctx>`: read one parameter of an SSL context. */
export function qsslcfgQuery(contextId: number, param: SslParam): AtRequest<SslReading> {
  const ctx = int('sslContextId', contextId, 0, 5);
  const name = member('param', param, SSL_PARAMS);
  return defineRequest({
    line: `AT+QSSLCFG="${name}",${ctx}`,
    timeoutMs: TIMEOUTS.query,
    parse: (outcome) => {
      requireOk(outcome, 'AT+QSSLCFG');
      const { params } = oneResponse(outcome, '+QSSLCFG');
      const raw = stringAt(params, 2, 'AT+QSSLCFG').trim();
      const value = /^0x[0-9a-f]+$/i.test(raw)
        ? Number.parseInt(raw.slice(2), 16)
        : /^-?\d+$/.test(raw)
          ? Number.parseInt(raw, 10)
          : raw;
      return { param: name, contextId: ctx, value };
    },
  });
}
