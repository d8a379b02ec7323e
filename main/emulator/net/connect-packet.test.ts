import { describe, expect, it } from 'vitest';
import { connectPacket, encodeConnect } from './connect-packet';
import { connectRequest } from './fixtures/session';

/** Reads protocol name, level and flags from an encoded CONNECT, independently of mqtt-packet's parser. */
function header(bytes: Buffer): { name: string; level: number; flags: number } {
  let offset = 1;
  while (((bytes[offset] ?? 0) & 0x80) !== 0) offset += 1;
  offset += 1;
  const length = bytes.readUInt16BE(offset);
  const name = bytes.subarray(offset + 2, offset + 2 + length).toString();
  return { name, level: bytes[offset + 2 + length] ?? -1, flags: bytes[offset + 3 + length] ?? -1 };
}

describe('encodeConnect', () => {
  it('encodes MQTT 3.1 as MQIsdp level 3 and 3.1.1 as MQTT level 4, with user, password, will and clean flags', () => {
    const will = { qos: 1, retain: true, topic: 'w', message: Buffer.from('m') } as const;
    const v3 = header(encodeConnect(connectPacket(connectRequest({ version: 3, username: 'u', password: 'p', will }))));
    expect(v3).toEqual({ name: 'MQIsdp', level: 3, flags: 0x80 | 0x40 | 0x20 | 0x08 | 0x04 | 0x02 });
    const v4 = header(encodeConnect(connectPacket(connectRequest({ version: 4, cleanSession: false }))));
    expect(v4).toEqual({ name: 'MQTT', level: 4, flags: 0 });
  });

  it('sends an empty client id as configured (clean session off, or MQTT 3.1) for the broker to judge', () => {
    for (const version of [3, 4] as const) {
      for (const cleanSession of [false, true]) {
        const bytes = encodeConnect(connectPacket(connectRequest({ version, clientId: '', cleanSession })));
        const { level, flags } = header(bytes);
        expect(level).toBe(version);
        expect(flags).toBe(cleanSession ? 0x02 : 0);
        expect(bytes.subarray(bytes.length - 2)).toEqual(Buffer.from([0, 0])); // zero-length client id
      }
    }
  });
});
