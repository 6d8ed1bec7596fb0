import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { build, isExcluded, missingGeneratedCode, planBuild } from './build';
import { apps, generate, renderDockerfile, staticApps } from './generate';

/** A tiny workspace shaped like the repository: one app, a lib it uses, a lib it does not. */
function fixtureWorkspace(): string {
  const root = mkdtempSync(join(tmpdir(), 'trellis-build-'));
  const files: Record<string, string> = {
    'apps/demo/package.json': JSON.stringify({
      name: '@trellis/demo',
      version: '1.2.3',
      main: './src/index.ts',
    }),
    'apps/demo/src/main.ts': [
      "import 'reflect-metadata';",
      "import { greet } from '@trellis/greeting';",
      'function Injectable(): ClassDecorator { return () => undefined; }',
      'class Dep {}',
      '@Injectable()',
      'export class Service { constructor(readonly dep: Dep) {} }',
      "const params = Reflect.getMetadata('design:paramtypes', Service) as unknown[];",
      'console.log(JSON.stringify({ greeting: greet(), params: params.length, name: Service.name }));',
    ].join('\n'),
    'apps/demo/src/main.spec.ts': "it('never shipped', () => undefined);",
    'apps/demo/src/data/codes.json': '{"a":1}',
    'apps/demo/prisma/schema.prisma': 'datasource db { provider = "postgresql" }',
    'apps/demo/prisma/migrations/20260101000000_init/migration.sql': 'CREATE TABLE "t" ("id" int);',
    'apps/demo/src/generated/prisma/client.ts': 'export const generated = true;',
    'apps/demo/test/demo.int-spec.ts': 'export {};',
    'libs/greeting/package.json': JSON.stringify({
      name: '@trellis/greeting',
      version: '0.0.1',
      main: './src/index.ts',
    }),
    'libs/greeting/src/index.ts': [
      "import { word } from '@trellis/words';",
      // a type-only import is erased by the compiler: the lib it names is not shipped
      "import type { Unused } from '@trellis/unused';",
      'export type Greeting = Unused;',
      'export const greet = (): string => `hello ${word}`;',
    ].join('\n'),
    'libs/words/package.json': JSON.stringify({
      name: '@trellis/words',
      version: '0.0.1',
      main: './src/index.ts',
    }),
    'libs/words/src/index.ts': "export const word: string = 'world';",
    'libs/unused/package.json': JSON.stringify({
      name: '@trellis/unused',
      version: '0.0.1',
      main: './src/index.ts',
    }),
    'libs/unused/src/index.ts': 'export const unused = 1;\nexport type Unused = number;',
    'tools/prisma/cli.ts':
      "import { word } from '@trellis/words';\nconsole.log(`migrate ${word} ${process.argv.slice(2).join(' ')}`);",
    'tools/prisma/cli.spec.ts': 'export {};',
    'tools/docker/grpc-health-check.ts': 'export const health = 1;',
    'proto/trellis/demo/v1/demo.proto': 'syntax = "proto3";',
  };
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  return root;
}

describe('build', () => {
  let root: string;
  beforeAll(() => {
    root = fixtureWorkspace();
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('leaves specs, integration tests and declaration files out', () => {
    expect(isExcluded('apps/x/src/a.spec.ts')).toBe(true);
    expect(isExcluded('apps/x/src/a.int-spec.ts')).toBe(true);
    expect(isExcluded('libs/x/src/test/helper.ts')).toBe(true);
    expect(isExcluded('libs/x/src/types.d.ts')).toBe(true);
    expect(isExcluded('apps/x/src/app/testing-codes.ts')).toBe(false);
    expect(isExcluded('apps/x/src/seed.ts')).toBe(true);
    expect(isExcluded('apps/x/src/seed/synthetic.ts')).toBe(true);
    expect(isExcluded('apps/x/src/app/seeder-status.ts')).toBe(false);
    expect(isExcluded('apps/x/src/public.ts')).toBe(true);
    expect(isExcluded('apps/x/src/app/public.ts')).toBe(false);
  });

  it('plans the app, the migrate CLI, the health client and only the libs reached by run-time imports', () => {
    const plan = planBuild('demo', root);
    expect(plan.libs).toEqual(['greeting', 'words']);
    expect(plan.sources).toEqual([
      'apps/demo/src/generated/prisma/client.ts',
      'apps/demo/src/main.ts',
      'libs/greeting/src/index.ts',
      'libs/words/src/index.ts',
      'tools/docker/grpc-health-check.ts',
      'tools/prisma/cli.ts',
    ]);
    expect(plan.assets).toEqual([
      'apps/demo/prisma/migrations/20260101000000_init/migration.sql',
      'apps/demo/prisma/schema.prisma',
      'apps/demo/src/data/codes.json',
      'proto/trellis/demo/v1/demo.proto',
    ]);
    expect(() => planBuild('nope', root)).toThrow('unknown app "nope"');
  });

  it('refuses to build without the generated Prisma client', () => {
    const plan = planBuild('demo', root);
    expect(missingGeneratedCode(plan, root)).toEqual([]);
    expect(missingGeneratedCode({ ...plan, libs: [...plan.libs, 'contracts'] }, root)).toEqual([
      'libs/contracts/src/generated',
    ]);
  });

  it('produces JavaScript that runs from the image layout (workspace symlinks, decorator metadata)', () => {
    const out = join(root, 'dist/apps/demo');
    build('demo', out, root);
    // what the Dockerfile assembles: node_modules with the npm workspace symlinks
    mkdirSync(join(out, 'node_modules/@trellis'), { recursive: true });
    for (const lib of ['greeting', 'words'])
      symlinkSync(`../../libs/${lib}`, join(out, 'node_modules/@trellis', lib));
    symlinkSync(
      join(__dirname, '../../node_modules/reflect-metadata'),
      join(out, 'node_modules/reflect-metadata'),
    );

    expect(JSON.parse(readFileSync(join(out, 'libs/words/package.json'), 'utf8'))).toEqual({
      name: '@trellis/words',
      version: '0.0.1',
      private: true,
      main: './src/index.js',
    });
    expect(existsSync(join(out, 'apps/demo/src/main.spec.js'))).toBe(false);
    expect(existsSync(join(out, 'libs/unused'))).toBe(false);
    expect(existsSync(join(out, 'apps/demo/src/main.js.map'))).toBe(true);

    const app = spawnSync(process.execPath, ['apps/demo/src/main.js'], {
      cwd: out,
      encoding: 'utf8',
    });
    expect(app.stderr).toBe('');
    expect(JSON.parse(app.stdout)).toEqual({ greeting: 'hello world', params: 1, name: 'Service' });
    const cli = spawnSync(process.execPath, ['tools/prisma/cli.js', 'demo', 'migrate-deploy'], {
      cwd: out,
      encoding: 'utf8',
    });
    expect(cli.stdout.trim()).toBe('migrate world demo migrate-deploy');
  });
});

describe('Dockerfiles', () => {
  it('exist for every app and match the template', () => {
    expect(apps().length).toBeGreaterThanOrEqual(6);
    expect(generate(true)).toEqual([]);
  });

  it('build with nx, run as uid 10001 on Node 24 with no package manager and no HEALTHCHECK', () => {
    const text = renderDockerfile('identity');
    expect(text).toMatch(/^ARG NODE_IMAGE=node:24-bookworm-slim@sha256:[0-9a-f]{64}$/m);
    expect(text).toContain('RUN npx nx run identity:build');
    expect(text).toContain('COPY libs/database/package.json libs/database/');
    expect(text).toMatch(/^USER 10001:10001$/m);
    expect(text).not.toMatch(/^HEALTHCHECK/m);
    expect(text).toContain('CMD ["apps/identity/src/main.js"]');
    // distroless: the runtime starts FROM scratch with only the stripped node + its libraries
    const root = text.slice(
      text.indexOf('AS runtime-root'),
      text.indexOf('FROM scratch AS runtime'),
    );
    expect(text).toMatch(/^FROM \$\{NODE_IMAGE\} AS runtime-root$/m);
    expect(root).toContain('strip --strip-all -o /rootfs/usr/local/bin/node');
    expect(root).not.toMatch(/cp .*(npm|corepack)/);
    // the runtime stage copies only the staged runtime directory (bundle + production deps)
    expect(text).toContain(
      'node -r @swc-node/register tools/docker/runtime-dir.ts identity --out /out/identity',
    );
    expect(text).not.toContain('npm prune');
    const runtime = text.slice(text.indexOf('FROM scratch AS runtime'));
    expect(runtime.match(/^FROM .*/gm)).toEqual(['FROM scratch AS runtime']);
    expect(runtime.match(/^COPY .*/gm)).toEqual([
      'COPY --from=runtime-root /rootfs/ /',
      'COPY --from=build /out/identity/ ./',
      'COPY --from=build /out/identity.sbom.cdx.json /usr/share/trellis/sbom.cdx.json',
    ]);
    expect(text).toContain('tools/docker/vuln-report.ts /out/identity.sbom.cdx.json');
    expect(text).toContain('FROM scratch AS sbom');
  });

  it('the console: vite build and its CSP server on plain Node, no node_modules, uid 10001', () => {
    expect(staticApps()).toEqual(['console']);
    const text = renderDockerfile('console');
    expect(text).toContain('RUN npx vite build --config apps/console/vite.config.ts');
    expect(text).toMatch(/^USER 10001:10001$/m);
    expect(text).not.toMatch(/^HEALTHCHECK/m);
    expect(text).toContain('CMD ["server/main.js"]');
    const runtime = text.slice(text.indexOf('FROM scratch AS runtime'));
    expect(runtime.match(/^FROM .*/gm)).toEqual(['FROM scratch AS runtime']);
    expect(runtime.match(/^COPY .*/gm)).toEqual([
      'COPY --from=runtime-root /rootfs/ /',
      'COPY --from=build /out/console/server/ ./server/',
      'COPY --from=build /src/dist/apps/console/ ./public/',
    ]);
  });
});
