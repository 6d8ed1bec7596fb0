import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/coverage/**',
      '**/generated/**',
      '.trellis/**',
      '.nx/**',
      'charts/**',
    ],
  },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            // apps compose libs; nothing may import an app
            {
              sourceTag: 'type:app',
              onlyDependOnLibsWithTags: ['type:domain', 'type:contract', 'type:util'],
            },
            // domain libs (platform bootstrap, events, auth, fhir) build on contracts and utils
            {
              sourceTag: 'type:domain',
              onlyDependOnLibsWithTags: ['type:domain', 'type:contract', 'type:util'],
            },
            // contracts are generated code: only plain utilities below them
            { sourceTag: 'type:contract', onlyDependOnLibsWithTags: ['type:util'] },
            { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util'] },
            // benchmarks (tools/bench) drive services in-process through each app's public entry
            // point (apps/<app>/src/public.ts) and test harnesses; nothing imports a benchmark
            { sourceTag: 'type:bench', onlyDependOnLibsWithTags: ['*'] },
            // a service never reaches into another service's code
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            {
              sourceTag: 'scope:identity',
              onlyDependOnLibsWithTags: ['scope:identity', 'scope:shared'],
            },
            {
              sourceTag: 'scope:appointments',
              onlyDependOnLibsWithTags: ['scope:appointments', 'scope:shared'],
            },
            {
              sourceTag: 'scope:referrals',
              onlyDependOnLibsWithTags: ['scope:referrals', 'scope:shared'],
            },
            {
              sourceTag: 'scope:results',
              onlyDependOnLibsWithTags: ['scope:results', 'scope:shared'],
            },
            {
              sourceTag: 'scope:gateway',
              onlyDependOnLibsWithTags: ['scope:gateway', 'scope:shared'],
            },
            {
              sourceTag: 'scope:router',
              onlyDependOnLibsWithTags: ['scope:router', 'scope:shared'],
            },
          ],
        },
      ],
    },
  },
  // type-aware rules: a promise dropped in a Kafka/outbox codebase is a lost event or an unhandled rejection
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  // repositories own every query (docs/service-kit.md): raw SQL and interactive transactions of an
  // app's Prisma client only in its *.repository.ts files (seeds and generated code aside)
  {
    files: ['apps/*/src/**/*.ts'],
    ignores: [
      '**/*.repository.ts',
      '**/*.spec.ts',
      '**/generated/**',
      'apps/*/src/seed/**',
      'apps/*/src/seed.ts',
    ],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            'MemberExpression[property.name=/^\\$(queryRaw|executeRaw|queryRawUnsafe|executeRawUnsafe|transaction)$/]',
          message:
            'raw SQL and transactions belong in a *.repository.ts (docs/service-kit.md, "Repositories own every query")',
        },
      ],
    },
  },
  // the console has two programs (the browser app, and its server, tests and build config)
  {
    files: ['apps/console/**/*.ts', 'apps/console/**/*.tsx'],
    languageOptions: {
      parserOptions: {
        projectService: false,
        project: ['apps/console/tsconfig.json', 'apps/console/tsconfig.node.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.int-spec.ts', '**/test/**/*.ts', 'tools/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  prettier,
);
