import { lookup } from 'node:dns/promises';
import { connect as tcpConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type SecureVersion, type TLSSocket } from 'node:tls';
import { serverAccepted } from './tls-verify';
import type { NetworkPacing, OpenRequest, OpenResult, TlsSettings } from './types';

/** The outcome of making the module's TCP/TLS link: a connected socket, or the +QMTOPEN result that explains why not. */
export type LinkOutcome =
  { readonly ok: true; readonly socket: Socket | TLSSocket } | { readonly ok: false; readonly result: OpenResult };

/** Host names are at most 100 bytes (spec, AT+QMTOPEN <host_name>); ports 1-65535. */
const MAX_HOST_BYTES = 100;

function failed(result: OpenResult): LinkOutcome {
  return { ok: false, result };
}

/** Where to connect: the host map first (cloud names → loopback brokers), then real DNS for names, IPs as they are. */
async function resolveTarget(request: OpenRequest): Promise<{ host: string; port: number } | undefined> {
  const mapped = request.hostMap.get(request.host) ?? request.hostMap.get(request.host.toLowerCase());
  const host = mapped?.host ?? request.host;
  const port = mapped?.port ?? request.port;
  if (isIP(host) !== 0) return { host, port };
  try {
    const { address } = await lookup(host);
    return { host: address, port };
  } catch {
    return undefined;
  }
}

/**
 * TLS versions per AT+QSSLCFG="sslversion". Node cannot speak SSL 3.0 (0), so that handshake fails; TLS 1.0/1.1 are
 * offered as the module would, and fail against a modern broker just as they do in the field.
 */
function versions(sslversion: number): { minVersion: SecureVersion; maxVersion: SecureVersion } | undefined {
  switch (sslversion) {
    case 1:
      return { minVersion: 'TLSv1', maxVersion: 'TLSv1' };
    case 2:
      return { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1' };
    case 3:
      return { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' };
    case 4:
      // "All" is everything the module has, which ends at TLS 1.2. That matters beyond realism: in TLS 1.2 a
      // server that rejects the client certificate fails the handshake itself, so it shows as +QMTOPEN -1.
      return { minVersion: 'TLSv1', maxVersion: 'TLSv1.2' };
    default:
      return undefined;
  }
}

/**
 * The module's TLS client. seclevel 0 accepts any server; 1 verifies the server's chain against the uploaded CA
 * (only that CA: never the system store, which the module does not have); 2 also presents the client certificate.
 * Like the module's SSL stack, it checks the chain but not the host name, which also lets a cloud host name be
 * mapped to a loopback broker.
 */
function tlsOptions(settings: TlsSettings, serverName: string, socket: Socket): ConnectionOptions | undefined {
  const range = versions(settings.sslversion);
  if (range === undefined) return undefined;
  const options: ConnectionOptions = {
    socket,
    ...range,
    // Verified after the handshake by serverAccepted(), which knows about "ignorelocaltime".
    rejectUnauthorized: false,
    checkServerIdentity: () => undefined,
  };
  if (settings.seclevel >= 1) {
    if (settings.ca === undefined) return undefined;
    options.ca = Buffer.from(settings.ca);
  }
  if (settings.seclevel === 2 && settings.cert !== undefined && settings.key !== undefined) {
    options.cert = Buffer.from(settings.cert);
    options.key = Buffer.from(settings.key);
  }
  if (settings.sni && isIP(serverName) === 0) options.servername = serverName;
  return options;
}

function connectTcp(host: string, port: number, timeoutMs: number): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host, port });
    const guard = setTimeout(() => {
      socket.destroy();
      resolve(undefined);
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(guard);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', () => {
      clearTimeout(guard);
      socket.destroy();
      resolve(undefined);
    });
  });
}

function handshake(
  options: ConnectionOptions,
  settings: TlsSettings,
  timeoutMs: number,
): Promise<TLSSocket | undefined> {
  return new Promise((resolve) => {
    let secure: TLSSocket;
    try {
      secure = tlsConnect(options);
    } catch {
      // Unusable PEM (garbage uploaded as a certificate): the module's handshake fails the same way.
      options.socket?.destroy();
      resolve(undefined);
      return;
    }
    const guard = setTimeout(() => {
      secure.destroy();
      resolve(undefined);
    }, timeoutMs);
    secure.once('secureConnect', () => {
      clearTimeout(guard);
      secure.removeAllListeners('error');
      if (serverAccepted(secure, settings)) {
        resolve(secure);
        return;
      }
      secure.on('error', () => undefined);
      secure.destroy();
      resolve(undefined);
    });
    secure.once('error', () => {
      clearTimeout(guard);
      secure.destroy();
      resolve(undefined);
    });
  });
}

/**
 * One phase of opening the link on the modeled network: the real work (on the loopback, far quicker) and the
 * modeled time run side by side, and the phase ends when both have (counted in the module's busy time).
 */
function phase<T>(network: NetworkPacing | undefined, modeledMs: (n: NetworkPacing) => number, work: () => Promise<T>) {
  if (network === undefined) return work();
  const ms = modeledMs(network);
  const start = network.now();
  network.busy(start, start + ms);
  const modeled = new Promise<void>((resolve) => setTimeout(resolve, ms));
  return Promise.all([modeled, work()]).then(([, result]) => result);
}

const nothing = (): Promise<undefined> => Promise.resolve(undefined);

/**
 * Opens the link exactly as +QMTOPEN reports it: 1 bad parameter, 3 PDP, 4 DNS, 5 TCP, -1 TLS, 0 ok. On a modeled
 * network each phase takes its time: the name lookup (a host name), the TCP handshake, the TLS handshake.
 */
export async function openLink(request: OpenRequest, timeoutMs: number): Promise<LinkOutcome> {
  const hostBytes = Buffer.byteLength(request.host);
  if (hostBytes === 0 || hostBytes > MAX_HOST_BYTES) return failed(1);
  if (!Number.isInteger(request.port) || request.port < 1 || request.port > 65535) return failed(1);
  if (request.fault === 'pdp-failure') return failed(3);
  const network = request.network;
  const lookup = isIP(request.host) === 0 ? network : undefined;
  if (request.fault === 'dns-failure') {
    await phase(network, (n) => n.lookupMs(), nothing);
    return failed(4);
  }
  if (request.fault === 'network-loss') {
    // The name is found; the TCP handshake gets no answer.
    await phase(lookup, (n) => n.lookupMs(), nothing);
    await phase(network, (n) => n.tcpHandshakeMs(), nothing);
    return failed(5);
  }
  const target = await phase(
    lookup,
    (n) => n.lookupMs(),
    () => resolveTarget(request),
  );
  if (target === undefined) return failed(4);
  const socket = await phase(
    network,
    (n) => n.tcpHandshakeMs(),
    () => connectTcp(target.host, target.port, timeoutMs),
  );
  if (socket === undefined) return failed(5);
  if (request.tls === undefined) {
    if (request.fault === 'tls-failure') {
      socket.destroy();
      return failed(-1);
    }
    return { ok: true, socket };
  }
  const options = request.fault === 'tls-failure' ? undefined : tlsOptions(request.tls, request.host, socket);
  if (options === undefined) {
    socket.destroy();
    return failed(-1);
  }
  const tls = request.tls;
  const secure = await phase(
    network,
    (n) => n.tlsHandshakeMs(tls.seclevel),
    () => handshake(options, tls, timeoutMs),
  );
  return secure === undefined ? failed(-1) : { ok: true, socket: secure };
}
