import type { ModuleIdentity } from './identity';
import type { IncomingMessage, MqttClientSession } from './net/types';

/**
 * Everything a module remembers. `files` survive a reboot (UFS is flash); everything else is RAM and is rebuilt
 * by `freshVolatileState` at every power-up, as the spec says of AT+QMTCFG ("the configurations will not be saved").
 */

export const MQTT_CLIENTS = 6;
export const SSL_CONTEXTS = 6;
export const RECV_SLOTS = 5;

export interface WillConfig {
  readonly qos: 0 | 1 | 2;
  readonly retain: 0 | 1;
  readonly topic: string;
  readonly message: Uint8Array;
}

export interface MqttConfig {
  version: 3 | 4;
  pdpcid: number;
  sslEnable: 0 | 1;
  sslCtx: number;
  keepalive: number;
  cleanSession: 0 | 1;
  pktTimeout: number;
  retryTimes: number;
  timeoutNotice: 0 | 1;
  /** Set by "will" or "willex"; undefined while will_fg is 0. */
  will: WillConfig | undefined;
  recvMode: 0 | 1;
  msgLenEnable: 0 | 1;
  qmtping: number;
  sendMode: 0 | 1;
  recvFormat: 0 | 1;
  aliauth: { productKey: string; deviceName: string; deviceSecret: string } | undefined;
  onenet: { productId: string; accessKey: string } | undefined;
  viewMode: 0 | 1;
  editTimeoutEnabled: 0 | 1;
  editTimeout: number;
}

export interface MqttClientSlot {
  config: MqttConfig;
  session: MqttClientSession | undefined;
  host: string | undefined;
  port: number | undefined;
  /** The last link ended with AT+QMTDISC (for the silent-QMTCLOSE firmware quirk). */
  disconnected: boolean;
  /** AT+QMTRECV buffer (recv/mode 1): five slots, recv_id 0-4. */
  readonly stored: (IncomingMessage | undefined)[];
}

export interface SslContext {
  cacert: string | undefined;
  clientcert: string | undefined;
  clientkey: string | undefined;
  seclevel: 0 | 1 | 2;
  sslversion: number;
  ciphersuite: number;
  ignorelocaltime: 0 | 1;
  sni: 0 | 1;
}

export interface PdpContext {
  contextType: number;
  apn: string;
  username: string;
  password: string;
  authentication: number;
}

export interface VolatileState {
  echo: boolean;
  cmee: 0 | 1 | 2;
  cfun: 0 | 1 | 4;
  cregN: number;
  ceregN: number;
  cgregN: number;
  readonly pdp: Map<number, PdpContext>;
  readonly activePdp: Set<number>;
  readonly ssl: SslContext[];
  readonly mqtt: MqttClientSlot[];
}

export interface ModuleState extends VolatileState {
  readonly identity: ModuleIdentity;
  /** UFS: name without the `UFS:` prefix → contents. Kept across reboot. */
  readonly files: Map<string, Uint8Array>;
}

export function defaultMqttConfig(): MqttConfig {
  return {
    version: 3,
    pdpcid: 1,
    sslEnable: 0,
    sslCtx: 0,
    keepalive: 120,
    cleanSession: 0,
    pktTimeout: 5,
    retryTimes: 3,
    timeoutNotice: 0,
    will: undefined,
    recvMode: 0,
    msgLenEnable: 0,
    qmtping: 5,
    sendMode: 0,
    recvFormat: 0,
    aliauth: undefined,
    onenet: undefined,
    viewMode: 0,
    editTimeoutEnabled: 0,
    editTimeout: 60,
  };
}

export function defaultSslContext(): SslContext {
  return {
    cacert: undefined,
    clientcert: undefined,
    clientkey: undefined,
    seclevel: 0,
    sslversion: 4,
    ciphersuite: 0xffff,
    ignorelocaltime: 1,
    sni: 0,
  };
}

export function freshVolatileState(): VolatileState {
  return {
    echo: true,
    cmee: 1,
    cfun: 1,
    cregN: 0,
    ceregN: 0,
    cgregN: 0,
    pdp: new Map([[1, { contextType: 1, apn: '', username: '', password: '', authentication: 0 }]]),
    activePdp: new Set(),
    ssl: Array.from({ length: SSL_CONTEXTS }, defaultSslContext),
    mqtt: Array.from({ length: MQTT_CLIENTS }, () => ({
      config: defaultMqttConfig(),
      session: undefined,
      host: undefined,
      port: undefined,
      disconnected: false,
      stored: new Array<IncomingMessage | undefined>(RECV_SLOTS).fill(undefined),
    })),
  };
}

/** True while the client's network is open in any state (settings are refused then). */
export function clientBusy(slot: MqttClientSlot): boolean {
  return slot.session !== undefined && slot.session.state !== 'closed';
}
