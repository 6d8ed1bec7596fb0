/**
 * Rotates the platform token-signing key (Nx target `gateway:rotate-signing-key`): prepends a new
 * key (ES384 by default, `--alg RS384` possible) and keeps exactly one previous key, which the
 * JWKS keeps publishing so tokens it signed stay valid until they expire (<= 5 min). Then restart
 * the gateway replicas (rolling); verifiers pick the new `kid` up from the JWKS on first sight.
 */
import { resolve } from 'node:path';

import { rotateSigningKeyFile } from './app/tokens/signing-keys';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const algIdx = args.indexOf('--alg');
  const alg = algIdx >= 0 ? args[algIdx + 1] : 'ES384';
  if (alg !== 'ES384' && alg !== 'RS384') throw new Error('--alg must be ES384 or RS384');
  const file = resolve(
    process.env['GATEWAY_SIGNING_KEY_FILE'] ?? '.trellis/secrets/gateway-signing-keys.json',
  );
  const kid = await rotateSigningKeyFile(file, alg);
  process.stdout.write(
    `new signing key ${kid} (${alg}) in ${file}; previous key kept for verification\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`rotation failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
