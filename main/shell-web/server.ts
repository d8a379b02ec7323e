import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  apiPrefix,
  clientMessageSchema,
  eventNames,
  fail,
  socketPath,
  type ErrorCode,
  type EventName,
  type EventPayload,
  type Result,
  type ServerMessage,
} from '../../shared/contract';
import { Emitter, type Event } from '../base';
import type { Dispatch } from '../core/handlers';
import type { Disposable } from '../transport/types';
import { checkCredential, newToken, sameToken, tokenCookie, tokenParameter, tokenProblem } from './auth';
import { checkRequest, isJsonMediaType, securityHeaders } from './security';
import { readStatic } from './static';
import { listenOnSocketFile } from './unix-socket';

/** Where the shell gets the contract's events from (the Station satisfies this). */
export interface EventSource {
  on<E extends EventName>(name: E, listener: (payload: EventPayload<E>) => void): Disposable;
}

/** How much one caller may hold of the station. */
export interface ClientLimits {
  /** Requests one WebSocket client may have waiting for their answers; more are refused (`too-many-requests`). */
  readonly maxRequestsPerClient: number;
  /** HTTP API requests in progress across all connections; more are refused with 429 (`too-many-requests`). */
  readonly maxHttpRequests: number;
  /** Bytes a WebSocket client may leave unread; past this it is closed (code `slowReaderCloseCode`). */
  readonly maxBufferedBytes: number;
  /** How long a closed slow reader has to take the close frame before its connection is cut (ms). */
  readonly closeGraceMs: number;
}

export const defaultClientLimits: ClientLimits = {
  maxRequestsPerClient: 32,
  maxHttpRequests: 64,
  maxBufferedBytes: 4 * 1024 * 1024,
  closeGraceMs: 5000,
};

/** The close code of a WebSocket client that stopped reading (an application code: 4000-4999). */
export const slowReaderCloseCode = 4000;

export interface WebShellOptions {
  readonly dispatch: Dispatch;
  readonly events: EventSource;
  /** The built renderer (dist/renderer). */
  readonly staticRoot: string;
  /** Loopback only; anything else is refused. */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** The token every request over TCP must carry (see auth.ts); a fresh random one when absent. */
  readonly token?: string;
  /** Also serve on this Unix-domain socket, made 0600: its file permission is the authentication. */
  readonly unixSocket?: string;
  readonly limits?: Partial<ClientLimits>;
}

/** A WebSocket client the shell closed because it did not read what it was sent. */
export interface DroppedClient {
  readonly bufferedBytes: number;
  readonly reason: string;
}

export interface WebShellStats {
  /** Open WebSocket clients. */
  readonly sockets: number;
  /** Requests dispatched and not yet answered (WebSocket and HTTP). */
  readonly requestsInFlight: number;
  /** Bytes sent to WebSocket clients that they have not read yet. */
  readonly bufferedBytes: number;
  /** The most unread bytes one client has had since the shell started. */
  readonly peakBufferedBytes: number;
  /** Clients closed for not reading. */
  readonly droppedClients: number;
}

export interface WebShell {
  /** The origin the shell serves, without the token: `http://127.0.0.1:5170`. */
  readonly url: string;
  readonly port: number;
  /** The secret every TCP request must carry (cookie or `Authorization: Bearer`). */
  readonly token: string;
  /** The URL to open in a browser: `url` with the token, which the page swaps for a cookie at once. */
  readonly openUrl: string;
  /** The Unix-domain socket it also serves on, if any. */
  readonly unixSocket: string | undefined;
  readonly onDidDropClient: Event<DroppedClient>;
  stats(): WebShellStats;
  close(): Promise<void>;
}

/** Where a request came in: the loopback TCP port (token, Host and Origin checked) or the 0600 socket file. */
type Door = 'tcp' | 'unix';

const maxBody = 64 * 1024;

const statusOf: Record<ErrorCode, number> = {
  'invalid-input': 400,
  'unknown-request': 404,
  'unknown-module': 404,
  forbidden: 403,
  'too-many-requests': 429,
  'module-unavailable': 503,
  'port-closed': 503,
  timeout: 504,
  'bad-response': 502,
  internal: 500,
};

const authenticate = 'Bearer realm="fleet-station"';

/**
 * The web shell: the contract over HTTP (POST /api/<name>) and a WebSocket (requests both ways, events pushed),
 * plus the built renderer, on 127.0.0.1 only, for holders of the station's token. A thin adapter: all behaviour is
 * in the dispatch it is given. Each caller's share is bounded: a WebSocket client's requests in progress, the HTTP
 * requests in progress, and the bytes a client leaves unread; a caller that goes away cancels its work.
 */
export async function startWebShell(options: WebShellOptions): Promise<WebShell> {
  const host = options.host ?? '127.0.0.1';
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') {
    throw new Error(`the web shell listens on the loopback interface only, not on ${host}`);
  }
  if (options.token !== undefined) {
    const problem = tokenProblem(options.token);
    if (problem !== undefined) throw new Error(`the station token is not usable: ${problem}`);
  }
  const shell = new ShellCore(options, options.token ?? newToken());
  const tcp = shell.createServer('tcp');
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen(options.port ?? 0, host, () => {
      tcp.off('error', reject);
      resolve();
    });
  });
  const address = tcp.address() as AddressInfo;
  shell.port = address.port;
  const servers: Server[] = [tcp];
  if (options.unixSocket !== undefined) {
    const unix = shell.createServer('unix');
    try {
      await listenOnSocketFile(unix, options.unixSocket);
    } catch (error) {
      await shell.close([tcp]);
      throw error;
    }
    servers.push(unix);
  }
  const url =
    address.family === 'IPv6' ? `http://[${address.address}]:${shell.port}` : `http://${address.address}:${shell.port}`;
  return {
    url,
    port: shell.port,
    token: shell.token,
    openUrl: `${url}/?${tokenParameter}=${shell.token}`,
    unixSocket: options.unixSocket,
    onDidDropClient: shell.dropped.event,
    stats: () => shell.stats(),
    close: () => shell.close(servers),
  };
}

/** Per-client bookkeeping of one WebSocket connection. */
interface SocketClient {
  readonly ws: WebSocket;
  readonly work: AbortController;
  inFlight: number;
  dropping: boolean;
  graceTimer: ReturnType<typeof setTimeout> | undefined;
}

class ShellCore {
  port = 0;
  readonly dropped = new Emitter<DroppedClient>('webShell.droppedClient');
  private readonly limits: ClientLimits;
  private readonly sockets = new WebSocketServer({ noServer: true, maxPayload: maxBody });
  private readonly clients = new Set<SocketClient>();
  private httpInFlight = 0;
  private socketInFlight = 0;
  private peakBuffered = 0;
  private droppedCount = 0;

  constructor(
    private readonly options: WebShellOptions,
    readonly token: string,
  ) {
    this.limits = { ...defaultClientLimits, ...options.limits };
  }

  createServer(door: Door): Server {
    const server = createServer((req, res) => {
      this.handleHttp(req, res, door).catch((error: unknown) => {
        if (!res.headersSent) this.sendJson(res, 500, fail('internal', describe(error)));
        else res.destroy();
      });
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head, door));
    return server;
  }

  stats(): WebShellStats {
    let buffered = 0;
    for (const client of this.clients) buffered += client.ws.bufferedAmount;
    return {
      sockets: this.clients.size,
      requestsInFlight: this.httpInFlight + this.socketInFlight,
      bufferedBytes: buffered,
      peakBufferedBytes: this.peakBuffered,
      droppedClients: this.droppedCount,
    };
  }

  async close(servers: readonly Server[]): Promise<void> {
    for (const client of this.clients) {
      if (client.graceTimer !== undefined) clearTimeout(client.graceTimer);
      client.work.abort();
      client.ws.terminate();
    }
    await new Promise<void>((resolve) => this.sockets.close(() => resolve()));
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    this.dropped.dispose();
  }

  // ---- HTTP ----------------------------------------------------------------------------------------------

  private async handleHttp(req: IncomingMessage, res: ServerResponse, door: Door): Promise<void> {
    if (door === 'tcp') {
      const refused = checkRequest(req.headers, this.port);
      if (refused !== undefined) {
        this.sendJson(res, 403, fail('forbidden', refused));
        return;
      }
    }
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const api = path.startsWith(apiPrefix);
    if (door === 'tcp') {
      const reading = req.method === 'GET' || req.method === 'HEAD';
      if (!api && reading && this.exchangeToken(req, res)) return;
      const credential = checkCredential(req.headers, this.port, this.token);
      if (!credential.ok) {
        this.unauthorized(res, api, credential.reason);
        return;
      }
    }
    if (api) {
      await this.handleApi(req, res, path.slice(apiPrefix.length));
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      this.sendJson(res, 405, fail('invalid-input', 'only GET is served here'));
      return;
    }
    const file = await readStatic(this.options.staticRoot, path);
    if (file === undefined) {
      res.writeHead(404, { ...securityHeaders(this.port), 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('not found');
      return;
    }
    res.writeHead(200, { ...securityHeaders(this.port), 'Content-Type': file.type, 'Cache-Control': 'no-cache' });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  }

  private async handleApi(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      this.sendJson(res, 405, fail('invalid-input', 'use POST for /api/ requests'));
      return;
    }
    if (!isJsonMediaType(req.headers['content-type'])) {
      this.sendJson(res, 415, fail('invalid-input', 'the body must be JSON (Content-Type: application/json)'));
      return;
    }
    const body = await readBody(req);
    if (body === undefined) {
      this.sendJson(res, 413, fail('invalid-input', `the body is larger than ${maxBody} bytes`));
      return;
    }
    let input: unknown;
    try {
      input = body.length === 0 ? {} : JSON.parse(body);
    } catch {
      this.sendJson(res, 400, fail('invalid-input', 'the body is not valid JSON'));
      return;
    }
    if (this.httpInFlight >= this.limits.maxHttpRequests) {
      this.sendJson(
        res,
        429,
        fail(
          'too-many-requests',
          `the station already has ${this.limits.maxHttpRequests} API requests in progress; retry when some are answered`,
        ),
      );
      return;
    }
    // A caller that hangs up before its answer cancels its work (a queued command is dropped, one in flight
    // abandoned): nobody is left to read the answer, and the module's queue is not held up for it.
    const work = new AbortController();
    const abandon = (): void => {
      if (!res.writableFinished) work.abort();
    };
    res.once('close', abandon);
    this.httpInFlight++;
    let result: Result<unknown>;
    try {
      result = await this.options.dispatch(name, input, { signal: work.signal });
    } finally {
      this.httpInFlight--;
    }
    if (work.signal.aborted || res.destroyed) return;
    res.off('close', abandon);
    this.sendJson(res, result.ok ? 200 : statusOf[result.error.code], result);
  }

  /**
   * A page request carrying `?token=`: a right token is swapped for the cookie and the browser is sent on to the
   * same address without it (303), so the token leaves the address bar and the history; a wrong one is refused.
   * Returns false when the request carries no token in its URL.
   */
  private exchangeToken(req: IncomingMessage, res: ServerResponse): boolean {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://station.invalid');
    } catch {
      return false;
    }
    const presented = url.searchParams.getAll(tokenParameter);
    if (presented.length === 0) return false;
    const [first] = presented;
    if (presented.length !== 1 || first === undefined || !sameToken(first, this.token)) {
      this.unauthorized(res, false, 'the token in the address is not this station’s: open the URL it printed');
      return true;
    }
    url.searchParams.delete(tokenParameter);
    // Only a path on this station: leading slashes (or backslashes, which browsers read as slashes) collapse to
    // one, so `//evil.example` can never become a protocol-relative redirect.
    const location = `/${url.pathname.replace(/^[/\\]+/, '')}${url.search}`;
    res.writeHead(303, {
      ...securityHeaders(this.port),
      Location: location,
      'Set-Cookie': tokenCookie(this.port, this.token),
      'Cache-Control': 'no-store',
      'Content-Type': 'text/plain; charset=utf-8',
    });
    res.end(req.method === 'HEAD' ? undefined : 'Signed in; continuing to the station.\n');
    return true;
  }

  private unauthorized(res: ServerResponse, api: boolean, reason: string): void {
    if (api) {
      this.sendJson(res, 401, fail('forbidden', reason), { 'WWW-Authenticate': authenticate });
      return;
    }
    res.writeHead(401, {
      ...securityHeaders(this.port),
      'WWW-Authenticate': authenticate,
      'Content-Type': 'text/plain; charset=utf-8',
      'Cache-Control': 'no-store',
    });
    res.end(`Fleet Station: ${reason}.\n`);
  }

  private sendJson(
    res: ServerResponse,
    status: number,
    result: Result<unknown>,
    extra: Record<string, string> = {},
  ): void {
    const body = JSON.stringify(result);
    res.writeHead(status, {
      ...securityHeaders(this.port),
      ...extra,
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
    });
    res.end(body);
  }

  // ---- WebSocket -----------------------------------------------------------------------------------------

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, door: Door): void {
    const refuse = (status: string, reason: string, extra = ''): void => {
      const body = `${reason}\n`;
      socket.end(
        `HTTP/1.1 ${status}\r\nConnection: close\r\n${extra}Content-Type: text/plain; charset=utf-8\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    };
    if (door === 'tcp') {
      const refused = checkRequest(req.headers, this.port);
      if (refused !== undefined) {
        refuse('403 Forbidden', refused);
        return;
      }
    }
    if ((req.url ?? '').split('?')[0] !== socketPath) {
      refuse('403 Forbidden', `the socket is at ${socketPath}`);
      return;
    }
    if (door === 'tcp') {
      const credential = checkCredential(req.headers, this.port, this.token);
      if (!credential.ok) {
        refuse('401 Unauthorized', credential.reason, `WWW-Authenticate: ${authenticate}\r\n`);
        return;
      }
    }
    this.sockets.handleUpgrade(req, socket, head, (ws) => this.serveSocket(ws));
  }

  private serveSocket(ws: WebSocket): void {
    const client: SocketClient = {
      ws,
      work: new AbortController(),
      inFlight: 0,
      dropping: false,
      graceTimer: undefined,
    };
    this.clients.add(client);
    const send = (message: ServerMessage): void => this.send(client, message);
    const subscriptions = eventNames.map((name) =>
      this.options.events.on(name, (payload: unknown) => send({ kind: 'event', name, payload })),
    );
    ws.on('close', () => {
      // Whatever the client still had queued or in flight is for nobody now: cancel it.
      client.work.abort();
      if (client.graceTimer !== undefined) clearTimeout(client.graceTimer);
      this.clients.delete(client);
      for (const s of subscriptions) s.dispose();
    });
    ws.on('error', () => ws.terminate());
    ws.on('message', (data, isBinary) => {
      if (client.dropping) return;
      const text = isBinary ? '' : Buffer.isBuffer(data) ? data.toString('utf8') : '';
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch {
        ws.close(1007, 'messages are JSON contract requests');
        return;
      }
      const message = clientMessageSchema.safeParse(raw);
      if (!message.success) {
        ws.close(1008, 'not a contract request: {kind:"request", id, name, input}');
        return;
      }
      const { id, name, input } = message.data;
      const cap = this.limits.maxRequestsPerClient;
      if (client.inFlight >= cap) {
        send({
          kind: 'response',
          id,
          result: fail(
            'too-many-requests',
            `this connection already has ${cap} requests waiting for their answers; send more once some are answered`,
          ),
        });
        return;
      }
      client.inFlight++;
      this.socketInFlight++;
      this.options
        .dispatch(name, input, { signal: client.work.signal })
        .catch((error: unknown) => fail('internal', describe(error)))
        .then((result) => {
          client.inFlight--;
          this.socketInFlight--;
          send({ kind: 'response', id, result });
        })
        .catch(() => undefined);
    });
  }

  /**
   * Sends to one client unless it has stopped reading: with more than the limit still unread, the client is
   * closed instead (its work cancelled), so a client that never reads costs at most the limit plus one message.
   */
  private send(client: SocketClient, message: ServerMessage): void {
    const { ws } = client;
    if (client.dropping || ws.readyState !== ws.OPEN) return;
    const unread = ws.bufferedAmount;
    if (unread > this.limits.maxBufferedBytes) {
      this.drop(client, unread);
      return;
    }
    ws.send(JSON.stringify(message));
    this.peakBuffered = Math.max(this.peakBuffered, ws.bufferedAmount);
  }

  private drop(client: SocketClient, unread: number): void {
    client.dropping = true;
    this.droppedCount++;
    const reason = `the client did not read its messages (${unread} bytes waiting)`;
    client.work.abort();
    this.dropped.fire({ bufferedBytes: unread, reason });
    client.ws.close(slowReaderCloseCode, reason);
    // The close frame waits behind everything unread: a client that never reads is cut off after the grace time.
    client.graceTimer = setTimeout(() => client.ws.terminate(), this.limits.closeGraceMs);
  }
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBody) {
        resolve(undefined);
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : 'unexpected failure';
}
