import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

export interface StaticFile {
  readonly body: Buffer;
  readonly type: string;
}

/**
 * Reads a file of the built renderer for a URL path. Paths that leave the root are refused; unknown paths without
 * an extension fall back to index.html (the renderer is a single page).
 */
export async function readStatic(root: string, urlPath: string): Promise<StaticFile | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  const relative = normalize(decoded === '/' ? '/index.html' : decoded).replace(/^([/\\])+/, '');
  const full = join(root, relative);
  if (full !== root && !full.startsWith(root.endsWith(sep) ? root : root + sep)) return undefined;
  const file = await readFile(full).catch(() => undefined);
  if (file !== undefined) return { body: file, type: types[extname(full)] ?? 'application/octet-stream' };
  if (extname(relative) !== '') return undefined;
  const index = await readFile(join(root, 'index.html')).catch(() => undefined);
  return index === undefined ? undefined : { body: index, type: types['.html'] ?? 'text/html' };
}
