import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * Directory holding the .proto sources (the buf module root, `proto/` in the repository).
 * Override with TRELLIS_PROTO_ROOT where the files are copied elsewhere (container images).
 */
export const PROTO_ROOT: string = resolveProtoRoot();

function resolveProtoRoot(): string {
  const fromEnv = process.env['TRELLIS_PROTO_ROOT'];
  if (fromEnv) return resolve(fromEnv);
  // libs/contracts/src -> repository root
  const candidates = [resolve(__dirname, '../../../proto'), resolve(process.cwd(), 'proto')];
  return candidates.find((dir) => existsSync(join(dir, 'trellis'))) ?? candidates[0]!;
}

/** Absolute path of a proto file given relative to the proto root, e.g. `protoPath('trellis/identity/v1/identity.proto')`. */
export function protoPath(relative: string): string {
  return join(PROTO_ROOT, relative);
}
