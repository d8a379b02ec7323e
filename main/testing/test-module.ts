import { InProcessTransport } from '../emulator/in-process-transport';
import { MemoryBroker } from '../emulator/memory-broker';
import { TestHost } from './test-host';
import { VirtualModule, type VirtualModuleOptions } from '../emulator/virtual-module';

/** A booted in-process module with echo off (unless asked), its host and its in-memory broker, for unit tests. */
export async function bootInProcess(
  options: Partial<VirtualModuleOptions> & { echo?: boolean; broker?: MemoryBroker } = {},
): Promise<{ module: VirtualModule; host: TestHost; broker: MemoryBroker; transport: InProcessTransport }> {
  const broker = options.broker ?? new MemoryBroker();
  const module = new VirtualModule({ sessionFactory: broker.createSession, bootDelayMs: 2, baud: 0, ...options });
  const transport = new InProcessTransport(module);
  const host = new TestHost(transport);
  module.powerOn();
  await host.until('+QIND: SMS DONE\r\n');
  if (options.echo !== true) await host.command('ATE0');
  return { module, host, broker, transport };
}

export const OK = '\r\nOK\r\n';
export const ERR = '\r\nERROR\r\n';
export const info = (...lines: string[]) => `\r\n${lines.join('\r\n')}\r\n\r\nOK\r\n`;
export const urc = (line: string) => `\r\n${line}\r\n`;
