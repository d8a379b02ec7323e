import { IssueList, type Checked } from './issues';
import {
  AUTH_DEFAULTS,
  DEFAULT_PAYLOAD,
  type Auth,
  type MqttValue,
  type Observer,
  type Profile,
  type SslSection,
  type Verify,
} from './profile';
import { describeIntRule, profileIssues, profileSchema, type ProfileDocument } from './schema';
import {
  filesForSeclevel,
  MQTT_SUBCOMMANDS,
  SSL_FILES,
  SSL_PARAMETERS,
  type MqttSubCommand,
  type SslFileParam,
} from './settings';
import { templateFields } from './template-fields';
import { isBuiltInPlaceholder, isRunPlaceholder, isSecretColumn, parseTemplate, placeholdersOf } from './templates';
import { checkLiteral, checkText } from './text-rules';

/**
 * From the document as written to the normalised profile: the spec's defaults applied, and the rules that tie
 * fields together checked (the Will written once, the files a security level needs, templates that suit their
 * AT command and keep secrets where secrets belong).
 */

export interface NormaliseOptions {
  /**
   * The manifest's columns, when known: a placeholder naming no column, or a file the security level needs that
   * neither the profile nor a column gives, is then an error now rather than at the first unit.
   */
  readonly columns?: readonly string[];
}

type Loose = Readonly<Record<string, unknown>>;

function isLoose(value: unknown): value is Loose {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One sub-command's complete values; undefined when a rule failed (already reported). */
function completeSub(sub: MqttSubCommand, given: unknown, issues: IssueList): MqttValue | undefined {
  const path = `mqtt.${sub.name}`;
  const [first] = sub.params;
  if (sub.params.length === 1 && first !== undefined && first.kind === 'int') {
    if (typeof given === 'number') return given;
    return first.default?.value;
  }
  const values = isLoose(given) ? given : {};
  const gate = sub.gatedBy;
  const gateValue = gate === undefined ? 1 : (values[gate] ?? 0);
  const out: Record<string, number | string> = {};
  let failed = false;
  for (const param of sub.params) {
    const value = values[param.name];
    if (gate !== undefined && param.name !== gate && gateValue !== 1) {
      if (value !== undefined) {
        issues.error(`${path}.${param.name}`, `only with ${gate} 1 (the spec omits it otherwise)`);
        failed = true;
      }
      continue;
    }
    if (typeof value === 'number' || typeof value === 'string') {
      out[param.name] = value;
    } else if (param.kind === 'int' && param.default !== undefined) {
      out[param.name] = param.default.value;
    } else {
      const rule = param.kind === 'int' ? describeIntRule(param) : `${param.minBytes}-${param.maxBytes} bytes`;
      issues.error(`${path}.${param.name}`, `required${gate === undefined ? '' : ` with ${gate} 1`}: ${rule}`);
      failed = true;
    }
  }
  return failed ? undefined : out;
}

function normaliseMqtt(given: Loose, issues: IssueList): Record<string, MqttValue> {
  const out: Record<string, MqttValue> = {};
  const willex = given.willex !== undefined;
  if (willex && given.will !== undefined) {
    issues.error('mqtt.willex', 'will and willex both set the Will (AT+QMTCFG="will" / "willex"): give one of them');
  }
  for (const sub of MQTT_SUBCOMMANDS) {
    // "will" and "willex" set the same Will: the station writes the one the profile gives (the "will" default of
    // will_fg 0 when it gives neither), so reading it back shows what was written.
    if (sub.name === (willex ? 'will' : 'willex')) continue;
    const value = completeSub(sub, given[sub.name], issues);
    if (value !== undefined) out[sub.name] = value;
  }
  // "send/mode" and "dataformat" share <send_mode>: both are written, with the same value.
  const sendMode = given['send/mode'];
  const dataformat = out.dataformat;
  const formatGiven = isLoose(given.dataformat) && given.dataformat.send_mode !== undefined;
  if (typeof sendMode === 'number' && isLoose(dataformat)) {
    if (formatGiven && dataformat.send_mode !== sendMode) {
      issues.error(
        'mqtt.dataformat.send_mode',
        "differs from mqtt.send/mode: both set the module's one sending format (0 string, 1 hex)",
      );
    } else {
      out.dataformat = { ...dataformat, send_mode: sendMode };
    }
  } else if (formatGiven && isLoose(dataformat) && typeof dataformat.send_mode === 'number') {
    out['send/mode'] = dataformat.send_mode;
  }
  return out;
}

const SECLEVEL_WORDS: Readonly<Record<number, string>> = {
  0: 'no authentication',
  1: 'server authentication',
  2: 'server and client authentication',
};

function normaliseSsl(given: Loose, columns: readonly string[] | undefined, issues: IssueList): SslSection | undefined {
  const out: Record<string, number | string> = {};
  if (typeof given.ctx !== 'number') return undefined;
  out.ctx = given.ctx;
  for (const file of SSL_FILES) {
    const value = given[file];
    if (typeof value === 'string') out[file] = value;
  }
  for (const { name, param } of SSL_PARAMETERS) {
    const value = given[name];
    if (typeof value === 'number' || typeof value === 'string') out[name] = value;
    else if (param.default !== undefined) out[name] = param.default.value;
  }
  const seclevel = typeof out.seclevel === 'number' ? out.seclevel : 0;
  const needed = filesForSeclevel(seclevel);
  const levelWords = `seclevel ${seclevel} (${SECLEVEL_WORDS[seclevel] ?? ''})`;
  for (const file of SSL_FILES) {
    if (out[file] !== undefined && !needed.includes(file)) {
      const fix = file === 'cacert' ? 'set seclevel 1 (server) or 2 (server and client)' : 'set seclevel 2';
      issues.error(`ssl.${file}`, `${levelWords} does not use it: ${fix}, or remove it`);
    }
  }
  const pair: readonly SslFileParam[] = ['clientcert', 'clientkey'];
  for (const [file, other] of [pair, [...pair].reverse()] as const) {
    if (
      file !== undefined &&
      other !== undefined &&
      out[file] !== undefined &&
      out[other] === undefined &&
      needed.includes(file)
    ) {
      issues.error(`ssl.${other}`, `required with ssl.${file}: the client's certificate and key go together`);
    }
  }
  if (columns !== undefined) {
    for (const file of needed) {
      if (out[file] === undefined && !columns.includes(file)) {
        issues.error(
          `ssl.${file}`,
          `${levelWords} needs it: name the file here, or give the manifest a "${file}" column (one file per unit)`,
        );
      }
    }
  }
  return out as SslSection;
}

function normaliseAuth(given: ProfileDocument['auth']): Auth {
  switch (given.mode) {
    case 'none':
      return { mode: 'none', client_id: given.client_id ?? AUTH_DEFAULTS.client_id };
    case 'password':
      return {
        mode: 'password',
        client_id: given.client_id ?? AUTH_DEFAULTS.client_id,
        username: given.username ?? AUTH_DEFAULTS.username,
        password: given.password ?? AUTH_DEFAULTS.password,
      };
    case 'aliauth': {
      const deviceName = given.device_name ?? AUTH_DEFAULTS.device_name;
      return {
        mode: 'aliauth',
        // The module derives the real client id from the triple; the one AT+QMTCONN carries is the device name.
        client_id: given.client_id ?? deviceName,
        product_key: given.product_key ?? AUTH_DEFAULTS.product_key,
        device_name: deviceName,
        device_secret: given.device_secret ?? AUTH_DEFAULTS.device_secret,
      };
    }
    case 'onenet':
      return {
        mode: 'onenet',
        product_id: given.product_id ?? AUTH_DEFAULTS.product_id,
        access_key: given.access_key ?? AUTH_DEFAULTS.access_key,
        device_name: given.device_name ?? AUTH_DEFAULTS.device_name,
      };
  }
}

function hostPort(host: string, port: number): string {
  return `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
}

function normaliseObserver(
  given: NonNullable<ProfileDocument['verify']['observer']>,
  profile: { broker: Profile['broker']; ssl: boolean },
  issues: IssueList,
): Observer | undefined {
  const path = 'verify.observer';
  let url: string;
  if (given.url !== undefined) {
    for (const key of ['host', 'port', 'tls'] as const) {
      if (given[key] !== undefined) issues.error(`${path}.${key}`, 'give either url, or host/port/tls, not both');
    }
    url = given.url;
  } else {
    const tls = given.tls ?? (profile.ssl ? 1 : 0);
    url = `${tls === 1 ? 'mqtts' : 'mqtt'}://${hostPort(given.host ?? profile.broker.host, given.port ?? profile.broker.port)}`;
  }
  const secure = /^(mqtts|tls|wss):/.test(url);
  for (const key of ['ca', 'cert', 'key'] as const) {
    if (given[key] !== undefined && !secure)
      issues.error(`${path}.${key}`, 'only with TLS (an mqtts://, tls:// or wss:// URL, or tls 1)');
  }
  if ((given.cert === undefined) !== (given.key === undefined)) {
    issues.error(
      `${path}.${given.cert === undefined ? 'cert' : 'key'}`,
      "required with the other: the observer's certificate and key go together",
    );
  }
  if (given.password_env !== undefined && given.username === undefined) {
    issues.error(`${path}.username`, 'required with password_env (MQTT sends a password only with a user name)');
  }
  return {
    url,
    ...(given.ca !== undefined ? { ca: given.ca } : {}),
    ...(given.cert !== undefined ? { cert: given.cert } : {}),
    ...(given.key !== undefined ? { key: given.key } : {}),
    ...(given.username !== undefined ? { username: given.username } : {}),
    ...(given.password_env !== undefined ? { password_env: given.password_env } : {}),
    ...(given.client_id !== undefined ? { client_id: given.client_id } : {}),
  };
}

const SECRET_EXAMPLE: Readonly<Record<string, string>> = {
  'auth.password': '{password}',
  'auth.device_secret': '{device_secret}',
  'auth.access_key': '{access_key}',
};

/** Every template: well formed, literal text fit for its command, placeholders allowed where they stand. */
function checkTemplates(profile: Profile, columns: readonly string[] | undefined, issues: IssueList): void {
  for (const field of templateFields(profile)) {
    const parsed = parseTemplate(field.template);
    if (!parsed.ok) {
      issues.error(
        field.path,
        field.sensitivity === 'secret' ? 'a malformed placeholder (check the braces)' : parsed.message,
      );
      continue;
    }
    const { template } = parsed;
    for (const part of template.parts) {
      if (part.kind !== 'text') continue;
      const reason = checkLiteral(part.text, field.rule);
      if (reason !== undefined) issues.error(field.path, reason);
    }
    const names = placeholdersOf(template);
    for (const name of names) {
      if (isRunPlaceholder(name) && !field.runValues) {
        issues.error(
          field.path,
          `{${name}} belongs to one run of one unit: only verify.topic and verify.payload may use it`,
        );
      } else if (!isBuiltInPlaceholder(name) && isSecretColumn(name) && field.sensitivity === 'logged') {
        issues.error(
          field.path,
          `{${name}} is a secret column (its name says so): here it would show in transcripts, logs and reports`,
        );
      } else if (!isBuiltInPlaceholder(name) && columns !== undefined && !columns.includes(name)) {
        issues.error(
          field.path,
          `{${name}} is neither {imei}, {iccid}, {imsi} nor a manifest column (columns: ${columns.join(', ') || 'none'})`,
        );
      }
    }
    if (field.sensitivity === 'secret' && !names.some((name) => !isBuiltInPlaceholder(name) && isSecretColumn(name))) {
      issues.error(
        field.path,
        `must come from a secret manifest column such as ${SECRET_EXAMPLE[field.path] ?? '{password}'}: ` +
          "a secret written in a profile (or made of the unit's identity) is no secret; credentials belong in the manifest",
      );
    }
    if (names.length === 0) {
      const reason = checkText(field.template, field.rule);
      if (reason !== undefined) issues.error(field.path, reason);
    }
  }
  if (!placeholdersOf(parseTemplateOrEmpty(profile.verify.payload)).includes('nonce')) {
    issues.error('verify.payload', "must contain {nonce}, so the message that comes back is this run's and no other");
  }
}

function parseTemplateOrEmpty(source: string) {
  const parsed = parseTemplate(source);
  return parsed.ok ? parsed.template : { source, parts: [] };
}

/** Defaults applied and cross-field rules checked; every problem reported, never a partial profile. */
export function normaliseProfile(doc: ProfileDocument, options: NormaliseOptions = {}): Checked<Profile> {
  const issues = new IssueList();
  const mqtt = normaliseMqtt(isLoose(doc.mqtt) ? doc.mqtt : {}, issues);
  const ssl = isLoose(doc.ssl) ? normaliseSsl(doc.ssl, options.columns, issues) : undefined;
  const broker = { host: doc.broker.host, port: doc.broker.port };
  const given = doc.verify;
  if (given.negative !== undefined && (ssl === undefined || ssl.seclevel === 0 || ssl.seclevel === undefined)) {
    issues.error(
      'verify.negative',
      'needs an "ssl" section with seclevel 1 or 2: only then does the module check the CA',
    );
  }
  const observer =
    given.observer === undefined
      ? undefined
      : normaliseObserver(given.observer, { broker, ssl: ssl !== undefined }, issues);
  const verify: Verify = {
    topic: given.topic,
    qos: given.qos === 2 ? 2 : given.qos === 1 ? 1 : 0,
    payload: given.payload ?? DEFAULT_PAYLOAD,
    ...(observer !== undefined ? { observer } : {}),
    ...(given.negative !== undefined ? { negative: { cacert: given.negative.cacert } } : {}),
  };
  const profile: Profile = {
    format: 1,
    name: doc.name,
    ...(doc.description !== undefined ? { description: doc.description } : {}),
    client: doc.client ?? 0,
    broker,
    mqtt,
    ...(ssl !== undefined ? { ssl } : {}),
    auth: normaliseAuth(doc.auth),
    verify,
  };
  checkTemplates(profile, options.columns, issues);
  return issues.result(profile);
}

/** The schema and then normalisation: a parsed document (from YAML or JSON) to a profile, or every issue. */
export function checkProfileDocument(raw: unknown, options: NormaliseOptions = {}): Checked<Profile> {
  const parsed = profileSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, errors: profileIssues(parsed.error), warnings: [] };
  return normaliseProfile(parsed.data, options);
}

/**
 * The manifest columns a profile needs: every column its templates name, and the certificate files its security
 * level needs that the profile does not give itself (`cacert`, `clientcert`, `clientkey`). A manifest without one
 * of them cannot serve this profile.
 */
export function requiredColumns(profile: Profile): string[] {
  const columns = new Set<string>();
  for (const field of templateFields(profile)) {
    for (const name of placeholdersOf(parseTemplateOrEmpty(field.template))) {
      if (!isBuiltInPlaceholder(name)) columns.add(name);
    }
  }
  if (profile.ssl !== undefined) {
    for (const file of filesForSeclevel(profile.ssl.seclevel ?? 0)) {
      if (profile.ssl[file] === undefined) columns.add(file);
    }
  }
  return [...columns].sort();
}
