// The FHIR tests' stack: the real gateway in this process and the real domain platforms as child
// processes started from their own entry points (see support/fhir-stack.ts). Apps never import
// apps, not even in tests: the gateway reaches the platforms over gRPC only.
export {
  collect,
  startFhirStack,
  type FhirStack,
  type PlatformName,
  type PlatformProcess,
} from './support/fhir-stack';
