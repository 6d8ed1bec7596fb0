// The Region page's authority clients (issue 18): the region's authority re-keys a client's
// Kafka password (the new secret shown once, gone when the dialog closes) and withdraws it.
import { exportJWK, generateKeyPair } from 'jose';
import type { Page } from 'playwright-core';

import type { BrowserKit } from './browser';

/** Creates a north-east authority client through the JSON door; answers its id and password. */
export async function newAuthorityClient(
  base: string,
  token: string,
): Promise<{ id: string; password: string }> {
  const { publicKey } = await generateKeyPair('ES384');
  const res = await fetch(`${base}/admin/v1/regions/north-east/authority-clients`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'North East dashboards',
      odsCode: 'YRA01',
      jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'dash-1', alg: 'ES384' }] },
      scopes: ['region/north-east/systems.read'],
    }),
  });
  expect(res.status).toBe(201);
  const body = (await res.json()) as { client: { id: string }; kafka: { password: string } };
  return { id: body.client.id, password: body.kafka.password };
}

/** On the Region page of a north-east authority's session, for a client made before it opened. */
export async function rekeyAndWithdraw(
  page: Page,
  kit: BrowserKit,
  created: { id: string; password: string },
): Promise<void> {
  const row = page.getByTestId('authority-clients').locator(`[data-client="${created.id}"]`);
  await row.getByRole('button', { name: /^Re-key Kafka password/ }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('button', { name: 'Make a new password' }).click();
  const shown = (await dialog.getByTestId('kafka-password').textContent()) ?? '';
  expect(shown).toMatch(/^[A-Za-z0-9_-]{32}$/);
  expect(shown).not.toBe(created.password);
  await kit.expectAccessible(page, 'region-rekey');
  await dialog.getByRole('button', { name: 'I have stored it' }).click();
  await dialog.waitFor({ state: 'detached' });
  expect(await page.getByText(shown).count()).toBe(0);
  await row.getByRole('button', { name: /^Withdraw/ }).click();
  await page.getByLabel('Reason').fill('Dashboards retired');
  await page.getByRole('dialog').getByRole('button', { name: 'Withdraw client' }).click();
  await row.getByText('suspended', { exact: true }).waitFor();
  expect(await row.getByRole('button').count()).toBe(0);
}
