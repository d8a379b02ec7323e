import { z } from 'zod';
import { describeValue, type ProfileIssue } from './issues';
import {
  MQTT_SUBCOMMANDS,
  SSL_PARAMETERS,
  type IntParam,
  type MqttSubCommand,
  type SslParameter,
  type SslValueParam,
} from './settings';
import { parseTemplate } from './templates';

/**
 * The profile document as written (format 1), checked field by field with zod. Every leaf has its own rule and
 * its own message in the spec's words (`0-3600 s, got 7200`); defaults and the rules that tie fields together are
 * applied afterwards (normalise.ts). Unknown keys are refused, so a misspelt key never silently does nothing.
 */

export const PROFILE_FORMAT = 1;

/** A refusal from a leaf rule: its message becomes the issue's. */
class Refusal {
  constructor(readonly message: string) {}
}

function rule<T>(check: (value: unknown) => T | Refusal) {
  return z.unknown().transform((value, ctx): T => {
    const result = check(value);
    if (result instanceof Refusal) {
      ctx.addIssue({ code: 'custom', message: result.message });
      return z.NEVER;
    }
    return result;
  });
}

const REQUIRED = 'required';

/** `0-3600 s`, `3 (MQTT 3.1) or 4 (MQTT 3.1.1)`, `0 or 1`. */
export function describeIntRule(param: Pick<IntParam, 'min' | 'max' | 'unit' | 'meanings'>): string {
  const { min, max, unit, meanings } = param;
  if (meanings !== undefined) {
    const values = Array.from({ length: max - min + 1 }, (_, i) => min + i);
    const words = values.map((v) => (meanings[v] === undefined ? String(v) : `${v} (${meanings[v]})`));
    return words.length <= 2 ? words.join(' or ') : `${words.slice(0, -1).join(', ')} or ${words.at(-1) ?? ''}`;
  }
  return `${min}-${max}${unit === undefined ? '' : ` ${unit}`}`;
}

function numberHint(value: unknown): string {
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return ' (a string: write the number without quotes)';
  if (typeof value === 'boolean') return ' (write 0 or 1, as the spec does)';
  return '';
}

/** An integer parameter with the spec's range (or enumeration). */
export function intRule(param: Pick<IntParam, 'min' | 'max' | 'unit' | 'meanings'>) {
  const words = describeIntRule(param);
  return rule((value): number | Refusal => {
    if (value === undefined) return new Refusal(`${REQUIRED}: ${words}`);
    if (typeof value !== 'number' || !Number.isInteger(value) || value < param.min || value > param.max) {
      return new Refusal(`${words}, got ${describeValue(value)}${numberHint(value)}`);
    }
    return value;
  });
}

const LOSSY =
  'quote it: YAML and JSON read unquoted digits as a number, which drops leading zeros and every digit past the 15th';

/** A plain string (not a template). `secret` keeps the value out of messages. */
function stringRule(
  what: string,
  options: { secret?: boolean; minLength?: number; maxLength?: number; lineBreaks?: boolean } = {},
) {
  // Control characters would garble the reports and terminals this text is printed in (line breaks: free text only).
  const control = (text: string): boolean => {
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if ((code < 0x20 || code === 0x7f) && !(options.lineBreaks === true && code === 0x0a)) return true;
    }
    return false;
  };
  const min = options.minLength ?? 1;
  return rule((value): string | Refusal => {
    if (value === undefined) return new Refusal(`${REQUIRED}: ${what}`);
    if (typeof value === 'number') {
      return new Refusal(`${what}, got the number ${options.secret === true ? '(hidden)' : String(value)}: ${LOSSY}`);
    }
    if (typeof value !== 'string') return new Refusal(`${what}, got ${describeValue(value, options.secret)}`);
    if (value.length < min) return new Refusal(`${what}, got an empty string`);
    if (options.maxLength !== undefined && value.length > options.maxLength) {
      return new Refusal(`${what} of at most ${options.maxLength} characters, got ${value.length}`);
    }
    if (control(value)) return new Refusal(`${what}, without control characters`);
    return value;
  });
}

/**
 * A template string: placeholders must be well formed here; which names are allowed and whether the literal
 * text suits its AT command is checked once the whole profile is known (normalise.ts).
 */
export function templateRule(what: string, options: { secret?: boolean } = {}) {
  return rule((value): string | Refusal => {
    if (value === undefined) return new Refusal(`${REQUIRED}: ${what}`);
    if (typeof value === 'number') {
      const shown = options.secret === true ? '(hidden)' : String(value);
      return new Refusal(`${what} (a string or template), got the number ${shown}: ${LOSSY}`);
    }
    if (typeof value !== 'string') {
      return new Refusal(`${what} (a string or template), got ${describeValue(value, options.secret)}`);
    }
    const parsed = parseTemplate(value);
    if (!parsed.ok) return new Refusal(parsed.message);
    return value;
  });
}

/** A file named relative to the profile. */
export function fileRule(what: string) {
  return rule((value): string | Refusal => {
    if (value === undefined) return new Refusal(`${REQUIRED}: ${what}`);
    if (typeof value !== 'string' || value.trim() === '') {
      return new Refusal(`${what} (a file name relative to the profile), got ${describeValue(value)}`);
    }
    if (value.startsWith('/') || /^[A-Za-z]:[\\/]/.test(value) || value.startsWith('\\')) {
      return new Refusal(`${what}: must be relative to the profile file (so the profile and its files move together)`);
    }
    if (value.includes('\0')) return new Refusal(`${what}: a file name without NUL bytes`);
    return value;
  });
}

function hexRule(what: string) {
  return rule((value): string | Refusal => {
    if (value === undefined) return new Refusal(`${REQUIRED}: ${what}`);
    if (typeof value === 'number') {
      return new Refusal(
        `${what} as a quoted hex string such as "0xFFFF", got the number ${value}: quote it (YAML reads 0xFFFF as 65535)`,
      );
    }
    if (typeof value !== 'string' || !/^0x[0-9A-Fa-f]{1,4}$/.test(value)) {
      return new Refusal(`${what} as a hex string "0x0000"-"0xFFFF", got ${describeValue(value)}`);
    }
    return `0x${value.slice(2).toUpperCase().padStart(4, '0')}`;
  });
}

/** Parameter names of each sub-command, for messages about unknown keys. */
function strict<S extends z.core.$ZodLooseShape>(shape: S, what: string) {
  const known = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown key (${what} takes: ${known})`
        : `${what} (an object of ${known}), got ${describeValue(issue.input)}`,
  });
}

const HOST = /^[A-Za-z0-9._:[\]-]+$/;

const broker = strict(
  {
    host: rule((value): string | Refusal => {
      if (value === undefined) return new Refusal(`${REQUIRED}: the broker's host name or IP address (AT+QMTOPEN)`);
      if (typeof value !== 'string' || !HOST.test(value) || value.length > 100) {
        return new Refusal(`a host name or IP address of at most 100 bytes (AT+QMTOPEN), got ${describeValue(value)}`);
      }
      return value;
    }),
    port: intRule({ min: 1, max: 65535 }),
  },
  'broker',
);

function mqttParamRule(sub: MqttSubCommand, index: number) {
  const param = sub.params[index];
  if (param === undefined) throw new RangeError(`${sub.name}: no parameter ${index}`);
  return param.kind === 'int'
    ? intRule(param)
    : templateRule(`${param.name}: ${param.minBytes}-${param.maxBytes} bytes`);
}

function mqttSubRule(sub: MqttSubCommand) {
  const first = sub.params[0];
  if (sub.params.length === 1 && first !== undefined) return mqttParamRule(sub, 0);
  const shape: Record<string, z.ZodType> = {};
  sub.params.forEach((param, i) => {
    shape[param.name] = mqttParamRule(sub, i).optional();
  });
  return strict(shape, `"${sub.name}"`);
}

function sectionElsewhere(message: string) {
  return rule((): Refusal => new Refusal(message));
}

const mqttShape: Record<string, z.ZodType> = {};
for (const sub of MQTT_SUBCOMMANDS) mqttShape[sub.name] = mqttSubRule(sub).optional();
mqttShape.ssl = sectionElsewhere('set by the profile\'s "ssl" section (AT+QMTCFG="ssl",client,1,ctx)').optional();
mqttShape.aliauth = sectionElsewhere(
  'set by "auth": { "mode": "aliauth", ... } with the unit\'s own credentials',
).optional();
mqttShape.onenet = sectionElsewhere(
  'set by "auth": { "mode": "onenet", ... } with the unit\'s own credentials',
).optional();
const mqtt = z.strictObject(mqttShape, {
  error: (issue) =>
    issue.code === 'unrecognized_keys'
      ? `not an AT+QMTCFG sub-command (the mqtt section takes: ${MQTT_SUBCOMMANDS.map((s) => s.name).join(', ')})`
      : `an object of AT+QMTCFG sub-commands, got ${describeValue(issue.input)}`,
});

function sslParamRule(parameter: SslParameter) {
  return parameter.param.kind === 'int' ? intRule(parameter.param) : hexRule('a TLS cipher suite code');
}

const sslShape: Record<string, z.ZodType> = {
  ctx: intRule({ min: 0, max: 5 }),
  cacert: fileRule('the CA certificate (PEM)').optional(),
  clientcert: fileRule("the client's certificate (PEM)").optional(),
  clientkey: fileRule("the client's private key (PEM, not encrypted)").optional(),
};
for (const parameter of SSL_PARAMETERS) sslShape[parameter.name] = sslParamRule(parameter).optional();
const ssl = strict(sslShape, 'ssl');

const clientId = templateRule('the MQTT client id (AT+QMTCONN <clientID>)').optional();

const modes = 'none, password, aliauth or onenet';

const auth = z.discriminatedUnion(
  'mode',
  [
    strict({ mode: z.literal('none'), client_id: clientId }, 'auth (mode none)'),
    strict(
      {
        mode: z.literal('password'),
        client_id: clientId,
        username: templateRule('the user name (AT+QMTCONN <username>)').optional(),
        password: templateRule('the password template (AT+QMTCONN <password>)', { secret: true }).optional(),
      },
      'auth (mode password)',
    ),
    strict(
      {
        mode: z.literal('aliauth'),
        client_id: clientId,
        product_key: templateRule('the product key issued by Alibaba Cloud').optional(),
        device_name: templateRule('the device name issued by Alibaba Cloud').optional(),
        device_secret: templateRule('the device secret template', { secret: true }).optional(),
      },
      'auth (mode aliauth)',
    ),
    strict(
      {
        mode: z.literal('onenet'),
        product_id: templateRule('the product id of the OneNET platform').optional(),
        access_key: templateRule('the access key template', { secret: true }).optional(),
        device_name: templateRule('the device name (the MQTT client id on OneNET)').optional(),
      },
      'auth (mode onenet)',
    ),
  ],
  {
    error: (issue) => {
      // Typed as invalid_union only, but a value that is not an object arrives here as invalid_type.
      const code: string = issue.code;
      const input = issue.input;
      const mode = typeof input === 'object' && input !== null && 'mode' in input ? input.mode : undefined;
      if (code === 'invalid_union')
        return mode === undefined ? `required: ${modes}` : `${modes}, got ${describeValue(mode)}`;
      return `an object with "mode" (${modes}), got ${describeValue(input)}`;
    },
  },
);

const URL_SCHEMES = ['mqtt:', 'mqtts:', 'tcp:', 'tls:', 'ws:', 'wss:'];

const observer = strict(
  {
    url: rule((value): string | Refusal => {
      const what = `a broker URL (${URL_SCHEMES.map((s) => `${s}//`).join(', ')})`;
      if (typeof value !== 'string') return new Refusal(`${what}, got ${describeValue(value)}`);
      let parsed: URL;
      try {
        parsed = new URL(value);
      } catch {
        return new Refusal(`${what}, got ${describeValue(value)}`);
      }
      if (!URL_SCHEMES.includes(parsed.protocol)) return new Refusal(`${what}, got ${describeValue(value)}`);
      if (parsed.password !== '' || parsed.username !== '') {
        return new Refusal('no user name or password in the URL: use "username" and "password_env"');
      }
      return value;
    }).optional(),
    host: broker.shape.host.optional(),
    port: intRule({ min: 1, max: 65535 }).optional(),
    tls: intRule({ min: 0, max: 1, meanings: { 0: 'plain TCP', 1: 'TLS' } }).optional(),
    ca: fileRule('the CA certificate the observer trusts (PEM)').optional(),
    cert: fileRule("the observer's client certificate (PEM)").optional(),
    key: fileRule("the observer's private key (PEM)").optional(),
    username: stringRule("the user name of the station's observer client").optional(),
    password_env: rule((value): string | Refusal => {
      if (typeof value !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(value)) {
        return new Refusal(`the name of an environment variable holding the password, got ${describeValue(value)}`);
      }
      return value;
    }).optional(),
    client_id: stringRule('the MQTT client id of the observer', { maxLength: 256 }).optional(),
  },
  'verify.observer',
);

const verify = strict(
  {
    topic: templateRule('the topic of the round trip (subscribed to, then published to)'),
    qos: intRule({ min: 0, max: 2, meanings: { 0: 'at most once', 1: 'at least once', 2: 'exactly once' } }),
    payload: templateRule('the payload template of the round trip').optional(),
    observer: observer.optional(),
    negative: strict(
      { cacert: fileRule("a CA certificate that did NOT sign the broker's certificate") },
      'verify.negative',
    ).optional(),
  },
  'verify',
);

const keys = ['format', 'name', 'description', 'client', 'broker', 'mqtt', 'ssl', 'auth', 'verify'];

export const profileSchema = z.strictObject(
  {
    format: rule((value): 1 | Refusal =>
      value === PROFILE_FORMAT
        ? PROFILE_FORMAT
        : new Refusal(
            value === undefined
              ? `${REQUIRED}: ${PROFILE_FORMAT} (the version of the profile format)`
              : `this station reads format ${PROFILE_FORMAT}, got ${describeValue(value)}`,
          ),
    ),
    name: stringRule('a name for the profile', { maxLength: 64 }),
    description: stringRule('a description', { minLength: 0, maxLength: 1000, lineBreaks: true }).optional(),
    client: intRule({ min: 0, max: 5 }).optional(),
    broker,
    mqtt: mqtt.optional(),
    ssl: ssl.optional(),
    auth,
    verify,
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown key (a profile takes: ${keys.join(', ')})`
        : `a profile is an object (key: value pairs), got ${describeValue(issue.input)}`,
  },
);

/** The document as written: every field checked, nothing defaulted yet. */
export type ProfileDocument = z.output<typeof profileSchema>;
export type SslDocument = Readonly<Partial<Record<SslValueParam, number | string>>> & {
  readonly ctx: number;
  readonly cacert?: string;
  readonly clientcert?: string;
  readonly clientkey?: string;
};

/** Turns zod's issues into the profile's: one per field, unknown keys each under their own path. */
export function profileIssues(error: z.ZodError): ProfileIssue[] {
  const out: ProfileIssue[] = [];
  for (const issue of error.issues) {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: path === '' ? key : `${path}.${key}`, message: issue.message });
    } else {
      out.push({ path: path === '' ? '(profile)' : path, message: issue.message });
    }
  }
  return out;
}
