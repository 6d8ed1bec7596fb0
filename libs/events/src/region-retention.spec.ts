import { regionRetentionMs, regionTopic, REGION_TOPIC_TEMPLATE } from './topics';

describe('regional stream retention', () => {
  const saved = process.env.TRELLIS_REGION_RETENTION_MS;
  afterEach(() => {
    if (saved === undefined) delete process.env.TRELLIS_REGION_RETENTION_MS;
    else process.env.TRELLIS_REGION_RETENTION_MS = saved;
  });

  it('defaults to the template (one year)', () => {
    expect(regionRetentionMs({})).toBe(REGION_TOPIC_TEMPLATE.retentionMs);
  });

  it('is configurable, -1 meaning forever', () => {
    expect(regionRetentionMs({ TRELLIS_REGION_RETENTION_MS: '604800000' })).toBe(604_800_000);
    expect(regionRetentionMs({ TRELLIS_REGION_RETENTION_MS: '-1' })).toBe(-1);
    process.env.TRELLIS_REGION_RETENTION_MS = '86400000';
    expect(regionTopic('london')).toMatchObject({
      name: 'trellis.region.london.v1',
      retentionMs: 86_400_000,
    });
  });

  it('refuses nonsense', () => {
    expect(() => regionRetentionMs({ TRELLIS_REGION_RETENTION_MS: '10' })).toThrow(/≥ 60000/);
    expect(() => regionRetentionMs({ TRELLIS_REGION_RETENTION_MS: 'week' })).toThrow();
  });
});
