import { afterEach, describe, expect, it } from 'vitest';
import { PROVISION_STEPS, startBatch } from '.';
import { demoProfile, loadOk, startTestFleet, type TestFleet } from './fixtures/fleet';

const fleets: TestFleet[] = [];
afterEach(async () => {
  for (const fleet of fleets.splice(0)) await fleet.close();
});

async function fleetOf(options: Parameters<typeof startTestFleet>[0]): Promise<TestFleet> {
  const fleet = await startTestFleet(options);
  fleets.push(fleet);
  return fleet;
}

describe('a provisioning batch on in-process virtual modules against the embedded broker', () => {
  it('provisions every unit with the demo profile, step by step, and records it', async () => {
    const fleet = await fleetOf({ count: 3 });
    const profile = await loadOk(demoProfile);
    const batch = startBatch({
      station: fleet.station,
      store: fleet.store,
      profile,
      moduleIds: fleet.ids,
      stationId: 'test-station',
      operator: 'ann',
      workOrder: 'WO-1',
    });
    const result = await batch.done;
    for (const unit of result.run.units) {
      expect(
        unit.steps.map((s) => [s.step, s.status]),
        JSON.stringify(unit.steps.map((s) => [s.step, s.status, s.explanation])),
      ).toEqual(PROVISION_STEPS.map((name) => [name, ['upload', 'sslcfg'].includes(name) ? 'skipped' : 'passed']));
    }
    expect(result.counts).toEqual({ total: 3, passed: 3, failed: 0, cancelled: 0 });
    const records = await fleet.store.history.units({ runId: batch.runId });
    expect(records.map((r) => [r.result, r.imei, r.credentialId !== undefined])).toEqual(
      fleet.modules.map((m) => ['pass', m.identity.imei, true]),
    );
    for (const unit of result.units) expect(unit.roundTripMs).toBeGreaterThanOrEqual(0);
  });
});
