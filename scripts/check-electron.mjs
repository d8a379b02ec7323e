// Runs after `npm install`. Electron 45 fetches its runtime on first launch, not at install time, so the
// install never fails for want of it; this prints one line saying whether the desktop window can start here.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
let electronDir;
try {
  electronDir = path.dirname(require.resolve('electron/package.json'));
} catch {
  // Production installs (npm ci --omit=dev) have no electron package: nothing to say.
  process.exit(0);
}
const hasRuntime = existsSync(path.join(electronDir, 'path.txt')) && existsSync(path.join(electronDir, 'dist'));
console.log(
  hasRuntime
    ? 'fleet-station: Electron runtime present; `npm run start:electron` opens the desktop window.'
    : 'fleet-station: Electron runtime not downloaded (it is fetched on first `npm run start:electron`, which needs internet access); `npm start` serves the same UI in a browser.',
);
