import { AtStreamParser } from '../main/at/parser/index';
import { chunked, mixedStream } from './parser-stream';

/** Profiling aid: parses the mixed stream repeatedly in-thread (run with --cpu-prof). Prints MB/s per round. */
const chunks = chunked(mixedStream(16 * 1024 * 1024), 4096);
for (let round = 0; round < 8; round++) {
  const parser = new AtStreamParser();
  const t0 = performance.now();
  let bytes = 0;
  for (const chunk of chunks) {
    parser.push(chunk);
    bytes += chunk.length;
  }
  console.log(`round ${round}: ${(bytes / 1048576 / ((performance.now() - t0) / 1000)).toFixed(1)} MB/s`);
}
