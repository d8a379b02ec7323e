import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Where the built renderer lives: dist/renderer at the repository root (sources) or beside dist/main (bundle). */
export function rendererRoot(): string {
  const candidates = ['../../dist/renderer', '../renderer'].map((p) => fileURLToPath(new URL(p, import.meta.url)));
  return candidates.find((c) => existsSync(`${c}/index.html`)) ?? candidates[0] ?? 'dist/renderer';
}

/**
 * `npm start` runs from sources without a build step: build the renderer once (vite) when it is missing, so the
 * station always serves the real UI. Returns false when it cannot be built here (vite absent).
 */
export async function ensureRenderer(root: string, log: (line: string) => void): Promise<boolean> {
  if (existsSync(`${root}/index.html`)) return true;
  const sources = fileURLToPath(new URL('../../renderer', import.meta.url));
  const configFile = `${sources}/vite.config.ts`;
  if (!existsSync(configFile)) return false;
  log('building the UI once (vite build)...');
  const vite = await import('vite');
  await vite.build({ configFile, root: sources, build: { outDir: root }, logLevel: 'warn' });
  return existsSync(`${root}/index.html`);
}
