import { numberForBase } from '@trellis/nhs-number';
import type { PrismaClient } from '../generated/prisma/client';
import {
  canonicalGiven,
  normaliseGiven,
  normaliseName,
  normalisePostcode,
  registrationKey,
} from '../app/patients/normalise';
import type { SyntheticPerson } from './synthetic';

/**
 * Bulk registration for seeding (demo data, benchmarks): allocates NHS numbers from the range's
 * sequence (never reused) and writes patients, names, addresses, telecom, GP registrations and the
 * version-1 history row with set-based INSERT ... SELECT FROM unnest(...) — one statement per table
 * per batch, all in one transaction per batch. No duplicate check (synthetic data is unique enough),
 * no events (seeding is not a domain operation).
 */
export async function insertBatch(
  prisma: PrismaClient,
  rangeName: string,
  people: SyntheticPerson[],
  changedBy = 'seed',
): Promise<string[]> {
  return prisma.$transaction(
    async (tx) => {
      const wanted = people.length;
      const numbers: string[] = [];
      while (numbers.length < wanted) {
        const need = Math.ceil((wanted - numbers.length) * 1.12) + 2;
        const rows = await tx.$queryRaw<Array<{ base: bigint }>>`
          SELECT nhs_number_range_next(${rangeName}) AS base FROM generate_series(1, ${need}::int)`;
        for (const r of rows) {
          if (r.base === null) throw new Error(`NHS number range ${rangeName} exhausted`);
          const n = numberForBase(r.base);
          if (n && numbers.length < wanted) numbers.push(n);
        }
      }
      const now = new Date();
      const p = people.map((x, i) => ({ ...x, nhs: numbers[i]! }));
      await tx.$executeRaw`
        INSERT INTO patient (nhs_number, gender, birth_date, confidentiality, gp_ods_code, gp_region, version, created_at, last_updated, registration_key)
        SELECT u.nhs, u.gender::gender, u.bd::date, u.conf::confidentiality, u.ods, u.region, 1, ${now}, ${now}, u.rkey
        FROM unnest(${p.map((x) => x.nhs)}::text[], ${p.map((x) => x.gender)}::text[], ${p.map((x) => x.birthDate)}::text[],
                    ${p.map((x) => x.confidentiality)}::text[], ${p.map((x) => x.gpOdsCode)}::text[], ${p.map((x) => x.gpRegion)}::text[],
                    ${p.map((x) => registrationKey(x.names[0]!.family, x.names[0]!.given, x.birthDate, x.gender))}::text[])
          AS u(nhs, gender, bd, conf, ods, region, rkey)`;
      const names = p.flatMap((x) =>
        x.names.map((n, pos) => ({ nhs: x.nhs, pos, n, bd: x.birthDate })),
      );
      await tx.$executeRaw`
        INSERT INTO patient_name (nhs_number, position, use, family, given, prefix, period_end, family_norm, given_norm, given_canon, birth_date)
        SELECT u.nhs, u.pos, u.use, u.family, string_to_array(u.given, '|'), '{}'::text[], u.pend::date, u.fnorm, u.gnorm, u.gcanon, u.bd::date
        FROM unnest(${names.map((x) => x.nhs)}::text[], ${names.map((x) => x.pos)}::int[], ${names.map((x) => x.n.use)}::text[],
                    ${names.map((x) => x.n.family)}::text[], ${names.map((x) => x.n.given.join('|'))}::text[],
                    ${names.map((x) => x.n.period?.end ?? null)}::text[], ${names.map((x) => normaliseName(x.n.family))}::text[],
                    ${names.map((x) => normaliseGiven(x.n.given))}::text[], ${names.map((x) => canonicalGiven(x.n.given))}::text[],
                    ${names.map((x) => x.bd)}::text[])
          AS u(nhs, pos, use, family, given, pend, fnorm, gnorm, gcanon, bd)`;
      const addrs = p.flatMap((x) =>
        x.addresses.map((a, pos) => ({ nhs: x.nhs, pos, a, pc: normalisePostcode(a.postcode) })),
      );
      await tx.$executeRaw`
        INSERT INTO patient_address (nhs_number, position, use, lines, city, district, postcode, postcode_norm, postcode_out, period_end)
        SELECT u.nhs, u.pos, u.use, ARRAY[u.line], u.city, '', u.pc, u.pcn, u.pco, u.pend::date
        FROM unnest(${addrs.map((x) => x.nhs)}::text[], ${addrs.map((x) => x.pos)}::int[], ${addrs.map((x) => x.a.use)}::text[],
                    ${addrs.map((x) => x.a.lines[0] ?? '')}::text[], ${addrs.map((x) => x.a.city)}::text[], ${addrs.map((x) => x.a.postcode)}::text[],
                    ${addrs.map((x) => x.pc.norm)}::text[], ${addrs.map((x) => x.pc.outward)}::text[], ${addrs.map((x) => x.a.period?.end ?? null)}::text[])
          AS u(nhs, pos, use, line, city, pc, pcn, pco, pend)`;
      await tx.$executeRaw`
        INSERT INTO patient_telecom (nhs_number, position, system, value, use)
        SELECT u.nhs, 0, 'phone', u.v, 'mobile'
        FROM unnest(${p.map((x) => x.nhs)}::text[], ${p.map((x) => x.telecom[0]?.value ?? '')}::text[]) AS u(nhs, v)`;
      await tx.$executeRaw`
        INSERT INTO gp_registration (nhs_number, ods_code, region, period_start)
        SELECT u.nhs, u.ods, u.region, u.start::date
        FROM unnest(${p.map((x) => x.nhs)}::text[], ${p.map((x) => x.gpOdsCode)}::text[], ${p.map((x) => x.gpRegion)}::text[],
                    ${p.map((x) => x.gpStart)}::text[]) AS u(nhs, ods, region, start)`;
      await tx.$executeRaw`
        INSERT INTO patient_version (nhs_number, version, change, changed_fields, changed_by, changed_by_ods, recorded_at, snapshot, overridden_candidates)
        SELECT u.nhs, 1, 'registered', '{}'::text[], ${changedBy}, '', ${now}, u.snap::jsonb, '{}'::text[]
        FROM unnest(${p.map((x) => x.nhs)}::text[], ${p.map((x) =>
          JSON.stringify({
            nhsNumber: x.nhs,
            names: x.names,
            gender: x.gender,
            birthDate: x.birthDate,
            addresses: x.addresses,
            telecom: x.telecom,
            gp: { odsCode: x.gpOdsCode, region: x.gpRegion, period: { start: x.gpStart } },
            gpHistory: [],
            confidentiality: x.confidentiality,
            version: 1,
            lastUpdated: now.toISOString(),
            supersededNhsNumbers: [],
          }),
        )}::text[]) AS u(nhs, snap)`;
      return numbers;
    },
    { timeout: 600_000, maxWait: 60_000 },
  );
}
