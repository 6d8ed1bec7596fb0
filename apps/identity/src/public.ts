// What tools outside the service (benchmarks under tools/bench) may use of identity: its one public
// entry point, so nothing reaches into apps/identity/src by a relative path.

export { seed } from './seed/seed';
export { seedFaker, syntheticPerson } from './seed/synthetic';
