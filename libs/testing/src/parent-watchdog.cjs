// Preloaded (`node -r`) into every service spawned by spawnService (service-process.ts): when the
// test process that started this one dies without stopping it (a Jest worker killed by SIGKILL,
// a crash), this process is re-parented and shuts itself down, so services never outlive a test
// run. SIGTERM first (the service's graceful shutdown), a hard exit if that does not finish.
'use strict';

const expected = Number(process.env.TRELLIS_TEST_PARENT_PID);
if (Number.isInteger(expected) && expected > 0) {
  const timer = setInterval(() => {
    if (process.ppid === expected) return;
    clearInterval(timer);
    setTimeout(() => process.exit(70), 5000);
    process.kill(process.pid, 'SIGTERM');
  }, 500);
  timer.unref();
}
