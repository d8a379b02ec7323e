import fc from 'fast-check';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qfupl, qfuplChecksum, qmtcfg, qmtconn, qsslcfg } from '../at/commands';
import { generateCertificates, type TestCertificates } from '../testing/certs';
import { compilePlan, type ProvisioningPlan, type UnitValues } from './compile';
import { ISSUE_EXAMPLE, issueExample, writeIn, type Json } from './fixtures/profiles';
import type { Checked } from './issues';
import { loadProfile, type LoadedProfile } from './load';
import { loadUnitFiles } from './unit-files';

/**
 * The compiler: a loaded profile and one unit's values in, the plan of that unit out, every AT line it implies
 * built by the command library. Pure, so it is checked by value.
 */

let dir: string;
let certs: TestCertificates;
let example: LoadedProfile;

const unit: UnitValues = {
  imei: '861234567890128',
  iccid: '89860012345678901234',
  imsi: '460001234567890',
  row: { credential_id: 'c-1', password: 's3cret-pass' },
  runId: 'run-7',
  nonce: 'n0nce',
};

async function load(name: string, profile: Json): Promise<LoadedProfile> {
  const result = await loadProfile(await writeIn(dir, name, profile));
  if (!result.ok) throw new Error(`${name}: ${JSON.stringify(result.errors)}`);
  return result.profile;
}

function planOf(result: Checked<ProvisioningPlan>): ProvisioningPlan {
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.value;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleet-compile-'));
  certs = await generateCertificates(await mkdtemp(join(dir, 'pki-')));
  await writeIn(dir, 'certs/ca.pem', certs.caPem.pem);
  await writeIn(dir, 'certs/client.pem', certs.clientCert.pem);
  await writeIn(dir, 'certs/client.key', certs.clientKey.pem);
  await writeIn(dir, 'certs/other-ca.pem', certs.otherCa.pem);
  await writeIn(dir, 'units/wrong.pem', certs.wrongClientCert.pem);
  await writeIn(dir, 'units/wrong.key', certs.wrongClientKey.pem);
  const result = await loadProfile(await writeIn(dir, 'line-a.json', ISSUE_EXAMPLE));
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  example = result.profile;
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('compilePlan', () => {
  it("turns issue 9's example into the spec's AT lines, in order", () => {
    const plan = planOf(compilePlan(example, unit));
    expect(plan.uploads.map(({ role, ufsName, source, secret }) => ({ role, ufsName, source, secret }))).toEqual([
      { role: 'ssl.cacert', ufsName: 'ctx2_cacert.pem', source: 'certs/ca.pem', secret: false },
      { role: 'ssl.clientcert', ufsName: 'ctx2_clientcert.pem', source: 'certs/client.pem', secret: false },
      { role: 'ssl.clientkey', ufsName: 'ctx2_clientkey.pem', source: 'certs/client.key', secret: true },
    ]);
    for (const upload of plan.uploads) {
      expect(upload.checksum).toBe(qfuplChecksum(upload.bytes));
      expect(qfupl(upload.ufsName, upload.bytes).line).toBe(
        `AT+QFUPL="UFS:${upload.ufsName}",${upload.bytes.length},60`,
      );
    }
    expect(Buffer.from(plan.uploads[0]?.bytes ?? []).toString()).toBe(certs.caPem.pem);
    const ctx = plan.ssl?.contextId ?? -1;
    expect(plan.ssl?.settings.map((setting) => qsslcfg(ctx, setting).line)).toEqual([
      'AT+QSSLCFG="cacert",2,"UFS:ctx2_cacert.pem"',
      'AT+QSSLCFG="clientcert",2,"UFS:ctx2_clientcert.pem"',
      'AT+QSSLCFG="clientkey",2,"UFS:ctx2_clientkey.pem"',
      'AT+QSSLCFG="seclevel",2,2',
      'AT+QSSLCFG="sslversion",2,4',
      'AT+QSSLCFG="ciphersuite",2,0xFFFF',
      'AT+QSSLCFG="ignorelocaltime",2,1',
      'AT+QSSLCFG="sni",2,0',
    ]);
    expect(plan.mqtt.map((setting) => qmtcfg(plan.clientIdx, setting).line)).toEqual([
      'AT+QMTCFG="version",0,4',
      'AT+QMTCFG="pdpcid",0,1',
      'AT+QMTCFG="ssl",0,1,2',
      'AT+QMTCFG="keepalive",0,60',
      'AT+QMTCFG="session",0,1',
      'AT+QMTCFG="timeout",0,5,3,0',
      'AT+QMTCFG="will",0,0',
      'AT+QMTCFG="recv/mode",0,0,1',
      'AT+QMTCFG="qmtping",0,5',
      'AT+QMTCFG="send/mode",0,0',
      'AT+QMTCFG="dataformat",0,0,0',
      'AT+QMTCFG="view/mode",0,0',
      'AT+QMTCFG="edit/timeout",0,0',
    ]);
    expect(plan.open).toEqual({ host: 'broker.example.com', port: 8883 });
    expect(plan.connect).toEqual({ clientId: unit.imei, username: unit.imei, password: 's3cret-pass', pktTimeoutS: 5 });
    const conn = qmtconn(plan.clientIdx, plan.connect.clientId, plan.connect);
    expect(conn.redacted).toBe(`AT+QMTCONN=0,"${unit.imei}","${unit.imei}","***"`);
    expect(plan.verify).toEqual({
      topic: `fleet/${unit.imei}/selftest`,
      qos: 1,
      payload: `fleet-station selftest ${unit.imei} run-7 n0nce`,
      receive: { mode: 0, lengthIncluded: true },
      dataFormat: { send: 0, recv: 0 },
      delivery: { pktTimeoutS: 5, retryTimes: 3 },
    });
    expect(plan.secrets).toEqual(['s3cret-pass']);
    expect(plan.profileHash).toBe(example.hash);
    expect(plan.profileName).toBe('line-a-mtls');
  });

  it('is pure: the same inputs give the same plan, and the inputs are left as they were', () => {
    const before = structuredClone(example.profile);
    expect(compilePlan(example, unit)).toEqual(compilePlan(example, unit));
    expect(example.profile).toEqual(before);
  });

  it('writes "ssl" off without an ssl section, and no files', async () => {
    const plain = issueExample();
    delete plain.ssl;
    plain.broker = { host: 'broker.fleet.local', port: 1883 };
    const plan = planOf(compilePlan(await load('plain.json', plain), unit));
    expect(plan.uploads).toEqual([]);
    expect(plan.ssl).toBeUndefined();
    expect(plan.mqtt.map((setting) => qmtcfg(0, setting).line)).toContain('AT+QMTCFG="ssl",0,0');
  });

  it('has every +QMTRECV carry its length unless the profile says otherwise (issue 8 item 2)', async () => {
    const bare = issueExample();
    const mqtt = bare.mqtt as Record<string, Json>;
    delete mqtt['recv/mode'];
    const plan = planOf(compilePlan(await load('bare.json', bare), unit));
    expect(plan.mqtt.map((setting) => qmtcfg(0, setting).line)).toContain('AT+QMTCFG="recv/mode",0,0,1');
    expect(plan.verify.receive).toEqual({ mode: 0, lengthIncluded: true });
    mqtt['recv/mode'] = { msg_len_enable: 0 };
    const chosen = planOf(compilePlan(await load('chosen.json', bare), unit));
    expect(chosen.mqtt.map((setting) => qmtcfg(0, setting).line)).toContain('AT+QMTCFG="recv/mode",0,0,0');
    expect(chosen.verify.receive).toEqual({ mode: 0, lengthIncluded: false });
  });

  it("gives aliauth its triple from the unit's row, no user name or password to AT+QMTCONN, and masks secrets", async () => {
    const plan = planOf(
      compilePlan(
        await load('ali.json', {
          format: 1,
          name: 'ali',
          client: 1,
          broker: { host: 'a1b2c3.iot-as-mqtt.cn-shanghai.aliyuncs.com', port: 1883 },
          auth: { mode: 'aliauth' },
          verify: { topic: 'fleet/{device_name}/selftest', qos: 0 },
        }),
        { ...unit, row: { product_key: 'a1b2c3', device_name: 'dev-01', device_secret: 'wN9Y6pZSIly7' } },
      ),
    );
    const aliauth = plan.mqtt.find((setting) => setting.name === 'aliauth');
    expect(aliauth).toEqual({
      name: 'aliauth',
      productKey: 'a1b2c3',
      deviceName: 'dev-01',
      deviceSecret: 'wN9Y6pZSIly7',
    });
    if (aliauth === undefined) throw new Error('no aliauth');
    expect(qmtcfg(1, aliauth).redacted).toBe('AT+QMTCFG="aliauth",1,"a1b2c3","dev-01","***"');
    expect(plan.connect).toEqual({ clientId: 'dev-01', pktTimeoutS: 5 });
    // product_key ends in _key: a secret column by issue 9's rule, so its value is masked as well.
    expect([...plan.secrets].sort()).toEqual(['a1b2c3', 'wN9Y6pZSIly7']);
  }, 10_000);

  it('gives onenet its product id and access key, and the device name as the client id', async () => {
    const plan = planOf(
      compilePlan(
        await load('onenet.json', {
          format: 1,
          name: 'onenet',
          broker: { host: 'mqtts.heclouds.com', port: 1883 },
          auth: { mode: 'onenet', product_id: '123456' },
          verify: { topic: '$sys/123456/{device_name}/thing/property/post', qos: 1 },
        }),
        { ...unit, row: { device_name: 'meter-7', access_key: 'c2VjcmV0LWtleQ==' } },
      ),
    );
    expect(plan.mqtt.find((setting) => setting.name === 'onenet')).toEqual({
      name: 'onenet',
      productId: '123456',
      accessKey: 'c2VjcmV0LWtleQ==',
    });
    expect(plan.connect).toEqual({ clientId: 'meter-7', pktTimeoutS: 5 });
    expect(plan.secrets).toEqual(['c2VjcmV0LWtleQ==']);
  });

  it("refuses a unit's value that no AT command could carry, naming the field and never the value", () => {
    const cases: [Record<string, string>, string, string][] = [
      [{}, 'auth.password', '{password}: the unit\'s manifest row has no column "password"'],
      [{ password: '' }, 'auth.password', '{password}: the manifest column "password" is empty for this unit'],
      [
        { password: 'pa"ss' },
        'auth.password',
        'the value for this unit must not contain a double quote (it uses {password})',
      ],
      [
        { password: 'pa\r\nAT+CFUN=0' },
        'auth.password',
        'the value for this unit must not contain control characters (found 0x0d) (it uses {password})',
      ],
      [
        { password: 'x'.repeat(513) },
        'auth.password',
        'the value for this unit must be at most 512 bytes, got 513 (it uses {password})',
      ],
    ];
    for (const [row, path, message] of cases) {
      const result = compilePlan(example, { ...unit, row });
      expect(result.ok).toBe(false);
      const errors = result.ok ? [] : result.errors;
      expect(errors).toEqual([{ path, message }]);
      expect(JSON.stringify(errors)).not.toContain('pa"ss');
    }
    const noImei = compilePlan(example, { ...unit, imei: '' });
    expect(noImei.ok ? [] : noImei.errors.map((error) => error.message)).toContain('{imei} has no value for this unit');
  });

  it('never builds a line from an unsafe row value (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 600 }), (password) => {
        const result = compilePlan(example, { ...unit, row: { password } });
        if (result.ok) {
          const line = qmtconn(0, result.value.connect.clientId, result.value.connect).line;
          expect(line).not.toMatch(/[\r\n\0]/);
          expect(line.split('"').length).toBe(7);
        } else {
          expect(result.errors.every((error) => error.path === 'auth.password')).toBe(true);
          if (password.length > 3) expect(JSON.stringify(result.errors)).not.toContain(password);
        }
      }),
    );
  });

  it('plans the negative check: the wrong CA uploaded under its own name, applied, then the right one restored', async () => {
    const profile = issueExample();
    profile.verify = { topic: 'fleet/{imei}/selftest', qos: 1, negative: { cacert: 'certs/other-ca.pem' } };
    const plan = planOf(compilePlan(await load('negative.json', profile), unit));
    expect(plan.uploads.map((upload) => upload.ufsName)).toEqual([
      'ctx2_cacert.pem',
      'ctx2_clientcert.pem',
      'ctx2_clientkey.pem',
      'ctx2_negative_cacert.pem',
    ]);
    expect(plan.verify.negative).toMatchObject({
      contextId: 2,
      apply: { param: 'cacert', value: 'ctx2_negative_cacert.pem' },
      restore: { param: 'cacert', value: 'ctx2_cacert.pem' },
    });
  });

  it("takes a unit's own client certificate from its manifest row, checked like the profile's", async () => {
    const good = await loadUnitFiles(
      example,
      { clientcert: 'certs/client.pem', clientkey: 'certs/client.key' },
      { baseDir: dir },
    );
    expect(good.ok).toBe(true);
    const wrong = await loadUnitFiles(
      example,
      { clientcert: 'units/wrong.pem', clientkey: 'units/wrong.key' },
      { baseDir: dir },
    );
    expect(wrong.ok ? [] : wrong.errors).toEqual([
      expect.objectContaining({
        path: 'ssl.clientcert',
        message: expect.stringMatching(/^is not signed by ssl.cacert/) as unknown,
      }),
    ]);
    const perUnit = issueExample();
    const ssl = perUnit.ssl as { [key: string]: Json };
    delete ssl.clientcert;
    delete ssl.clientkey;
    const profile = await load('per-unit.json', perUnit);
    expect(profile.requiredColumns).toEqual(['clientcert', 'clientkey', 'password']);
    const missing = await loadUnitFiles(profile, { clientcert: 'certs/client.pem' }, { baseDir: dir });
    expect(missing.ok ? [] : missing.errors).toEqual([
      {
        path: 'ssl.clientkey',
        message: 'neither the profile nor this unit\'s manifest row (column "clientkey") names the file',
      },
    ]);
    const files = await loadUnitFiles(
      profile,
      { clientcert: 'certs/client.pem', clientkey: 'certs/client.key' },
      { baseDir: dir },
    );
    if (!files.ok) throw new Error(JSON.stringify(files.errors));
    const plan = planOf(compilePlan(profile, unit, files.files));
    expect(plan.uploads.find((upload) => upload.role === 'ssl.clientkey')?.source).toBe(
      'manifest column "clientkey": certs/client.key',
    );
    expect(compilePlan(profile, unit).ok).toBe(false);
  });
});
