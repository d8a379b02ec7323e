import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './hash';
import { ISSUE_EXAMPLE, issueExample, type Json } from './fixtures/profiles';
import type { Checked } from './issues';
import { checkProfileDocument, requiredColumns } from './normalise';
import type { Profile } from './profile';
import { MQTT_SUBCOMMANDS, SSL_PARAMETERS, type IntParam } from './settings';

/**
 * The profile schema and normalisation, without files: every field's rule, its message in the spec's words, the
 * spec's defaults, and the rules that tie fields together. Property tests put a wrong value in every field in turn.
 */

type Doc = { [key: string]: Json };

function errorsOf(result: Checked<Profile>): { path: string; message: string }[] {
  return result.ok ? [] : result.errors.map(({ path, message }) => ({ path, message }));
}

function valueOf(result: Checked<Profile>): Profile {
  if (!result.ok) throw new Error(`expected a valid profile: ${JSON.stringify(result.errors)}`);
  return result.value;
}

/** Sets (or with undefined, removes) the value at a dotted path of a deep copy. */
function withValue(doc: Doc, path: string, value: Json | undefined): Doc {
  const copy = structuredClone(doc);
  const keys = path.split('.');
  const last = keys.pop();
  let node: { [key: string]: Json } = copy;
  for (const key of keys) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next))
      throw new Error(`${path}: no object at ${key}`);
    node = next;
  }
  if (last === undefined) throw new Error('empty path');
  if (value === undefined) Reflect.deleteProperty(node, last);
  else node[last] = value;
  return copy;
}

/** Every key path of a document (objects and leaves alike), with whether it holds an object. */
function pathsOf(doc: Json, prefix = ''): { path: string; object: boolean }[] {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return [];
  return Object.entries(doc).flatMap(([key, value]) => {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    const object = typeof value === 'object' && value !== null && !Array.isArray(value);
    return [{ path, object }, ...pathsOf(value, path)];
  });
}

/** A profile that uses nearly every key the format has (the others are in RICH_ALIAUTH). */
const RICH: Doc = {
  format: 1,
  name: 'rich',
  description: 'every key',
  client: 3,
  broker: { host: 'broker.example.com', port: 8883 },
  mqtt: {
    version: 4,
    pdpcid: 2,
    keepalive: 90,
    session: 1,
    timeout: { pkt_timeout: 10, retry_times: 5, timeout_notice: 1 },
    will: { will_fg: 1, will_qos: 1, will_retain: 1, willtopic: 'fleet/{imei}/gone', willmessage: 'offline' },
    'recv/mode': { msg_recv_mode: 1, msg_len_enable: 1 },
    qmtping: 30,
    'send/mode': 0,
    dataformat: { send_mode: 0, recv_mode: 0 },
    'view/mode': 1,
    'edit/timeout': { enable_timeout: 1, edit_timeout: 20 },
  },
  ssl: {
    ctx: 4,
    cacert: 'certs/ca.pem',
    clientcert: 'certs/client.pem',
    clientkey: 'certs/client.key',
    seclevel: 2,
    sslversion: 3,
    ciphersuite: '0xC02F',
    ignorelocaltime: 0,
    sni: 1,
    negotiatetime: 120,
    ignoreinvalidcertsign: 0,
    ignoremulticertchainverify: 0,
  },
  auth: { mode: 'password', client_id: 'dev-{imei}', username: '{imei}', password: '{password}' },
  verify: {
    topic: 'fleet/{imei}/selftest',
    qos: 2,
    payload: 'hello {imei} {run_id} {nonce}',
    observer: {
      host: 'broker.example.com',
      port: 8883,
      tls: 1,
      ca: 'certs/ca.pem',
      cert: 'certs/observer.pem',
      key: 'certs/observer.key',
      username: 'station',
      password_env: 'OBSERVER_PASSWORD',
      client_id: 'station-observer',
    },
    negative: { cacert: 'certs/other-ca.pem' },
  },
};

const RICH_ALIAUTH: Doc = {
  format: 1,
  name: 'rich-aliauth',
  broker: { host: 'a1b2c3.iot-as-mqtt.cn-shanghai.aliyuncs.com', port: 1883 },
  mqtt: {
    willex: { will_fg: 1, will_qos: 2, will_retain: 0, willtopic: 'gone', willmessage: 'offline "now"' },
  },
  auth: {
    mode: 'aliauth',
    client_id: '{device_name}',
    product_key: 'a1b2c3',
    device_name: '{device_name}',
    device_secret: '{device_secret}',
  },
  verify: { topic: '/a1b2c3/{device_name}/user/selftest', qos: 0, observer: { url: 'mqtt://127.0.0.1:1883' } },
};

const RICH_ONENET: Doc = {
  format: 1,
  name: 'rich-onenet',
  broker: { host: 'mqtts.heclouds.com', port: 1883 },
  auth: { mode: 'onenet', product_id: '123456', access_key: '{access_key}', device_name: '{device_name}' },
  verify: { topic: '$sys/123456/{device_name}/thing/property/post', qos: 1 },
};

describe('the profile document', () => {
  it("accepts issue 9's example unchanged, and applies the spec's defaults", () => {
    const profile = valueOf(checkProfileDocument(JSON.parse(ISSUE_EXAMPLE)));
    expect(profile.mqtt).toEqual({
      version: 4,
      pdpcid: 1,
      keepalive: 60,
      session: 1,
      timeout: { pkt_timeout: 5, retry_times: 3, timeout_notice: 0 },
      will: { will_fg: 0 },
      'recv/mode': { msg_recv_mode: 0, msg_len_enable: 1 },
      qmtping: 5,
      'send/mode': 0,
      dataformat: { send_mode: 0, recv_mode: 0 },
      'view/mode': 0,
      'edit/timeout': { enable_timeout: 0 },
    });
    expect(profile.ssl).toEqual({
      ctx: 2,
      cacert: 'certs/ca.pem',
      clientcert: 'certs/client.pem',
      clientkey: 'certs/client.key',
      seclevel: 2,
      sslversion: 4,
      ciphersuite: '0xFFFF',
      ignorelocaltime: 1,
      sni: 0,
    });
    expect(profile.verify).toEqual({
      topic: 'fleet/{imei}/selftest',
      qos: 1,
      payload: 'fleet-station selftest {imei} {run_id} {nonce}',
    });
    expect(requiredColumns(profile)).toEqual(['password']);
  });

  it('never needs the defaults repeated: a profile that spells them out normalises to the same object', () => {
    const bare = valueOf(
      checkProfileDocument({
        format: 1,
        name: 'n',
        broker: { host: 'h', port: 1 },
        auth: { mode: 'none' },
        verify: { topic: 't', qos: 0 },
      }),
    );
    const spelled = valueOf(
      checkProfileDocument({
        format: 1,
        name: 'n',
        client: 0,
        broker: { host: 'h', port: 1 },
        mqtt: {
          version: 3,
          pdpcid: 1,
          keepalive: 120,
          session: 0,
          timeout: { pkt_timeout: 5, retry_times: 3, timeout_notice: 0 },
          will: { will_fg: 0 },
          qmtping: 5,
        },
        auth: { mode: 'none', client_id: '{imei}' },
        verify: { topic: 't', qos: 0, payload: 'fleet-station selftest {imei} {run_id} {nonce}' },
      }),
    );
    expect(canonicalJson(spelled)).toBe(canonicalJson(bare));
  });

  it('reads YAML and JSON alike: the same profile in YAML normalises to the same canonical JSON', () => {
    const yaml = `# line A, mutual TLS
format: 1
name: line-a-mtls
client: 0
broker: {host: broker.example.com, port: 8883}
mqtt:
  version: 4
  keepalive: 60
  session: 1
  timeout: {pkt_timeout: 5, retry_times: 3, timeout_notice: 0}
  recv/mode: {msg_recv_mode: 0, msg_len_enable: 1}
ssl:
  ctx: 2
  cacert: certs/ca.pem
  clientcert: certs/client.pem
  clientkey: certs/client.key
  seclevel: 2
  sslversion: 4
  ciphersuite: "0xFFFF"
  ignorelocaltime: 1
auth: {mode: password, client_id: "{imei}", username: "{imei}", password: "{password}"}
verify: {topic: "fleet/{imei}/selftest", qos: 1}
`;
    const fromYaml = valueOf(checkProfileDocument(parseYaml(yaml)));
    const fromJson = valueOf(checkProfileDocument(JSON.parse(ISSUE_EXAMPLE)));
    expect(canonicalJson(fromYaml)).toBe(canonicalJson(fromJson));
  });

  it('accepts the rich profiles that use every key', () => {
    for (const doc of [RICH, RICH_ALIAUTH, RICH_ONENET]) valueOf(checkProfileDocument(doc));
  });

  it("says the rule in the spec's words", () => {
    const cases: [string, Json, string][] = [
      ['mqtt.keepalive', 7200, '0-3600 s, got 7200'],
      ['mqtt.version', 5, '3 (MQTT 3.1) or 4 (MQTT 3.1.1), got 5'],
      ['mqtt.qmtping', 4, '5-60 s, got 4'],
      ['mqtt.pdpcid', 8, '1-7, got 8'],
      ['mqtt.timeout.pkt_timeout', 61, '1-60 s, got 61'],
      ['mqtt.timeout.retry_times', 11, '0-10, got 11'],
      [
        'mqtt.session',
        true,
        '0 (the server stores the subscriptions after a disconnect) or 1 (clean session), got true (write 0 or 1, as the spec does)',
      ],
      ['mqtt.keepalive', '60', '0-3600 s, got "60" (a string: write the number without quotes)'],
      ['client', 6, '0-5, got 6'],
      ['broker.port', 0, '1-65535, got 0'],
      ['ssl.ctx', 6, '0-5, got 6'],
      [
        'ssl.seclevel',
        3,
        '0 (no authentication), 1 (server authentication) or 2 (server and client authentication), got 3',
      ],
      ['ssl.negotiatetime', 5, '10-300 s, got 5'],
      [
        'ssl.ciphersuite',
        65535,
        'a TLS cipher suite code as a quoted hex string such as "0xFFFF", got the number 65535: quote it (YAML reads 0xFFFF as 65535)',
      ],
      ['verify.qos', 3, '0 (at most once), 1 (at least once) or 2 (exactly once), got 3'],
      ['format', 2, 'this station reads format 1, got 2'],
      ['name', 'line\r\nA', 'a name for the profile, without control characters'],
    ];
    for (const [path, value, message] of cases) {
      expect(errorsOf(checkProfileDocument(withValue(issueExample(), path, value)))).toEqual([{ path, message }]);
    }
  });

  it('demands strings where YAML would lose digits, and says why', () => {
    // What YAML makes of an unquoted 19-digit product id.
    const unquoted: unknown = parseYaml('product_id: 8944500000000000001');
    const lossy = (unquoted as { product_id: number }).product_id;
    const onenet = withValue(RICH_ONENET, 'auth.product_id', lossy);
    expect(errorsOf(checkProfileDocument(onenet))).toEqual([
      {
        path: 'auth.product_id',
        message: expect.stringMatching(
          /got the number 8944500000000000000: quote it: YAML and JSON read unquoted digits as a number/,
        ) as unknown,
      },
    ]);
    const imei = withValue(issueExample(), 'auth.client_id', 861234567890123);
    expect(errorsOf(checkProfileDocument(imei))[0]?.message).toMatch(/got the number 861234567890123: quote it/);
    expect(errorsOf(checkProfileDocument(parseYaml('format: 1\nname: 0861\n')))).toContainEqual({
      path: 'name',
      message: expect.stringMatching(/got the number 861: quote it/) as unknown,
    });
  });

  it('refuses unknown keys with the keys it takes, at every level', () => {
    expect(errorsOf(checkProfileDocument(withValue(issueExample(), 'mqtt.keepalive_time', 60)))).toEqual([
      {
        path: 'mqtt.keepalive_time',
        message: expect.stringMatching(
          /^not an AT\+QMTCFG sub-command \(the mqtt section takes: version, pdpcid, keepalive/,
        ) as unknown,
      },
    ]);
    expect(errorsOf(checkProfileDocument(withValue(issueExample(), 'mqtt.timeout.retry', 3)))).toEqual([
      {
        path: 'mqtt.timeout.retry',
        message: 'unknown key ("timeout" takes: pkt_timeout, retry_times, timeout_notice)',
      },
    ]);
    expect(errorsOf(checkProfileDocument(withValue(issueExample(), 'mqtt.ssl', 1)))).toEqual([
      { path: 'mqtt.ssl', message: 'set by the profile\'s "ssl" section (AT+QMTCFG="ssl",client,1,ctx)' },
    ]);
  });

  it('keeps a literal secret out of the profile, and out of every message', () => {
    const literal = withValue(issueExample(), 'auth.password', 'hunter2-secret');
    const errors = errorsOf(checkProfileDocument(literal));
    expect(errors).toEqual([
      {
        path: 'auth.password',
        message: expect.stringMatching(/^must come from a secret manifest column such as \{password\}/) as unknown,
      },
    ]);
    expect(JSON.stringify(errors)).not.toContain('hunter2');
    const numeric = withValue(issueExample(), 'auth.password', 987654321);
    expect(JSON.stringify(errorsOf(checkProfileDocument(numeric)))).not.toContain('987654321');
    const identity = withValue(issueExample(), 'auth.password', '{imei}');
    expect(errorsOf(checkProfileDocument(identity))[0]?.path).toBe('auth.password');
  });

  it('keeps secret columns out of texts that are logged', () => {
    for (const path of ['auth.username', 'auth.client_id', 'verify.topic', 'verify.payload']) {
      const doc = withValue(
        issueExample(),
        path,
        path === 'verify.payload' ? '{nonce}{device_secret}' : 'x{device_secret}',
      );
      expect(errorsOf(checkProfileDocument(doc))).toContainEqual({
        path,
        message:
          '{device_secret} is a secret column (its name says so): here it would show in transcripts, logs and reports',
      });
    }
  });

  it('checks placeholders against the manifest columns when they are known', () => {
    const doc = withValue(issueExample(), 'auth.username', '{user_name}');
    expect(checkProfileDocument(doc).ok).toBe(true);
    expect(errorsOf(checkProfileDocument(doc, { columns: ['credential_id', 'imei', 'password'] }))).toEqual([
      {
        path: 'auth.username',
        message:
          '{user_name} is neither {imei}, {iccid}, {imsi} nor a manifest column (columns: credential_id, imei, password)',
      },
    ]);
    expect(errorsOf(checkProfileDocument(issueExample(), { columns: ['imei'] }))).toEqual([
      { path: 'auth.password', message: expect.stringMatching(/^\{password\} is neither/) as unknown },
    ]);
  });

  it('refuses literal text that no AT command could carry', () => {
    const cases: [string, string, string][] = [
      ['auth.username', 'a"b', 'must not contain a double quote'],
      ['auth.client_id', 'dev\r\nAT+CFUN=0', 'must not contain control characters (found 0x0d)'],
      ['verify.topic', 'fleet/+/x', 'must be a topic without wildcards (+ or #)'],
      ['verify.topic', 'x'.repeat(257), 'must be at most 256 bytes, got 257'],
      ['auth.client_id', '{imei', 'a "{" without its "}" at character 1 (write "{{" for a literal brace)'],
      ['verify.payload', '{nonce}{run_id', 'a "{" without its "}" at character 8 (write "{{" for a literal brace)'],
      ['verify.topic', 'a/{run-id}/}', 'a "}" without its "{" at character 12 (write "}}" for a literal brace)'],
      [
        'auth.username',
        '{1abc}',
        '{1abc} is not a placeholder name (letters, digits, "_", "." or "-", starting with a letter)',
      ],
    ];
    for (const [path, value, message] of cases) {
      expect(errorsOf(checkProfileDocument(withValue(issueExample(), path, value)))).toContainEqual({ path, message });
    }
  });

  it('allows {run_id} and {nonce} in the verify message only, and demands {nonce} in its payload', () => {
    expect(errorsOf(checkProfileDocument(withValue(issueExample(), 'auth.username', '{nonce}')))).toEqual([
      {
        path: 'auth.username',
        message: '{nonce} belongs to one run of one unit: only verify.topic and verify.payload may use it',
      },
    ]);
    expect(errorsOf(checkProfileDocument(withValue(issueExample(), 'verify.payload', 'hello {imei}')))).toEqual([
      {
        path: 'verify.payload',
        message: "must contain {nonce}, so the message that comes back is this run's and no other",
      },
    ]);
  });

  it('writes the Will once: will or willex, with their parameters only when will_fg is 1', () => {
    const both = withValue(withValue(issueExample(), 'mqtt.will', { will_fg: 0 }), 'mqtt.willex', { will_fg: 0 });
    expect(errorsOf(checkProfileDocument(both))).toEqual([
      {
        path: 'mqtt.willex',
        message: 'will and willex both set the Will (AT+QMTCFG="will" / "willex"): give one of them',
      },
    ]);
    expect(errorsOf(checkProfileDocument(withValue(issueExample(), 'mqtt.will', { will_fg: 1 })))).toEqual([
      { path: 'mqtt.will.willtopic', message: 'required with will_fg 1: 1-256 bytes' },
      { path: 'mqtt.will.willmessage', message: 'required with will_fg 1: 0-256 bytes' },
    ]);
    expect(errorsOf(checkProfileDocument(withValue(issueExample(), 'mqtt.will', { will_fg: 0, will_qos: 1 })))).toEqual(
      [{ path: 'mqtt.will.will_qos', message: 'only with will_fg 1 (the spec omits it otherwise)' }],
    );
    const willex = valueOf(checkProfileDocument(RICH_ALIAUTH));
    expect(willex.mqtt.will).toBeUndefined();
    expect(willex.mqtt.willex).toEqual({
      will_fg: 1,
      will_qos: 2,
      will_retain: 0,
      willtopic: 'gone',
      willmessage: 'offline "now"',
    });
    expect(
      errorsOf(checkProfileDocument(withValue(issueExample(), 'mqtt.edit/timeout', { enable_timeout: 1 }))),
    ).toEqual([{ path: 'mqtt.edit/timeout.edit_timeout', message: 'required with enable_timeout 1: 1-180 s' }]);
  });

  it('keeps send/mode and dataformat (one sending format) consistent', () => {
    const conflict = withValue(withValue(issueExample(), 'mqtt.send/mode', 1), 'mqtt.dataformat', { send_mode: 0 });
    expect(errorsOf(checkProfileDocument(conflict))).toEqual([
      {
        path: 'mqtt.dataformat.send_mode',
        message: "differs from mqtt.send/mode: both set the module's one sending format (0 string, 1 hex)",
      },
    ]);
    const send = valueOf(checkProfileDocument(withValue(issueExample(), 'mqtt.send/mode', 1)));
    expect(send.mqtt.dataformat).toEqual({ send_mode: 1, recv_mode: 0 });
    const format = valueOf(
      checkProfileDocument(withValue(issueExample(), 'mqtt.dataformat', { send_mode: 1, recv_mode: 1 })),
    );
    expect(format.mqtt['send/mode']).toBe(1);
  });

  it('ties the certificate files to the security level, and the negative check to a checked CA', () => {
    const noClient = withValue(withValue(issueExample(), 'ssl.seclevel', 1), 'ssl.clientkey', undefined);
    expect(errorsOf(checkProfileDocument(noClient))).toEqual([
      {
        path: 'ssl.clientcert',
        message: 'seclevel 1 (server authentication) does not use it: set seclevel 2, or remove it',
      },
    ]);
    const keyOnly = withValue(issueExample(), 'ssl.clientcert', undefined);
    expect(errorsOf(checkProfileDocument(keyOnly))).toEqual([
      { path: 'ssl.clientcert', message: "required with ssl.clientkey: the client's certificate and key go together" },
    ]);
    const perUnit = withValue(withValue(issueExample(), 'ssl.clientcert', undefined), 'ssl.clientkey', undefined);
    expect(requiredColumns(valueOf(checkProfileDocument(perUnit)))).toEqual(['clientcert', 'clientkey', 'password']);
    expect(errorsOf(checkProfileDocument(perUnit, { columns: ['password', 'clientcert'] }))).toEqual([
      {
        path: 'ssl.clientkey',
        message:
          'seclevel 2 (server and client authentication) needs it: name the file here, or give the manifest a "clientkey" column (one file per unit)',
      },
    ]);
    const plain = withValue(withValue(issueExample(), 'ssl', undefined), 'verify.negative', { cacert: 'x.pem' });
    expect(errorsOf(checkProfileDocument(plain))).toEqual([
      {
        path: 'verify.negative',
        message: 'needs an "ssl" section with seclevel 1 or 2: only then does the module check the CA',
      },
    ]);
  });

  it('fills the auth and observer defaults', () => {
    const aliauth = valueOf(checkProfileDocument({ ...RICH_ALIAUTH, auth: { mode: 'aliauth' } }));
    expect(aliauth.auth).toEqual({
      mode: 'aliauth',
      client_id: '{device_name}',
      product_key: '{product_key}',
      device_name: '{device_name}',
      device_secret: '{device_secret}',
    });
    expect(requiredColumns(aliauth)).toEqual(['device_name', 'device_secret', 'product_key']);
    const rich = valueOf(checkProfileDocument(RICH));
    expect(rich.verify.observer).toEqual({
      url: 'mqtts://broker.example.com:8883',
      ca: 'certs/ca.pem',
      cert: 'certs/observer.pem',
      key: 'certs/observer.key',
      username: 'station',
      password_env: 'OBSERVER_PASSWORD',
      client_id: 'station-observer',
    });
    const plain = valueOf(checkProfileDocument(withValue(issueExample(), 'verify.observer', {})));
    expect(plain.verify.observer).toEqual({ url: 'mqtts://broker.example.com:8883' });
  });
});

/** Values that are wrong for any field of the given kind (numbers: below every minimum or above every maximum). */
function wrongValues(sample: Json): fc.Arbitrary<Json> {
  const shapes: fc.Arbitrary<Json> = fc.constantFrom<Json>(null, [], [1], true, false);
  if (typeof sample === 'number') {
    return fc.oneof(
      shapes,
      fc.constantFrom<Json>({}, '5', 'x'),
      fc.integer({ min: -1_000_000, max: -1 }),
      fc.integer({ min: 70_000, max: 10_000_000 }),
      fc.double({ min: 0.01, max: 0.99, noNaN: true }),
    );
  }
  if (typeof sample === 'string') return fc.oneof(shapes, fc.constantFrom<Json>({}, { a: 1 }), fc.integer());
  return fc.oneof(shapes, fc.constantFrom<Json>('x', 0, 7));
}

describe('every field wrong in turn (property)', () => {
  const documents = [RICH, RICH_ALIAUTH, RICH_ONENET, issueExample()];

  it('names the field it is about, for any wrong value in any field', () => {
    const cases = documents.flatMap((doc) => pathsOf(doc).map(({ path }) => ({ doc, path })));
    fc.assert(
      fc.property(
        fc.constantFrom(...cases).chain(({ doc, path }) => {
          const sample = path
            .split('.')
            .reduce<Json>((node, key) => (node as { [key: string]: Json })[key] ?? null, doc);
          return fc.tuple(fc.constant(doc), fc.constant(path), wrongValues(sample));
        }),
        ([doc, path, value]) => {
          const result = checkProfileDocument(withValue(doc, path, value));
          expect(result.ok).toBe(false);
          expect(errorsOf(result).map((issue) => issue.path)).toContain(path);
        },
      ),
      { numRuns: 600 },
    );
  });

  it('names an unknown key wherever it is added', () => {
    const objects = documents.flatMap((doc) =>
      [{ path: '', object: true }, ...pathsOf(doc)].filter((entry) => entry.object).map(({ path }) => ({ doc, path })),
    );
    fc.assert(
      fc.property(fc.constantFrom(...objects), fc.stringMatching(/^[a-z][a-z_]{0,10}x$/), ({ doc, path }, key) => {
        const target = path === '' ? key : `${path}.${key}`;
        const result = checkProfileDocument(withValue(doc, target, 1));
        expect(errorsOf(result).map((issue) => issue.path)).toContain(target);
      }),
      { numRuns: 200 },
    );
  });

  it('names a required field when it is missing', () => {
    for (const path of [
      'format',
      'name',
      'broker',
      'broker.host',
      'broker.port',
      'auth',
      'auth.mode',
      'verify',
      'verify.topic',
      'verify.qos',
      'ssl.ctx',
    ]) {
      const errors = errorsOf(checkProfileDocument(withValue(issueExample(), path, undefined)));
      expect(errors.map((issue) => issue.path)).toContain(path);
    }
  });

  it('accepts every value in range and refuses every value outside, for every integer parameter', () => {
    const params = [
      ...MQTT_SUBCOMMANDS.flatMap((sub) =>
        sub.params
          .filter(
            (p): p is IntParam =>
              p.kind === 'int' && p.name !== sub.gatedBy && (sub.gatedBy === undefined || sub.name === 'edit/timeout'),
          )
          .map((p) => ({
            ...p,
            sub: sub.name,
            path: sub.params.length === 1 ? `mqtt.${sub.name}` : `mqtt.${sub.name}.${p.name}`,
          })),
      ),
      ...SSL_PARAMETERS.flatMap(({ name, param }) =>
        param.kind === 'int' ? [{ ...param, sub: undefined, path: `ssl.${name}` }] : [],
      ),
    ];
    fc.assert(
      fc.property(fc.constantFrom(...params), fc.integer({ min: -100, max: 5000 }), (param, value) => {
        let doc = issueExample();
        const mqtt = doc.mqtt as { [key: string]: Json };
        // A parameter of a sub-command the example does not set gets its object (edit_timeout with its flag on).
        if (param.sub === 'edit/timeout')
          doc = withValue(doc, 'mqtt.edit/timeout', { enable_timeout: 1, edit_timeout: 10 });
        else if (param.sub !== undefined && param.path !== `mqtt.${param.sub}` && mqtt[param.sub] === undefined) {
          doc = withValue(doc, `mqtt.${param.sub}`, {});
        }
        // The security level decides which files the ssl section may name.
        if (param.path === 'ssl.seclevel' && value === 1) {
          doc = withValue(withValue(doc, 'ssl.clientcert', undefined), 'ssl.clientkey', undefined);
        }
        if (param.path === 'ssl.seclevel' && value === 0) doc = withValue(doc, 'ssl', { ctx: 2 });
        const result = checkProfileDocument(withValue(doc, param.path, value));
        const inRange = value >= param.min && value <= param.max;
        expect(result.ok).toBe(inRange);
        if (!inRange) {
          expect(errorsOf(result)).toEqual([
            { path: param.path, message: expect.stringMatching(new RegExp(`, got ${value}$`)) as unknown },
          ]);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
