/**
 * The AT+QFUPL checksum: XOR of the file taken as big-endian 16-bit words, an odd last byte being the high byte of
 * a final word. Printed in lower-case hex without padding (field notes), which is what `formatQfuplChecksum` does.
 */
export function qfuplChecksum(data: Uint8Array): number {
  let sum = 0;
  let i = 0;
  for (; i + 1 < data.length; i += 2) sum ^= ((data[i] ?? 0) << 8) | (data[i + 1] ?? 0);
  if (i < data.length) sum ^= (data[i] ?? 0) << 8;
  return sum;
}

export function formatQfuplChecksum(data: Uint8Array): string {
  return qfuplChecksum(data).toString(16);
}

/** Incremental form, for uploads that arrive in pieces: feed chunks in order, read `value` at the end. */
export class QfuplChecksum {
  private sum = 0;
  private pendingHigh: number | null = null;

  update(chunk: Uint8Array): void {
    for (const byte of chunk) {
      if (this.pendingHigh === null) {
        this.pendingHigh = byte;
      } else {
        this.sum ^= (this.pendingHigh << 8) | byte;
        this.pendingHigh = null;
      }
    }
  }

  get value(): number {
    return this.pendingHigh === null ? this.sum : this.sum ^ (this.pendingHigh << 8);
  }
}
