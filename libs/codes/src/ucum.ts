/**
 * UCUM units through the NLM's maintained UCUM library (@lhncbc/ucum-lhc, pinned), loaded once
 * and on first use: its unit tables take a while to index, and most processes never need them.
 */
export interface UcumUtils {
  validateUnitString(
    unit: string,
    suggest?: boolean,
  ): {
    status: 'valid' | 'invalid' | 'error';
    ucumCode: string | null;
    msg?: string[];
  };
  convertUnitTo(
    from: string,
    value: number,
    to: string,
  ): { status: 'succeeded' | 'failed' | 'error'; toVal?: number; msg?: string[] };
}

let utils: UcumUtils | undefined;

/** The library's one instance. */
export function ucumUtils(): UcumUtils {
  if (!utils) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require('@lhncbc/ucum-lhc') as { UcumLhcUtils: { getInstance(): UcumUtils } };
    utils = mod.UcumLhcUtils.getInstance();
  }
  return utils;
}

/** Is `unit` a valid UCUM unit code (as written: no trimming, no suggestions)? */
export function isValidUcumUnit(unit: string): boolean {
  return ucumUtils().validateUnitString(unit, false).status === 'valid';
}
