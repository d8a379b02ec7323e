import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
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
import type { Dispatch } from '../core/handlers';
import type { Disposable } from '../transport/types';
import { checkRequest, securityHeaders } from './security';
import { readStatic } from './static';

/** Where the shell gets the contract's events from (the Station satisfies this). */
export interface EventSource {
  on<E extends EventName>(name: E, listener: (payload: EventPayload<E>) => void): Disposable;
}

export interface WebShellOptions {
  readonly dispatch: Dispatch;
  readonly events: EventSource;
  /** The built renderer (dist/renderer). */
  readonly staticRoot: string;
  /** Loopback only; anything else is refused. */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
}

export interface WebShell {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const maxBody = 64 * 1024;

const statusOf: Record<ErrorCode, number> = {
  'invalid-input': 400,
  'unknown-request': 404,
  'unknown-module': 404,
  forbidden: 403,
  'module-unavailable': 503,
  'port-closed': 503,
  timeout: 504,
  'bad-response': 502,
  internal: 500,
};

/**
 * The web shell: the contract over HTTP (POST /api/<name>) and a WebSocket (requests both ways, events pushed),
 * plus the built renderer, on 127.0.0.1 only. A thin adapter: all behaviour is in the dispatch it is given.
 */
export async function startWebShell(options: WebShellOptions): Promise<WebShell> {
  const host = options.host ?? '127.0.0.1';
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') {
    throw new Error(`the web shell listens on the loopback interface only, not on ${host}`);
  }
  let port = 0;
  const server = createServer((req, res) => {
    handleHttp(req, res, port, options).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, port, 500, fail('internal', describe(error)));
      else res.destroy();
    });
  });
  const sockets = new WebSocketServer({ noServer: true, maxPayload: maxBody });
  server.on('upgrade', (req, socket, head) => {
    const refused = checkRequest(req.headers, port);
    if (refused !== undefined || (req.url ?? '').split('?')[0] !== socketPath) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(req, socket, head, (ws) => serveSocket(ws, options));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  port = address.port;
  return {
    url: address.family === 'IPv6' ? `http://[${address.address}]:${port}` : `http://${address.address}:${port}`,
    port,
    close: async () => {
      for (const client of sockets.clients) client.terminate();
      await new Promise<void>((resolve) => sockets.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function handleHttp(
  req: IncomingMessage,
  res: ServerResponse,
  port: number,
  options: WebShellOptions,
): Promise<void> {
  const refused = checkRequest(req.headers, port);
  if (refused !== undefined) {
    sendJson(res, port, 403, fail('forbidden', refused));
    return;
  }
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  if (path.startsWith(apiPrefix)) {
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      sendJson(res, port, 405, fail('invalid-input', 'use POST for /api/ requests'));
      return;
    }
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
      sendJson(res, port, 415, fail('invalid-input', 'the body must be JSON (Content-Type: application/json)'));
      return;
    }
    const body = await readBody(req);
    if (body === undefined) {
      sendJson(res, port, 413, fail('invalid-input', `the body is larger than ${maxBody} bytes`));
      return;
    }
    let input: unknown;
    try {
      input = body.length === 0 ? {} : JSON.parse(body);
    } catch {
      sendJson(res, port, 400, fail('invalid-input', 'the body is not valid JSON'));
      return;
    }
    const result = await options.dispatch(path.slice(apiPrefix.length), input);
    sendJson(res, port, result.ok ? 200 : statusOf[result.error.code], result);
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendJson(res, port, 405, fail('invalid-input', 'only GET is served here'));
    return;
  }
  const file = await readStatic(options.staticRoot, path);
  if (file === undefined) {
    res.writeHead(404, { ...securityHeaders(port), 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('not found');
    return;
  }
  res.writeHead(200, { ...securityHeaders(port), 'Content-Type': file.type, 'Cache-Control': 'no-cache' });
  res.end(req.method === 'HEAD' ? undefined : file.body);
}

function serveSocket(ws: WebSocket, options: WebShellOptions): void {
  const send = (message: ServerMessage): void => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
  };
  const subscriptions = eventNames.map((name) =>
    options.events.on(name, (payload: unknown) => send({ kind: 'event', name, payload })),
  );
  ws.on('close', () => {
    for (const s of subscriptions) s.dispose();
  });
  ws.on('error', () => ws.terminate());
  ws.on('message', (data, isBinary) => {
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
    options
      .dispatch(name, input)
      .catch((error: unknown) => fail('internal', describe(error)))
      .then((result) => send({ kind: 'response', id, result }))
      .catch(() => undefined);
  });
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

function sendJson(res: ServerResponse, port: number, status: number, result: Result<unknown>): void {
  const body = JSON.stringify(result);
  res.writeHead(status, {
    ...securityHeaders(port),
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
  });
  res.end(body);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : 'unexpected failure';
}
