import type { Observation } from '@medplum/fhirtypes';
import { FhirError } from '@trellis/fhir';

import { pageObservations, type ReportPage } from './observation.paging';

const obs = (id: string): Observation => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { text: id },
});

/** Report pages of the platform: each page's observations, chained by tokens t1, t2, … */
function platform(pages: string[][]): {
  fetch: (token: string) => Promise<ReportPage>;
  calls: string[];
} {
  const calls: string[] = [];
  return {
    calls,
    fetch: (token) => {
      calls.push(token);
      const i = token === '' ? 0 : Number(token.slice(1));
      return Promise.resolve({
        observations: pages[i]!.map(obs),
        ...(i + 1 < pages.length ? { nextPageToken: `t${i + 1}` } : {}),
      });
    },
  };
}

/** Every page of `pageSize` observations, following next tokens. */
async function all(pages: string[][], pageSize: number): Promise<string[][]> {
  const { fetch } = platform(pages);
  const out: string[][] = [];
  let token: string | undefined = '';
  while (token !== undefined) {
    const p = await pageObservations(fetch, { pageSize, pageToken: token });
    out.push(p.resources.map((o) => o.id!));
    token = p.nextPageToken;
  }
  return out;
}

describe('Observation paging: _count bounds the observations, not the reports', () => {
  it('splits a report’s observations across pages and joins small reports', async () => {
    const pages = [['a1', 'a2', 'a3'], ['b1'], ['c1', 'c2']];
    expect(await all(pages, 2)).toEqual([
      ['a1', 'a2'],
      ['a3', 'b1'],
      ['c1', 'c2'],
    ]);
    expect(await all(pages, 1)).toEqual([['a1'], ['a2'], ['a3'], ['b1'], ['c1'], ['c2']]);
    expect(await all(pages, 10)).toEqual([['a1', 'a2', 'a3', 'b1', 'c1', 'c2']]);
  });

  it('reads a bounded number of report pages for one page, then continues', async () => {
    const pages = Array.from({ length: 25 }, () => [] as string[]);
    pages[24] = ['z'];
    const { fetch, calls } = platform(pages);
    const first = await pageObservations(fetch, { pageSize: 5, pageToken: '' });
    expect([first.resources, first.nextPageToken, calls.length]).toEqual([[], 't10~0', 10]);
    expect((await all(pages, 5)).flat()).toEqual(['z']);
  });

  it('refuses a token it did not make', async () => {
    const { fetch } = platform([['a']]);
    for (const bad of ['t1', 't1~x', '~', 'a/b~1'])
      await expect(pageObservations(fetch, { pageSize: 1, pageToken: bad })).rejects.toThrow(
        FhirError,
      );
  });
});
