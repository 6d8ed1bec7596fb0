// @trellis/contracts: the generated protobuf contracts, one namespace per proto package.
//   import { identity, common, events, grpc, google } from '@trellis/contracts';
//   identity.v1.PatientServiceController, common.v1.PageRequest, grpc.health.v1.HealthCheckResponse
// The barrels come from `buf generate` (ts-proto + protoc-gen-trellis-index): never edit them.
export * from './generated/_index';
export { PROTO_ROOT, protoPath } from './proto-root';
export { fromOptionalTimestamp, fromTimestamp, toTimestamp } from './timestamp';
export type { TimestampLike } from './timestamp';
export type {
  ComplianceChangeJson,
  ComplianceChangePageJson,
  HistoryEntryJson,
  ScenarioProgressJson,
  SessionProgressJson,
  SystemPageJson,
  SystemScorecardJson,
  SystemSummaryJson,
} from './admin-json';
export { enumCodes, enumValues } from './enum-codes';
export { fieldsOf, pageArgs, pageOf, protoStrings } from './fields';
export type { EnumCode } from './enum-codes';
// the platforms' error catalogues (ErrorInfo domain and reasons, each with its kind)
export * from './errors';
