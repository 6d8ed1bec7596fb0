import { parseArgs, UsageError } from './cli';
import { resolveProject } from './prisma-project';

describe('parseArgs', () => {
  it('parses a command with value and boolean flags, both --k v and --k=v', () => {
    const args = parseArgs([
      'identity',
      'migrate-dev',
      '--name',
      'init',
      '--schema=identity_dev',
      '--create-only',
    ]);
    expect(args.app).toBe('identity');
    expect(args.command).toBe('migrate-dev');
    expect(args.flags.get('name')).toBe('init');
    expect(args.flags.get('schema')).toBe('identity_dev');
    expect(args.flags.get('create-only')).toBe(true);
  });

  it.each([
    [[]],
    [['identity']],
    [['identity', 'migrate']],
    [['identity', 'migrate-dev', '--name']],
    [['identity', 'migrate-dev', '--name', '--reset']],
    [['identity', 'migrate-deploy', '--force']],
    [['identity', 'migrate-deploy', 'extra']],
    [['identity', 'status', '--reset=yes']],
  ])('rejects %j with a usage error', (argv) => {
    expect(() => parseArgs(argv)).toThrow(UsageError);
  });
});

describe('resolveProject', () => {
  it('maps a directory to its prisma files and default schema', () => {
    const project = resolveProject('tools/prisma/test/fixture');
    expect(project.name).toBe('fixture');
    expect(project.defaultSchema).toBe('fixture');
    expect(project.schemaPath).toMatch(/tools\/prisma\/test\/fixture\/prisma\/schema\.prisma$/);
    expect(project.migrationsDir).toMatch(/fixture\/prisma\/migrations$/);
  });

  it('rejects bad app names and missing schemas', () => {
    expect(() => resolveProject('Bad_App')).toThrow(/Invalid app name/);
    expect(() => resolveProject('no-such-app')).toThrow(/No Prisma schema/);
  });
});
