import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AtValidationError } from '../vocab/errors';
import * as at from './index';

/**
 * Bad input from anywhere (IPC, scripts, a corrupt job file) gets a clear AtValidationError, never a TypeError:
 * every builder is called with arbitrary values of any type.
 */

type Builder = (args: unknown[]) => unknown;

const builders: Record<string, Builder> = {
  echo: (a) => at.echo(a[0] as boolean),
  qicsgp: (a) => at.qicsgp(a[0] as at.PdpContextConfig),
  qiact: (a) => at.qiact(a[0] as number),
  qideact: (a) => at.qideact(a[0] as number),
  cfun: (a) => at.cfun(a[0] as 1, a[1] as boolean),
  cmee: (a) => at.cmee(a[0] as 1),
  qfupl: (a) => at.qfupl(a[0] as string, a[1] as Uint8Array, a[2] as at.UploadOptions),
  qflst: (a) => at.qflst(a[0] as string),
  qfdel: (a) => at.qfdel(a[0] as string),
  qsslcfg: (a) => at.qsslcfg(a[0] as number, a[1] as at.SslSetting),
  qsslcfgQuery: (a) => at.qsslcfgQuery(a[0] as number, a[1] as at.SslParam),
  qmtcfg: (a) => at.qmtcfg(a[0] as number, a[1] as at.QmtcfgSetting),
  qmtcfgQuery: (a) => at.qmtcfgQuery(a[0] as number, a[1] as at.QmtcfgName),
  qmtopen: (a) => at.qmtopen(a[0] as number, a[1] as string, a[2] as number),
  qmtclose: (a) => at.qmtclose(a[0] as number),
  qmtdisc: (a) => at.qmtdisc(a[0] as number),
  qmtconn: (a) => at.qmtconn(a[0] as number, a[1] as string, a[2] as at.ConnectOptions),
  qmtsub: (a) => at.qmtsub(a[0] as number, a[1] as number, a[2] as at.Subscription[], a[3] as at.DeliveryTiming),
  qmtuns: (a) => at.qmtuns(a[0] as number, a[1] as number, a[2] as string[], a[3] as at.DeliveryTiming),
  qmtpubex: (a) =>
    at.qmtpubex(a[0] as number, a[1] as number, a[2] as 0, a[3] as string, a[4] as string, a[5] as at.PublishOptions),
  qmtrecv: (a) => at.qmtrecv(a[0] as number, a[1] as number),
  testForm: (a) => at.testForm(a[0] as at.TestableCommand),
};

/** Values a careless caller might pass: anything, plus near-miss shapes of the real settings. */
const value = fc.oneof(
  fc.anything(),
  fc.record({ name: fc.constantFrom('will', 'willex', 'ssl', 'aliauth', 'timeout'), enabled: fc.boolean() }),
  fc.record({ param: fc.constantFrom('cacert', 'ciphersuite', 'sni'), value: fc.anything() }),
  fc.array(fc.oneof(fc.constant(null), fc.record({ topic: fc.string(), qos: fc.integer() }))),
);

describe('arbitrary input never crashes a builder', () => {
  for (const [name, build] of Object.entries(builders)) {
    it(name, () => {
      fc.assert(
        fc.property(fc.array(value, { maxLength: 6 }), (args) => {
          try {
            const request = build(args) as { line: string; redacted: string };
            expect(request.line).not.toMatch(/[\r\n]/);
          } catch (error) {
            expect(error).toBeInstanceOf(AtValidationError);
          }
        }),
        { numRuns: 150 },
      );
    });
  }
});
