import { ISSUE_STEPS as STEPS } from '../../testing/issue-contract';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLine, type Line, type LineUnit, type LineUnitOptions } from '../../testing/line';
import { startMosquitto, type Mosquitto } from '../../testing/mosquitto';
import { filesUnder, secretsIn, secretsUnder } from '../../testing/secrets-scan';
import { jsonLines, runCli, type CliResult } from '../../testing/station-cli';

/**
 * Issue 10, acceptance 3: every fault the emulator can inject ends in a clear reason for its own unit while the
 * other units pass. One line, one unit per fault plus two without any, one `fleet-station provision` process
 * against a real Mosquitto with mutual TLS and per-device passwords; the table below says for each fault the step
 * it must fail at, the error code and the words the operator reads (the `--json` unit event, the failed step's
 * last event, and the CSV row all say the same). Faults that happen at a moment (unplug, reboot) are triggered by
 * the station's own bytes reaching the module: before the module sees the command, so the outcome is exact.
 *
 * Line noise (`garbage=150`: a burst of noise every 150 ms) is the one fault whose outcome is not fixed. Measured
 * on 32 units (three runs, one under extra CPU load): 3 passed (every step came through within its 3 tries), 29
 * failed with `bad-response` ("its answer arrived damaged (line noise ...)") at upload, sslcfg, mqttcfg, readback
 * or subscribe, wherever all tries were hit. So the test lets it pass
 * or fail, but a pass must be true (the module holds exactly what a clean unit holds: files, SSL context, MQTT
 * settings, and its message made the round trip) and a failure must say what it is: an answer that could not be
 * trusted, line noise, check the cable.
 *
 * A TLS mismatch of the other kind, a module that presents no client certificate to a broker that requires one,
 * needs a profile of its own (the client certificate is the profile's): a second line of one unit.
 */

interface Expected {
  readonly step: string;
  readonly code: string;
  /** The unit's error, exactly or as a pattern. */
  readonly error: string | RegExp;
}

interface Case {
  readonly name: string;
  readonly unit?: LineUnitOptions;
  /** Armed when the run starts (a trigger on the station's bytes, a timer); returns its disarm. */
  readonly arm?: (unit: LineUnit) => () => void;
  /** What the unit must end as: undefined for a pass. */
  readonly expected?: Expected | ((port: number) => Expected);
}

/** Calls `action` once, synchronously, when the bytes the unit receives from now on contain `text`. */
function onReceived(unit: LineUnit, text: string, action: () => void): () => void {
  let tail = '';
  const listener = unit.pty.onReceive((chunk) => {
    tail += chunk.toString('latin1');
    if (!tail.includes(text)) {
      tail = tail.slice(Math.max(0, tail.length - text.length));
      return;
    }
    listener.dispose();
    action();
  });
  return () => listener.dispose();
}

const REFUSED =
  'The module refused the command (ERROR). What to do: Check the parameters and the order of the steps; ' +
  'AT+CMEE=2 makes the module say why.';
const NO_ANSWER = 'check that it is powered and its cable is in, then run it again';
const GONE = /\); check the cable and the hub$/;
const connack = (code: number, spec: string, how: string): Expected => ({
  step: 'connect',
  code: `+QMTCONN: 0,0,${code}`,
  error: `the broker refused the connection (CONNACK ${code}, Connection Refused: ${spec}): ${how}`,
});
const open =
  (code: number, words: string) =>
  (port: number): Expected => ({
    step: 'open',
    code: `+QMTOPEN: 0,${code}`,
    error: `the module could not open mqtt.line.test:${port}: ${words}`,
  });
const NETWORK_ERROR = 'Network connection error: Check that the server is reachable on this port.';
const GARBAGE = 'garbage=150';
const BROKER_DOWN = 'broker down (Mosquitto killed)';

const CASES: readonly Case[] = [
  { name: 'none' },
  {
    name: 'unplug mid-upload',
    // The first file's contents are on the wire: the module is in AT+QFUPL's data input.
    arm: (u) => onReceived(u, '-----BEGIN CERTIFICATE-----', () => void u.unplug()),
    expected: {
      step: 'upload',
      code: 'port-closed',
      error: new RegExp(
        `^uploading certs/ca\\.pem as UFS:ctx2_cacert\\.pem: the port went away \\(AT\\+QFUPL="UFS:ctx2_cacert\\.pem",\\d+,\\d+: .*${GONE.source}`,
      ),
    },
  },
  {
    name: 'unplug at connect',
    arm: (u) => onReceived(u, 'AT+QMTCONN=', () => void u.unplug()),
    expected: {
      step: 'connect',
      code: 'port-closed',
      error: new RegExp(`^AT\\+QMTCONN: the port went away .*${GONE.source}`),
    },
  },
  {
    name: 'reboot at subscribe',
    arm: (u) => onReceived(u, 'AT+QMTSUB=', () => u.module.reboot()),
    expected: {
      step: 'subscribe',
      code: 'RDY',
      error: 'the module restarted (RDY) during the run: its settings are gone; run it again',
    },
  },
  {
    name: GARBAGE,
    arm: (u) => {
      const timer = setInterval(() => {
        if (u.pty.plugged) u.module.injectGarbage();
      }, 150);
      return () => clearInterval(timer);
    },
  },
  {
    name: 'drop=+QSSLCFG',
    unit: { faults: { dropResponseOn: ['+QSSLCFG'] } },
    expected: {
      step: 'sslcfg',
      code: 'timeout',
      error:
        'SSL context 2, cacert: the module did not answer in time ' +
        `(AT+QSSLCFG="cacert",2,"UFS:ctx2_cacert.pem": no answer within 300 ms); ${NO_ANSWER}`,
    },
  },
  {
    name: 'late=+QMTCFG:2000',
    unit: { faults: { lateResponse: { '+QMTCFG': 2000 } } },
    expected: {
      step: 'mqttcfg',
      code: 'timeout',
      error: `MQTT setting version: the module did not answer in time (AT+QMTCFG="version",0,4: no answer within 300 ms); ${NO_ANSWER}`,
    },
  },
  {
    name: 'error=+QFUPL',
    unit: { faults: { errorOn: ['+QFUPL'] } },
    expected: {
      step: 'upload',
      code: 'ERROR',
      error: new RegExp(
        `^uploading certs/ca\\.pem as UFS:ctx2_cacert\\.pem: AT\\+QFUPL="UFS:ctx2_cacert\\.pem",\\d+,\\d+: ${escape(REFUSED)}$`,
      ),
    },
  },
  {
    name: 'error=+QMTSUB',
    unit: { faults: { errorOn: ['+QMTSUB'] } },
    expected: {
      step: 'subscribe',
      code: 'ERROR',
      error: new RegExp(
        `^AT\\+QMTSUB to fleet/\\d{15}/selftest: AT\\+QMTSUB=0,1,"fleet/\\d{15}/selftest",1: ${escape(REFUSED)}$`,
      ),
    },
  },
  {
    name: 'connack=1',
    unit: { faults: { forceConnackCode: 1 } },
    expected: connack(
      1,
      'Unacceptable Protocol Version',
      'unacceptable protocol version: the broker does not speak this MQTT version; check mqtt.version (3 = MQTT 3.1, 4 = MQTT 3.1.1)',
    ),
  },
  {
    name: 'connack=2',
    unit: { faults: { forceConnackCode: 2 } },
    expected: connack(
      2,
      'Identifier Rejected',
      'identifier rejected: the broker refuses this client id; check auth.client_id (length, characters, a client id already in use)',
    ),
  },
  {
    name: 'connack=3',
    unit: { faults: { forceConnackCode: 3 } },
    expected: connack(
      3,
      'Server Unavailable',
      'server unavailable: the broker cannot serve clients now; check the broker and try again',
    ),
  },
  {
    name: 'connack=4',
    unit: { faults: { forceConnackCode: 4 } },
    expected: connack(4, 'Bad User Name or Password', 'bad user name or password: check the user name and password'),
  },
  {
    name: 'connack=5',
    unit: { faults: { forceConnackCode: 5 } },
    expected: connack(5, 'Not Authorized', 'not authorized: check the user name and password'),
  },
  {
    // The module verifies the broker with a CA that did not sign the broker's certificate (its own client
    // certificate, from that CA, is consistent): the handshake fails in the module.
    name: 'TLS: a CA that did not sign the broker',
    unit: {
      row: { cacert: 'certs/wrong-ca.pem', clientcert: 'certs/wrong-client.pem', clientkey: 'certs/wrong-client.key' },
    },
    expected: open(
      -1,
      'Failed to open network: Check the host, port and network; with SSL, check the CA certificate, client certificate and SSL context.',
    ),
  },
  {
    // A client certificate the unit's CA file did not sign: the station refuses it before touching the module.
    name: 'TLS: a client certificate from another CA',
    unit: { row: { clientcert: 'certs/wrong-client.pem', clientkey: 'certs/wrong-client.key' } },
    expected: {
      step: 'credential',
      code: 'failed',
      error:
        "the credential's certificate files are not usable: ssl.clientcert: is not signed by ssl.cacert: its issuer " +
        'is CN=Fleet Station test otherca, the CA file holds CN=Fleet Station test ca',
    },
  },
  { name: BROKER_DOWN, expected: open(5, NETWORK_ERROR) },
  {
    name: 'open=tls-failure',
    unit: { faults: { openFault: 'tls-failure' } },
    expected: open(
      -1,
      'Failed to open network: Check the host, port and network; with SSL, check the CA certificate, client certificate and SSL context.',
    ),
  },
  {
    name: 'open=pdp-failure',
    unit: { faults: { openFault: 'pdp-failure' } },
    expected: {
      step: 'precheck',
      code: '+CME ERROR: 561',
      error:
        'PDP context 1 (AT+QIACT=1): open PDP context failed: Check the APN (AT+QICSGP) and network registration, ' +
        'then AT+QIACT again.',
    },
  },
  {
    name: 'open=dns-failure',
    unit: { faults: { openFault: 'dns-failure' } },
    expected: open(4, 'Failed to parse domain name: Check the host name and the DNS of the network.'),
  },
  { name: 'open=network-loss', unit: { faults: { openFault: 'network-loss' } }, expected: open(5, NETWORK_ERROR) },
  { name: 'none' },
];

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The station's failure categories (docs/provisioning.md), an error_code where the module gave no code. */
const CATEGORIES = ['timeout', 'bad-response', 'port-closed', 'busy', 'invalid-parameter', 'cancelled', 'failed'];

type Event = Record<string, unknown>;

let line: Line;
/** A line whose profile gives the modules no client certificate, while its broker requires one. */
let bare: Line;
let dead: Mosquitto;
const outputs: CliResult[] = [];
/** The bare line's `provision` run, started with the main line's. */
let bareRun: Promise<CliResult> = Promise.reject(new Error('the main run did not start'));
bareRun.catch(() => undefined);

beforeAll(async () => {
  // A broker that was there and crashed: its port refuses connections.
  dead = await startMosquitto({ tls: { requireCertificate: true } });
  await dead.kill();
  const units: Record<number, LineUnitOptions> = {};
  CASES.forEach((c, index) => {
    if (c.name === BROKER_DOWN) units[index] = { brokerAddress: { host: '127.0.0.1', port: dead.tlsPort } };
    else if (c.unit !== undefined) units[index] = c.unit;
  });
  [line, bare] = await Promise.all([
    startLine({ count: CASES.length, units }),
    startLine({ count: 1, clientCertificate: false }),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all([line.stop(), bare.stop(), dead.stop()]);
});

const caseOf = (unit: LineUnit): Case => {
  const found = CASES[unit.index];
  if (found === undefined) throw new Error(`no case for unit ${unit.index}`);
  return found;
};

/** What the unit must end as, with the profile's broker port filled in (each module's host map leads on from it). */
function expectedOf(unit: LineUnit): Expected | undefined {
  const { expected } = caseOf(unit);
  return typeof expected === 'function' ? expected(line.broker.tlsPort) : expected;
}

describe('every emulator fault ends in a clear reason for its unit, while the other units pass', () => {
  it('fails each faulty unit at its step, with its code and words; the clean units pass; exit 1', async () => {
    const report = join(line.dir, 'faults.csv');
    const disarm = line.units.map((unit) => caseOf(unit).arm?.(unit) ?? (() => undefined));
    // The other line's run goes on meanwhile (its own process, broker and data directory).
    bareRun = runCli([
      'provision',
      '--profile',
      bare.profile,
      '--manifest',
      bare.manifest,
      '--port',
      bare.ports[0] ?? '',
      '--report',
      join(bare.dir, 'faults.csv'),
      '--data-dir',
      bare.dataDir,
      '--json',
    ]);
    let result: CliResult;
    try {
      result = await runCli([
        'provision',
        '--profile',
        line.profile,
        '--manifest',
        line.manifest,
        ...line.ports.flatMap((port) => ['--port', port]),
        '--report',
        report,
        '--data-dir',
        line.dataDir,
        '--json',
      ]);
    } finally {
      for (const off of disarm) off();
    }
    outputs.push(result);
    expect(result.code, result.stderr).toBe(1);
    const events: Event[] = jsonLines(result.stdout);
    const rows: Record<string, string>[] = parse(await readFile(report), { bom: true, columns: true });
    expect(rows).toHaveLength(CASES.length);

    const outcomes = line.units.map((unit) => {
      const event = events.find((e) => e.type === 'unit' && e.port === unit.path);
      return {
        case: caseOf(unit).name,
        result: event?.result,
        step: event?.failedStep,
        code: event?.errorCode,
        error: event?.error,
      };
    });
    // Every unit's outcome, in one table, so a failure shows them all.
    const wanted = line.units.map((unit) => {
      const expected = expectedOf(unit);
      const name = caseOf(unit).name;
      if (name === GARBAGE) {
        const actual = outcomes[unit.index];
        return actual?.result === 'pass'
          ? { case: name, result: 'pass', step: null, code: null, error: null }
          : {
              case: name,
              result: 'fail',
              step: expect.any(String) as unknown,
              // Measured: always an answer the noise damaged (`bad-response`); noise that eats a whole answer
              // would be a `timeout`. Either way the reason names it.
              code: actual?.code === 'timeout' ? 'timeout' : 'bad-response',
              error: expect.stringMatching(
                actual?.code === 'timeout'
                  ? /: the module did not answer in time \(.*\); check that it is powered and its cable is in, then run it again$/
                  : /: its answer arrived damaged \(line noise: a line of control bytes or bytes that are not text\)|cannot be tied to it/,
              ) as unknown,
            };
      }
      return expected === undefined
        ? { case: name, result: 'pass', step: null, code: null, error: null }
        : {
            case: name,
            result: 'fail',
            step: expected.step,
            code: expected.code,
            error:
              typeof expected.error === 'string' ? expected.error : (expect.stringMatching(expected.error) as unknown),
          };
    });
    expect(outcomes).toEqual(wanted);

    for (const unit of line.units) {
      const event = events.find((e) => e.type === 'unit' && e.port === unit.path);
      const failedStep = typeof event?.failedStep === 'string' ? event.failedStep : undefined;
      // The failed step's last event says the same; after it only `close` runs, the others are skipped.
      const steps = events.filter((e) => e.type === 'step' && e.port === unit.path && e.status !== 'running');
      const last = new Map(steps.map((e) => [String(e.step), e]));
      const at = failedStep === undefined ? STEPS.length : STEPS.indexOf(failedStep);
      expect(
        STEPS.map((step) => last.get(step)?.status),
        `${caseOf(unit).name}: ${JSON.stringify(steps)}`,
      ).toEqual(
        STEPS.map((step, i) =>
          i < at ? 'passed' : i === at ? 'failed' : step === 'close' ? (expect.any(String) as unknown) : 'skipped',
        ),
      );
      if (failedStep !== undefined) {
        // The step records the module's own result code; the unit's error_code falls back to the station's category.
        const category = CATEGORIES.includes(String(event?.errorCode));
        expect(last.get(failedStep)).toMatchObject({
          resultCode: category ? null : event?.errorCode,
          explanation: event?.error,
        });
      } else {
        expect(event?.roundTripMs).toBeGreaterThan(0);
      }
      // The CSV row says the same (a cell starting with "+" carries a "'" against formula injection).
      const row = rows.find((r) => r.port === unit.path);
      const code = typeof event?.errorCode === 'string' ? event.errorCode : '';
      expect(row, caseOf(unit).name).toMatchObject({
        imei: unit.identity.imei,
        result: event?.result,
        failed_step: failedStep ?? '',
        error_code: code.startsWith('+') ? `'${code}` : code,
        error: typeof event?.error === 'string' ? event.error : '',
      });
    }

    // A unit under noise that passed holds exactly what a clean unit holds.
    const noisy = line.units.find((unit) => caseOf(unit).name === GARBAGE);
    const clean = line.units[0];
    if (noisy !== undefined && clean !== undefined && outcomes[noisy.index]?.result === 'pass') {
      const holds = (unit: LineUnit) => ({
        files: Object.fromEntries(
          [...unit.module.state.files].map(([name, bytes]) => [name, Buffer.from(bytes).toString('base64')]),
        ),
        ssl: unit.module.state.ssl[2],
        mqtt: unit.module.state.mqtt[0]?.config,
      });
      expect(holds(noisy)).toEqual(holds(clean));
    }

    expect(events.at(-1)).toMatchObject({
      type: 'summary',
      total: CASES.length,
      passed: outcomes.filter((o) => o.result === 'pass').length,
      failed: outcomes.filter((o) => o.result === 'fail').length,
      cancelled: 0,
      notAttached: [],
      reportRows: CASES.length,
      exitCode: 1,
    });
    expect(outcomes.filter((o) => o.result === 'pass').length).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it('TLS without the client certificate the broker requires: the module cannot open, +QMTOPEN -1 explained', async () => {
    const result = await bareRun;
    outputs.push(result);
    expect(result.code, result.stderr).toBe(1);
    const unit = jsonLines(result.stdout).find((e) => e.type === 'unit');
    expect(unit).toMatchObject({
      result: 'fail',
      failedStep: 'open',
      errorCode: '+QMTOPEN: 0,-1',
      error:
        `the module could not open mqtt.line.test:${bare.broker.tlsPort}: Failed to open network: Check the host, ` +
        'port and network; with SSL, check the CA certificate, client certificate and SSL context.',
    });
  }, 60_000);

  it('shows no secret in any output, report or data directory', () => {
    expect(outputs).toHaveLength(2);
    const secrets = [...line.secrets, ...bare.secrets];
    for (const output of outputs) {
      expect(secretsIn('output', Buffer.from(output.stdout + output.stderr), secrets)).toEqual([]);
    }
    for (const { dataDir, dir } of [line, bare]) {
      expect(filesUnder(dataDir).some((file) => file.endsWith('fleet-station.db'))).toBe(true);
      expect(secretsUnder(dataDir, secrets)).toEqual([]);
      const report = join(dir, 'faults.csv');
      expect(secretsIn(report, readFileSync(report), secrets)).toEqual([]);
    }
  });
});
