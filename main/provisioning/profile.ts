import type { ProfileMqttName, SslValueParam } from './settings';

/**
 * A profile after normalisation: every field checked, every default applied (the spec's, see settings.ts), so
 * two documents that mean the same thing are the same object (and hash the same). Texts that go to the module
 * are still templates, filled per unit by the compiler.
 */
export interface Profile {
  readonly format: 1;
  readonly name: string;
  readonly description?: string;
  /** <client_idx> of every MQTT command, 0-5 (default 0). */
  readonly client: number;
  /** AT+QMTOPEN <host_name>, <port>. */
  readonly broker: { readonly host: string; readonly port: number };
  /**
   * Every AT+QMTCFG sub-command the station writes, complete: a one-parameter setting as its value, the others as
   * an object keyed by the spec's parameter names. Exactly one of `will` and `willex` (they set the same Will).
   */
  readonly mqtt: MqttSection;
  /** AT+QMTCFG="ssl",client,1,ctx and the AT+QSSLCFG settings of that context; absent: "ssl" is written as 0. */
  readonly ssl?: SslSection;
  readonly auth: Auth;
  readonly verify: Verify;
}

export type MqttValue = number | Readonly<Record<string, number | string>>;
export type MqttSection = Readonly<Partial<Record<ProfileMqttName, MqttValue>>>;

export type SslSection = {
  readonly ctx: number;
  readonly cacert?: string;
  readonly clientcert?: string;
  readonly clientkey?: string;
} & { readonly [K in SslValueParam]?: K extends 'ciphersuite' ? string : number };

export type Auth =
  | { readonly mode: 'none'; readonly client_id: string }
  | { readonly mode: 'password'; readonly client_id: string; readonly username: string; readonly password: string }
  | {
      readonly mode: 'aliauth';
      readonly client_id: string;
      readonly product_key: string;
      readonly device_name: string;
      readonly device_secret: string;
    }
  | { readonly mode: 'onenet'; readonly product_id: string; readonly access_key: string; readonly device_name: string };

export interface Observer {
  /** mqtt://, mqtts://, ws://, wss:// (tcp:// and tls:// as MQTT.js reads them). */
  readonly url: string;
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly username?: string;
  /** The environment variable that holds the observer's password: the password itself is never in a profile. */
  readonly password_env?: string;
  readonly client_id?: string;
}

export interface Verify {
  readonly topic: string;
  readonly qos: 0 | 1 | 2;
  readonly payload: string;
  readonly observer?: Observer;
  /** A CA that did not sign the broker's certificate: with it, the module must refuse the broker. */
  readonly negative?: { readonly cacert: string };
}

/** Where a template's value goes, which decides the manifest columns it may use. */
export type Sensitivity =
  /** Seen in transcripts, reports and logs (topics, client ids, user names): never a secret column. */
  | 'logged'
  /** Cloud credentials that are not secrets by nature but may come from a secret column (then masked). */
  | 'credential'
  /** A secret by nature (password, device secret, access key): must come from a secret column. */
  | 'secret';

/** The default templates: each names the manifest column of the same name (issue 9's column names). */
export const AUTH_DEFAULTS = {
  client_id: '{imei}',
  username: '{imei}',
  password: '{password}',
  product_key: '{product_key}',
  device_name: '{device_name}',
  device_secret: '{device_secret}',
  product_id: '{product_id}',
  access_key: '{access_key}',
} as const;

/** The default round-trip payload: unique to the unit and the run. */
export const DEFAULT_PAYLOAD = 'fleet-station selftest {imei} {run_id} {nonce}';
