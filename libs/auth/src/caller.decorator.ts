import { createParamDecorator, type ExecutionContext } from '@nestjs/common';

import { describeCall } from './auth.guard';
import { requireCaller } from './caller';

/**
 * Injects the authenticated Caller into an HTTP or gRPC handler parameter.
 * For ts-proto gRPC controllers you may equally call `requireCaller(metadata)`.
 */
export const CurrentCaller = createParamDecorator((_data: unknown, context: ExecutionContext) =>
  requireCaller(describeCall(context)?.carrier),
);
