import { Body, Controller, Get, Header, HttpCode, Logger, Post, Res } from '@nestjs/common';

import { OAuthError, RateLimitedError } from './oauth-errors';
import { TokensService } from './tokens.service';

interface JsonResponse {
  status(code: number): JsonResponse;
  setHeader(name: string, value: string): void;
  json(body: unknown): void;
}

/** The OAuth2 token endpoint and the discovery documents (public: see GATEWAY_SCOPES). */
@Controller()
export class TokensController {
  private readonly logger = new Logger('TokensController');

  constructor(private readonly tokens: TokensService) {}

  @Post('oauth2/token')
  @HttpCode(200)
  async token(@Body() body: unknown, @Res() res: JsonResponse): Promise<void> {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Pragma', 'no-cache');
    const form = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    try {
      res.status(200).json(await this.tokens.issue(form));
    } catch (err) {
      if (err instanceof OAuthError) {
        this.logger.warn(`token refused: ${err.error} (${err.reason})`);
        if (err.error === 'invalid_client')
          res.setHeader('WWW-Authenticate', 'Bearer error="invalid_client"');
        res.status(err.httpStatus).json({
          error: err.error,
          ...(err.description ? { error_description: err.description } : {}),
        });
        return;
      }
      if (err instanceof RateLimitedError) {
        res.setHeader('Retry-After', String(err.retryAfterSeconds));
        res.status(429).json({ error: 'rate_limited' });
        return;
      }
      this.logger.error(
        `token endpoint failure: ${err instanceof Error ? err.message : String(err)}`,
      );
      res.status(500).json({ error: 'server_error' });
    }
  }

  @Get('.well-known/smart-configuration')
  @Header('Cache-Control', 'public, max-age=300')
  smartConfiguration(): Record<string, unknown> {
    return this.tokens.smartConfiguration();
  }

  @Get('.well-known/jwks.json')
  @Header('Cache-Control', 'public, max-age=60')
  jwks(): Record<string, unknown> {
    return this.tokens.jwks();
  }
}
