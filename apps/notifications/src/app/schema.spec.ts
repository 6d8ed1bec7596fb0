import { assertSharedEventModels } from '@trellis/events';
import { join } from 'node:path';

describe('notifications schema', () => {
  it('takes the event tables from libs/events', () => {
    expect(() => assertSharedEventModels(join(__dirname, '../../prisma'))).not.toThrow();
  });
});
