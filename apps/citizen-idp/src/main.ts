// Local citizen OpenID provider (NHS login stand-in): panva/oidc-provider on plain node:http, demo
// citizens who are seeded patients. Never for production: the chart points the gateway at the
// national identity provider instead (citizen.oidcIssuer).
import { createServer } from 'node:http';

import { createLogger, loadConfig } from '@trellis/service-kit';

import { CitizenDirectory, loadCitizens, loadStaff } from './app/citizens';
import { citizenIdpConfigSchema } from './app/config';
import { allowFormRedirects, handleInteraction } from './app/interactions';
import { loadSigningKeys } from './app/keys';
import { createProvider } from './app/provider';

async function main(): Promise<void> {
  const config = loadConfig(citizenIdpConfigSchema, process.env, { SERVICE_NAME: 'citizen-idp' });
  const logger = createLogger({ service: config.SERVICE_NAME, level: config.LOG_LEVEL });
  if (!['local', 'test'].includes(config.DEPLOY_ENV))
    throw new Error(
      `the demo citizen provider runs only locally (DEPLOY_ENV=${config.DEPLOY_ENV})`,
    );
  const citizens = loadCitizens(config.CITIZEN_IDP_CITIZENS_FILE, config.CITIZEN_IDP_PATIENTS_FILE);
  const staff = loadStaff(config.CITIZEN_IDP_STAFF_FILE);
  const directory = new CitizenDirectory(citizens, staff);
  const jwks = await loadSigningKeys(config.CITIZEN_IDP_KEYS_FILE);
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(config.HTTP_PORT, config.HTTP_HOST, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.HTTP_PORT;
  const issuer = config.CITIZEN_IDP_ISSUER ?? `http://127.0.0.1:${port}`;
  const provider = createProvider(config, issuer, directory, jwks);
  allowFormRedirects(config.CITIZEN_IDP_REDIRECT_URIS);
  const oidc = provider.callback();
  server.on('request', (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/health/live' || path === '/health/ready') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status":"ok"}');
      return;
    }
    if (path.startsWith('/interaction/')) {
      handleInteraction(provider, directory, req, res, path).catch((err: unknown) => {
        logger.warn({ err: String(err) }, 'interaction failed');
        if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain' });
        res.end('Sign-in failed: start again.');
      });
      return;
    }
    // the provider's handler answers its own errors (as OAuth error responses)
    void oidc(req, res);
  });
  if (citizens.length === 0)
    logger.warn(
      { file: config.CITIZEN_IDP_PATIENTS_FILE },
      'no demo citizens yet: run the identity seed (npx nx run identity:seed) and restart',
    );
  logger.info(
    { issuer, citizens: citizens.length, staff: staff.length },
    'citizen OpenID provider listening',
  );
  const stop = () => server.close(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `citizen-idp failed to start: ${String(err instanceof Error ? err.stack : err)}\n`,
  );
  process.exit(1);
});
