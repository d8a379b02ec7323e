/**
 * Benchmark: 64 virtual modules on real pseudo-terminals at once (one socat each, serialport on both ends).
 * Prints memory per module and the time of a scripted provisioning session at 115200 baud against its wire-time
 * floor (bytes both ways × 10 bits / baud). Run: `node --expose-gc bin/run-ts.mjs bench/emulator-64.ts [COUNT]`.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { formatQfuplChecksum } from '../main/emulator/checksum';
import { MemoryBroker } from '../main/emulator/memory-broker';
import { startVirtualFleet } from '../main/emulator/pty-module';
import { TestHost } from '../main/testing/test-host';
import { SerialTransport } from '../main/transport/serial';

const COUNT = Number(process.argv[2] ?? 64);
const BAUD = 115200;
const cert = readFileSync(new URL('../main/emulator/fixtures/AmazonRootCA1.pem', import.meta.url));
const payload = Buffer.alloc(200, 0x61);

type Step = { line: string; data?: Uint8Array; until: string };

/** A provisioning session as a station runs it: identity, certificate upload, SSL and MQTT setup, round trip. */
function script(n: number): Step[] {
  return [
    { line: 'AT', until: 'OK\r\n' },
    { line: 'ATI', until: 'OK\r\n' },
    { line: 'AT+GSN', until: 'OK\r\n' },
    { line: 'AT+QCCID', until: 'OK\r\n' },
    { line: 'AT+CIMI', until: 'OK\r\n' },
    { line: 'AT+CSQ', until: 'OK\r\n' },
    { line: 'AT+CEREG?', until: 'OK\r\n' },
    { line: `AT+QFUPL="UFS:ca${n}.pem",${cert.length},10`, until: 'CONNECT\r\n' },
    { line: '', data: cert, until: `+QFUPL: ${cert.length},${formatQfuplChecksum(cert)}\r\n\r\nOK\r\n` },
    { line: `AT+QSSLCFG="cacert",1,"UFS:ca${n}.pem"`, until: 'OK\r\n' },
    { line: 'AT+QSSLCFG="seclevel",1,1', until: 'OK\r\n' },
    { line: 'AT+QMTCFG="recv/mode",0,0,1', until: 'OK\r\n' },
    { line: 'AT+QMTCFG="keepalive",0,60', until: 'OK\r\n' },
    { line: 'AT+QMTOPEN=0,"broker.example",1883', until: '+QMTOPEN: 0,0\r\n' },
    { line: `AT+QMTCONN=0,"bench-${n}"`, until: '+QMTCONN: 0,0,0\r\n' },
    { line: `AT+QMTSUB=0,1,"bench/${n}",1`, until: '+QMTSUB: 0,1,0,1\r\n' },
    { line: `AT+QMTPUBEX=0,2,1,0,"bench/${n}",${payload.length}`, until: '> ' },
    { line: '', data: payload, until: '"\r\n' },
    { line: 'AT+QMTDISC=0', until: '+QMTDISC: 0,0\r\n' },
  ];
}

/** Longest AT+QMTCFG reply seen (the spec's maximum response time for it is 300 ms). */
let slowestQmtcfgMs = 0;

async function runSession(host: TestHost, n: number): Promise<{ ms: number; tx: number; rx: number }> {
  const rxBefore = host.all.length;
  let tx = 0;
  const started = performance.now();
  for (const step of script(n)) {
    const bytes = step.data ?? Buffer.from(`${step.line}\r`);
    tx += bytes.length;
    const sent = performance.now();
    await host.send(bytes);
    await host.until(step.until, 30_000);
    if (step.line.startsWith('AT+QMTCFG')) slowestQmtcfgMs = Math.max(slowestQmtcfgMs, performance.now() - sent);
  }
  return { ms: performance.now() - started, tx, rx: host.all.length - rxBefore };
}

/** RSS (kB) of every process descended from this one: the socat per module and whatever wraps it. */
function childProcessesRssKb(): number {
  const procs = new Map<number, { ppid: number; rssKb: number }>();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(status)?.[1] ?? 0);
      procs.set(Number(pid), { ppid, rssKb: Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0) });
    } catch {
      // The process ended between listing and reading.
    }
  }
  let total = 0;
  const queue = [process.pid];
  while (queue.length > 0) {
    const parent = queue.shift();
    for (const [pid, info] of procs) {
      if (info.ppid !== parent) continue;
      total += info.rssKb;
      queue.push(pid);
    }
  }
  return total;
}

const gc = (globalThis as { gc?: () => void }).gc;
const settle = () => {
  gc?.();
  return process.memoryUsage();
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(2);

const before = settle();
const broker = new MemoryBroker();
const fleet = await startVirtualFleet({
  count: COUNT,
  baud: BAUD,
  sessionFactory: broker.createSession,
  autoPowerOn: false,
});
try {
  const hosts: TestHost[] = [];
  const stations: SerialTransport[] = [];
  for (const m of fleet.modules) {
    const station = await SerialTransport.open({ path: m.path, baudRate: BAUD });
    stations.push(station);
    hosts.push(new TestHost(station));
    m.module.powerOn();
  }
  await Promise.all(hosts.map((h) => h.until('+QIND: SMS DONE\r\n', 30_000)));
  const booted = settle();

  // One module alone, then all of them at once.
  const alone = await runSession(hosts[0] as TestHost, 0);
  const together = await Promise.all(hosts.map((h, i) => (i === 0 ? runSession(h, 1000) : runSession(h, i))));
  const after = settle();

  // Command and reply alternate, so the floor is the bytes of both directions at the wire rate; the module paces
  // both (its receive side delivers host bytes to the interpreter at the wire rate too).
  const floorMs = (r: { tx: number; rx: number }) => ((r.tx + r.rx) * 10 * 1000) / BAUD;
  const outFloorMs = (r: { rx: number }) => (r.rx * 10 * 1000) / BAUD;
  const times = together.map((r) => r.ms);
  console.log(`emulator-64: ${COUNT} modules on ptys at ${BAUD} baud (socat + serialport both ends, in-memory broker)`);
  console.log(
    `memory per module: RSS ${mb((booted.rss - before.rss) / COUNT)} MB, heap ${mb((booted.heapUsed - before.heapUsed) / COUNT)} MB` +
      ` (after sessions: RSS ${mb((after.rss - before.rss) / COUNT)} MB, heap ${mb((after.heapUsed - before.heapUsed) / COUNT)} MB)${gc ? '' : ' [no --expose-gc]'}`,
  );
  console.log(
    `child processes (socat and its guard): ${(childProcessesRssKb() / COUNT / 1024).toFixed(2)} MB RSS per module`,
  );
  console.log(
    `session: ${alone.tx} bytes host->module, ${alone.rx} bytes module->host; wire floor ${floorMs(alone).toFixed(1)} ms both ways, ${outFloorMs(alone).toFixed(1)} ms module->host`,
  );
  console.log(
    `  one module alone:      ${alone.ms.toFixed(1)} ms (${(alone.ms / floorMs(alone)).toFixed(2)} x both-ways floor, ${(alone.ms / outFloorMs(alone)).toFixed(2)} x module->host floor)`,
  );
  console.log(
    `  ${COUNT} modules at once: median ${median(times).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms` +
      ` (${(median(times) / floorMs(alone)).toFixed(2)} x floor median)`,
  );
  console.log(`slowest AT+QMTCFG reply: ${slowestQmtcfgMs.toFixed(1)} ms (spec maximum 300 ms)`);
  for (const s of stations) await s.close();
} finally {
  await fleet.close();
}
