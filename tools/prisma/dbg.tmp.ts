import { createTestSchema } from '@trellis/testing';
async function main() {
  for (const app of ['identity', 'appointments', 'gateway']) {
    const t = Date.now();
    try {
      const s = await createTestSchema({ app });
      console.log(app, s.schema, s.migrations, Date.now() - t, 'ms');
      await s.drop();
    } catch (e) { console.log(app, 'FAILED', String(e).slice(0, 400)); }
  }
}
main();
