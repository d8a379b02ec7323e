import { describe, expect, it } from 'vitest';
import { resolveDataDir } from './data-dir';

describe('data directory', () => {
  const home = '/home/op';
  it('follows --data-dir, then FLEET_STATION_DATA, then Electron userData, then the platform folder', () => {
    const env = { FLEET_STATION_DATA: '/env/dir', XDG_DATA_HOME: '/xdg' };
    const base = { env, platform: 'linux' as const, home, electronUserData: '/electron/user' };
    expect(resolveDataDir({ ...base, flag: '/flag/dir' })).toBe('/flag/dir');
    expect(resolveDataDir(base)).toBe('/env/dir');
    expect(resolveDataDir({ ...base, env: { XDG_DATA_HOME: '/xdg' } })).toBe('/electron/user');
    expect(resolveDataDir({ env: { XDG_DATA_HOME: '/xdg' }, platform: 'linux', home })).toBe('/xdg/fleet-station');
  });

  it('uses each platform user data folder', () => {
    expect(resolveDataDir({ env: {}, platform: 'linux', home })).toBe('/home/op/.local/share/fleet-station');
    // XDG: a relative XDG_DATA_HOME is invalid and ignored.
    expect(resolveDataDir({ env: { XDG_DATA_HOME: 'rel' }, platform: 'linux', home })).toBe(
      '/home/op/.local/share/fleet-station',
    );
    expect(resolveDataDir({ env: {}, platform: 'freebsd', home })).toBe('/home/op/.local/share/fleet-station');
    expect(resolveDataDir({ env: {}, platform: 'darwin', home })).toBe(
      '/home/op/Library/Application Support/fleet-station',
    );
    expect(resolveDataDir({ env: { APPDATA: '/appdata' }, platform: 'win32', home })).toMatch(
      /^\/appdata[\\/]fleet-station$/,
    );
  });

  it('ignores empty overrides and resolves relative ones against the current directory', () => {
    expect(resolveDataDir({ flag: ' ', env: { FLEET_STATION_DATA: '' }, platform: 'linux', home })).toBe(
      '/home/op/.local/share/fleet-station',
    );
    expect(resolveDataDir({ flag: 'rel/dir', env: {} })).toBe(`${process.cwd()}/rel/dir`);
  });
});
