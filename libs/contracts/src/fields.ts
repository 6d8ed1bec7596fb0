// What the controllers' mappers say again and again between a domain value and a message: fields
// copied under the same name, nullable columns as proto3 strings, a request's page.

/** A request's `page` (common.v1.PageRequest), or a shape of it whose parts may be absent. */
type PageLike = { readonly pageSize?: number; readonly pageToken?: string } | undefined;

/** The named fields of `source`, unchanged and under the same names (a message's subset of a domain value). */
export function fieldsOf<T extends object, const K extends keyof T>(
  source: T,
  ...names: readonly K[]
): Pick<T, K> {
  const picked = {} as Pick<T, K>;
  for (const name of names) picked[name] = source[name];
  return picked;
}

/** The named nullable text fields of `source` as proto3 strings: `''` where a field is null or absent. */
export function protoStrings<const K extends string>(
  source: { readonly [F in K]?: string | null },
  ...names: readonly K[]
): Record<K, string> {
  const strings = {} as Record<K, string>;
  for (const name of names) strings[name] = source[name] ?? '';
  return strings;
}

/** A request's page as the platforms' queries take it: each part undefined when the request has no page. */
export function pageOf(page: PageLike): {
  pageSize: number | undefined;
  pageToken: string | undefined;
} {
  return { pageSize: page?.pageSize, pageToken: page?.pageToken };
}

/** A request's page as positional (size, token) arguments, proto3's zero values when it has none. */
export function pageArgs(page: PageLike): [size: number, token: string] {
  return [page?.pageSize ?? 0, page?.pageToken ?? ''];
}
