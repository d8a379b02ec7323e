/**
 * A realistic mixed byte stream of one module with echo on, for the parser benchmarks: publishes with their
 * prompt and echoed payload, received messages (with and without length, payloads holding quotes, commas and
 * CR LF), queries with responses, URCs, and the odd certificate upload. Deterministic (seeded), so runs compare.
 */
export function mixedStream(targetBytes: number, seed = 1): Uint8Array {
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [];
  let total = 0;
  let x = seed;
  const rand = (n: number): number => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x % n;
  };
  const text = (n: number): string => {
    const words = ['temp', '21.5', '"unit":"C"', 'ok,', 'fleet', '\r\n', 'a\tb', '{"v":1}', 'station'];
    let s = '';
    while (s.length < n) s += (words[rand(words.length)] ?? '') + ' ';
    return s.slice(0, n);
  };
  const add = (s: string): void => {
    const bytes = encoder.encode(s);
    parts.push(bytes);
    total += bytes.length;
  };
  while (total < targetBytes) {
    const r = rand(100);
    if (r < 30) {
      const payload = text(50 + rand(1450));
      add(`AT+QMTPUBEX=0,${1 + rand(65535)},1,0,"fleet/dev${rand(999)}/telemetry",${payload.length}\r\r\n> `);
      add(`${payload}\r\nOK\r\n\r\n+QMTPUBEX: 0,${rand(65535)},0\r\n`);
    } else if (r < 60) {
      const payload = text(20 + rand(780));
      add(`\r\n+QMTRECV: 0,${rand(65535)},"fleet/dev${rand(999)}/cmd",${payload.length},"${payload}"\r\n`);
    } else if (r < 65) {
      add(`\r\n+QMTRECV: 1,0,"$sys/p1/d${rand(99)}/thing/property/set","{"id":"${rand(1e6)}","params":{}}"\r\n`);
    } else if (r < 80) {
      add('AT+QMTCONN?\r\r\n+QMTCONN: 0,3\r\n\r\nOK\r\n');
    } else if (r < 90) {
      add(`AT+CSQ\r\r\n+CSQ: ${rand(31)},99\r\n\r\nOK\r\n`);
    } else if (r < 97) {
      add(rand(2) === 0 ? '\r\n+QMTPING: 0,1\r\n' : '\r\n+QIURC: "pdpdeact",1\r\n');
    } else if (r < 99) {
      add('AT+QMTCFG="recv/mode",0,0,1\r\r\nOK\r\n');
    } else {
      const file = text(1000 + rand(1000));
      add(
        `AT+QFUPL="UFS:ca${rand(9)}.pem",${file.length},100\r\r\nCONNECT\r\n${file}\r\n+QFUPL: ${file.length},2d13\r\n\r\nOK\r\n`,
      );
    }
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Cuts a stream into chunks of at most `size` bytes (reads from a port). */
export function chunked(stream: Uint8Array, size: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < stream.length; i += size) chunks.push(stream.slice(i, i + size));
  return chunks;
}
