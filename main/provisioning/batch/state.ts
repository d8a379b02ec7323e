import type { Ledger } from '../../store';
import type { ProvisioningPlan } from '../compile';
import type { LoadedProfile } from '../load';
import type { Mailbox } from './mailbox';
import type { BrokerObserver } from './observer';

/** What `identify` read: a unit is known by its IMEI from then on. */
export interface UnitIdentityFound {
  readonly model: string;
  readonly firmware: string;
  readonly imei: string;
  readonly iccid: string;
  readonly imsi: string;
}

/**
 * Facts of a unit's run committed to the store the moment they are known (not at the end of the run): who the
 * unit is, and which credential it holds. The History recorder provides them; a test may collect them.
 */
export interface UnitFacts {
  identified(identity: UnitIdentityFound): Promise<void>;
  credential(credentialId: string): Promise<void>;
}

/** The same for every unit of a batch: the profile and the services the steps use. */
export interface BatchInputs {
  readonly profile: LoadedProfile;
  readonly ledger: Ledger;
  /** Recorded with each credential assignment. */
  readonly station: string;
  /** The station's MQTT.js client on the broker, when the profile configures one. */
  readonly observer?: BrokerObserver;
  /** The serial line speed the upload's own time limit is computed for (bits per second, 8N1). */
  readonly baudRate: number;
  /** How long `precheck` waits for a module still searching for a network (or a SIM still starting). */
  readonly registrationWaitMs: number;
}

/**
 * One unit's run of the provisioning script: the batch's inputs, what the unit is given to record its facts and
 * catch its messages, and what the steps found. It holds the unit's plan, secrets included: never print it.
 */
export interface ProvisionState {
  readonly batch: BatchInputs;
  readonly facts: UnitFacts;
  readonly mailbox: Mailbox;
  /** The run this unit's run belongs to (it goes into the verify payload). */
  readonly runId: string;
  /** Unique to this run of this unit: it makes the verify payload unique. */
  readonly nonce: string;
  readonly identity?: UnitIdentityFound;
  readonly credentialId?: string;
  readonly plan?: ProvisioningPlan;
  /** Set by `subscribe` when the observer watches the verify topic. */
  readonly observing?: boolean;
  /** When AT+QMTPUBEX was written (ms since the epoch). */
  readonly publishedAt?: number;
  /** From the publish to the payload back in the station's hands. */
  readonly roundTripMs?: number;
}
