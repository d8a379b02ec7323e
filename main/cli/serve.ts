import { ensureRenderer, rendererRoot } from '../app/renderer-assets';
import { startStationApp, tokenEnvironmentVariable, tokenProblem } from '../app/station-app';
import { startVirtualFleet } from '../app/virtual-fleet';

/** The flags of `serve` (main/cli/commands/serve.ts). */
export interface ServeFlags {
  readonly port: number;
  readonly host: string;
  readonly virtual?: number;
  readonly portPath: string[];
  readonly socket?: string;
  readonly all: boolean;
  readonly json: boolean;
  readonly openHint: boolean;
}

/**
 * `fleet-station serve`: the station with its web UI and API on the loopback interface. Without ports it runs the
 * embedded default (virtual modules and an embedded MQTT broker), so it works on any machine with no hardware.
 * Every request needs the station's token: random at each start, or fixed for automation through the environment
 * (FLEET_STATION_TOKEN; never a flag, which `ps` would show to every user).
 */
export async function serveCommand(flags: ServeFlags): Promise<void> {
  try {
    await serve(flags);
  } catch (error) {
    process.stderr.write(`fleet-station serve: ${error instanceof Error ? error.message : 'failed to start'}\n`);
    process.exitCode = 1;
  }
}

/** The fixed token from the environment, checked, and then removed from it so that no child process inherits it. */
function tokenFromEnvironment(): string | undefined {
  const token = process.env[tokenEnvironmentVariable];
  if (token === undefined || token === '') return undefined;
  Reflect.deleteProperty(process.env, tokenEnvironmentVariable);
  const problem = tokenProblem(token);
  if (problem !== undefined) throw new Error(`${tokenEnvironmentVariable}: ${problem}`);
  return token;
}

async function serve(flags: ServeFlags): Promise<void> {
  const log = (line: string): void => {
    if (!flags.json) process.stderr.write(`${line}\n`);
  };
  const token = tokenFromEnvironment();
  const staticRoot = rendererRoot();
  if (!(await ensureRenderer(staticRoot, log)))
    log('warning: the UI is not built (npm run build); the API still works');
  const app = await startStationApp({
    host: flags.host,
    port: flags.port,
    staticRoot,
    virtual: flags.virtual ?? (flags.portPath.length === 0 && !flags.all ? 3 : 0),
    portPaths: flags.portPath,
    scanPorts: flags.all,
    startVirtualFleet,
    ...(token === undefined ? {} : { token }),
    ...(flags.socket === undefined ? {} : { unixSocket: flags.socket }),
  });
  app.shell.onDidDropClient((client) => log(`closed a WebSocket client: ${client.reason}`));
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void app.close().finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const ready = {
    url: app.shell.url,
    port: app.shell.port,
    token: app.shell.token,
    openUrl: app.shell.openUrl,
    socket: app.shell.unixSocket ?? null,
    broker: app.broker === undefined ? null : `mqtt://${app.broker.host}:${app.broker.port}`,
    modules: app.station.list().map((m) => m.port),
    /** Ports that could not be opened or identified yet, with the reason (the station keeps trying them). */
    problems: app.station
      .list()
      .filter((m) => m.connection === 'error')
      .map((m) => ({ port: m.port, problem: m.problem })),
  };
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(ready)}\n`);
  } else {
    process.stdout.write(`Fleet Station listening on ${ready.openUrl}\n`);
    if (ready.socket !== null) process.stdout.write(`API also on the socket ${ready.socket} (mode 0600)\n`);
    if (ready.broker !== null) process.stdout.write(`embedded MQTT broker on ${ready.broker}\n`);
    process.stdout.write(`modules: ${ready.modules.join(', ') || '(none)'}\n`);
    for (const { port, problem } of ready.problems) process.stdout.write(`  ${port}: ${problem ?? 'error'}\n`);
    if (flags.openHint) process.stdout.write(`Open ${ready.openUrl} in a browser. Ctrl+C stops the station.\n`);
  }
}
