import { HealthRegistry } from './health-registry';

describe('HealthRegistry', () => {
  it('is not ready when a critical check fails', async () => {
    const health = new HealthRegistry();
    health.register('postgres', () => {
      throw new Error('connection refused');
    });
    const report = await health.report();
    expect(report.ready).toBe(false);
    expect(report.degraded).toEqual([]);
    expect(report.checks[0]).toMatchObject({
      ok: false,
      critical: true,
      error: 'connection refused',
    });
  });

  it('stays ready and reports degraded when only a non-critical check fails', async () => {
    const health = new HealthRegistry();
    health.register('postgres', () => undefined);
    health.register('kafka', () => Promise.reject(new Error('unreachable')), { critical: false });
    const report = await health.report();
    expect(report.ready).toBe(true);
    expect(report.degraded).toEqual(['kafka']);
    expect(report.checks.find((c) => c.name === 'kafka')).toMatchObject({
      ok: false,
      critical: false,
      error: 'unreachable',
    });
  });

  it('is not ready while shutting down, degraded or not', async () => {
    const health = new HealthRegistry();
    health.register('kafka', () => Promise.reject(new Error('down')), { critical: false });
    health.markShuttingDown();
    expect(await health.isReady()).toBe(false);
  });
});
