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

  /** Readiness: every registered check passes and the service is not shutting down. */
  @Get('ready')
  async ready(@Res() res: ResponseLike): Promise<void> {
    const report = await this.health.report();
    res.status(report.ready ? 200 : 503).json({
      status: report.ready ? 'ok' : report.shuttingDown ? 'shutting_down' : 'unavailable',
      checks: Object.fromEntries(
        report.checks.map((c) => [
          c.name,
          { ok: c.ok, durationMs: c.durationMs, ...(c.error ? { error: c.error } : {}) },
        ]),
      ),
    });
  }
}
