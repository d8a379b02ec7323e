import type { ParsedCommand, Params } from './command-line';
import type { FaultPlan } from './faults';
import type { HostMap, MqttClientSessionFactory, NetworkPacing } from './net/types';
import type { Outcome } from './outcome';
import type { ModuleState } from './state';

/** What a command handler may touch: the module's state and the few services that reach outside it. */
export interface CommandContext {
  readonly state: ModuleState;
  /** Sends an unsolicited line (framed `\r\n<line>\r\n`); bytes are sent as they are (binary payloads). */
  urc(line: string | Uint8Array): void;
  /** The faults in force now (they can change while the module runs). */
  faults(): FaultPlan;
  readonly hostMap: HostMap;
  readonly sessionFactory: MqttClientSessionFactory;
  /** Wall clock in ms (cloud signing timestamps). */
  now(): number;
  /** Restarts the module after the reply (AT+CFUN=1,1). */
  reboot(): void;
  /** The modeled mobile network its MQTT links go over (absent: the loopback's own speed). */
  readonly network?: NetworkPacing;
}

export type Handler = (command: ParsedCommand, params: Params, ctx: CommandContext) => Outcome | Promise<Outcome>;

export type HandlerTable = Readonly<Record<string, Handler>>;
