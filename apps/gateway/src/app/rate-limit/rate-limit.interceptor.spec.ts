import { Metadata, status } from '@grpc/grpc-js';
import { HttpException, type ExecutionContext } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { attachCaller } from '@trellis/auth';
import { testCaller } from '@trellis/auth/testing';
import { lastValueFrom, of } from 'rxjs';

import { type GatewayConfig } from '../config/gateway.config';
import { RateLimitInterceptor } from './rate-limit.interceptor';
import { type RateLimiter } from './rate-limiter';
import { SystemRateBudget } from './system-rate-budget';

const caller = testCaller({ systemId: 'gp-1', odsCode: 'Y12345' });

function fakeLimiter(limitAfter: number): { limiter: RateLimiter; subjects: string[] } {
  let n = 0;
  const subjects: string[] = [];
  const limiter = {
    hit: async (subject: string, limit: number) => {
      subjects.push(subject);
      n++;
      return { allowed: n <= limitAfter, count: n, limit, retryAfterSeconds: 17 };
    },
  } as unknown as RateLimiter;
  return { limiter, subjects };
}

const budgets = { systemBudget: async () => null };
const config = { rateLimitPerWindow: 2 } as GatewayConfig;

describe('RateLimitInterceptor', () => {
  it('HTTP: passes within budget, then 429 with Retry-After, keyed by connected system', async () => {
    const { limiter, subjects } = fakeLimiter(1);
    const i = new RateLimitInterceptor(new SystemRateBudget(limiter, config, budgets));
    const headers: Record<string, string> = {};
    const req = { method: 'GET', route: { path: '/fhir/Patient/:id' }, headers: {} };
    attachCaller(req, caller);
    const ctx = {
      getType: () => 'http',
      switchToHttp: () => ({
        getRequest: () => req,
        getResponse: () => ({ setHeader: (k: string, v: string) => (headers[k] = v) }),
      }),
      getArgs: () => [req],
    } as unknown as ExecutionContext;
    await expect(lastValueFrom(i.intercept(ctx, { handle: () => of('ok') }))).resolves.toBe('ok');
    const err = await lastValueFrom(i.intercept(ctx, { handle: () => of('ok') })).catch(
      (e: unknown) => e,
    );
    expect((err as HttpException).getStatus()).toBe(429);
    expect(headers['Retry-After']).toBe('17');
    expect(subjects).toEqual(['sys:gp-1', 'sys:gp-1']);
  });

  it('gRPC: RESOURCE_EXHAUSTED after the budget; anonymous calls are not counted', async () => {
    const { limiter, subjects } = fakeLimiter(0);
    const i = new RateLimitInterceptor(new SystemRateBudget(limiter, config, budgets));
    const md = new Metadata();
    attachCaller(md, caller);
    const ctx = {
      getType: () => 'rpc',
      getArgs: () => [{}, md, { getPath: () => '/x.v1.S/M' }],
    } as unknown as ExecutionContext;
    const err = await lastValueFrom(i.intercept(ctx, { handle: () => of(1) })).catch(
      (e: unknown) => e,
    );
    expect(((err as RpcException).getError() as { code: number }).code).toBe(
      status.RESOURCE_EXHAUSTED,
    );
    const anon = {
      getType: () => 'rpc',
      getArgs: () => [{}, new Metadata(), { getPath: () => '/x.v1.S/M' }],
    } as unknown as ExecutionContext;
    await expect(lastValueFrom(i.intercept(anon, { handle: () => of(2) }))).resolves.toBe(2);
    expect(subjects).toEqual(['sys:gp-1']);
  });
});
