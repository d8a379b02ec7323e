import mqtt, { type IConnectPacket } from 'mqtt-packet';
import type { ConnectRequest } from './types';

/** Clean-session bit of the CONNECT flags byte (MQTT 3.1.1 §3.1.2.4). */
const CLEAN_SESSION = 0x02;

/** CONNECT as the module sends it: "MQIsdp"/3 for AT+QMTCFG="version",3 and "MQTT"/4 for version 4. */
export function connectPacket(request: ConnectRequest): IConnectPacket {
  const packet: IConnectPacket = {
    cmd: 'connect',
    protocolId: request.version === 3 ? 'MQIsdp' : 'MQTT',
    protocolVersion: request.version,
    clientId: request.clientId,
    clean: request.cleanSession,
    keepalive: request.keepaliveSec,
  };
  if (request.username !== undefined) packet.username = request.username;
  if (request.password !== undefined) packet.password = Buffer.from(request.password);
  if (request.will !== undefined) {
    packet.will = {
      topic: request.will.topic,
      payload: Buffer.from(request.will.message),
      qos: request.will.qos,
      retain: request.will.retain,
    };
  }
  return packet;
}

/**
 * Encodes the CONNECT. mqtt-packet refuses an empty client id in MQTT 3.1, or without clean session, but a module
 * sends exactly what it was configured with and lets the broker refuse it (CONNACK 2, identifier rejected). So
 * those cases are encoded as 3.1.1 with clean session, and the protocol level and flags bytes are then patched.
 */
export function encodeConnect(packet: IConnectPacket): Buffer {
  if (packet.clientId !== '' || (packet.clean !== false && packet.protocolVersion !== 3)) return mqtt.generate(packet);
  const bytes = mqtt.generate({ ...packet, clean: true, protocolVersion: 4 });
  let offset = 1;
  while (((bytes[offset] ?? 0) & 0x80) !== 0) offset += 1; // remaining length: 1-4 bytes, high bit continues
  offset += 1;
  const level = offset + 2 + bytes.readUInt16BE(offset); // after the protocol name
  bytes.writeUInt8(packet.protocolVersion ?? 4, level);
  const flags = bytes[level + 1] ?? 0;
  bytes.writeUInt8(packet.clean === false ? flags & ~CLEAN_SESSION : flags, level + 1);
  return bytes;
}
