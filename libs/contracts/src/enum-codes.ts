// The codes a proto enum's value names spell: `REPORT_STATUS_FINAL` is the code `final`,
// `INTERPRETATION_CRITICAL_LOW` the code `critical-low` (the FHIR codes the contracts name), so a
// mapping between a proto enum and its codes is read from the generated enum instead of restated.

type Kebab<S extends string> = S extends `${infer Head}_${infer Tail}`
  ? `${Lowercase<Head>}-${Kebab<Tail>}`
  : Lowercase<S>;

/** The code of the enum value named `Name` (none for `<prefix>UNSPECIFIED` and other names). */
export type EnumCode<Name, Prefix extends string> = Name extends `${Prefix}UNSPECIFIED`
  ? never
  : Name extends `${Prefix}${infer Rest}`
    ? Kebab<Rest>
    : never;

/** A ts-proto enum object (its value names and numbers, and the numbers' names). */
type ProtoEnum = Record<string, string | number>;

function codesOf(values: ProtoEnum, prefix: string): [number, string][] {
  return Object.entries(values).flatMap(([name, value]): [number, string][] =>
    typeof value === 'number' && name.startsWith(prefix) && name !== `${prefix}UNSPECIFIED`
      ? [[value, name.slice(prefix.length).toLowerCase().replaceAll('_', '-')]]
      : [],
  );
}

/**
 * Each value of a proto enum (but `<prefix>UNSPECIFIED` and `UNRECOGNIZED`) → its code:
 * `enumCodes(results.v1.ReportStatus, 'REPORT_STATUS_')[2]` is `'final'`.
 */
export function enumCodes<E extends ProtoEnum, const P extends string>(
  values: E,
  prefix: P,
): Readonly<Record<number, EnumCode<keyof E & string, P>>> {
  return Object.fromEntries(codesOf(values, prefix)) as Record<
    number,
    EnumCode<keyof E & string, P>
  >;
}

/** The inverse of enumCodes: each code → its proto enum value. */
export function enumValues<E extends ProtoEnum, const P extends string>(
  values: E,
  prefix: P,
): Readonly<Record<EnumCode<keyof E & string, P>, E[keyof E]>> {
  return Object.fromEntries(
    codesOf(values, prefix).map(([value, code]) => [code, value]),
  ) as Record<EnumCode<keyof E & string, P>, E[keyof E]>;
}
