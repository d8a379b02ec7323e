import { chmodSync, lstatSync } from 'node:fs';
import { lstat, unlink } from 'node:fs/promises';
import type { Server } from 'node:http';
import { connect } from 'node:net';

/**
 * The web shell on a Unix-domain socket, for automation on the same machine: the socket file is created with
 * mode 0600, so only the user running the station (and root) can connect, and that permission is the
 * authentication. The file is made under a 0177 umask (bind creates it synchronously inside `listen`), so there is
 * no moment at which it exists with wider permissions.
 */
export async function listenOnSocketFile(server: Server, path: string): Promise<void> {
  await clearStaleSocket(path);
  await new Promise<void>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException): void => {
      reject(new Error(`cannot listen on the socket ${path}: ${error.code ?? error.message}`));
    };
    server.once('error', failed);
    const previous = process.umask(0o177);
    try {
      server.listen(path, () => {
        server.off('error', failed);
        resolve();
      });
    } finally {
      process.umask(previous);
    }
  });
  // Belt and braces: a file system that ignores the umask still ends up 0600, or the station refuses to start.
  chmodSync(path, 0o600);
  const mode = lstatSync(path).mode & 0o777;
  if (mode !== 0o600) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw new Error(`the socket ${path} has mode ${mode.toString(8)}, not 600; refusing to serve on it`);
  }
}

/**
 * A socket file left by a station that died is removed; anything else at the path (a file, a directory, a socket
 * someone still serves) is left alone and refused with a message naming it.
 */
async function clearStaleSocket(path: string): Promise<void> {
  const info = await lstat(path).catch((error: unknown) => {
    if (isErrno(error) && error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (info === undefined) return;
  if (!info.isSocket()) throw new Error(`${path} exists and is not a socket; refusing to replace it`);
  if (await answers(path)) throw new Error(`another process already listens on the socket ${path}`);
  await unlink(path);
}

/** Whether a process accepts connections on the socket (ECONNREFUSED: nobody does, the file is stale). */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED') resolve(false);
      else reject(new Error(`cannot tell whether the socket ${path} is in use: ${error.code ?? error.message}`));
    });
  });
}

function isErrno(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && 'code' in error;
}
