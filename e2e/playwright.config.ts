import { defineConfig } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/**
 * End-to-end tests: the real station (`fleet-station serve` with virtual modules and the embedded broker) driven
 * through its web UI in the system Chromium. The port and the station's token are picked once by the runner and
 * handed to workers through the environment, so every process agrees on them. The station gets the token the way
 * automation hands it over, in FLEET_STATION_TOKEN (never on its command line), and the page object opens the UI
 * with it in the URL, as an operator opens the address `serve` prints.
 */
function freePort(): string {
  const script =
    "const s=require('node:net').createServer();s.listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close();});";
  return execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }).trim();
}

const port = (process.env.FLEET_E2E_PORT ??= freePort());
const token = (process.env.FLEET_E2E_TOKEN ??= randomBytes(32).toString('base64url'));
const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: '.',
  testMatch: '**/*.spec.ts',
  fullyParallel: false,
  workers: 1,
  forbidOnly: true,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: [['list']],
  outputDir: '../test-results',
  use: {
    baseURL,
    browserName: 'chromium',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  webServer: {
    command: `node bin/fleet-station.mjs serve --port ${port} --virtual 3`,
    env: { FLEET_STATION_TOKEN: token },
    cwd: '..',
    // Ready once it answers at all: without the token the page is 401, which Playwright counts as up.
    url: baseURL,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: 'pipe',
    stderr: 'pipe',
  },
});
