import type { AbortMatch, Script } from '../../core/script';
import type { ProvisionState } from './state';
import { mqttcfg, readback, sslcfg, upload } from './steps-config';
import { close, connect, open, publish, receive, subscribe } from './steps-mqtt';
import { credential, identify, precheck } from './steps-unit';

/** The script's name, as runs and the store record it. */
export const PROVISION_SCRIPT = 'provision';

/** The steps of a provisioning run, in order: a contract, declared once in the shared contract. */
import { PROVISION_STEPS } from '../../../shared/contract/provisioning';

export { PROVISION_STEPS };
export type { ProvisionStepName } from '../../../shared/contract/provisioning';

/**
 * What ends a unit's run wherever it is: the module restarted (RDY: its RAM settings are gone, so the run cannot go
 * on; the unit can be run again), the SIM went away (+CPIN: NOT READY). A +QMTSTAT of the unit's client is handled
 * by the MQTT steps themselves (see Mailbox): the answer that ended a step comes before a +QMTSTAT that follows it.
 */
export function provisionAborts(): AbortMatch[] {
  return [
    { urc: 'RDY', explain: () => 'the module restarted (RDY) during the run: its settings are gone; run it again' },
    {
      urc: '+CPIN',
      match: (event) => event.kind === 'urc' && event.params[0]?.trim().toUpperCase() === 'NOT READY',
      explain: () => 'the SIM card is no longer ready (removed or failed): check the SIM, then run the unit again',
    },
  ];
}

/**
 * The provisioning script (issue 10's run):
 * identify, precheck, credential, upload, sslcfg, mqttcfg, readback, open, connect, subscribe, publish, receive,
 * close. Each step's time limit is the sum of the limits of what it sends (the command builders', from the spec's
 * maximum response times) plus a margin.
 */
export function provisioningScript(): Script<ProvisionState> {
  const steps = [
    identify(),
    precheck(),
    credential(),
    upload(),
    sslcfg(),
    mqttcfg(),
    readback(),
    open(),
    connect(),
    subscribe(),
    publish(),
    receive(),
    close(),
  ];
  const names = steps.map((step) => step.name);
  if (names.join() !== PROVISION_STEPS.join())
    throw new Error(`the provisioning steps are out of order: ${names.join()}`);
  return { name: PROVISION_SCRIPT, steps, abortOn: provisionAborts() };
}
