// `npm start` (tools/trellis.sh builds it, then runs this with HTTP_PORT = CONSOLE_HTTP_PORT) or
// `npx nx run console:serve`: serves dist/apps/console in front of the gateway and prints its URL.
import { resolve } from 'node:path';

import { startConsoleServer } from './serve';

async function main(): Promise<void> {
  const env = process.env;
  const port = Number(env['HTTP_PORT'] ?? env['CONSOLE_HTTP_PORT'] ?? 8091);
  const { url, close } = await startConsoleServer({
    distDir: env['CONSOLE_DIST_DIR'] ?? resolve(__dirname, '../../../dist/apps/console'),
    gatewayUrl: env['GATEWAY_URL'] ?? `http://127.0.0.1:${env['GATEWAY_HTTP_PORT'] ?? 8080}`,
    issuer: env['CITIZEN_OIDC_ISSUER'] ?? 'http://127.0.0.1:8089',
    clientId: env['CITIZEN_OIDC_CLIENT_ID'] ?? 'trellis-citizen',
    host: env['CONSOLE_HOST'] ?? '127.0.0.1',
    port,
  });
  process.stdout.write(`Trellis console: ${url}\n`);
  const stop = () => void close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`console failed to start: ${String(err)}\n`);
  process.exit(1);
});
