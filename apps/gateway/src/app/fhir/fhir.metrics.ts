import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { startRequestTimer } from '@trellis/telemetry';
import type { Observable } from 'rxjs';

/** What the interceptor needs of a FHIR route's declaration (see FhirRoute). */
export interface FhirInteractionSpec {
  resource?: string;
  interaction: string;
  operation?: { name: string };
}

/** The RED label of a FHIR interaction: `Patient.read`, `Patient.$everything`, `system.capabilities`. */
export function fhirInteractionName(spec: FhirInteractionSpec): string {
  const what = spec.operation ? `$${spec.operation.name}` : spec.interaction;
  return `${spec.resource ?? 'system'}.${what}`;
}

interface ResponseLike {
  statusCode?: number;
  once?(event: 'finish' | 'close', listener: () => void): unknown;
}

/**
 * RED metrics per FHIR interaction (`trellis.fhir.interaction.duration{fhir.interaction,code,error}`):
 * timed from the handler until the response is written, labelled with the HTTP status actually
 * sent (the OperationOutcome of a failure included). Applied by the FhirRoute decorator.
 */
export function fhirMetricsInterceptor(spec: FhirInteractionSpec): new () => NestInterceptor {
  const name = fhirInteractionName(spec);
  @Injectable()
  class FhirMetricsInterceptor implements NestInterceptor {
    intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
      const res = context.switchToHttp().getResponse<ResponseLike>();
      const end = startRequestTimer('fhir', name);
      const finish = (): void => end({ code: String(res.statusCode ?? 500) });
      if (typeof res.once === 'function') {
        res.once('finish', finish);
        res.once('close', finish); // aborted: whatever status was set; the timer records once
      }
      return next.handle();
    }
  }
  return FhirMetricsInterceptor;
}
