import { app, BrowserWindow, ipcMain, net, protocol, session } from 'electron';
import { join, normalize, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startStationRuntime, type StationRuntime } from '../app/station-app';
import { startVirtualFleet } from '../app/virtual-fleet';
import { bindIpc } from './ipc';
import { appOrigin, appScheme, electronCsp, isAppUrl } from './security';

/**
 * The Electron shell, kept thin: it starts the same station runtime as `fleet-station serve`, binds the contract
 * to IPC, and shows the renderer in a sandboxed, context-isolated window served from app:// with a strict CSP.
 * Navigation, new windows and permission requests are all refused.
 */

protocol.registerSchemesAsPrivileged([{ scheme: appScheme, privileges: { standard: true, secure: true } }]);

const rendererDir = join(__dirname, '..', 'renderer');
const preloadPath = join(__dirname, 'preload.cjs');

function argValues(flag: string): string[] {
  const values: string[] = [];
  process.argv.forEach((arg, i) => {
    const next = process.argv[i + 1];
    if (arg === flag && next !== undefined) values.push(next);
  });
  return values;
}

function serveRenderer(): void {
  protocol.handle(appScheme, async (request) => {
    const path = decodeURIComponent(new URL(request.url).pathname);
    const file = normalize(join(rendererDir, path === '/' ? 'index.html' : path));
    if (!file.startsWith(rendererDir + sep)) return new Response('not found', { status: 404 });
    const response = await net.fetch(pathToFileURL(file).toString());
    const headers = new Headers(response.headers);
    headers.set('Content-Security-Policy', electronCsp);
    headers.set('X-Content-Type-Options', 'nosniff');
    return new Response(response.body, { status: response.status, headers });
  });
}

function lockDown(): void {
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event) => event.preventDefault());
    contents.on('will-redirect', (event) => event.preventDefault());
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });
}

async function start(): Promise<void> {
  await app.whenReady();
  serveRenderer();
  lockDown();
  const portPaths = argValues('--port-path');
  const virtual = Number(argValues('--virtual')[0] ?? (portPaths.length === 0 ? 3 : 0));
  const runtime: StationRuntime = await startStationRuntime({
    virtual: Number.isInteger(virtual) && virtual >= 0 ? Math.min(virtual, 64) : 3,
    portPaths,
    startVirtualFleet,
  });
  const window = new BrowserWindow({
    width: 1280,
    height: 820,
    title: 'Fleet Station',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
    },
  });
  const binding = bindIpc({
    ipc: {
      handle: (channel, handler) =>
        ipcMain.handle(channel, (event, input: unknown) => handler({ senderUrl: event.senderFrame?.url }, input)),
      removeHandler: (channel) => ipcMain.removeHandler(channel),
    },
    dispatch: runtime.dispatch,
    events: runtime.station,
    send: (channel, payload) => {
      if (!window.isDestroyed()) window.webContents.send(channel, payload);
    },
    isTrustedSender: isAppUrl,
  });
  window.on('closed', () => binding.dispose());
  app.on('window-all-closed', () => {
    void runtime.close().finally(() => app.quit());
  });
  await window.loadURL(`${appOrigin}/index.html`);
}

start().catch((error: unknown) => {
  process.stderr.write(`fleet-station: ${error instanceof Error ? error.message : 'failed to start'}\n`);
  app.exit(1);
});
