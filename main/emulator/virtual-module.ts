import { Emitter, type Disposable } from '../base';
import { basicHandlers } from './basics';
import { ParamSyntaxError, parseCommandLine, Params, type ParsedCommand } from './command-line';
import { cmeText } from './cme-text';
import type { CommandContext, HandlerTable } from './context';
import { matchesCommand, NO_FAULTS, type FaultPlan } from './faults';
import { fileHandlers } from './files';
import { moduleIdentity, type ModuleIdentity } from './identity';
import { mqttConfigHandlers } from './mqtt-config';
import { mqttHandlers } from './mqtt-commands';
import type { HostMap, MqttClientSessionFactory } from './net/types';
import { ERROR, type Line, type Outcome } from './outcome';
import { PacedOutput } from './paced-output';
import { FAST_PACING, ModuleTiming, type PacingModel } from './pacing';
import { sslHandlers } from './ssl-config';
import { freshVolatileState, type ModuleState } from './state';

/**
 * One virtual Quectel module, AT side: bytes in from the host (`receive`), bytes out to listeners (`onOutput`),
 * paced at the UART's baud rate. It assembles command lines as the firmware does (echo while ATE1, CR ends a
 * line, lines not starting with AT are ignored), answers after a short processing time, switches to data input
 * after `> ` / `CONNECT`, and sends URCs whenever its MQTT sessions report something. Power-up, reboot and unplug
 * behave like the hardware: nothing is answered before RDY, RAM settings are lost on reboot, UFS files stay.
 */

export interface VirtualModuleOptions {
  /** Position in the fleet; with `seed` it fixes the identity (IMEI, ICCID, model ...). */
  readonly index?: number;
  readonly seed?: number;
  readonly identity?: ModuleIdentity;
  /** UART speed for output pacing, 8N1. 0 sends at once (unit tests that do not care about timing). */
  readonly baud?: number;
  /** Makes the MQTT client sessions (real TCP/TLS in main/emulator/net/, or an in-memory one in tests). */
  readonly sessionFactory: MqttClientSessionFactory;
  readonly hostMap?: HostMap;
  readonly faults?: FaultPlan;
  /** Time from power-on to RDY (ms). */
  readonly bootDelayMs?: number;
  /** Wall clock (ms) used for cloud signing timestamps. */
  readonly now?: () => number;
  /**
   * How long commands take and how far the broker is (main/emulator/pacing.ts): FAST_PACING (the default, for
   * tests) or REALISTIC_PACING (an EC200U on LTE, for benchmarks and `sim --pacing realistic`).
   */
  readonly pacing?: PacingModel;
}

export type { Disposable } from '../base';

type Power = 'off' | 'booting' | 'ready' | 'unplugged';

const HANDLERS: HandlerTable = {
  ...basicHandlers,
  ...fileHandlers,
  ...sslHandlers,
  ...mqttConfigHandlers,
  ...mqttHandlers,
};

const CR = 0x0d;
const LF = 0x0a;
const BACKSPACE = 0x08;
const ESC = 0x1b;
const MAX_LINE = 4096;
const BOOT_URCS = ['+CFUN: 1', '+CPIN: READY', '+QUSIM: 1', '+QIND: SMS DONE'];

interface PendingInput {
  /** The command that opened the input (its time to take the data depends on it). */
  readonly name: string;
  readonly outcome: Extract<Outcome, { kind: 'input' }>;
  readonly chunks: Uint8Array[];
  received: number;
  timer: NodeJS.Timeout | undefined;
}

export class VirtualModule {
  readonly identity: ModuleIdentity;
  readonly state: ModuleState;
  readonly baud: number;
  private faultPlan: FaultPlan;
  private readonly output: PacedOutput;
  /** The receive side of the UART: host bytes reach the command interpreter no faster than the wire carries them. */
  private readonly wireIn: PacedOutput;
  private readonly outputEmitter = new Emitter<Uint8Array>('module.output');
  private readonly unplugEmitter = new Emitter<undefined>('module.unplug');
  private readyWaiters: (() => void)[] = [];
  private booted = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly context: CommandContext;
  private readonly timing: ModuleTiming;
  private power: Power = 'off';
  /** Bumped at every reboot/unplug: work started before it must not touch the new life. */
  private generation = 0;
  private inbox: Buffer[] = [];
  private line: number[] = [];
  private busy = false;
  private input: PendingInput | undefined;
  /** Handler failures other than bad parameters (a bug in the emulator); answered ERROR, counted for tests. */
  internalErrors = 0;

  constructor(private readonly options: VirtualModuleOptions) {
    this.identity = options.identity ?? moduleIdentity(options.index ?? 0, options.seed ?? 0);
    this.state = { identity: this.identity, files: new Map(), ...freshVolatileState() };
    this.baud = options.baud ?? 115200;
    this.faultPlan = options.faults ?? NO_FAULTS;
    this.timing = new ModuleTiming(options.pacing ?? FAST_PACING, Number(this.identity.imei.slice(-8)));
    const busy = this.timing.busy;
    const onWire = (start: number, end: number): void => busy.add(start, end);
    this.output = new PacedOutput((bytes) => this.outputEmitter.fire(bytes), this.baud, 64, onWire);
    this.wireIn = new PacedOutput((bytes) => this.accept(bytes), this.baud, 64, onWire);
    const network = this.timing.network;
    this.context = {
      state: this.state,
      urc: (line) => this.urc(line),
      faults: () => this.faultPlan,
      hostMap: options.hostMap ?? new Map(),
      sessionFactory: options.sessionFactory,
      now: options.now ?? Date.now,
      reboot: () => this.rebootAfterReply(),
      ...(network !== undefined ? { network } : {}),
    };
  }

  /** The timing model this module runs on. */
  get pacing(): PacingModel {
    return this.timing.model;
  }

  /**
   * How long the module has been busy since it was made (ms): the union of every wait it scheduled, the wire time
   * of every byte in both directions at its baud rate, its command processing, and the modeled network (overlaps
   * counted once). The difference over a run is that run's floor: what a station answering at once would take.
   */
  get busyMs(): number {
    return this.timing.busy.ms;
  }

  get powerState(): Power {
    return this.power;
  }

  /** Total bytes the module has put on its transmit line. */
  get bytesSent(): number {
    return this.output.bytesSent;
  }

  get faults(): FaultPlan {
    return this.faultPlan;
  }

  setFaults(plan: FaultPlan): void {
    this.faultPlan = plan;
  }

  onOutput(listener: (bytes: Uint8Array) => void): Disposable {
    return this.outputEmitter.event(listener);
  }

  /** Fired once when the module is unplugged (the transport must vanish too). */
  onUnplug(listener: () => void): Disposable {
    return this.unplugEmitter.event(() => listener());
  }

  /** Powers the module on: RDY after the boot delay, then the SIM and SMS URCs. */
  powerOn(): void {
    if (this.power !== 'off') return;
    this.boot();
  }

  /** Resolves once the module has sent its power-up URCs (RDY ... +QIND: SMS DONE) and takes commands. */
  whenReady(): Promise<void> {
    if (this.booted) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /** Bytes from the host. Ignored while booting (before RDY) and after unplug. */
  receive(bytes: Uint8Array): void {
    if (this.power !== 'ready' || bytes.length === 0) return;
    this.wireIn.write(Buffer.from(bytes));
  }

  private accept(bytes: Uint8Array): void {
    if (this.power !== 'ready') return;
    this.inbox.push(Buffer.from(bytes));
    this.pump();
  }

  /** Restart as after a watchdog or AT+CFUN=1,1: MQTT/SSL settings and links are lost, files are kept. */
  reboot(): void {
    if (this.power === 'unplugged') return;
    this.powerDown();
    Object.assign(this.state, freshVolatileState());
    this.output.reopen();
    this.wireIn.reopen();
    this.boot();
  }

  /**
   * AT+CFUN=1,1: the final result leaves the UART first, then the module restarts (RDY and the boot URCs follow).
   * Restarting at once would drop the OK still queued on the wire.
   */
  private rebootAfterReply(): void {
    const generation = this.generation;
    void this.output.drained().then(() => {
      if (generation === this.generation) this.reboot();
    });
  }

  /** The USB cable is pulled: everything stops, listeners of `onUnplug` tear the transport down. */
  unplug(): void {
    if (this.power === 'unplugged') return;
    this.powerDown();
    this.power = 'unplugged';
    this.unplugEmitter.fire(undefined);
    this.unplugEmitter.dispose();
  }

  /** Line noise: bytes that are no response at all, sent between whatever else is going out. */
  injectGarbage(bytes?: Uint8Array): void {
    if (this.power !== 'ready') return;
    this.output.write(bytes ?? Buffer.from([0xff, 0x00, 0xfe, 0x41, 0x54, 0x8a, 0x0d, 0x0a, 0x7f, 0x13]));
  }

  /** Network loss on one MQTT client (or all): the session reports +QMTSTAT as a real link loss would. */
  dropLink(clientIdx?: number): void {
    this.state.mqtt.forEach((slot, idx) => {
      if (clientIdx === undefined || clientIdx === idx) slot.session?.dropLink();
    });
  }

  /** Resolves when everything queued for output has left the wire. */
  drained(): Promise<void> {
    return this.output.drained();
  }

  /** Stops the module for good without the unplug event (test and fleet teardown). */
  dispose(): void {
    this.powerDown();
    this.power = 'unplugged';
    this.outputEmitter.dispose();
    this.unplugEmitter.dispose();
  }

  private powerDown(): void {
    this.generation++;
    this.booted = false;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    if (this.input?.timer) clearTimeout(this.input.timer);
    this.input?.outcome.onAbort?.();
    this.input = undefined;
    this.inbox = [];
    this.line = [];
    this.busy = false;
    for (const slot of this.state.mqtt) {
      slot.session?.destroy();
      slot.session = undefined;
    }
    this.output.close();
    this.wireIn.close();
    this.power = 'off';
  }

  private boot(): void {
    this.power = 'booting';
    const bootDelay = this.options.bootDelayMs ?? 30;
    this.later(bootDelay, () => {
      this.power = 'ready';
      this.urc('RDY');
      BOOT_URCS.forEach((line, i) => this.later(5 * (i + 1), () => this.urc(line)));
      this.later(5 * BOOT_URCS.length + 1, () => {
        this.booted = true;
        const waiters = this.readyWaiters;
        this.readyWaiters = [];
        for (const w of waiters) w();
      });
    });
  }

  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.later(ms, resolve));
  }

  /** A wait of the module's own (processing, a late answer): counted in its busy time. */
  private work(ms: number): Promise<void> {
    this.timing.busy.addFromNow(ms);
    return this.sleep(ms);
  }

  private write(data: string | Uint8Array): void {
    this.output.write(typeof data === 'string' ? Buffer.from(data) : data);
  }

  private urc(line: string | Uint8Array): void {
    if (this.power !== 'ready') return;
    this.write(Buffer.concat([Buffer.from('\r\n'), Buffer.from(line), Buffer.from('\r\n')]));
  }

  private pump(): void {
    while (!this.busy && this.inbox.length > 0 && this.power === 'ready') {
      const chunk = this.inbox[0];
      if (!chunk) break;
      let line: string | undefined;
      let rest: Buffer;
      if (this.input) {
        rest = this.feedInput(this.input, chunk);
      } else {
        const fed = this.feedCommandLine(chunk);
        rest = fed.rest;
        line = fed.line;
      }
      if (rest.length === 0) this.inbox.shift();
      else this.inbox[0] = rest;
      if (line !== undefined) {
        this.execute(line).catch(() => {
          // Only an emulator bug gets here; the module stays usable and the test suite sees the count.
          this.internalErrors++;
          this.busy = false;
        });
      }
    }
  }

  /** Takes bytes of a command line until CR; returns the completed line (if any) and what is left of the chunk. */
  private feedCommandLine(chunk: Buffer): { line: string | undefined; rest: Buffer } {
    let i = 0;
    for (; i < chunk.length; i++) {
      const byte = chunk[i] ?? 0;
      if (byte === CR) {
        i++;
        break;
      }
      if (byte === LF) continue;
      if (byte === BACKSPACE) this.line.pop();
      else if (this.line.length < MAX_LINE) this.line.push(byte);
    }
    if (this.state.echo) {
      // Echo is every byte as received except LF (hosts that send CR LF would otherwise see it after the reply).
      const echoed = chunk.subarray(0, i).filter((b) => b !== LF);
      if (echoed.length > 0) this.write(echoed);
    }
    const ended = i > 0 && chunk[i - 1] === CR;
    let line: string | undefined;
    if (ended) {
      line = Buffer.from(this.line).toString('latin1');
      this.line = [];
    }
    return { line, rest: chunk.subarray(i) };
  }

  /**
   * Takes bytes of a `> ` or CONNECT input; returns what is left of the chunk. ESC (0x1B) during a `> ` input
   * leaves it without sending anything (answered ERROR); an upload after CONNECT takes every byte as file data.
   */
  private feedInput(input: PendingInput, chunk: Buffer): Buffer {
    const take = Math.min(chunk.length, input.outcome.length - input.received);
    const escape = input.outcome.style === 'prompt' ? chunk.subarray(0, take).indexOf(ESC) : -1;
    const part = chunk.subarray(0, escape >= 0 ? escape : take);
    input.chunks.push(part);
    input.received += part.length;
    if (input.outcome.echo && this.state.echo && part.length > 0) this.write(part);
    if (escape >= 0) {
      this.finishInput(input, 'cancelled');
      return chunk.subarray(escape + 1);
    }
    if (input.received >= input.outcome.length) this.finishInput(input, 'complete');
    return chunk.subarray(take);
  }

  private finishInput(input: PendingInput, end: 'complete' | 'timeout' | 'cancelled'): void {
    if (this.input !== input) return;
    if (input.timer) clearTimeout(input.timer);
    this.input = undefined;
    if (end === 'cancelled') {
      this.respond(ERROR, '');
      return;
    }
    const data = Buffer.concat(input.chunks);
    let outcome: Outcome;
    try {
      outcome = input.outcome.onData(data, end === 'timeout');
    } catch (error: unknown) {
      if (!(error instanceof ParamSyntaxError)) this.internalErrors++;
      outcome = ERROR;
    }
    // Taking the data (a file written to flash, a packet handed on) takes the module a while; meanwhile it reads
    // no further command.
    const ms = end === 'complete' ? this.timing.inputMs(input.name, data.length) : 0;
    if (ms <= 0) {
      this.respond(outcome, '');
      return;
    }
    this.busy = true;
    this.timing.busy.addFromNow(ms);
    this.later(ms, () => this.respond(outcome, ''));
  }

  private async execute(line: string): Promise<void> {
    const generation = this.generation;
    this.busy = true;
    let name = '';
    let outcome: Outcome;
    try {
      // Noise before the command (a line that picked up stray bytes) is skipped up to the first "AT".
      const start = line.search(/at/i);
      const commands = start < 0 ? null : parseCommandLine(line.slice(start));
      if (commands === null) {
        this.busy = false;
        queueMicrotask(() => this.pump());
        return;
      }
      const timed = commands.find((command) => this.faultOn(command.name)) ?? commands[0];
      name = timed?.name ?? '';
      await this.work(this.timing.commandMs(name, timed?.form ?? 'exec'));
      const late = this.faultPlan.lateResponse?.[name];
      if (late !== undefined) await this.work(late);
      if (generation !== this.generation) return;
      outcome = await this.run(commands);
    } catch (error: unknown) {
      // Bad parameters answer ERROR; so does anything unexpected in a handler: bad input never stops the module.
      if (!(error instanceof ParamSyntaxError) && generation === this.generation) this.internalErrors++;
      outcome = ERROR;
    }
    if (generation !== this.generation) return;
    this.respond(outcome, name);
  }

  /** Whether a fault names this command. */
  private faultOn(name: string): boolean {
    const plan = this.faultPlan;
    return (
      matchesCommand(plan.errorOn, name) ||
      matchesCommand(plan.dropResponseOn, name) ||
      plan.lateResponse?.[name] !== undefined
    );
  }

  /**
   * Runs the commands of one line in order. As V.250 has it, a failing command ends the line with its error;
   * otherwise the information lines of all of them come before one OK.
   */
  private async run(commands: readonly ParsedCommand[]): Promise<Outcome> {
    const lines: Line[] = [];
    let last: Outcome = ERROR;
    for (const command of commands) {
      const handler = HANDLERS[command.name];
      last = matchesCommand(this.faultPlan.errorOn, command.name)
        ? ERROR
        : handler
          ? await handler(command, new Params(command.params), this.context)
          : ERROR;
      if (commands.length === 1) return last;
      if (last.kind !== 'ok') return last;
      lines.push(...(last.lines ?? []));
    }
    return last.kind === 'ok' ? { ...last, lines } : last;
  }

  private respond(outcome: Outcome, name: string): void {
    const dropped = name !== '' && matchesCommand(this.faultPlan.dropResponseOn, name);
    if (outcome.kind === 'input') {
      this.write(outcome.style === 'prompt' ? '\r\n> ' : '\r\nCONNECT\r\n');
      const input: PendingInput = { name, outcome, chunks: [], received: 0, timer: undefined };
      if (outcome.timeoutMs !== undefined) {
        input.timer = setTimeout(() => this.finishInput(input, 'timeout'), outcome.timeoutMs);
      }
      this.input = input;
    } else {
      if (!dropped) this.write(this.frame(outcome));
      if (outcome.kind === 'ok' && outcome.after) this.runAfter(outcome.after);
    }
    this.busy = false;
    queueMicrotask(() => this.pump());
  }

  /** Starts the network work of a command whose OK is out; a failure there must not stop the module. */
  private runAfter(after: () => void): void {
    try {
      after();
    } catch {
      this.internalErrors++;
    }
  }

  private frame(outcome: Exclude<Outcome, { kind: 'input' }>): Buffer {
    const parts: Buffer[] = [];
    const lines: readonly Line[] = outcome.kind === 'error' ? [] : (outcome.lines ?? []);
    if (lines.length > 0) {
      parts.push(Buffer.from('\r\n'));
      for (const line of lines) parts.push(Buffer.from(line), Buffer.from('\r\n'));
    }
    const compact = outcome.kind === 'ok' && outcome.compact === true && lines.length > 0;
    parts.push(Buffer.from(`${compact ? '' : '\r\n'}${this.finalText(outcome)}\r\n`));
    return Buffer.concat(parts);
  }

  private finalText(outcome: Exclude<Outcome, { kind: 'input' }>): string {
    if (outcome.kind === 'ok') return 'OK';
    if (outcome.kind === 'error') return 'ERROR';
    if (this.state.cmee === 0) return 'ERROR';
    return `+CME ERROR: ${this.state.cmee === 2 ? cmeText(outcome.code) : outcome.code}`;
  }
}
