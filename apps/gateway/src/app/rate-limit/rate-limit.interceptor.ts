import { status } from '@grpc/grpc-js';
import {
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { callerOf, describeCall } from '@trellis/auth';
import { from, mergeMap, type Observable } from 'rxjs';

import { type PrismaClient } from '../../generated/prisma/client';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config';
import { GatewayPrismaService } from '../database/gateway-prisma.service';
import { RateLimiter } from './rate-limiter';

/**
 * Per connected system (not per IP) budget for every authenticated gateway call, HTTP or gRPC:
 * 429 + Retry-After / RESOURCE_EXHAUSTED. Runs as an interceptor, i.e. after the auth guard has
 * identified the caller. A system's own `rate_limit_per_window` overrides the default.
 */
@Injectable()
export class RateLimitInterceptor implements NestInterceptor {
  private readonly budgets = new Map<string, { limit: number; until: number }>();

  constructor(
    private readonly limiter: RateLimiter,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(GatewayPrismaService) private readonly prisma: PrismaClient,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const call = describeCall(context);
    const caller = callerOf(call?.carrier);
    if (!call || !caller) return next.handle();
    return from(this.check(caller.systemId)).pipe(
      mergeMap((retryAfter) => {
        if (retryAfter === 0) return next.handle();
        if (call.transport === 'rpc') {
          throw new RpcException({
            code: status.RESOURCE_EXHAUSTED,
            message: 'rate limit exceeded',
            details: `retry after ${retryAfter}s`,
          });
        }
        const res = context.switchToHttp().getResponse<{ setHeader(n: string, v: string): void }>();
        res.setHeader('Retry-After', String(retryAfter));
        throw new HttpException(
          { statusCode: 429, error: 'RATE_LIMITED', message: 'rate limit exceeded' },
          HttpStatus.TOO_MANY_REQUESTS,
        );
      }),
    );
  }

  /** 0 when allowed, else seconds to wait. */
  private async check(systemId: string): Promise<number> {
    const decision = await this.limiter.hit(`sys:${systemId}`, await this.budgetOf(systemId));
    return decision.allowed ? 0 : decision.retryAfterSeconds;
  }

  private async budgetOf(systemId: string): Promise<number> {
    const cached = this.budgets.get(systemId);
    if (cached && cached.until > Date.now()) return cached.limit;
    const row = await this.prisma.connectedSystem.findUnique({
      where: { id: systemId },
      select: { rateLimitPerWindow: true },
    });
    const limit = row?.rateLimitPerWindow ?? this.config.rateLimitPerWindow;
    this.budgets.set(systemId, { limit, until: Date.now() + 30_000 });
    return limit;
  }
}
