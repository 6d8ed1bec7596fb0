import { Controller, Get, Res } from '@nestjs/common';
import { HealthRegistry } from '../health-registry';

interface ResponseLike {
  status(code: number): ResponseLike;
  json(body: unknown): void;
}

@Controller('health')
export class HealthHttpController {
  constructor(private readonly health: HealthRegistry) {}

  /** Liveness: the process serves HTTP (stays 200 while draining, so Kubernetes does not kill it early). */
  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /**
   * Readiness: every critical check passes and the service is not shutting down (503 otherwise).
   * A failing non-critical check (Kafka) answers 200 with status "degraded": reads are served.
   */
  @Get('ready')
  async ready(@Res() res: ResponseLike): Promise<void> {
    const report = await this.health.report();
    const status = report.ready
      ? report.degraded.length > 0
        ? 'degraded'
        : 'ok'
      : report.shuttingDown
        ? 'shutting_down'
        : 'unavailable';
    res.status(report.ready ? 200 : 503).json({
      status,
      ...(report.degraded.length > 0 ? { degraded: report.degraded } : {}),
      checks: Object.fromEntries(
        report.checks.map((c) => [
          c.name,
          {
            ok: c.ok,
            durationMs: c.durationMs,
            ...(c.error ? { error: c.error } : {}),
            ...(!c.ok && !c.critical ? { degraded: true } : {}),
          },
        ]),
      ),
    });
  }
}
