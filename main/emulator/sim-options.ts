import type { FaultPlan } from './faults';
import type { HostMap } from './net/types';

/**
 * The `sim` command's flags, parsed into plain data (pure, so the CLI's error messages are unit-tested).
 * Fault flags: `[INDEX:]KIND[=VALUE]`; without INDEX the fault applies to every module.
 */

export const FAULT_HELP = `Fault flags (repeatable; prefix with INDEX: to target one module, e.g. 2:error=+QMTOPEN):
  error=CMD          CMD answers ERROR (e.g. error=+QMTOPEN, error=+CSQ)
  drop=CMD           CMD runs but its reply is never sent
  late=CMD:MS        CMD answers MS milliseconds late
  connack=N          CONNACK refused with return code N (1-5)
  open=KIND          AT+QMTOPEN meets tls-failure (-1), pdp-failure (3), dns-failure (4) or network-loss (5)
  garbage=MS         noise bytes every MS milliseconds
  unplug=MS          the module is unplugged MS milliseconds after start (its port vanishes)
  reboot=MS          the module reboots MS milliseconds after start (RDY again, settings lost)
  droplink=MS        every MQTT link drops MS milliseconds after start (+QMTSTAT)
  quirk=silent-close AT+QMTCLOSE after AT+QMTDISC answers OK without its +QMTCLOSE URC (an EC200U firmware)`;

export interface TimedFaults {
  garbageEveryMs?: number;
  unplugAfterMs?: number;
  rebootAfterMs?: number;
  dropLinkAfterMs?: number;
}

export interface ModuleFaults {
  plan: FaultPlan;
  timed: TimedFaults;
}

export class SimOptionError extends Error {}

const OPEN_FAULTS = ['tls-failure', 'pdp-failure', 'dns-failure', 'network-loss'] as const;

function commandName(value: string, flag: string): string {
  const name = value.trim().toUpperCase().replace(/^AT/, '');
  if (!/^(\+[A-Z][A-Z0-9]*|&?[A-Z])$/.test(name))
    throw new SimOptionError(`--fault ${flag}: "${value}" is not an AT command name like +QMTOPEN`);
  return name;
}

function milliseconds(value: string, flag: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 86_400_000) {
    throw new SimOptionError(`--fault ${flag}: "${value}" is not a number of milliseconds`);
  }
  return Number(value);
}

/** Applies one `--fault` flag to the faults of module `index` (returns true when it concerns that module). */
function applyFault(spec: string, index: number, faults: ModuleFaults): void {
  const m = /^(?:(\d+):)?([a-z]+)(?:=(.*))?$/.exec(spec.trim());
  if (!m) throw new SimOptionError(`--fault "${spec}": expected [INDEX:]KIND[=VALUE]`);
  const [, target, kind = '', value = ''] = m;
  if (target !== undefined && Number(target) !== index) return;
  const plan = faults.plan;
  switch (kind) {
    case 'error':
      faults.plan = { ...plan, errorOn: [...(plan.errorOn ?? []), commandName(value, spec)] };
      return;
    case 'drop':
      faults.plan = { ...plan, dropResponseOn: [...(plan.dropResponseOn ?? []), commandName(value, spec)] };
      return;
    case 'late': {
      const at = value.lastIndexOf(':');
      if (at < 0) throw new SimOptionError(`--fault ${spec}: expected late=CMD:MS`);
      const name = commandName(value.slice(0, at), spec);
      faults.plan = {
        ...plan,
        lateResponse: { ...plan.lateResponse, [name]: milliseconds(value.slice(at + 1), spec) },
      };
      return;
    }
    case 'connack': {
      const code = Number(value);
      if (code !== 1 && code !== 2 && code !== 3 && code !== 4 && code !== 5) {
        throw new SimOptionError(`--fault ${spec}: the CONNACK code must be 1-5`);
      }
      faults.plan = { ...plan, forceConnackCode: code };
      return;
    }
    case 'open': {
      const fault = OPEN_FAULTS.find((f) => f === value);
      if (!fault) throw new SimOptionError(`--fault ${spec}: open= takes ${OPEN_FAULTS.join(', ')}`);
      faults.plan = { ...plan, openFault: fault };
      return;
    }
    case 'quirk':
      if (value !== 'silent-close') throw new SimOptionError(`--fault ${spec}: the only quirk is silent-close`);
      faults.plan = { ...plan, silentCloseAfterDisc: true };
      return;
    case 'garbage':
      faults.timed.garbageEveryMs = Math.max(10, milliseconds(value, spec));
      return;
    case 'unplug':
      faults.timed.unplugAfterMs = milliseconds(value, spec);
      return;
    case 'reboot':
      faults.timed.rebootAfterMs = milliseconds(value, spec);
      return;
    case 'droplink':
      faults.timed.dropLinkAfterMs = milliseconds(value, spec);
      return;
    default:
      throw new SimOptionError(`--fault ${spec}: unknown fault "${kind}" (see --help)`);
  }
}

export function faultsFor(specs: readonly string[], index: number): ModuleFaults {
  const faults: ModuleFaults = { plan: {}, timed: {} };
  for (const spec of specs) applyFault(spec, index, faults);
  return faults;
}

/** `HOST=IP:PORT` or `HOST=IP` entries → HostMap. */
export function parseHostMap(entries: readonly string[]): HostMap {
  const map = new Map<string, { host: string; port?: number }>();
  for (const entry of entries) {
    const m = /^([^=\s]+)=([^:\s]+|\[[0-9a-fA-F:]+\])(?::(\d{1,5}))?$/.exec(entry.trim());
    if (!m) throw new SimOptionError(`--host-map "${entry}": expected HOST=IP:PORT`);
    const [, name = '', host = '', port] = m;
    if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) {
      throw new SimOptionError(`--host-map "${entry}": port must be 1-65535`);
    }
    map.set(name, port === undefined ? { host } : { host, port: Number(port) });
  }
  return map;
}

export function parseCount(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 256) {
    throw new SimOptionError(`--count "${value}": expected a number from 1 to 256`);
  }
  return Number(value);
}

const BAUDS = [9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600, 1000000, 3000000];

export function parseBaud(value: string): number {
  const baud = Number(value);
  if (!BAUDS.includes(baud)) throw new SimOptionError(`--baud "${value}": expected one of ${BAUDS.join(', ')}`);
  return baud;
}
