import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compilePlan } from './compile';
import { mqttTable, sslTable } from './fixtures/reference';
import { loadProfile, type LoadedProfile } from './load';

/**
 * The shipped profiles and docs/profiles.md cannot rot: every shipped profile loads (its TLS files made by the
 * shipped script), every example in the document is the shipped file byte for byte, and the document's reference
 * tables are the ones the station applies.
 */

const root = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);
let copy: string;
const OBSERVER_ENV = { FLEET_OBSERVER_PASSWORD: 'observer-password' };

async function profileFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && /\.(ya?ml|json)$/.test(entry.name) && !entry.parentPath.includes('certs'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

beforeAll(async () => {
  copy = await mkdtemp(join(tmpdir(), 'fleet-examples-'));
  await cp(join(root, 'profiles'), join(copy, 'profiles'), {
    recursive: true,
    filter: (source) => !source.includes(join('examples', 'certs')),
  });
  await run('sh', [join(copy, 'profiles/examples/make-test-certs.sh')]);
});

afterAll(async () => {
  await rm(copy, { recursive: true, force: true });
});

async function loadShipped(name: string): Promise<LoadedProfile> {
  const result = await loadProfile(join(copy, name), { env: OBSERVER_ENV });
  if (!result.ok) throw new Error(`${name}: ${JSON.stringify(result.errors)}`);
  expect(result.warnings).toEqual([]);
  return result.profile;
}

describe('the shipped profiles', () => {
  it("every one loads without an error or a warning, with the shipped script's certificates", async () => {
    const names = (await profileFiles(join(copy, 'profiles'))).map((path) => relative(copy, path));
    expect(names).toEqual([
      'profiles/demo/demo.yaml',
      'profiles/examples/aliyun.yaml',
      'profiles/examples/lab-tcp.yaml',
      'profiles/examples/line-a-mtls.json',
      'profiles/examples/mosquitto-mtls.yaml',
      'profiles/examples/onenet.yaml',
    ]);
    for (const name of names) await loadShipped(name);
  });

  it("warns, without failing, when the observer's password is not in the environment", async () => {
    const result = await loadProfile(join(copy, 'profiles/examples/mosquitto-mtls.yaml'), { env: {} });
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual([expect.objectContaining({ path: 'verify.observer.password_env' })]);
    if (!result.ok) return;
    const plan = compilePlan(result.profile, {
      imei: '861234567890128',
      iccid: '89860012345678901234',
      row: { password: 'p' },
      runId: 'r',
      nonce: 'n',
    });
    expect(plan.ok ? [] : plan.errors.map((error) => error.path)).toEqual(['verify.observer.password_env']);
  });

  it('the demo manifest serves the demo profile: every column it needs, unique ids, enough for a batch of 64', async () => {
    const demo = await loadShipped('profiles/demo/demo.yaml');
    const rows: Record<string, string>[] = parseCsv(await readFile(join(root, 'profiles/demo/manifest.csv')), {
      columns: true,
      bom: true,
    });
    expect(rows.length).toBeGreaterThanOrEqual(64);
    for (const column of demo.requiredColumns) expect(Object.keys(rows[0] ?? {})).toContain(column);
    expect(new Set(rows.map((row) => row.credential_id)).size).toBe(rows.length);
    for (const [index, row] of rows.entries()) {
      const plan = compilePlan(demo, { imei: '861234567890128', row, runId: 'r', nonce: `n${index}` });
      expect(plan.ok).toBe(true);
    }
  });
});

/** A markdown table as rows of trimmed cells (prettier pads them; the content is what matters). */
function cells(table: string): string[][] {
  return table
    .trim()
    .split('\n')
    .map((line) =>
      line
        .split(/(?<!\\)\|/)
        .slice(1, -1)
        .map((cell) => cell.trim()),
    )
    .filter((row) => !row.every((cell) => /^-+$/.test(cell)));
}

describe('docs/profiles.md', () => {
  it('shows every shipped profile byte for byte', async () => {
    const doc = await readFile(join(root, 'docs/profiles.md'), 'utf8');
    const shown = [...doc.matchAll(/<!-- file: (\S+) -->\n\n```\w+\n([\s\S]*?)```\n/g)];
    const names = shown.map(([, name]) => name);
    expect(names.sort()).toEqual(
      (await profileFiles(join(root, 'profiles'))).map((path) => relative(root, path)).sort(),
    );
    for (const [, name, text] of shown) {
      expect(text, name).toBe(await readFile(join(root, name ?? ''), 'utf8'));
    }
  });

  it('documents the ranges and defaults the station applies', async () => {
    const doc = await readFile(join(root, 'docs/profiles.md'), 'utf8');
    for (const [name, table] of [
      ['mqtt-table', mqttTable()],
      ['ssl-table', sslTable()],
    ] as const) {
      const section = new RegExp(`<!-- generated: ${name} -->([\\s\\S]*?)<!-- end: ${name} -->`).exec(doc)?.[1];
      expect(section, name).toBeDefined();
      expect(cells(section ?? '')).toEqual(cells(table));
    }
  });
});
