import { assertSharedEventModels } from '@trellis/events';
import { join } from 'node:path';

describe('gateway schema', () => {
  it('takes the event tables from libs/events', () => {
    expect(() => assertSharedEventModels(join(__dirname, '../../../prisma'))).not.toThrow();
  });
});
