// The committed package-lock.json is complete, so `npm ci` (setup and the image builds) accepts it
// on any machine: every manifest's dependency is locked with the same range, and every optional
// platform binary a locked package names (other OSes' @bufbuild/buf-*, @nx/nx-*,
// @unrs/resolver-binding-*, ...) has its own entry — npm silently leaves those out when a registry
// mirror cannot serve them, and `npm ci` on another platform then refuses the lock.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface LockEntry {
  version?: string;
  integrity?: string;
  link?: boolean;
  resolved?: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

interface Manifest {
  name?: string;
  workspaces?: string[];
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

const root = path.resolve(__dirname, '..', '..');
const readJson = <T>(file: string): T =>
  JSON.parse(readFileSync(path.join(root, file), 'utf8')) as T;
const lock = readJson<{ lockfileVersion: number; packages: Record<string, LockEntry> }>(
  'package-lock.json',
);
const packages = lock.packages;

/** Node's resolution: the nearest node_modules/<name> walking up from the requiring entry. */
function resolveFrom(entryPath: string, name: string): string | undefined {
  let base = entryPath;
  for (;;) {
    const key = `${base ? `${base}/` : ''}node_modules/${name}`;
    if (packages[key]) return key;
    if (base === '') return undefined;
    const i = base.lastIndexOf('/node_modules/');
    base = i >= 0 ? base.slice(0, i) : '';
  }
}

const workspaceDirs = Object.entries(packages)
  .filter(([key, entry]) => entry.link === true && key.startsWith('node_modules/'))
  .map(([, entry]) => (entry as LockEntry & { resolved: string }).resolved);

describe('package-lock.json', () => {
  it('is a version 3 lock file', () => {
    expect(lock.lockfileVersion).toBe(3);
  });

  it('holds every workspace of the tree (a new app left out of the lock makes `npm ci` refuse it)', () => {
    const onDisk = ['apps', 'libs'].flatMap((top) =>
      readdirSync(path.join(root, top), { withFileTypes: true })
        .filter((e) => e.isDirectory() && existsSync(path.join(root, top, e.name, 'package.json')))
        .map((e) => `${top}/${e.name}`),
    );
    expect(onDisk.filter((dir) => !workspaceDirs.includes(dir))).toEqual([]);
  });

  it('locks every dependency of the root and workspace manifests with the manifest range', () => {
    const mismatches: string[] = [];
    for (const dir of ['', ...workspaceDirs]) {
      const manifest = readJson<Manifest>(dir ? `${dir}/package.json` : 'package.json');
      const entry = packages[dir] ?? {};
      for (const field of ['dependencies', 'devDependencies', 'optionalDependencies'] as const) {
        for (const [name, range] of Object.entries(manifest[field] ?? {})) {
          if (entry[field]?.[name] !== range)
            mismatches.push(`${dir || '(root)'} ${field} ${name}@${range}`);
          if (!resolveFrom(dir, name)) mismatches.push(`${dir || '(root)'} ${name}: no lock entry`);
        }
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('has an entry for every optional platform package a locked package names', () => {
    const missing: string[] = [];
    for (const [key, entry] of Object.entries(packages)) {
      for (const name of Object.keys(entry.optionalDependencies ?? {})) {
        if (!resolveFrom(key, name)) missing.push(`${key} -> ${name}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('pins every installed package by version and integrity hash', () => {
    const unpinned = Object.entries(packages)
      .filter(([key, entry]) => key.includes('node_modules/') && entry.link !== true)
      .filter(([, entry]) => !entry.version || !/^sha(256|384|512)-/.test(entry.integrity ?? ''))
      .map(([key]) => key);
    expect(unpinned).toEqual([]);
  });
});
