import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';

import { RateLimitInterceptor } from './rate-limit.interceptor';
import { RateLimiter } from './rate-limiter';
import { SystemRateBudget } from './system-rate-budget';

@Module({
  providers: [
    RateLimiter,
    SystemRateBudget,
    RateLimitInterceptor,
    { provide: APP_INTERCEPTOR, useExisting: RateLimitInterceptor },
  ],
  exports: [RateLimiter, SystemRateBudget],
})
export class RateLimitModule {}
