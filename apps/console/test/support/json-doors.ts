// The console's JSON doors checked from outside the browser (issue 20's three data gaps): each
// answers its reader, refuses another region or system (403/404), and refuses an unknown
// parameter or a page token it did not make (400).

const get = (base: string, token: string, path: string): Promise<Response> =>
  fetch(`${base}/admin/v1/${path}`, { headers: { authorization: `Bearer ${token}` } });

/** Per-system scorecards: the operator's any systems in one call; an authority its region's. */
export async function expectSystemScorecardsDoor(
  base: string,
  t: { operator: string; region: string; ids: { gp: string; operator: string } },
): Promise<void> {
  const { gp, operator } = t.ids;
  const mine = await get(base, t.operator, `system-scorecards?systemId=${gp}&systemId=${operator}`);
  expect(mine.status).toBe(200);
  const body = (await mine.json()) as { scorecards: Array<{ systemId: string; judged: number }> };
  expect(body.scorecards.map((c) => c.systemId).sort()).toEqual([gp, operator].sort());
  expect(body.scorecards.find((c) => c.systemId === gp)!.judged).toBeGreaterThanOrEqual(2);
  expect((await get(base, t.operator, 'system-scorecards?since=yesterday')).status).toBe(400);
  expect((await get(base, t.operator, 'system-scorecards?pageToken=bm9wZQ')).status).toBe(400);
  expect((await get(base, t.region, 'system-scorecards')).status).toBe(403);
  expect((await get(base, t.region, 'regions/london/system-scorecards')).status).toBe(403);
  const region = await get(base, t.region, 'regions/north-east/system-scorecards?pageSize=200');
  expect(region.status).toBe(200);
  const ids = ((await region.json()) as { scorecards: Array<{ systemId: string }> }).scorecards.map(
    (c) => c.systemId,
  );
  expect(ids).toContain(gp);
  expect(ids).not.toContain(operator);
}

/** A running session's progress: its own system's, open; no other session; nothing else asked. */
export async function expectProgressDoor(
  base: string,
  token: string,
  sessionId: string,
): Promise<void> {
  const progress = (id: string, query = '') =>
    get(base, token, `conformance-sessions/${id}/progress${query}`);
  const own = await progress(sessionId);
  expect(own.status).toBe(200);
  expect(await own.json()).toMatchObject({
    session: { id: sessionId, status: 'open', result: null },
  });
  expect((await progress('00000000-0000-4000-8000-000000000000')).status).toBe(404);
  expect((await progress(sessionId, '?verbose=1')).status).toBe(400);
  expect((await progress('not-a-session')).status).toBe(400);
}

/** A region's enforcement history: paged, every entry once, newest first; only its region. */
export async function expectHistoryDoor(base: string, token: string): Promise<void> {
  const seen: string[] = [];
  let next = '';
  do {
    const res = await get(
      base,
      token,
      `regions/north-east/enforcement-history?pageSize=2${next ? `&pageToken=${next}` : ''}`,
    );
    expect(res.status).toBe(200);
    const page = (await res.json()) as {
      entries: Array<{ id: string; at: string }>;
      nextPageToken: string;
      complianceIncluded: boolean;
    };
    expect(page.complianceIncluded).toBe(true);
    expect(page.entries.length).toBeLessThanOrEqual(2);
    seen.push(...page.entries.map((e) => `${e.at} ${e.id}`));
    next = page.nextPageToken;
  } while (next);
  expect(new Set(seen).size).toBe(seen.length);
  expect([...seen].sort().reverse()).toEqual(seen);
  expect(seen.length).toBeGreaterThanOrEqual(3);
  expect((await get(base, token, 'regions/london/enforcement-history')).status).toBe(403);
  const bad = ['?since=yesterday', '?pageToken=bm9wZQ'];
  for (const q of bad)
    expect((await get(base, token, `regions/north-east/enforcement-history${q}`)).status).toBe(400);
}
