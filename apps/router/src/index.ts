export { decideRouting, EVENT_SPECS, regionalEventId } from './app/routing/regional-policy';
export type { PatientHomeFact, PayloadView, RoutingDecision } from './app/routing/regional-policy';
