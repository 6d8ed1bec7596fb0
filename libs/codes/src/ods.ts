/**
 * ODS organisation code syntax: 3-10 upper-case letters or digits. The one definition both doors
 * use (the FHIR rules at the gateway and the platforms' request validation), so a code one door
 * accepts the other does not refuse. ODS codes in use are 3 (trusts, ICBs, national bodies),
 * 5 (trust sites) and 6 (GP practices) characters; 10 leaves room for the longer site and
 * sub-organisation codes ODS issues without admitting free text.
 */
export const ODS_CODE = /^[A-Z0-9]{3,10}$/;

export function isOdsCode(value: string): boolean {
  return ODS_CODE.test(value);
}
