import { APPOINTMENT_ARRIVED } from './appointment-arrived';
import { APPOINTMENT_BOOK } from './appointment-book';
import { APPOINTMENT_CANCEL } from './appointment-cancel';
import { APPOINTMENT_FULFIL } from './appointment-fulfil';
import { APPOINTMENT_NO_SHOW } from './appointment-no-show';
import { APPOINTMENT_RESCHEDULE } from './appointment-reschedule';
import { AUDITEVENT_FLAG } from './auditevent-flag';
import { DIAGNOSTICREPORT_ACKNOWLEDGE } from './diagnosticreport-acknowledge';
import type { FhirOperation } from './fhir-operation';
import { GROUP_EXPORT } from './group-export';
import { MEASUREREPORT_REGIONAL_WAITING_LISTS } from './measurereport-regional-waiting-lists';
import { PATIENT_EVERYTHING } from './patient-everything';
import { SERVICEREQUEST_ACCEPT } from './servicerequest-accept';
import { SERVICEREQUEST_ADVISE } from './servicerequest-advise';
import { SERVICEREQUEST_CANCEL } from './servicerequest-cancel';
import { SERVICEREQUEST_COMPLETE } from './servicerequest-complete';
import { SERVICEREQUEST_CONVERT } from './servicerequest-convert';
import { SERVICEREQUEST_REJECT } from './servicerequest-reject';
import { SERVICEREQUEST_RETURN } from './servicerequest-return';
import { SUBSCRIPTION_EVENTS } from './subscription-events';
import { SUBSCRIPTION_STATUS } from './subscription-status';
import { SYSTEM_EXPORT } from './system-export';
import { TESTSCRIPT_FINISH_SESSION } from './testscript-finish-session';
import { TESTSCRIPT_START_SESSION } from './testscript-start-session';

/**
 * Every FHIR operation the gateway serves, one file each: the OperationDefinitions served at
 * /fhir/OperationDefinition/<id> (for the operations whose route is served) come from here.
 */
export const FHIR_OPERATIONS: readonly FhirOperation[] = [
  PATIENT_EVERYTHING,
  APPOINTMENT_BOOK,
  APPOINTMENT_CANCEL,
  APPOINTMENT_RESCHEDULE,
  APPOINTMENT_ARRIVED,
  APPOINTMENT_FULFIL,
  APPOINTMENT_NO_SHOW,
  SERVICEREQUEST_ACCEPT,
  SERVICEREQUEST_REJECT,
  SERVICEREQUEST_RETURN,
  SERVICEREQUEST_CONVERT,
  SERVICEREQUEST_ADVISE,
  SERVICEREQUEST_COMPLETE,
  SERVICEREQUEST_CANCEL,
  DIAGNOSTICREPORT_ACKNOWLEDGE,
  AUDITEVENT_FLAG,
  TESTSCRIPT_START_SESSION,
  TESTSCRIPT_FINISH_SESSION,
  MEASUREREPORT_REGIONAL_WAITING_LISTS,
  SUBSCRIPTION_STATUS,
  SUBSCRIPTION_EVENTS,
  SYSTEM_EXPORT,
  GROUP_EXPORT,
];
