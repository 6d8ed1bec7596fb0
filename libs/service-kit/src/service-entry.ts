// A domain service's one entry point over the classes of its responsibilities (intake,
// transitions, queries, reactions, ...): the entry point's methods are the parts' own methods,
// bound to them, and their types come from the parts instead of being restated per service.

type UnionToIntersection<U> = (U extends unknown ? (union: U) => void : never) extends (
  intersection: infer I,
) => void
  ? I
  : never;

/** The names of the methods of T (its function-valued public members). */
export type MethodNamesOf<T> = {
  [M in keyof T]: T[M] extends (...args: never[]) => unknown ? M : never;
}[keyof T];

/** Per part, the names of its methods the entry point serves. */
export type EntryMethods<P> = { readonly [K in keyof P]?: readonly MethodNamesOf<P[K]>[] };

/** The entry point's members: each named method with its part's type. */
export type ServiceEntry<P, N extends EntryMethods<P>> = Readonly<
  UnionToIntersection<
    {
      [K in keyof N & keyof P]: Pick<P[K], NonNullable<N[K]>[number] & keyof P[K]>;
    }[keyof N & keyof P]
  >
>;

/**
 * The class of a service's entry point: its constructor takes what `parts` takes, builds the parts
 * and serves the methods `methods` names of each one (bound to its part).
 *
 *   export class BookingService extends serviceEntry(
 *     (repo: BookingRepository, clock: Clock) => {
 *       const support = new BookingSupport(repo, clock);
 *       return { intake: new BookingIntake(support), queries: new BookingQueries(support) };
 *     },
 *     { intake: ['book'], queries: ['get', 'dayList'] },
 *   ) {}
 */
export function serviceEntry<
  A extends unknown[],
  P extends Record<string, object>,
  const N extends EntryMethods<P>,
>(parts: (...args: A) => P, methods: N): new (...args: A) => ServiceEntry<P, N> {
  const served = Object.entries(methods as Record<string, readonly string[]>);
  class Entry {
    constructor(...args: A) {
      const built: Record<string, object> = parts(...args);
      const self = this as unknown as Record<string, unknown>;
      for (const [name, names] of served) {
        const part = built[name] as Record<string, unknown>;
        for (const method of names) {
          const fn = part[method];
          if (typeof fn !== 'function') throw new Error(`${name}.${method} is not a method`);
          self[method] = (fn as (...args: unknown[]) => unknown).bind(part);
        }
      }
    }
  }
  return Entry as unknown as new (...args: A) => ServiceEntry<P, N>;
}
