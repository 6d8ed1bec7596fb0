import { Body, Controller, HttpCode, Inject, Logger, Post, Req, Res } from '@nestjs/common';
import { SERVICE_IDENTITY, SERVICE_TOKEN_HEADER, type ServiceIdentity } from '@trellis/auth';
import type { Request, Response } from 'express';

import { OAuthError } from './oauth-errors';
import { TokensService } from './tokens.service';

/** The one service that may ask for delivery tokens. */
const NOTIFICATIONS_SERVICE = 'notifications';
export const DELIVERY_TOKEN_PATH = 'internal/notifications/delivery-token';

/**
 * Delivery tokens (issue 21, `full-resource` notifications): the notifications service, proving
 * itself with its service token, asks for a short-lived read token of a subscriber system, reads
 * the notification's focus at the FHIR door with it (the same scope, restricted-record and audit
 * rules as the system's own read) and puts the answer in the notification. Form body `system_id`,
 * `scope`; answers as the token endpoint does. Public in the scope table: the service token is the
 * credential, checked here; the chart's network policy keeps the path inside the cluster.
 */
@Controller()
export class DeliveryTokensController {
  private readonly logger = new Logger('DeliveryTokens');

  constructor(
    private readonly tokens: TokensService,
    @Inject(SERVICE_IDENTITY) private readonly identity: ServiceIdentity | null,
  ) {}

  @Post(DELIVERY_TOKEN_PATH)
  @HttpCode(200)
  async token(@Req() req: Request, @Body() body: unknown, @Res() res: Response): Promise<void> {
    res.setHeader('Cache-Control', 'no-store');
    let service: string;
    try {
      if (!this.identity) throw new OAuthError('invalid_client', 'no service identity configured');
      service = this.identity.verify(req.headers[SERVICE_TOKEN_HEADER]);
    } catch (err) {
      this.logger.warn(
        `delivery token refused: ${err instanceof Error ? err.message : String(err)}`,
      );
      res.status(401).json({ error: 'invalid_client' });
      return;
    }
    if (service !== NOTIFICATIONS_SERVICE) {
      this.logger.warn(`delivery token refused: asked by service ${service}`);
      res.status(403).json({ error: 'unauthorized_client' });
      return;
    }
    const form = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const systemId = form['system_id'];
    const scope = form['scope'];
    if (typeof systemId !== 'string' || typeof scope !== 'string' || systemId === '') {
      res.status(400).json({ error: 'invalid_request', error_description: 'system_id and scope' });
      return;
    }
    try {
      res.status(200).json(await this.tokens.issueDeliveryToken(systemId, scope, service));
    } catch (err) {
      if (err instanceof OAuthError) {
        this.logger.warn(`delivery token refused: ${err.error} (${err.reason})`);
        res.status(err.httpStatus).json({
          error: err.error,
          ...(err.description ? { error_description: err.description } : {}),
        });
        return;
      }
      this.logger.error(
        `delivery token failure: ${err instanceof Error ? err.message : String(err)}`,
      );
      res.status(500).json({ error: 'server_error' });
    }
  }
}
