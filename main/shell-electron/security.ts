/** The scheme the renderer is served from inside Electron: a privileged, standard, secure custom scheme. */
export const appScheme = 'app';
export const appHost = 'station';
export const appOrigin = `${appScheme}://${appHost}`;

/** Nothing but the app's own files; no inline code, no remote content, no framing. */
export const electronCsp = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** A sender is trusted only when its frame shows our own renderer. */
export function isAppUrl(url: string | undefined): boolean {
  if (url === undefined) return false;
  try {
    // Compare scheme and host: URL.origin is "null" for custom schemes outside Electron's registry.
    const parsed = new URL(url);
    return parsed.protocol === `${appScheme}:` && parsed.host === appHost;
  } catch {
    return false;
  }
}
