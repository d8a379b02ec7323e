import {
  QMTCFG_FIELDS,
  qfupl,
  qfuplChecksum,
  qmtcfg,
  qmtconn,
  qmtopen,
  qmtpubex,
  qmtsub,
  qsslcfg,
  type QmtcfgName,
  type QmtcfgSetting,
  type SslSetting,
} from '../at/commands';
import { AtValidationError } from '../at/vocab/errors';
import type { FileRole, PemFile } from './certificates';
import { IssueList, type Checked } from './issues';
import type { LoadedProfile } from './load';
import type { MqttValue } from './profile';
import {
  filesForSeclevel,
  mqttSubCommand,
  SSL_PARAMETERS,
  toQmtcfgSetting,
  toSslSetting,
  type ProfileMqttName,
  type SslFileParam,
} from './settings';
import { templateFields } from './template-fields';
import { isBuiltInPlaceholder, isSecretColumn, parseTemplate, placeholdersOf, renderTemplate } from './templates';
import { checkText } from './text-rules';

/**
 * The compiler: from a loaded profile and one unit's values to what the batch does to that unit, as data. Pure
 * (no I/O, no clock): the same inputs always give the same plan. Every setting is run through its command
 * builder here, so a plan that compiles builds valid AT lines.
 */

/** What the station knows of a unit when it compiles its plan. */
export interface UnitValues {
  /** From the `identify` step. */
  readonly imei: string;
  readonly iccid?: string;
  readonly imsi?: string;
  /** The unit's manifest row (column → cell), secrets decrypted. */
  readonly row?: Readonly<Record<string, string>>;
  /** Identify this run of this unit: they make the verify message unique. */
  readonly runId: string;
  readonly nonce: string;
}

export interface PlannedUpload {
  /** The profile path of the file (`ssl.cacert`, ..., `verify.negative.cacert`). */
  readonly role: FileRole;
  /** The name on the module's UFS, without the `UFS:` prefix (qfupl adds it). */
  readonly ufsName: string;
  /** Exactly the bytes to send: their length is AT+QFUPL's <size>. */
  readonly bytes: Uint8Array;
  /** What +QFUPL must report for them (qfuplChecksum). */
  readonly checksum: string;
  /** A private key: its bytes never reach a transcript. */
  readonly secret: boolean;
  /** The file as named (profile-relative path, or the manifest column). */
  readonly source: string;
}

export interface PlannedObserver {
  readonly url: string;
  readonly ca?: Uint8Array;
  readonly cert?: Uint8Array;
  readonly key?: Uint8Array;
  readonly username?: string;
  /** A secret (from the station's environment). */
  readonly password?: string;
  readonly clientId?: string;
}

/**
 * The negative check, after the round trip and `close`: upload the wrong CA, point the context's cacert at it
 * (`apply`), AT+QMTOPEN must then fail (the module refuses the broker), then `restore` the right CA.
 */
export interface PlannedNegative {
  readonly contextId: number;
  readonly upload: PlannedUpload;
  readonly apply: SslSetting;
  readonly restore: SslSetting;
}

export interface PlannedVerify {
  /** Subscribed to (AT+QMTSUB) and published to (AT+QMTPUBEX). */
  readonly topic: string;
  readonly qos: 0 | 1 | 2;
  /** Unique to this unit and run (it contains the nonce); the same text must come back in +QMTRECV. */
  readonly payload: string;
  /** How +QMTRECV delivers it (AT+QMTCFG="recv/mode"): in the URC (0) or stored for AT+QMTRECV (1). */
  readonly receive: { readonly mode: 0 | 1; readonly lengthIncluded: boolean };
  /** AT+QMTCFG="dataformat": 0 string, 1 hex, for sending and for receiving. */
  readonly dataFormat: { readonly send: 0 | 1; readonly recv: 0 | 1 };
  /** AT+QMTCFG="timeout": the spec's response time of QMTSUB/QMTPUBEX is pkt_timeout × retry_times. */
  readonly delivery: { readonly pktTimeoutS: number; readonly retryTimes: number };
  readonly observer?: PlannedObserver;
  readonly negative?: PlannedNegative;
}

export interface ProvisioningPlan {
  readonly profileName: string;
  readonly profileHash: string;
  /** <client_idx> of every MQTT command. */
  readonly clientIdx: number;
  /** Step `upload`, in order: the context's files, then the negative check's CA. */
  readonly uploads: readonly PlannedUpload[];
  /** Step `sslcfg`: AT+QSSLCFG settings of the context, in order (absent without an `ssl` section). */
  readonly ssl?: { readonly contextId: number; readonly settings: readonly SslSetting[] };
  /** Step `mqttcfg`: every AT+QMTCFG setting, in the spec's order, "ssl" and the cloud credentials included. */
  readonly mqtt: readonly QmtcfgSetting[];
  /** Step `open`: AT+QMTOPEN. */
  readonly open: { readonly host: string; readonly port: number };
  /** Step `connect`: AT+QMTCONN (no user name or password with aliauth / onenet: the module derives them). */
  readonly connect: {
    readonly clientId: string;
    readonly username?: string;
    readonly password?: string;
    readonly pktTimeoutS: number;
  };
  readonly verify: PlannedVerify;
  /** Every secret value in this plan (passwords, device secrets, access keys, secret columns): mask them anywhere. */
  readonly secrets: readonly string[];
}

/** The UFS name of a context's file: fixed per role and context, so a rerun replaces the same file. */
export function ufsFileName(role: FileRole, contextId: number): string {
  switch (role) {
    case 'ssl.cacert':
      return `ctx${contextId}_cacert.pem`;
    case 'ssl.clientcert':
      return `ctx${contextId}_clientcert.pem`;
    case 'ssl.clientkey':
      return `ctx${contextId}_clientkey.pem`;
    case 'verify.negative.cacert':
      return `ctx${contextId}_negative_cacert.pem`;
    default:
      throw new RangeError(`${role} is not uploaded to the module`);
  }
}

function upload(role: FileRole, file: PemFile, contextId: number): PlannedUpload {
  return {
    role,
    ufsName: ufsFileName(role, contextId),
    bytes: file.bytes,
    checksum: qfuplChecksum(file.bytes),
    secret: role === 'ssl.clientkey',
    source: file.name,
  };
}

/** A command builder run for its validation; its refusal becomes an issue at `path`. */
interface BuilderCheck {
  readonly path: string;
  readonly build: () => unknown;
}

function runBuilders(issues: IssueList, checks: readonly BuilderCheck[]): void {
  for (const { path, build } of checks) {
    try {
      build();
    } catch (error) {
      if (!(error instanceof AtValidationError)) throw error;
      issues.error(path, error.message);
    }
  }
}

const num = (value: MqttValue | undefined, key: string, fallback: number): number => {
  if (typeof value === 'number') return value;
  const inner = value?.[key];
  return typeof inner === 'number' ? inner : fallback;
};

/**
 * Compiles the plan of one unit. Every template is filled with the unit's values and checked against its AT
 * command's rule; every refusal names the profile field (and the placeholders it uses), never a value.
 */
export function compilePlan(
  loaded: LoadedProfile,
  unit: UnitValues,
  files: ReadonlyMap<FileRole, PemFile> = loaded.files,
): Checked<ProvisioningPlan> {
  const { profile } = loaded;
  const issues = new IssueList();
  // Run once every value is known (a value that failed its own check would only fail its builder again).
  const checks: BuilderCheck[] = [];
  const build = (path: string, builder: () => unknown): void => {
    checks.push({ path, build: builder });
  };
  const secrets = new Set<string>();
  const rendered = new Map<string, string>();
  const values = {
    imei: unit.imei,
    iccid: unit.iccid,
    imsi: unit.imsi,
    run_id: unit.runId,
    nonce: unit.nonce,
    row: unit.row,
  };

  for (const field of templateFields(profile)) {
    const parsed = parseTemplate(field.template);
    if (!parsed.ok) {
      issues.error(field.path, parsed.message);
      continue;
    }
    const names = placeholdersOf(parsed.template);
    const result = renderTemplate(parsed.template, values);
    if (!result.ok) {
      issues.error(field.path, result.message);
      continue;
    }
    const fromSecret = names.some((name) => !isBuiltInPlaceholder(name) && isSecretColumn(name));
    if (field.sensitivity === 'secret' || fromSecret) secrets.add(result.value);
    const reason = checkText(result.value, field.rule);
    if (reason !== undefined) {
      const uses = names.length > 0 ? ` (it uses ${names.map((name) => `{${name}}`).join(', ')})` : '';
      issues.error(field.path, `the value for this unit ${reason}${uses}`);
      continue;
    }
    rendered.set(field.path, result.value);
  }
  const text = (path: string): string => rendered.get(path) ?? '';

  const clientIdx = profile.client;
  const mqtt: QmtcfgSetting[] = [];
  const ssl = profile.ssl;
  const uploads: PlannedUpload[] = [];
  let sslSettings: SslSetting[] | undefined;
  if (ssl !== undefined) {
    sslSettings = [];
    for (const file of filesForSeclevel(ssl.seclevel ?? 0)) {
      const role: FileRole = `ssl.${file satisfies SslFileParam}`;
      const pem = files.get(role);
      if (pem === undefined) {
        issues.error(role, 'no file for this unit (neither the profile nor its manifest row names one)');
        continue;
      }
      const planned = upload(role, pem, ssl.ctx);
      uploads.push(planned);
      sslSettings.push({ param: file, value: planned.ufsName });
    }
    for (const { name } of SSL_PARAMETERS) {
      const value = ssl[name];
      if (value === undefined) continue;
      const numeric = typeof value === 'string' ? Number.parseInt(value.slice(2), 16) : value;
      sslSettings.push(toSslSetting(name, numeric));
    }
    for (const setting of sslSettings) build(`ssl.${setting.param}`, () => qsslcfg(ssl.ctx, setting));
  }

  // In the spec's order (AT+QMTCFG's test answer), "ssl" and the cloud credentials in their places.
  for (const name of Object.keys(QMTCFG_FIELDS) as QmtcfgName[]) {
    let setting: QmtcfgSetting | undefined;
    if (name === 'ssl') {
      setting = ssl === undefined ? { name, enable: false } : { name, enable: true, contextId: ssl.ctx };
    } else if (name === 'aliauth') {
      if (profile.auth.mode === 'aliauth') {
        setting = {
          name,
          productKey: text('auth.product_key'),
          deviceName: text('auth.device_name'),
          deviceSecret: text('auth.device_secret'),
        };
      }
    } else if (name === 'onenet') {
      if (profile.auth.mode === 'onenet') {
        setting = { name, productId: text('auth.product_id'), accessKey: text('auth.access_key') };
      }
    } else {
      const value = profile.mqtt[name];
      const sub = mqttSubCommand(name);
      if (value !== undefined && sub !== undefined) {
        const first = sub.params[0];
        const complete: Record<string, number | string> =
          typeof value === 'number' ? (first === undefined ? {} : { [first.name]: value }) : { ...value };
        for (const param of sub.params) {
          if (param.kind === 'text' && complete[param.name] !== undefined) {
            complete[param.name] = text(`mqtt.${name}.${param.name}`);
          }
        }
        setting = toQmtcfgSetting(name satisfies ProfileMqttName, complete);
      }
    }
    if (setting === undefined) continue;
    const built = setting;
    build(name === 'ssl' ? 'ssl.ctx' : name === 'aliauth' || name === 'onenet' ? 'auth' : `mqtt.${name}`, () =>
      qmtcfg(clientIdx, built),
    );
    mqtt.push(setting);
  }

  const pktTimeoutS = num(profile.mqtt.timeout, 'pkt_timeout', 5);
  const retryTimes = num(profile.mqtt.timeout, 'retry_times', 3);
  const { auth } = profile;
  const connect =
    auth.mode === 'password'
      ? {
          clientId: text('auth.client_id'),
          username: text('auth.username'),
          password: text('auth.password'),
          pktTimeoutS,
        }
      : auth.mode === 'onenet'
        ? { clientId: text('auth.device_name'), pktTimeoutS }
        : { clientId: text('auth.client_id'), pktTimeoutS };
  build('broker', () => qmtopen(clientIdx, profile.broker.host, profile.broker.port));

  const { verify } = profile;
  const topic = text('verify.topic');
  const payload = text('verify.payload');
  build('auth', () => qmtconn(clientIdx, connect.clientId, connect));
  build('verify.topic', () => qmtsub(clientIdx, 1, [{ topic, qos: verify.qos }]));
  build('verify.payload', () => qmtpubex(clientIdx, verify.qos === 0 ? 0 : 1, verify.qos, topic, payload));

  let negative: PlannedNegative | undefined;
  const wrongCa = files.get('verify.negative.cacert');
  const rightCa = uploads.find((planned) => planned.role === 'ssl.cacert');
  if (verify.negative !== undefined && ssl !== undefined && wrongCa !== undefined && rightCa !== undefined) {
    const planned = upload('verify.negative.cacert', wrongCa, ssl.ctx);
    uploads.push(planned);
    negative = {
      contextId: ssl.ctx,
      upload: planned,
      apply: { param: 'cacert', value: planned.ufsName },
      restore: { param: 'cacert', value: rightCa.ufsName },
    };
  }

  let observer: PlannedObserver | undefined;
  const watch = verify.observer;
  if (watch !== undefined) {
    const bytes = (role: FileRole): Uint8Array | undefined => files.get(role)?.bytes;
    const ca = bytes('verify.observer.ca');
    const cert = bytes('verify.observer.cert');
    const key = bytes('verify.observer.key');
    if (loaded.observerPassword !== undefined) secrets.add(loaded.observerPassword);
    else if (watch.password_env !== undefined) {
      issues.error(
        'verify.observer.password_env',
        `the environment variable ${watch.password_env} is not set on this station: the observer cannot log in`,
      );
    }
    observer = {
      url: watch.url,
      ...(ca !== undefined ? { ca } : {}),
      ...(cert !== undefined ? { cert } : {}),
      ...(key !== undefined ? { key } : {}),
      ...(watch.username !== undefined ? { username: watch.username } : {}),
      ...(loaded.observerPassword !== undefined ? { password: loaded.observerPassword } : {}),
      ...(watch.client_id !== undefined ? { clientId: watch.client_id } : {}),
    };
  }

  for (const planned of uploads) build(planned.role, () => qfupl(planned.ufsName, planned.bytes));
  if (!issues.failed) runBuilders(issues, checks);

  const recv = profile.mqtt['recv/mode'];
  const format = profile.mqtt.dataformat;
  const bit = (value: number): 0 | 1 => (value === 1 ? 1 : 0);
  return issues.result({
    profileName: loaded.name,
    profileHash: loaded.hash,
    clientIdx,
    uploads,
    ...(ssl !== undefined && sslSettings !== undefined ? { ssl: { contextId: ssl.ctx, settings: sslSettings } } : {}),
    mqtt,
    open: { host: profile.broker.host, port: profile.broker.port },
    connect,
    verify: {
      topic,
      qos: verify.qos,
      payload,
      receive: { mode: bit(num(recv, 'msg_recv_mode', 0)), lengthIncluded: num(recv, 'msg_len_enable', 1) === 1 },
      dataFormat: { send: bit(num(format, 'send_mode', 0)), recv: bit(num(format, 'recv_mode', 0)) },
      delivery: { pktTimeoutS, retryTimes },
      ...(observer !== undefined ? { observer } : {}),
      ...(negative !== undefined ? { negative } : {}),
    },
    secrets: [...secrets],
  });
}
