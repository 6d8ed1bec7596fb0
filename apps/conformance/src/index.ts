export {
  deltasOfAccess,
  deltasOfViolation,
  mergeDeltas,
  redactPath,
} from './app/counting/counters';
export type { CounterDelta } from './app/counting/counters';
