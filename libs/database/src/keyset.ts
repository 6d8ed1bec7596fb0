// Keyset paging on (instant, id): the Prisma `where` for the rows after a cursor and the matching
// `orderBy`, written once for every listing that pages by a timestamp with the id as tie-breaker.

type Direction = 'asc' | 'desc';
type Beyond<T> = { gt: T } | { lt: T };

/** The rows strictly after `after` in (`field`, id) order, for a Prisma `where` (or an AND item). */
export function afterKeyset<K extends string>(
  field: K,
  after: { at: Date; id: string },
  direction: Direction = 'asc',
): { OR: [Record<K, Beyond<Date>>, Record<K, Date> & { id: Beyond<string> }] } {
  const beyond = <T>(value: T): Beyond<T> => (direction === 'asc' ? { gt: value } : { lt: value });
  return {
    OR: [
      { [field]: beyond(after.at) } as Record<K, Beyond<Date>>,
      { [field]: after.at, id: beyond(after.id) } as Record<K, Date> & { id: Beyond<string> },
    ],
  };
}

/** The `orderBy` of a keyset listing: `field`, then id, both in `direction`. */
export function keysetOrder<K extends string>(
  field: K,
  direction: Direction = 'asc',
): [Record<K, Direction>, { id: Direction }] {
  return [{ [field]: direction } as Record<K, Direction>, { id: direction }];
}
