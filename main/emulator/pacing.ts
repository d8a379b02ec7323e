import type { CommandForm } from './command-line';
import { seededRandom } from './identity';
import type { NetworkPacing } from './net/types';

/**
 * How fast a virtual module answers, and how far away its broker is: the emulator's timing model. The station
 * never knows which one runs; it only sees answers arrive sooner or later.
 *
 * - `fast` (the default, for the test suite): a few milliseconds per command and no network delay beyond the
 *   loopback's own, so thousands of commands run in seconds.
 * - `realistic` (benchmarks, `sim --pacing realistic`): what an EC200U-class module on an LTE network takes, from
 *   the sources and assumptions listed with each figure below. It is a model, not a measurement of one module:
 *   every figure is a range, each draw seeded per module (the same module draws the same sequence every run).
 *
 * Whatever the model, every wait the emulator schedules (command processing, the modeled network, and the wire
 * time of the UART in both directions) is counted in the module's `BusyTime`: a run's floor is what the emulator
 * itself took, computed from what it actually scheduled, not from constants.
 */

export type PacingName = 'fast' | 'realistic';
export const PACING_NAMES: readonly PacingName[] = ['fast', 'realistic'];

/** A uniform range of milliseconds. */
export interface MsRange {
  readonly min: number;
  readonly max: number;
}

function draw(range: MsRange, random: () => number): number {
  return range.min + (range.max - range.min) * random();
}

/** The mobile network between the module and its broker, as its MQTT links see it. */
export interface NetworkModel {
  /** The one-way delay of one packet (half a round trip), drawn per packet. */
  readonly oneWayMs: MsRange;
  /** Name lookup before the TCP handshake (a host name, not an address): one round trip to the operator's DNS. */
  readonly dnsRoundTrips: number;
  /** TCP's three-way handshake: the connection is usable after one round trip (RFC 9293 §3.5). */
  readonly tcpRoundTrips: number;
  /** A full TLS 1.2 handshake: two round trips before application data (RFC 5246 §7.3, Figure 1). */
  readonly tlsRoundTrips: number;
  /** The module's own TLS work (certificate chain check, key exchange; a signature too with a client certificate). */
  readonly tlsCryptoMs: (seclevel: 0 | 1 | 2) => MsRange;
}

export interface PacingModel {
  readonly name: PacingName;
  /** From a command line's last byte to the first byte of its answer (or of its `> ` / `CONNECT`). */
  commandMs(name: string, form: CommandForm, random: () => number): number;
  /** From the last byte of a data input (`> ` payload, AT+QFUPL file) to its final result. */
  inputMs(name: string, bytes: number, random: () => number): number;
  /** The network behind the module's MQTT links; none: the loopback's own speed. */
  readonly network: NetworkModel | undefined;
}

/** The historical emulator: 2-7 ms per command, 6-11 ms for MQTT, SSL and file commands; no network delay. */
export const FAST_PACING: PacingModel = {
  name: 'fast',
  commandMs: (name, _form, random) => {
    const base = name.startsWith('+QMT') || name.startsWith('+QSSL') || name.startsWith('+QF') ? 6 : 2;
    return base + Math.floor(random() * 6);
  },
  inputMs: () => 0,
  network: undefined,
};

/*
 * The realistic model. Module figures are assumptions within the application note's limits (300 ms maximum for
 * configuration commands, "determined by network" for the rest) and the general AT-command guides of module
 * makers (Telit's AT reference, "Command Response Time-Out": commands that only touch internal settings answer at
 * once, those that touch the SIM or the network take longer). Network figures follow published LTE measurements:
 * round trips from an LTE device to an in-region cloud server are typically 40-100 ms, longer and more variable
 * with distance (Rohde & Schwarz, "Interactivity test: distance to server impact on latency and jitter", 2021;
 * CMU-CS-22-115, "Segmenting Latency in a Private 4G LTE Network", 2022). We take 60-100 ms per round trip.
 */

/** Settings held in RAM (AT+QMTCFG, AT+QSSLCFG, ATE, AT+CMEE) and plain queries (ATI, AT+CGSN, AT+CSQ, AT+CEREG?). */
const LOCAL: MsRange = { min: 8, max: 20 };
/** Commands that ask the SIM (AT+CPIN?, AT+QCCID, AT+CIMI): a few APDUs over the SIM's serial interface. */
const SIM: MsRange = { min: 20, max: 50 };
/** AT+QFLST, and AT+QFUPL up to its CONNECT: the file system is opened and searched. */
const FILE_LOOKUP: MsRange = { min: 15, max: 40 };
/** AT+QFDEL: flash sectors erased. */
const FILE_DELETE: MsRange = { min: 30, max: 80 };
/** The MQTT commands' own OK (the work goes to the module's TCP/IP task; its URC follows from the network). */
const MQTT_LOCAL: MsRange = { min: 10, max: 30 };
/** AT+QIACT=<cid>: a PDN connectivity request and its accept, a round trip with the core network and its processing. */
const PDP_ACTIVATION: MsRange = { min: 150, max: 400 };
/** Writing an uploaded file to flash: a fixed cost plus ~100 kB/s of programming. */
const FILE_WRITE_FIXED: MsRange = { min: 20, max: 40 };
const FILE_WRITE_BYTES_PER_MS = 100;
/** From a `> ` payload's last byte to the OK of AT+QMTPUBEX (the packet is handed to the TCP/IP task). */
const PAYLOAD_TAKEN: MsRange = { min: 5, max: 15 };

const SIM_COMMANDS = new Set(['+CPIN', '+QCCID', '+CCID', '+CIMI']);

export const REALISTIC_PACING: PacingModel = {
  name: 'realistic',
  commandMs: (name, form, random) => {
    if (SIM_COMMANDS.has(name)) return draw(SIM, random);
    if (name === '+QIACT' && form === 'write') return draw(PDP_ACTIVATION, random);
    if (name === '+QFDEL') return draw(FILE_DELETE, random);
    if (name.startsWith('+QF')) return draw(FILE_LOOKUP, random);
    if (name.startsWith('+QMT') && name !== '+QMTCFG') return draw(MQTT_LOCAL, random);
    return draw(LOCAL, random);
  },
  inputMs: (name, bytes, random) =>
    name === '+QFUPL' ? draw(FILE_WRITE_FIXED, random) + bytes / FILE_WRITE_BYTES_PER_MS : draw(PAYLOAD_TAKEN, random),
  network: {
    oneWayMs: { min: 30, max: 50 },
    dnsRoundTrips: 1,
    tcpRoundTrips: 1,
    tlsRoundTrips: 2,
    // Assumption: the module's Cortex-A class core with its TLS library takes ~100 ms to check a 2048-bit RSA
    // chain and do an ECDHE key exchange, and ~60 ms more to sign with a client key.
    tlsCryptoMs: (seclevel) =>
      seclevel === 0 ? { min: 30, max: 60 } : seclevel === 1 ? { min: 80, max: 140 } : { min: 140, max: 220 },
  },
};

export function pacingModel(name: PacingName): PacingModel {
  return name === 'realistic' ? REALISTIC_PACING : FAST_PACING;
}

/**
 * The time a module was busy: the union of the intervals it scheduled (an overlap counted once). Every interval
 * starts when it is scheduled or later, at the end of what is already queued on the same wire, so the union can
 * be kept as a running total: an interval either extends the busy stretch in progress or starts a new one.
 */
export class BusyTime {
  private total = 0;
  private until = -Infinity;

  constructor(private readonly clock: () => number = () => performance.now()) {}

  /** Counts the interval [start, end] (ms on the clock's scale). */
  add(start: number, end: number): void {
    if (!(end > start)) return;
    if (start >= this.until) this.total += end - start;
    else if (end > this.until) this.total += end - this.until;
    else return;
    this.until = end;
  }

  /** Counts `ms` from now. */
  addFromNow(ms: number): void {
    const now = this.clock();
    this.add(now, now + ms);
  }

  /** The busy time counted so far, up to now (a stretch still in progress counts up to now only). */
  get ms(): number {
    const now = this.clock();
    return this.until > now ? this.total - (this.until - now) : this.total;
  }

  /** The clock the intervals are on. */
  now(): number {
    return this.clock();
  }
}

/**
 * One module's view of its model: the draws (two seeded streams: commands, and the network, so a change in one
 * does not shift the other) and the busy time every wait is counted in.
 */
export class ModuleTiming {
  readonly busy = new BusyTime();
  /** The network pacing of the module's MQTT links; undefined when the model has no network. */
  readonly network: NetworkPacing | undefined;
  private readonly commandRandom: () => number;

  constructor(
    readonly model: PacingModel,
    private readonly seed: number,
  ) {
    this.commandRandom = seededRandom(seed);
    this.network = this.networkPacing();
  }

  commandMs(name: string, form: CommandForm): number {
    return this.model.commandMs(name, form, this.commandRandom);
  }

  inputMs(name: string, bytes: number): number {
    return this.model.inputMs(name, bytes, this.commandRandom);
  }

  /** The network pacing of the module's MQTT links, or undefined when the model has no network. */
  private networkPacing(): NetworkPacing | undefined {
    const network = this.model.network;
    if (network === undefined) return undefined;
    const random = seededRandom(this.seed ^ 0x5bd1e995);
    const busy = this.busy;
    const roundTrips = (n: number): number => {
      let ms = 0;
      for (let i = 0; i < 2 * n; i++) ms += draw(network.oneWayMs, random);
      return ms;
    };
    return {
      packetDelayMs: () => draw(network.oneWayMs, random),
      lookupMs: () => roundTrips(network.dnsRoundTrips),
      tcpHandshakeMs: () => roundTrips(network.tcpRoundTrips),
      tlsHandshakeMs: (seclevel) => roundTrips(network.tlsRoundTrips) + draw(network.tlsCryptoMs(seclevel), random),
      busy: (start, end) => busy.add(start, end),
      now: () => busy.now(),
    };
  }
}
