// @trellis/service-kit: the bootstrap every Trellis service uses (see docs/service-kit.md).
export { bootstrapService, runService } from './bootstrap';
export type { BootstrapOptions, ServiceHandle, ShutdownReport } from './bootstrap';
export {
  baseConfigSchema,
  CONFIG,
  ConfigValidationError,
  gatewayUrlConfig,
  InjectConfig,
  kafkaConnection,
  loadConfig,
  LOG_LEVELS,
  requiredKafkaConfig,
  serviceDatabaseConfig,
} from './config';
export type { BaseConfig, ConfigIssue, LogLevel } from './config';
export {
  assertUnreachable,
  CORRELATION_KEY,
  decodeGrpcError,
  DomainError,
  ERROR_CODE_KEY,
  grpcCodeOf,
  httpStatusOf,
  STATUS_DETAILS_KEY,
  toGrpcError,
  toHttpError,
  ValidationError,
} from './errors';
export type {
  DecodedGrpcError,
  ErrorKind,
  FieldViolation,
  GrpcErrorResponse,
  HttpErrorBody,
} from './errors';
export { CLOCK, systemClock } from './clock';
export type { Clock } from './clock';
export {
  codedError,
  codedErrorWithMetadata,
  errorVocabulary,
  IDEMPOTENCY_KEY_REUSED_ERROR_CODE,
  ILLEGAL_TRANSITION_ERROR_CODE,
  INVALID_ARGUMENT_ERROR_CODE,
  NOT_INVOLVED_ERROR_CODE,
  VERSION_CONFLICT_ERROR_CODE,
} from './coded-error';
export type {
  CodedErrorClass,
  CodedErrorSpec,
  CodedErrorWithMetadataClass,
  CodeOf,
  ErrorCodeOf,
  ErrorCodesOf,
  ErrorVocabularySpec,
  RefusingVocabularySpec,
} from './coded-error';
export { AllExceptionsFilter } from './exception.filter';
export { GrpcHealthService, LIVENESS_SERVICE } from './grpc/health.service';
export {
  grpcLoaderOptions,
  HEALTH_PROTO,
  loadProtoPackageDefinition,
  normalizePackageDefinition,
  nullsToUndefined,
  serviceNames,
} from './grpc/loader';
export { grpcClientOptions } from './grpc/client';
export { grpcController, grpcControllerFor } from './grpc/controller';
export type {
  GrpcCallHandlersOf,
  GrpcHandlers,
  GrpcHandlersOf,
  GrpcServiceDefinition,
} from './grpc/controller';
export { createReflectionService } from './grpc/reflection';
export { HealthRegistry } from './health-registry';
export type { HealthCheckResult, ReadinessReport } from './health-registry';
export { createLogger, LOGGER, PinoLoggerService } from './logger';
export type { Logger, LoggerOptions } from './logger';
export { ServiceKitModule } from './service-kit.module';
export type { ServiceKitModuleOptions } from './service-kit.module';
export {
  CORRELATION_HEADER,
  correlationIdFrom,
  currentCorrelationId,
  currentRequestContext,
  runWithRequestContext,
} from './request-context';
export type { RequestContext } from './request-context';
export { InFlightTracker, RequestContextInterceptor } from './request.interceptor';
export { ShutdownHooks, ShutdownOrder } from './shutdown-hooks';
export type { ShutdownHookResult } from './shutdown-hooks';
export * from './violations';
export {
  DEMO_PRACTICES,
  isRegion,
  ORGANISATIONS,
  organisationByOdsCode,
  REGIONAL_AUTHORITIES,
  regionalAuthorityOf,
  REGIONS,
  regionOfOrganisation,
} from './reference/organisations';
export type { Organisation, OrganisationKind, Region } from './reference/organisations';
export { forwardedMetadata, GrpcCallError, USER_HEADER } from './grpc/forwarding';
export type {
  ForwardCallOptions,
  ForwardContext,
  ForwardingOptions,
  MetadataSetter,
} from './grpc/forwarding';
export { forwardingMiddleware, grpcChannel, typedClient } from './grpc/typed-client';
export type { TypedClient, TypedClientOptions, TypedUnaryMethod } from './grpc/typed-client';
export { grpcCodeName, httpStatusOfGrpcCode, STATUS_TABLE, statusOfGrpcCode } from './status-map';
export type { GrpcCodeName, StatusIssueCode, StatusMapping } from './status-map';
export {
  instantIdCursor,
  isoInstant,
  MAX_PAGE_TOKEN_LENGTH,
  pageCursor,
  scopeHash,
} from './page-cursor';
export type {
  CursorField,
  InstantIdCursor,
  InstantIdCursorCodec,
  PageCursorCodec,
  PageCursorSpec,
} from './page-cursor';
export {
  PATIENT_BATCH_DEFAULT_PAGE,
  PATIENT_BATCH_MAX,
  PATIENT_BATCH_MAX_PAGE,
  patientBatchFindArgs,
  patientBatchQuery,
  patientBatchQueryOf,
} from './patient-batch';
export type {
  PatientBatchFindArgs,
  PatientBatchProtoRequest,
  PatientBatchQuery,
  PatientBatchRequest,
} from './patient-batch';
export { databaseSettings, prismaClientProvider } from './prisma-provider';
export type { PrismaClientLike, ServiceDatabaseConfig } from './prisma-provider';
export { serviceEntry } from './service-entry';
export type { EntryMethods, MethodNamesOf, ServiceEntry } from './service-entry';
