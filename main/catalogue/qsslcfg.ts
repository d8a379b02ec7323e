import type { ParamSpec, SettingSpec } from './types';

/**
 * AT+QSSLCFG="<name>",<SSL_ctxID>[,<value>]: the SSL context settings an MQTT client uses
 * (AT+QMTCFG="ssl",<idx>,1,<ctx>). The application note defers to Quectel's SSL application note; names, ranges
 * and defaults are that note's, as the field notes confirm them on real modules: the parameter is spelled
 * "seclevel" (the MQTT note's example misspells it "secllevel"), and "ciphersuite" is an unquoted hex number. A
 * command with the context but without a value is a read, and the answer repeats the context.
 */

const bool = (name: string, label: string, values: Readonly<Record<number, string>>, def: number): ParamSpec => ({
  name,
  label,
  type: 'int',
  range: [0, 1],
  values,
  default: def,
});

const file = (name: string, label: string): ParamSpec => ({ name, label, type: 'string', bytes: [1, 84] });

/** Every AT+QSSLCFG setting the station uses, by name. */
export const qsslcfgSettings: Readonly<Record<string, SettingSpec>> = {
  sslversion: {
    name: 'sslversion',
    title: 'SSL/TLS version',
    values: [
      {
        name: 'SSL_version',
        label: 'SSL version',
        type: 'int',
        range: [0, 4],
        values: { 0: 'SSL 3.0', 1: 'TLS 1.0', 2: 'TLS 1.1', 3: 'TLS 1.2', 4: 'All' },
        default: 4,
      },
    ],
  },
  ciphersuite: {
    name: 'ciphersuite',
    title: 'Cipher suite',
    values: [
      {
        name: 'cipher_suites',
        label: 'Cipher suite',
        type: 'hex',
        range: [0, 0xffff],
        values: { 0xffff: 'All the module supports' },
        default: 0xffff,
      },
    ],
    note: 'Written unquoted in hex, e.g. 0xFFFF; the quoted form is refused (field notes).',
  },
  cacert: { name: 'cacert', title: 'CA certificate file', values: [file('cacertpath', 'CA certificate')] },
  clientcert: {
    name: 'clientcert',
    title: 'Client certificate file',
    values: [file('client_cert_path', 'Client certificate')],
  },
  clientkey: { name: 'clientkey', title: 'Client key file', values: [file('client_key_path', 'Client key')] },
  seclevel: {
    name: 'seclevel',
    title: 'Authentication mode',
    values: [
      {
        name: 'seclevel',
        label: 'Authentication',
        type: 'int',
        range: [0, 2],
        values: { 0: 'No authentication', 1: 'Server authentication', 2: 'Server and client authentication' },
        default: 0,
      },
    ],
  },
  negotiatetime: {
    name: 'negotiatetime',
    title: 'Maximum time of the TLS handshake',
    values: [
      {
        name: 'negotiate_time',
        label: 'Handshake timeout (s)',
        type: 'int',
        range: [10, 300],
        default: 300,
        unit: 's',
      },
    ],
  },
  ignorelocaltime: {
    name: 'ignorelocaltime',
    title: 'Whether certificate validity ignores the local time',
    values: [
      bool('ignore_ltime', 'Ignore local time', { 0: 'Check the validity period', 1: 'Ignore the validity period' }, 1),
    ],
  },
  sni: {
    name: 'sni',
    title: 'Server Name Indication',
    values: [bool('SNI', 'SNI', { 0: 'Disabled', 1: 'Enabled' }, 0)],
  },
  ignoreinvalidcertsign: {
    name: 'ignoreinvalidcertsign',
    title: 'Whether an invalid certificate signature is ignored',
    values: [bool('ignore_invalid_cert_sign', 'Ignore invalid signature', { 0: 'Checked', 1: 'Ignored' }, 0)],
  },
  ignoremulticertchainverify: {
    name: 'ignoremulticertchainverify',
    title: 'Whether verification of a multi-level certificate chain is skipped',
    values: [bool('ignore_multi_certchain_verify', 'Ignore chain verification', { 0: 'Checked', 1: 'Ignored' }, 0)],
  },
};

/** The head of every AT+QSSLCFG write and answer: the SSL context. */
export const QSSLCFG_HEAD: readonly ParamSpec[] = [
  { name: 'SSL_ctxID', label: 'SSL context', type: 'int', range: [0, 5] },
];
