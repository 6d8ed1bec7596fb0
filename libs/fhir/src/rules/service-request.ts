import {
  GMC_SYSTEM,
  ODS_ORGANISATION_SYSTEM,
  REFERRAL_REQUEST_ID_SYSTEM,
  REGION_EXTENSION,
  SDS_USER_SYSTEM,
} from '../systems';
import {
  arr,
  checkConcept,
  checkOdsReference,
  checkPatientReference,
  codings,
  isObject,
  type Json,
  type Report,
  str,
} from './checks';

export function serviceRequestRules(r: Json, mode: 'create' | 'update', report: Report): void {
  checkPatientReference(r['subject'], 'ServiceRequest.subject', report);
  checkConcept(r['code'], 'ServiceRequest.code', 'snomed', report);
  arr(r['reasonCode']).forEach((c, i) =>
    checkConcept(c, `ServiceRequest.reasonCode[${i}]`, undefined, report),
  );
  const requester = isObject(r['requester']) ? r['requester'] : undefined;
  const rid = requester && isObject(requester['identifier']) ? requester['identifier'] : undefined;
  // an update may name the requester as it reads back: the referring organisation (ODS)
  const orgOnUpdate = mode === 'update' && rid?.['system'] === ODS_ORGANISATION_SYSTEM;
  if (
    !rid ||
    (rid['system'] !== SDS_USER_SYSTEM && rid['system'] !== GMC_SYSTEM && !orgOnUpdate) ||
    !str(rid['value'])
  ) {
    report(
      'service-request.requester',
      'ServiceRequest.requester.identifier',
      `the referring practitioner must be identified by ${SDS_USER_SYSTEM} or ${GMC_SYSTEM}`,
      'required',
    );
  }
  const performer = arr(r['performer'])[0];
  checkOdsReference(
    performer,
    'ServiceRequest.performer[0]',
    'service-request.performer',
    'The performer',
    report,
  );
  if (isObject(performer)) {
    const region = arr(performer['extension']).find(
      (e) => isObject(e) && e['url'] === REGION_EXTENSION,
    ) as Json | undefined;
    if (!region || !/^[a-z][a-z-]{1,30}$/.test(str(region['valueCode']) ?? '')) {
      report(
        'service-request.region',
        'ServiceRequest.performer[0].extension',
        `the receiving organisation needs its region (${REGION_EXTENSION} valueCode)`,
        'required',
      );
    }
  }
  const specialty = codings(arr(r['category'])[0])[0];
  if (!specialty || !str(specialty['code'])) {
    report(
      'service-request.specialty',
      'ServiceRequest.category[0]',
      'the specialty is required (category[0].coding[0].code)',
      'required',
    );
  }
  const ids = arr(r['identifier']).filter(
    (i) => isObject(i) && i['system'] === REFERRAL_REQUEST_ID_SYSTEM,
  ) as Json[];
  // on update the request id may be left out (it cannot change; see the gateway's immutability check)
  const optionalId = mode === 'update' && ids.length === 0;
  if (
    !optionalId &&
    (ids.length !== 1 || !/^[A-Za-z0-9._:-]{8,128}$/.test(str(ids[0]!['value']) ?? ''))
  ) {
    report(
      'service-request.identifier',
      'ServiceRequest.identifier',
      `exactly one ${REFERRAL_REQUEST_ID_SYSTEM} identifier of 8-128 characters is required`,
      'required',
    );
  }
  const priority = str(r['priority']);
  if (priority !== undefined && !['routine', 'urgent', 'asap'].includes(priority)) {
    report(
      'service-request.priority',
      'ServiceRequest.priority',
      'priority must be routine, urgent or asap (two-week wait)',
      'not-supported',
    );
  }
}
