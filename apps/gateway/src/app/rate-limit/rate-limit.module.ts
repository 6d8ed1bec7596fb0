import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';

import { RateLimitInterceptor } from './rate-limit.interceptor';
import { RateLimitRepository } from './rate-limit.repository';
import { RATE_STORE, RateLimiter } from './rate-limiter';
import { BUDGET_SOURCE, SystemRateBudget } from './system-rate-budget';

@Module({
  providers: [
    RateLimitRepository,
    { provide: RATE_STORE, useExisting: RateLimitRepository },
    { provide: BUDGET_SOURCE, useExisting: RateLimitRepository },
    RateLimiter,
    SystemRateBudget,
    RateLimitInterceptor,
    { provide: APP_INTERCEPTOR, useExisting: RateLimitInterceptor },
  ],
  exports: [RateLimiter, SystemRateBudget],
})
export class RateLimitModule {}
