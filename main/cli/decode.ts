import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { LogDecoder, LogScan, renderJsonLine, TextRenderer, type DecodedEvent, type LogFacts } from '../at/decode';

/** Largest log accepted on standard input (held in memory for the two passes); files are streamed, any size. */
export const MAX_STDIN_BYTES = 64 * 1024 * 1024;
/** Bytes read at a time. */
const CHUNK = 1024 * 1024;
/**
 * Bytes decoded into one string at a time. Kept under V8's large-object size (128 KiB): larger pieces become
 * strings allocated in fresh pages each time, which on some machines costs more than the decoding itself
 * (measured on the 2-core VM: 60 MB decoded as text in 256 KiB pieces took 206 ms, in 64 KiB pieces 7 ms).
 */
const PIECE = 64 * 1024;
/** Output is written in pieces of about this size, waiting for the reader when it falls behind. */
const OUTPUT_PIECE = 64 * 1024;

class InputError extends Error {}

/** A source of the log's bytes that can be read twice (the decoder's two passes). */
interface Source {
  pass(): AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
  close(): Promise<void>;
}

/**
 * A regular file, and only that: a FIFO, a device (`/dev/zero`) or a directory is refused before a byte is read
 * (opened non-blocking, so that opening a FIFO does not wait for a writer). Read up to the size it had when
 * opened, so a file that keeps growing still ends.
 */
async function fileSource(path: string): Promise<Source> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new InputError(`cannot read ${path} (${errorCode(error)})`);
  }
  const stat = await handle.stat();
  if (!stat.isFile()) {
    await handle.close();
    throw new InputError(`${path} is not a regular file (a log file or - for standard input is expected)`);
  }
  const size = stat.size;
  return {
    async *pass() {
      const buffer = new Uint8Array(CHUNK);
      let position = 0;
      while (position < size) {
        const { bytesRead } = await handle.read(buffer, 0, Math.min(CHUNK, size - position), position);
        if (bytesRead === 0) break;
        position += bytesRead;
        yield buffer.subarray(0, bytesRead);
      }
    },
    close: () => handle.close(),
  };
}

/** Standard input, held in memory up to MAX_STDIN_BYTES (one chunk past it is enough to refuse it). */
async function stdinSource(): Promise<Source> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of process.stdin) {
    const bytes = chunk instanceof Uint8Array ? chunk : Buffer.from(String(chunk));
    total += bytes.length;
    if (total > MAX_STDIN_BYTES) {
      throw new InputError(`standard input is larger than ${MAX_STDIN_BYTES} bytes; pass the log as a file`);
    }
    chunks.push(bytes);
  }
  return { pass: () => chunks, close: () => Promise.resolve() };
}

function errorCode(error: unknown): string {
  return error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
}

/**
 * Feeds one pass of the source, as text, to `push`; `between` runs after each chunk (writing output) and says
 * whether to go on (not when the reader has gone).
 */
async function readPass(source: Source, push: (text: string) => void, between: () => Promise<boolean>): Promise<void> {
  const utf8 = new TextDecoder('utf-8');
  for await (const bytes of source.pass()) {
    for (let at = 0; at < bytes.length; at += PIECE) {
      push(utf8.decode(bytes.subarray(at, at + PIECE), { stream: true }));
      if (!(await between())) return;
    }
  }
  push(utf8.decode());
}

/**
 * Writes to stdout in pieces, waiting for `drain` when the reader is slower; stops quietly on a closed pipe. Text
 * is encoded into a byte buffer as it is added: no long string is ever joined (joining flattens every rendered
 * event's pieces a second time) and each write hands the stream bytes, not text to encode.
 */
class Output {
  private buffer = Buffer.allocUnsafe(OUTPUT_PIECE * 2);
  private size = 0;
  private closed = false;

  constructor(private readonly stream: NodeJS.WriteStream) {
    stream.on('error', () => {
      this.closed = true;
    });
  }

  get gone(): boolean {
    return this.closed;
  }

  add(text: string): void {
    if (this.closed) return;
    // A UTF-16 code unit takes at most 3 bytes in UTF-8.
    const most = text.length * 3;
    if (this.buffer.length - this.size < most) {
      const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.size + most));
      this.buffer.copy(grown, 0, 0, this.size);
      this.buffer = grown;
    }
    this.size += this.buffer.write(text, this.size, 'utf8');
  }

  async flush(all = false): Promise<void> {
    if (this.closed || (this.size < OUTPUT_PIECE && !all)) return;
    // The stream keeps the bytes until they are written: the next piece goes into a new buffer.
    const bytes = this.buffer.subarray(0, this.size);
    this.buffer = Buffer.allocUnsafe(OUTPUT_PIECE * 2);
    this.size = 0;
    if (!this.stream.write(bytes)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.stream.off('drain', done);
          this.stream.off('error', done);
          resolve();
        };
        this.stream.on('drain', done);
        this.stream.on('error', done);
      });
    }
  }
}

/** Decodes the log of `source` onto stdout: a first pass learns its secrets and layout, the second decodes. */
async function decodeSource(source: Source, json: boolean): Promise<void> {
  const scan = new LogScan();
  await readPass(
    source,
    (text) => scan.push(text),
    () => Promise.resolve(true),
  );
  const facts: LogFacts = scan.end();
  const output = new Output(process.stdout);
  const renderer = new TextRenderer(facts.timeWidth);
  const render = json ? renderJsonLine : (event: DecodedEvent) => renderer.event(event);
  const decoder = new LogDecoder((event) => output.add(render(event)), facts);
  await readPass(
    source,
    (text) => decoder.push(text),
    async () => {
      await output.flush();
      return !output.gone;
    },
  );
  if (output.gone) return;
  decoder.end();
  if (!json) output.add(renderer.summary());
  await output.flush(true);
}

/** The flags of `fleet-station decode` (main/cli/commands/decode.ts). */
export interface DecodeFlags {
  readonly json?: boolean;
}

/**
 * `fleet-station decode FILE [--json]`: explains a captured AT log for support staff. Exit code 0 when the log
 * was decoded (whatever it contains), 2 when it cannot be read (missing, not a regular file, too large on stdin).
 */
export async function decodeCommand(file: string, flags: DecodeFlags): Promise<void> {
  let source: Source;
  try {
    source = file === '-' ? await stdinSource() : await fileSource(file);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    process.stderr.write(`fleet-station decode: ${error.message}\n`);
    process.exitCode = 2;
    return;
  }
  try {
    await decodeSource(source, flags.json === true);
  } finally {
    await source.close();
  }
}
