import { Inject, Injectable } from '@nestjs/common';

import { type PrismaClient } from '../../generated/prisma/client';
import { GatewayPrismaService } from '../database/gateway-prisma.service';

/** Replay cache of client-assertion ids, in PostgreSQL so every gateway replica shares it. */
@Injectable()
export class TokensRepository {
  constructor(@Inject(GatewayPrismaService) private readonly prisma: PrismaClient) {}

  /** Records (client, jti) until `expiresAt`; false when it was already used (replay). */
  async rememberJti(clientId: string, jti: string, expiresAt: Date): Promise<boolean> {
    const rows = await this.prisma.$queryRaw<Array<{ jti: string }>>`
      INSERT INTO client_assertion_jtis (client_id, jti, expires_at)
      VALUES (${clientId}, ${jti}, ${expiresAt})
      ON CONFLICT (client_id, jti) DO NOTHING
      RETURNING jti`;
    return rows.length === 1;
  }

  /** Deletes ids whose assertion can no longer be valid (exp passed, with skew margin). */
  purgeExpired(before: Date): Promise<number> {
    return this.prisma.$executeRaw`DELETE FROM client_assertion_jtis WHERE expires_at < ${before}`;
  }
}
