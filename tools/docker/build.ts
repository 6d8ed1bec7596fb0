/**
 * Production build of one app (the `build` Nx target, used by the Dockerfiles):
 *
 *   node -r @swc-node/register tools/docker/build.ts <app> [--out dist/apps/<app>]
 *
 * Compiles with SWC (same settings as the tests: legacy decorators + metadata for NestJS,
 * CommonJS, ES2023) everything the app runs, into dist/apps/<app>/ laid out like the repository:
 *
 *   apps/<app>/src/**.js          the app (specs and tests left out)
 *   apps/<app>/prisma/            schema.prisma + migrations (for the migration Job)
 *   libs/<lib>/src/**.js          only the libs the app (transitively) imports, each with a
 *   libs/<lib>/package.json       package.json whose main is ./src/index.js
 *   tools/prisma/*.js             the migrate CLI: node tools/prisma/cli.js <app> migrate-deploy
 *   tools/docker/grpc-health-check.js   the `helm test` health client
 *   proto/                        .proto files, loaded at run time by the gRPC server
 *
 * Keeping the repository layout means every `__dirname`-relative path (proto root, migrations
 * folder, repo root of the migrate CLI) resolves the same in the image as in the tree, and the
 * npm workspace symlinks node_modules/@trellis/<lib> -> ../../libs/<lib> resolve to the compiled
 * libs. Generated code (Prisma client, ts-proto) must exist first: the Nx target depends on
 * `generate`.
 */
import { transformFileSync, type Options } from '@swc/core';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '../..');

const SWC_OPTIONS: Options = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2023',
    keepClassNames: true,
  },
  module: { type: 'commonjs' },
  sourceMaps: true,
  swcrc: false,
  configFile: false,
};

/** Files that never go into an image. */
export function isExcluded(rel: string): boolean {
  return (
    /\.(spec|int-spec|test)\.ts$/.test(rel) ||
    rel.endsWith('.d.ts') ||
    /(^|\/)(test|tests|__tests__|__mocks__|fixtures)\//.test(rel) ||
    // seed scripts (synthetic data with faker) run from the tree, never from an image
    /(^|\/)(seed\/|seed\.ts$)/.test(rel) ||
    // an app's entry point for the tools outside it (benchmarks): run from the tree, and it may
    // re-export what an image leaves out (identity's seed)
    /^apps\/[^/]+\/src\/public\.ts$/.test(rel)
  );
}

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

const IMPORT_RE = /(?:from\s+|require\(\s*|import\(\s*|import\s+)['"]@trellis\/([a-z0-9-]+)['"]/g;

/** `import type … from '…'` / `export type … from '…'`: erased by the compiler, nothing to ship. */
const TYPE_ONLY_RE = /(?:import|export)\s+type\s[^;]*?from\s+['"][^'"]+['"]/g;

/** Names of the @trellis/* packages the given TypeScript files import at run time. */
export function importedLibs(files: readonly string[]): Set<string> {
  const libs = new Set<string>();
  for (const f of files) {
    const code = readFileSync(f, 'utf8').replace(TYPE_ONLY_RE, '');
    for (const m of code.matchAll(IMPORT_RE)) libs.add(m[1]!);
  }
  return libs;
}

function sourcesOf(root: string, dir: string): string[] {
  return walk(join(root, dir)).filter((f) => !isExcluded(relative(root, f)));
}

export interface BuildPlan {
  app: string;
  /** Libs in the transitive import closure (directory names under libs/). */
  libs: string[];
  /** TypeScript files to compile, relative to the root. */
  sources: string[];
  /** Other files copied as they are, relative to the root. */
  assets: string[];
}

/** Works out what the image of `app` needs, following @trellis/* imports transitively. */
export function planBuild(app: string, root = REPO_ROOT): BuildPlan {
  const appDir = join(root, 'apps', app);
  if (!existsSync(join(appDir, 'package.json')))
    throw new Error(`unknown app ${JSON.stringify(app)}: no apps/${app}/package.json`);
  const libDirs = new Map<string, string>();
  for (const entry of existsSync(join(root, 'libs')) ? readdirSync(join(root, 'libs')) : []) {
    const pkgPath = join(root, 'libs', entry, 'package.json');
    if (!existsSync(pkgPath)) continue;
    const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { name?: string };
    if (pkg.name?.startsWith('@trellis/')) libDirs.set(pkg.name.slice('@trellis/'.length), entry);
  }

  const toolFiles = [
    ...sourcesOf(root, 'tools/prisma').filter(
      (f) => dirname(f) === join(root, 'tools/prisma') && f.endsWith('.ts'),
    ),
    join(root, 'tools/docker/grpc-health-check.ts'),
  ].filter((f) => existsSync(f));
  const roots = [...sourcesOf(root, `apps/${app}/src`), ...toolFiles];
  const seen = new Set<string>();
  const queue = [...importedLibs(roots.filter((f) => f.endsWith('.ts')))];
  while (queue.length > 0) {
    const name = queue.shift()!;
    if (seen.has(name)) continue;
    const dir = libDirs.get(name);
    if (dir === undefined) {
      if (name === app || [...libDirs.keys()].length === 0) continue;
      throw new Error(`@trellis/${name} is imported but no libs/*/package.json declares it`);
    }
    seen.add(name);
    queue.push(
      ...importedLibs(sourcesOf(root, `libs/${dir}/src`).filter((f) => f.endsWith('.ts'))),
    );
  }
  const libs = [...seen].map((n) => libDirs.get(n)!).sort();

  const all = [...roots, ...libs.flatMap((l) => sourcesOf(root, `libs/${l}/src`))];
  const sources = all.filter((f) => f.endsWith('.ts')).map((f) => relative(root, f));
  const assets = [
    ...all.filter((f) => !f.endsWith('.ts')),
    ...walk(join(root, `apps/${app}/prisma`)),
    ...libs.flatMap((l) => walk(join(root, `libs/${l}/prisma`))),
    ...walk(join(root, 'proto')).filter((f) => f.endsWith('.proto')),
  ].map((f) => relative(root, f));
  return { app, libs, sources: [...new Set(sources)].sort(), assets: [...new Set(assets)].sort() };
}

/** Generated sources the plan needs but the tree lacks (git-ignored, made by `generate`). */
export function missingGeneratedCode(plan: BuildPlan, root = REPO_ROOT): string[] {
  const needed: string[] = [];
  if (existsSync(join(root, `apps/${plan.app}/prisma/schema.prisma`)))
    needed.push(`apps/${plan.app}/src/generated/prisma`);
  if (plan.libs.includes('contracts')) needed.push('libs/contracts/src/generated');
  return needed.filter((dir) => !existsSync(dir.startsWith('/') ? dir : join(root, dir)));
}

export interface BuildResult extends BuildPlan {
  outDir: string;
}

/** Compiles and copies the plan into outDir (emptied first). */
export function build(
  app: string,
  outDir = join(REPO_ROOT, 'dist/apps', app),
  root = REPO_ROOT,
): BuildResult {
  const plan = planBuild(app, root);
  const missing = missingGeneratedCode(plan, root);
  if (missing.length > 0) {
    throw new Error(
      `generated code missing (run the generate targets first): ${missing.join(', ')}`,
    );
  }
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  for (const rel of plan.sources) {
    const target = join(outDir, rel.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(target), { recursive: true });
    const out = transformFileSync(join(root, rel), {
      ...SWC_OPTIONS,
      filename: join(root, rel),
      sourceFileName: relative(dirname(target), join(outDir, rel)),
      outputPath: target,
    });
    writeFileSync(target, `${out.code}\n//# sourceMappingURL=${target.split('/').pop()}.map\n`);
    if (out.map) writeFileSync(`${target}.map`, out.map);
  }
  for (const rel of plan.assets) {
    const target = join(outDir, rel);
    mkdirSync(dirname(target), { recursive: true });
    cpSync(join(root, rel), target);
  }
  // package.json of every compiled workspace package: same name, main pointing at the JS.
  for (const dir of [...plan.libs.map((l) => `libs/${l}`), `apps/${app}`]) {
    const pkg = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    const slim = {
      name: pkg['name'],
      version: pkg['version'],
      private: true,
      main: './src/index.js',
    };
    mkdirSync(join(outDir, dir), { recursive: true });
    writeFileSync(join(outDir, dir, 'package.json'), `${JSON.stringify(slim, null, 2)}\n`);
  }
  writeFileSync(
    join(outDir, 'build-info.json'),
    `${JSON.stringify({ app, libs: plan.libs, files: plan.sources.length, assets: plan.assets.length }, null, 2)}\n`,
  );
  return { ...plan, outDir };
}

function main(argv: string[]): number {
  const app = argv[0];
  if (!app || app.startsWith('-')) {
    console.error('usage: build.ts <app> [--out <dir>]');
    return 2;
  }
  const outIndex = argv.indexOf('--out');
  const outDir =
    outIndex >= 0 && argv[outIndex + 1]
      ? resolve(argv[outIndex + 1]!)
      : join(REPO_ROOT, 'dist/apps', app);
  const started = Date.now();
  const result = build(app, outDir);
  const size = walk(outDir).reduce((n, f) => n + statSync(f).size, 0);
  console.log(
    `[build] ${app}: ${result.sources.length} files compiled, ${result.assets.length} assets, libs ${result.libs.join(', ') || '(none)'} ` +
      `-> ${relative(process.cwd(), outDir) || '.'} (${(size / 1024 / 1024).toFixed(1)} MiB, ${Date.now() - started} ms)`,
  );
  return 0;
}

if (require.main === module) {
  try {
    process.exit(main(process.argv.slice(2)));
  } catch (err) {
    console.error(`[build] ${(err as Error).message}`);
    process.exit(1);
  }
}
