/**
 * SNOMED CT identifier check: 6-18 digits, no leading zero, a valid partition identifier and a
 * Verhoeff check digit — the one definition in @trellis/codes.
 */
export { type SctidProblem, sctidProblem, verhoeffValid } from '@trellis/codes';
