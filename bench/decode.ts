import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineSplitter } from '../main/at/decode/log-line';

/**
 * `fleet-station decode` on 60 MB logs (issue 8, item 5: it used to reach 4.8 GB and abort), as a support engineer
 * runs it: a child process writing to /dev/null, its wall time and peak RSS from /usr/bin/time -v. Compared with
 * the time to just read the file, raw (the bytes, in the CLI's 64 KiB chunks) and as lines (UTF-8 decoded and
 * split, the least a decoder must do). Two logs: a realistic capture (timestamps, direction markers, commands with
 * their answers and URCs, received messages, credentials to redact) and the flood of `OK` lines.
 * Usage: node bin/run-ts.mjs bench/decode.ts [MB=60]
 */

const megabytes = Number(process.argv[2] ?? 60);
const target = megabytes * 1024 * 1024;
const repo = fileURLToPath(new URL('../', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'bench-decode-'));

/** A deterministic realistic capture of about `bytes` bytes. */
function realisticLog(bytes: number): string {
  let x = 7;
  const rand = (n: number): number => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x % n;
  };
  const parts: string[] = [];
  let total = 0;
  let ms = 0;
  const line = (direction: '-->' | '<--', text: string): void => {
    ms += 1 + rand(40);
    const h = Math.floor(ms / 3_600_000) % 24;
    const m = Math.floor(ms / 60_000) % 60;
    const s = Math.floor(ms / 1000) % 60;
    const stamp = `2024-05-01 ${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}.${String(ms % 1000).padStart(3, '0')}`;
    const entry = `[${stamp}] ${direction} ${text}\r\n`;
    parts.push(entry);
    total += entry.length;
  };
  while (total < bytes) {
    const r = rand(100);
    const client = rand(6);
    if (r < 25) {
      const payload = `{"t":${rand(400)},"dev":"d${rand(999)}","seq":${rand(1e6)}}`;
      const id = 1 + rand(65534);
      line('-->', `AT+QMTPUBEX=${client},${id},1,0,"fleet/d${rand(999)}/up",${payload.length}`);
      line('<--', '> ');
      line('-->', payload);
      line('<--', 'OK');
      line('<--', `+QMTPUBEX: ${client},${id},0`);
    } else if (r < 45) {
      const payload = `{"cmd":"set","v":${rand(100)},"note":"a, b"}`;
      line('<--', `+QMTRECV: ${client},${rand(65535)},"fleet/d${rand(999)}/down",${payload.length},"${payload}"`);
    } else if (r < 55) {
      line('-->', `AT+QMTCONN=${client},"dev${rand(999)}","user${rand(99)}","Pw-${rand(1e6)}-secret"`);
      line('<--', 'OK');
      line('<--', `+QMTCONN: ${client},0,0`);
    } else if (r < 60) {
      line('-->', `AT+QMTCFG="aliauth",${client},"pk${rand(99)}","dn${rand(999)}","Sec${rand(1e9)}ret"`);
      line('<--', 'OK');
    } else if (r < 75) {
      line('-->', 'AT+CSQ');
      line('<--', `+CSQ: ${rand(31)},99`);
      line('<--', 'OK');
    } else if (r < 85) {
      const id = 1 + rand(65534);
      line('-->', `AT+QMTSUB=${client},${id},"fleet/d${rand(999)}/down",1`);
      line('<--', 'OK');
      line('<--', `+QMTSUB: ${client},${id},0,1`);
    } else if (r < 92) {
      line('-->', 'AT+QMTCONN?');
      line('<--', `+QMTCONN: ${client},3`);
      line('<--', 'OK');
    } else if (r < 96) {
      line('<--', `+QMTSTAT: ${client},${1 + rand(8)}`);
    } else {
      line('-->', `AT+QMTOPEN=${client},"iot-as-mqtt.cn-shanghai.aliyuncs.com",1883`);
      line('<--', 'OK');
      line('<--', `+QMTOPEN: ${client},${rand(3) === 0 ? -1 : 0}`);
    }
  }
  return parts.join('');
}

/**
 * A production line's log at its worst for the secret mask: nothing but MQTT connects, each device with its own
 * password (about 400,000 distinct secrets in 60 MB), every one of which is masked wherever it appears.
 */
function connectsLog(bytes: number): string {
  const parts: string[] = [];
  let total = 0;
  for (let device = 0; total < bytes; device++) {
    const second = String(Math.floor(device / 10) % 60).padStart(2, '0');
    const stamp = `[2024-05-01 10:00:${second}.${String(device % 1000).padStart(3, '0')}]`;
    const entry =
      `${stamp} --> AT+QMTCONN=0,"dev${device}","user${device % 97}","Pw-${device}x${(device * 7919) % 100_000}-secret"\r\n` +
      `${stamp} <-- OK\r\n${stamp} <-- +QMTCONN: 0,0,0\r\n`;
    parts.push(entry);
    total += entry.length;
  }
  return parts.join('');
}

/** Connects with distinct 1,000-character passwords (about 58,000 in 60 MB): the secret mask at its largest. */
function longSecretsLog(bytes: number): string {
  const parts: string[] = [];
  let total = 0;
  let x = 7;
  for (let device = 0; total < bytes; device++) {
    let secret = `s${device}-`;
    while (secret.length < 1000) {
      x = (x * 1103515245 + 12345) & 0x7fffffff;
      secret += String.fromCharCode(0x61 + (x % 26));
    }
    const entry = `AT+QMTCONN=0,"c${device}","u","${secret}"\r\nOK\r\n`;
    parts.push(entry);
    total += entry.length;
  }
  return parts.join('');
}

/**
 * Milliseconds to read the file in `chunk`-byte reads (the CLI reads 64 KiB at a time); with `lines`, also decoded
 * and split into lines. `cpuMs`: the processor time it took (user and system), which a busy machine inflates less
 * than the wall time. Chunks of 128 KiB or more decode into strings V8 allocates in fresh pages each time: on this
 * VM reading as lines in 256 KiB chunks took 4 to 5 times as long as in 64 KiB chunks (earlier figures used them).
 */
function readMs(path: string, lines: boolean, chunk = 64 * 1024): { ms: number; cpuMs: number; count: number } {
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  const fd = openSync(path, 'r');
  const buffer = new Uint8Array(chunk);
  const utf8 = new TextDecoder();
  const splitter = new LineSplitter();
  let count = 0;
  for (;;) {
    const read = readSync(fd, buffer, 0, buffer.length, null);
    if (read === 0) break;
    if (lines) count += splitter.push(utf8.decode(buffer.subarray(0, read), { stream: true })).length;
  }
  if (lines) count += splitter.end().length;
  closeSync(fd);
  const cpu = process.cpuUsage(cpuStart);
  return { ms: performance.now() - start, cpuMs: (cpu.user + cpu.system) / 1000, count };
}

/**
 * The least any line-by-line annotator must do besides reading: write one numbered output line per input line
 * (`12345 <the line>`), encoded into 64 KiB pieces written to /dev/null. Context for the decode figures, whose
 * output is 2 (text) to 6 (JSON) times the size of the log.
 */
function echoMs(path: string): { ms: number; cpuMs: number; bytes: number } {
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  const fd = openSync(path, 'r');
  const sink = openSync('/dev/null', 'w');
  const buffer = new Uint8Array(64 * 1024);
  const out = Buffer.allocUnsafe(256 * 1024);
  const utf8 = new TextDecoder();
  const splitter = new LineSplitter();
  let number = 0;
  let used = 0;
  let bytes = 0;
  const emit = (text: string): void => {
    number++;
    if (used + text.length * 3 + 16 > out.length) {
      writeSync(sink, out, 0, used);
      bytes += used;
      used = 0;
    }
    used += out.write(`${String(number).padStart(5)} ${text}\n`, used, 'utf8');
  };
  for (;;) {
    const read = readSync(fd, buffer, 0, buffer.length, null);
    if (read === 0) break;
    splitter.each(utf8.decode(buffer.subarray(0, read), { stream: true }), emit);
  }
  for (const { text } of splitter.end()) emit(text);
  writeSync(sink, out, 0, used);
  closeSync(fd);
  closeSync(sink);
  const cpu = process.cpuUsage(cpuStart);
  return { ms: performance.now() - start, cpuMs: (cpu.user + cpu.system) / 1000, bytes: bytes + used };
}

/** `fleet-station decode` under /usr/bin/time -v: wall time, processor time (user + system) and peak RSS. */
function decodeRun(path: string, json: boolean): { wallS: number; cpuS: number; rssMb: number; ok: boolean } {
  const args = [
    '-v',
    process.execPath,
    join(repo, 'bin/fleet-station.mjs'),
    'decode',
    path,
    ...(json ? ['--json'] : []),
  ];
  const run = spawnSync('/usr/bin/time', args, { cwd: repo, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(run.stderr)?.[1];
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(run.stderr);
  const wallS = wall ? Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]) : NaN;
  const user = /User time \(seconds\): ([\d.]+)/.exec(run.stderr)?.[1];
  const system = /System time \(seconds\): ([\d.]+)/.exec(run.stderr)?.[1];
  const cpuS = Number(user ?? NaN) + Number(system ?? NaN);
  return { wallS, cpuS, rssMb: Number(rss ?? NaN) / 1024, ok: run.status === 0 };
}

/** Node started with the CLI and nothing to decode: the fixed cost inside every decode figure. */
function startup(): { wallS: number; cpuS: number } {
  const empty = join(scratch, 'empty.log');
  writeFileSync(empty, '');
  return decodeRun(empty, false);
}

try {
  const logs = [
    { name: 'realistic capture', text: realisticLog(target) },
    { name: 'OK lines', text: 'OK\r\n'.repeat(Math.floor(target / 4)) },
    { name: 'a password per device', text: connectsLog(target) },
    { name: 'long passwords', text: longSecretsLog(target) },
  ];
  const start = startup();
  console.log(`CLI start-up (empty log): ${start.wallS.toFixed(2)} s wall, ${start.cpuS.toFixed(2)} s processor time`);
  for (const log of logs) {
    const path = join(scratch, `${log.name.replace(/\W+/g, '-')}.log`);
    writeFileSync(path, log.text);
    const size = statSync(path).size / 1024 / 1024;
    readMs(path, true); // warm the page cache and the JIT
    const raw = readMs(path, false);
    const split = readMs(path, true);
    const wide = readMs(path, true, 256 * 1024);
    console.log(`\n${log.name}: ${size.toFixed(1)} MB, ${split.count.toLocaleString('en')} lines`);
    console.log(`  read raw                ${(raw.ms / 1000).toFixed(2)} s`);
    console.log(
      `  read as lines           ${(split.ms / 1000).toFixed(2)} s (${(split.cpuMs / 1000).toFixed(2)} s processor time)`,
    );
    console.log(`  the same, 256 KiB reads ${(wide.ms / 1000).toFixed(2)} s (the baseline of earlier figures)`);
    const echo = echoMs(path);
    console.log(
      `  echo as numbered lines  ${(echo.ms / 1000).toFixed(2)} s (${(echo.bytes / 1024 / 1024).toFixed(0)} MB written)`,
    );
    for (const json of [false, true]) {
      const run = decodeRun(path, json);
      const work = run.wallS - start.wallS;
      const cpu = run.cpuS - start.cpuS;
      console.log(
        `  decode${json ? ' --json' : '       '}         ${run.wallS.toFixed(2)} s wall (${work.toFixed(2)} s after start-up, ` +
          `${(work / (split.ms / 1000)).toFixed(1)}x reading as lines), processor ${cpu.toFixed(2)} s after start-up ` +
          `(${(cpu / (split.cpuMs / 1000)).toFixed(1)}x), peak RSS ${run.rssMb.toFixed(0)} MB` +
          (run.ok ? '' : '  EXIT STATUS NOT 0'),
      );
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
