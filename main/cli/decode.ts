import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { decodeLog, renderJsonLines, renderText } from '../at/decode';

/** Largest log accepted (customer captures are a few MB at most); beyond it the command refuses clearly. */
const MAX_LOG_BYTES = 64 * 1024 * 1024;

/** Reads standard input to its end, refusing more than MAX_LOG_BYTES. */
async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of process.stdin) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    total += buffer.length;
    chunks.push(buffer);
    // One chunk past the limit is enough for the size check to refuse it; no need to read the rest.
    if (total > MAX_LOG_BYTES) break;
  }
  return Buffer.concat(chunks);
}

/**
 * `fleet-station decode FILE [--json]`: explains a captured AT log for support staff. Exit code 0 when the log
 * was decoded (whatever it contains), 2 when the file cannot be read.
 */
export function registerDecode(program: Command): void {
  program
    .command('decode')
    .description(
      'Explain a captured AT log: each command with its outcome and duration, each URC and error in plain words.',
    )
    .argument('<file>', 'the log file (any common timestamp format, with or without echo, CRLF or LF); - for stdin')
    .option('--json', 'one JSON object per event per line instead of the annotated text')
    .action(async (file: string, options: { json?: boolean }) => {
      let bytes: Uint8Array;
      try {
        bytes = file === '-' ? await readStdin() : await readFile(file);
      } catch (error) {
        const reason = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
        process.stderr.write(`fleet-station decode: cannot read ${file} (${reason})\n`);
        process.exitCode = 2;
        return;
      }
      if (bytes.length > MAX_LOG_BYTES) {
        process.stderr.write(`fleet-station decode: ${file} is larger than ${MAX_LOG_BYTES} bytes\n`);
        process.exitCode = 2;
        return;
      }
      const events = decodeLog(bytes);
      process.stdout.write(options.json === true ? renderJsonLines(events) : renderText(events));
    });
}
