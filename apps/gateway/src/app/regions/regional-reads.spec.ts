import { testCaller } from '@trellis/auth/testing';

import { RegionalReadsService } from './regional-reads';
import { RegionalService } from './regional.service';
import {
  type CertificateRow,
  type RegionsRepository,
  type SystemOfRegion,
} from './regions.repository';

/** The registry's systems and certificates, in memory; records what was asked. */
class MemoryRegions {
  readonly systems: Array<SystemOfRegion & { createdAt: number }> = [];
  readonly certs: CertificateRow[] = [];
  readonly asked: string[][] = [];
  async systemsOfRegion(region: string, take: number): Promise<SystemOfRegion[]> {
    return this.systems
      .filter((s) => s.region === region)
      .sort((a, b) => b.createdAt - a.createdAt)
      .slice(0, take)
      .map(({ createdAt: _, ...s }) => s);
  }
  async certificatesOfVersions(ids: readonly string[], take: number): Promise<CertificateRow[]> {
    this.asked.push([...ids]);
    return this.certs.filter((c) => ids.includes(c.productVersionId)).slice(0, take);
  }
}

const system = (
  id: string,
  productVersionId: string,
  createdAt: number,
): MemoryRegions['systems'][number] => ({
  id,
  name: id,
  odsCode: 'ZZZ99',
  region: 'london',
  lifecycle: 'live',
  status: 'active',
  productVersionId,
  createdAt,
});

const certificate = (id: string, productVersionId: string): CertificateRow => ({
  id,
  productVersionId,
  role: 'gp-system',
  rulesVersion: 'trellis-rules-2026.12',
  supplier: 'acme',
  product: 'acme-gp',
  version: '1.0',
  sessionId: '00000000-0000-0000-0000-000000000000',
  testReportIds: [],
  jwt: 'x.y.z',
  status: 'active',
  statusReason: null,
  statusChangedAt: new Date('2026-12-01T00:00:00Z'),
  issuedAt: new Date('2026-12-01T00:00:00Z'),
  expiresAt: new Date('2027-12-01T00:00:00Z'),
});

// authorise needs none of the regional service's collaborators
const regional = new RegionalService({} as never, {} as never, {} as never, {} as never);
const authority = testCaller({
  systemId: 'london-authority',
  odsCode: 'Y56',
  region: 'london',
  scopes: ['region/london/scorecards.read'],
});

describe('regional reads: certificates of a region', () => {
  it("lists each certificate with the region's systems deploying its version", async () => {
    const repo = new MemoryRegions();
    repo.systems.push(system('gp-a', 'acme@1', 1), system('gp-b', 'acme@1', 2));
    repo.systems.push(system('lab-c', 'lab@2', 3), {
      ...system('far', 'far@9', 4),
      region: 'north-east',
    });
    repo.certs.push(
      certificate('c-acme', 'acme@1'),
      certificate('c-lab', 'lab@2'),
      certificate('c-far', 'far@9'),
    );
    const reads = new RegionalReadsService(regional, repo as unknown as RegionsRepository);
    const out = await reads.certificates(authority, 'london');
    expect(out.map((c) => [c.id, c.systems])).toEqual([
      ['c-acme', ['gp-b', 'gp-a']],
      ['c-lab', ['lab-c']],
    ]);
    expect(out[0]).toEqual(
      expect.objectContaining({ statusReason: '', issuedAt: '2026-12-01T00:00:00.000Z' }),
    );
    // only the versions the region's systems deploy are asked for
    expect(repo.asked).toEqual([['lab@2', 'acme@1']]);
  });

  it("refuses another region's authority before reading anything", async () => {
    const repo = new MemoryRegions();
    const reads = new RegionalReadsService(regional, repo as unknown as RegionsRepository);
    await expect(reads.certificates(authority, 'north-east')).rejects.toThrow(/may not/);
    expect(repo.asked).toEqual([]);
  });
});
