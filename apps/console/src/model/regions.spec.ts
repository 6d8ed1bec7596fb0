import { REGIONS as PLATFORM_REGIONS } from '@trellis/service-kit';

import { REGIONS } from './regions';

describe("the console's region list", () => {
  it("is the platform's reference table, in its order", () => {
    expect([...REGIONS]).toEqual([...PLATFORM_REGIONS]);
  });
});
