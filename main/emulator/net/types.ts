/**
 * The boundary between a virtual module's AT side (command interpreter, main/emulator/) and its network side
 * (one MQTT client session over real TCP/TLS, main/emulator/net/). The AT side owns all AT text; the network
 * side owns sockets, MQTT packets, timers and retries, and reports outcomes as numbers the spec defines.
 */

/** Maps host names to loopback addresses, e.g. `iot-as-mqtt.cn-shanghai.aliyuncs.com` → `127.0.0.1:18830`. */
export type HostMap = ReadonlyMap<string, { readonly host: string; readonly port?: number }>;

export interface TlsSettings {
  /** AT+QSSLCFG="seclevel": 0 no authentication, 1 server authentication, 2 server and client authentication. */
  readonly seclevel: 0 | 1 | 2;
  /** PEM contents of the files named by QSSLCFG "cacert" / "clientcert" / "clientkey" (undefined when not set or missing). */
  readonly ca?: Uint8Array;
  readonly cert?: Uint8Array;
  readonly key?: Uint8Array;
  /** AT+QSSLCFG="sslversion": 0 SSL3.0, 1 TLS1.0, 2 TLS1.1, 3 TLS1.2, 4 all. */
  readonly sslversion: number;
  /** AT+QSSLCFG="sni": send the server name. */
  readonly sni: boolean;
  readonly ignoreLocalTime: boolean;
}

/**
 * The modeled mobile network of one module (main/emulator/pacing.ts): its MQTT links wait these times, and count
 * each wait in the module's busy time. Absent: the link runs at the loopback's own speed.
 */
export interface NetworkPacing {
  /** One packet's one-way delay (each call draws the next). */
  packetDelayMs(): number;
  /** The name lookup before the TCP handshake. */
  lookupMs(): number;
  tcpHandshakeMs(): number;
  tlsHandshakeMs(seclevel: 0 | 1 | 2): number;
  /** Counts a scheduled wait [start, end] in the module's busy time (on the `now` clock). */
  busy(start: number, end: number): void;
  /** The clock the waits are on (ms). */
  now(): number;
}

export interface OpenRequest {
  readonly host: string;
  readonly port: number;
  readonly tls?: TlsSettings;
  readonly hostMap: HostMap;
  /** Fault injection: fail the TLS handshake, or behave as if the network were down. */
  readonly fault?: 'tls-failure' | 'network-loss' | 'dns-failure' | 'pdp-failure';
  /** The network the link goes over (delays of the handshakes and of every packet), when modeled. */
  readonly network?: NetworkPacing;
}

/** +QMTOPEN <result>: -1 failed, 0 ok, 1 wrong parameter, 2 identifier occupied, 3 PDP failed, 4 DNS failed, 5 network error. */
export type OpenResult = -1 | 0 | 1 | 2 | 3 | 4 | 5;

export interface WillSettings {
  readonly qos: 0 | 1 | 2;
  readonly retain: boolean;
  readonly topic: string;
  readonly message: Uint8Array;
}

export interface ConnectRequest {
  /** AT+QMTCFG="version": 3 → MQTT 3.1, 4 → MQTT 3.1.1. */
  readonly version: 3 | 4;
  readonly clientId: string;
  readonly username?: string;
  readonly password?: string;
  readonly keepaliveSec: number;
  readonly cleanSession: boolean;
  readonly will?: WillSettings;
  /** AT+QMTCFG="timeout": packet timeout and retries. */
  readonly pktTimeoutMs: number;
  readonly retryTimes: number;
  /** Fault injection: report this CONNACK return code (1-5) instead of the broker's. */
  readonly forceConnackCode?: 1 | 2 | 3 | 4 | 5;
}

/** +QMTCONN: <result>[,<ret_code>]: result 0 sent and ACKed, 1 retransmission, 2 failed to send. */
export interface ConnectResult {
  readonly result: 0 | 1 | 2;
  readonly retCode?: number;
}

/** +QMTSUB / +QMTUNS / +QMTPUBEX outcome reports; `1` (retransmission) may come several times before a final 0 or 2. */
export interface PacketReport {
  readonly result: 0 | 1 | 2;
  /** result 0: granted QoS list (SUB); result 1: retransmission count. */
  readonly value?: readonly number[] | number;
}

export interface IncomingMessage {
  /** The broker's packet id (0 for QoS 0). */
  readonly msgid: number;
  readonly topic: string;
  readonly payload: Uint8Array;
  readonly qos: 0 | 1 | 2;
  readonly retain: boolean;
}

export interface SessionEvents {
  /** A PUBLISH from the broker. */
  onMessage(message: IncomingMessage): void;
  /** +QMTSTAT <err_code> (1-8): the link changed state; the session is closed when this fires. */
  onStat(errCode: number): void;
  /** +QMTPING <result>: keep-alive PINGREQ failed (result 1). */
  onPing(result: number): void;
}

/** One MQTT client of a virtual module (client_idx 0-5). Created closed; `open` makes the TCP/TLS link. */
export interface MqttClientSession {
  readonly state: 'closed' | 'opening' | 'open' | 'connecting' | 'connected' | 'disconnecting';
  open(request: OpenRequest): Promise<OpenResult>;
  connect(request: ConnectRequest): Promise<ConnectResult>;
  /** Reports arrive through `report` (retransmissions while pending) and the returned promise (final 0 or 2). */
  subscribe(
    msgid: number,
    topics: readonly { readonly topic: string; readonly qos: 0 | 1 | 2 }[],
    report: (r: PacketReport) => void,
  ): Promise<PacketReport>;
  unsubscribe(msgid: number, topics: readonly string[], report: (r: PacketReport) => void): Promise<PacketReport>;
  /** QoS 1/2 publishes count against the inflight window of 5; `inflight` tells how many are pending. */
  publish(
    msgid: number,
    qos: 0 | 1 | 2,
    retain: boolean,
    topic: string,
    payload: Uint8Array,
    report: (r: PacketReport) => void,
  ): Promise<PacketReport>;
  readonly inflight: number;
  /** Sends DISCONNECT and closes the link: resolves 0, or -1 on failure. */
  disconnect(): Promise<0 | -1>;
  /** Closes the network: resolves 0, or -1 on failure. */
  close(): Promise<0 | -1>;
  /** Fault injection: drop the link now as a network loss would. */
  dropLink(): void;
  /** Tear down without any report (module reboot or unplug). */
  destroy(): void;
}

export type MqttClientSessionFactory = (clientIdx: number, events: SessionEvents) => MqttClientSession;
