import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { bootInProcess, info, OK } from '../testing/test-module';
import type { VirtualModule } from './virtual-module';

const modules: VirtualModule[] = [];
afterEach(() => {
  for (const m of modules.splice(0)) m.dispose();
});

describe('command-line assembly', () => {
  it('gives the same reply whatever the chunking of the command and its "> " payload', async () => {
    const { host, module } = await bootInProcess();
    modules.push(module);
    const script = 'AT+QMTCFG="willex",0,1,1,0,"a/b",4\rWILLAT+QMTCFG="will",0\r';
    const want = '\r\n> \r\nOK\r\n' + info('+QMTCFG: "will",1,1,0,"a/b","WILL"');
    for (let size = 1; size <= 16; size++) {
      for (let i = 0; i < script.length; i += size) await host.send(script.slice(i, i + size));
      expect(await host.until('"WILL"\r\n\r\nOK\r\n'), `chunk size ${size}`).toBe(want);
    }
  });

  it('echoes exactly what it was sent, CR included, LF dropped; backspace edits the line', async () => {
    const { host, module } = await bootInProcess({ echo: true });
    modules.push(module);
    await host.send('ATX\bI\r');
    expect((await host.until('OK\r\n')).startsWith('ATX\bI\r\r\nQuectel\r\n')).toBe(true);
    await host.send('AT\r\n');
    expect(await host.until('OK\r\n')).toBe('AT\r' + OK);
  });

  it('never crashes and always recovers on arbitrary input (property)', async () => {
    const { host, module } = await bootInProcess();
    modules.push(module);
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (noise) => {
        run++;
        await host.send(noise);
        // Whatever the noise did to the current line, a fresh line with a setting and its query is answered.
        await host.send(`\rAT+QMTCFG="keepalive",5,${run}\rAT+QMTCFG="keepalive",5\r`);
        await host.until(`+QMTCFG: "keepalive",${run}\r\n\r\nOK\r\n`);
        return module.internalErrors === 0;
      }),
      { numRuns: 50 },
    );
    expect(module.powerState).toBe('ready');
  });
});
