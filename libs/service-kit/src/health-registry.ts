// Readiness checks other libs register (PostgreSQL ping, Kafka connectivity, ...). Used by
// HTTP /health/ready and gRPC health (service "").
import { Injectable } from '@nestjs/common';

export interface HealthCheckResult {
  name: string;
  ok: boolean;
  durationMs: number;
  error?: string;
  /** false: a failure degrades the service but leaves it ready (see register's `critical`). */
  critical: boolean;
}

export interface ReadinessReport {
  ready: boolean;
  shuttingDown: boolean;
  /** Names of failing non-critical checks: the service serves, without these parts. */
  degraded: string[];
  checks: HealthCheckResult[];
}

interface RegisteredCheck {
  name: string;
  check: () => Promise<unknown> | unknown;
  timeoutMs: number;
  critical: boolean;
}

@Injectable()
export class HealthRegistry {
  private readonly checks = new Map<string, RegisteredCheck>();
  private shuttingDown = false;
  private cache: { at: number; report: Promise<ReadinessReport> } | undefined;
  /** Reports are reused for this long so probe storms do not hammer the database. */
  cacheMs = 1000;

  /**
   * Registers (or replaces) a readiness check: resolve = healthy, throw/reject = not ready.
   *   health.register('postgres', () => prisma.$queryRaw`SELECT 1`);
   * `critical: false` (e.g. Kafka, whose writes wait in the outbox): a failure is reported as
   * degraded and the service stays ready, so reads keep being routed to it.
   */
  register(
    name: string,
    check: () => Promise<unknown> | unknown,
    options: { timeoutMs?: number; critical?: boolean } = {},
  ): void {
    this.checks.set(name, {
      name,
      check,
      timeoutMs: options.timeoutMs ?? 2000,
      critical: options.critical ?? true,
    });
    this.cache = undefined;
  }

  unregister(name: string): void {
    this.checks.delete(name);
    this.cache = undefined;
  }

  names(): string[] {
    return [...this.checks.keys()];
  }

  markShuttingDown(): void {
    this.shuttingDown = true;
    this.cache = undefined;
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  async isReady(): Promise<boolean> {
    return (await this.report()).ready;
  }

  report(): Promise<ReadinessReport> {
    const now = Date.now();
    if (this.cache && now - this.cache.at < this.cacheMs) return this.cache.report;
    const report = this.run();
    this.cache = { at: now, report };
    return report;
  }

  private async run(): Promise<ReadinessReport> {
    const checks = await Promise.all([...this.checks.values()].map((c) => runCheck(c)));
    const shuttingDown = this.shuttingDown;
    return {
      ready: !shuttingDown && checks.every((c) => c.ok || !c.critical),
      shuttingDown,
      degraded: checks.filter((c) => !c.ok && !c.critical).map((c) => c.name),
      checks,
    };
  }
}

async function runCheck(c: RegisteredCheck): Promise<HealthCheckResult> {
  const start = Date.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.resolve().then(() => c.check()),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`timed out after ${c.timeoutMs} ms`)),
          c.timeoutMs,
        );
      }),
    ]);
    return { name: c.name, ok: true, durationMs: Date.now() - start, critical: c.critical };
  } catch (e) {
    return {
      name: c.name,
      ok: false,
      durationMs: Date.now() - start,
      error: e instanceof Error ? e.message : String(e),
      critical: c.critical,
    };
  } finally {
    if (timer) clearTimeout(timer);
  }
}
