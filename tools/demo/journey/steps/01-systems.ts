// Step 1: a new GP practice system is registered (gRPC, operator), approved by its region's
// authority, and gets a token with its signed JWT; the hospital and the lab get theirs.
import { randomUUID } from 'node:crypto';

import { decodeJwt, exportJWK, generateKeyPair } from 'jose';

import { requestSystemToken, type SystemKey } from '../../system-token';
import {
  GP_ODS,
  GP_SCOPES,
  HOSPITAL_SCOPES,
  LAB_SCOPES,
  type JourneyContext,
  type Parties,
} from '../context';
import { as } from '../grpc';

export async function registerSystems(ctx: JourneyContext): Promise<Parties> {
  const { cfg, log, rpc, tokenUrl, demoKey } = ctx;
  const hospitalSys = demoKey('hospital');
  const labSys = demoKey('lab');

  log.step(
    'A GP practice system is registered at the gateway and gets a token with its signed JWT',
  );
  const { publicKey, privateKey } = await generateKeyPair('ES384', { extractable: true });
  const kid = `journey-${Date.now()}`;
  const gpClientId = `journey-gp-${randomUUID().slice(0, 8)}`;
  const operatorToken = await requestSystemToken(tokenUrl, demoKey('operator'), 'trellis/admin');
  const registerReq = {
    clientId: gpClientId,
    name: 'Tees Valley Medical Centre (journey)',
    supplier: 'Journey demo',
    odsCode: GP_ODS,
    region: cfg.homeRegion,
    keys: {
      jwksJson: JSON.stringify({
        keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES384', use: 'sig' }],
      }),
    },
    allowedScopes: GP_SCOPES,
    // the demo GP supplier's product version, registered by the gateway seed
    productVersionId: 'northgate-gp@4.2.1',
  };
  log.sent('gRPC ConnectedSystemService/RegisterSystem (operator token, trellis/admin)', {
    ...registerReq,
    keys: '{ jwks_json: <the practice public ES384 key> }',
  });
  await rpc.systems.registerSystem(registerReq, as(operatorToken));
  log.received(`system ${gpClientId} registered (ODS ${GP_ODS}, region ${cfg.homeRegion})`);
  // issue 18: a new system starts in the sandbox (conformance sessions only); its product
  // version holds a gp-system certificate (the seed's), so the region's authority approves it
  const authorityToken = await requestSystemToken(
    tokenUrl,
    demoKey(`authority-${cfg.homeRegion}`),
    `region/${cfg.homeRegion}/systems.write`,
  );
  for (const to of ['certified', 'live'] as const) {
    log.sent(
      `gRPC RegionalAuthorityService/TransitionRegionSystem (the ${cfg.homeRegion} authority's token)`,
      { region: cfg.homeRegion, id: gpClientId, to },
    );
    const moved = await rpc.authority.transitionRegionSystem(
      {
        region: cfg.homeRegion,
        id: gpClientId,
        to,
        reason: `journey: northgate-gp@4.2.1 holds a gp-system certificate (${to})`,
      },
      as(authorityToken),
    );
    log.received(`lifecycle ${moved.system?.lifecycle ?? to}`);
  }
  const gpSys: SystemKey = {
    clientId: gpClientId,
    jwk: { ...(await exportJWK(privateKey)), kid, alg: 'ES384' } as SystemKey['jwk'],
  };
  log.sent(
    `POST ${tokenUrl} grant_type=client_credentials, client_assertion=<JWT signed ES384 by the practice, kid ${kid}>`,
  );
  const gpToken = await requestSystemToken(tokenUrl, gpSys, GP_SCOPES.join(' '));
  const claims = decodeJwt(gpToken);
  log.received('access token', {
    sub: claims.sub,
    scope: claims['scope'],
    ods: claims['ods_code'] ?? claims['odsCode'],
    region: claims['region'],
    exp: claims.exp,
  });
  const hospitalToken = await requestSystemToken(tokenUrl, hospitalSys, HOSPITAL_SCOPES);
  const labToken = await requestSystemToken(tokenUrl, labSys, LAB_SCOPES);
  log.note(
    `the hospital (${hospitalSys.clientId}, ${hospitalSys.odsCode}, ${hospitalSys.region}) and the lab (${labSys.clientId}) get their tokens the same way`,
  );
  return { gpClientId, gpToken, hospitalSys, hospitalToken, labSys, labToken };
}
