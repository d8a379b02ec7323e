import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMosquitto, type Mosquitto } from '../../testing/mosquitto';
import { connectRequest, openPlain, recordedSession } from './fixtures/session';

describe('CONNACK return codes a real Mosquitto produces (password file, allow_anonymous false)', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await startMosquitto({ passwords: { device1: 'right-password' }, allowAnonymous: false });
  });
  afterAll(async () => {
    await broker.stop();
  });

  async function connectWith(overrides: Parameters<typeof connectRequest>[0]) {
    const rec = recordedSession();
    expect(await rec.session.open(openPlain(broker.host, broker.port))).toBe(0);
    const result = await rec.session.connect(connectRequest(overrides));
    return { rec, result };
  }

  it('accepts the right user name and password: 0,0', async () => {
    const { rec, result } = await connectWith({ username: 'device1', password: 'right-password' });
    expect(result).toEqual({ result: 0, retCode: 0 });
    expect(await rec.session.disconnect()).toBe(0);
    expect(rec.stats).toEqual([]);
  });

  it('a wrong password is refused (MQTT 3.1.1: 5 not authorized as mosquitto 2 answers), then the link closes: +QMTSTAT 1', async () => {
    const { rec, result } = await connectWith({ username: 'device1', password: 'wrong' });
    expect(result).toEqual({ result: 0, retCode: 5 });
    expect(await rec.nextStat()).toBe(1);
    expect(rec.session.state).toBe('closed');
  });

  it('no credentials at all are refused: not authorized (5)', async () => {
    const { rec, result } = await connectWith({});
    expect(result).toEqual({ result: 0, retCode: 5 });
    expect(await rec.nextStat()).toBe(1);
  });

  it('an empty client id without clean session is rejected: identifier rejected (2), in 3.1.1 and 3.1', async () => {
    for (const version of [4, 3] as const) {
      const { rec, result } = await connectWith({
        version,
        clientId: '',
        cleanSession: false,
        username: 'device1',
        password: 'right-password',
      });
      expect(result).toEqual({ result: 0, retCode: 2 });
      expect(await rec.nextStat()).toBe(1);
    }
  });

  it('MQTT 3.1 (MQIsdp) connects when the version is 3', async () => {
    const { rec, result } = await connectWith({ version: 3, username: 'device1', password: 'right-password' });
    expect(result).toEqual({ result: 0, retCode: 0 });
    await broker.waitForLog(/New client connected .* as .* \(p1, c1, k120, u'device1'\)/);
    expect(await rec.session.disconnect()).toBe(0);
  });

  it('forceConnackCode reports the forced code although the broker accepted, then closes the link', async () => {
    const { rec, result } = await connectWith({ username: 'device1', password: 'right-password', forceConnackCode: 3 });
    expect(result).toEqual({ result: 0, retCode: 3 });
    expect(await rec.nextStat()).toBe(1);
    expect(rec.session.state).toBe('closed');
  });
});
