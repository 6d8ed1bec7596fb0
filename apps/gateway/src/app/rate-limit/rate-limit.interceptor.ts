import { status } from '@grpc/grpc-js';
import {
  HttpException,
  HttpStatus,
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { callerOf, describeCall } from '@trellis/auth';
import { from, mergeMap, type Observable } from 'rxjs';

import { SystemRateBudget } from './system-rate-budget';

/**
 * Per connected system (not per IP) budget for every authenticated gateway call, HTTP or gRPC:
 * 429 + Retry-After / RESOURCE_EXHAUSTED. Runs as an interceptor, i.e. after the auth guard has
 * identified the caller. The budget is SystemRateBudget, shared with the gRPC front door.
 */
@Injectable()
export class RateLimitInterceptor implements NestInterceptor {
  constructor(private readonly budget: SystemRateBudget) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const call = describeCall(context);
    const caller = callerOf(call?.carrier);
    if (!call || !caller) return next.handle();
    return from(this.budget.spend(caller.systemId)).pipe(
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
}
