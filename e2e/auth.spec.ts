import { expect, request, test } from '@playwright/test';
import { WebSocket } from 'ws';
import { StationPage, stationToken } from './pages/station-page';

// Issue 8 item 3: nobody reaches a module without the station's token, neither the page, nor the API, nor the
// WebSocket; the browser trades the token in the URL for a cookie it cannot read and the address bar loses it.

test('the page is refused without the token and says which address to open', async ({ browser }) => {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const response = await page.goto('/');
    expect(response?.status()).toBe(401);
    await expect(page.locator('body')).toContainText('fleet-station serve');
  } finally {
    await context.close();
  }
});

test('the token in the address becomes an HttpOnly SameSite=Strict cookie and leaves the address bar', async ({
  page,
  baseURL,
}) => {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  const station = new StationPage(page);
  await station.open();
  expect(page.url()).toBe(`${baseURL ?? ''}/`);
  await station.waitForReadyModules(3);
  const port = new URL(baseURL ?? '').port;
  const cookies = await page.context().cookies();
  expect(cookies).toEqual([
    expect.objectContaining({
      name: `fleet-station-${port}`,
      value: stationToken(),
      httpOnly: true,
      sameSite: 'Strict',
      path: '/',
    }),
  ]);
  // The page's scripts cannot read it.
  expect(await page.evaluate(() => document.cookie)).toBe('');
  // A reload keeps working on the cookie alone.
  await page.reload();
  await expect(page.getByTestId('connection')).toHaveText('Connected');
  expect(problems).toEqual([]);
});

test('the API refuses a caller without the token and answers one with it', async ({ baseURL }) => {
  const api = await request.newContext({ baseURL: baseURL ?? '' });
  try {
    const body = { moduleId: 'virtual:0', line: 'AT+CGSN' };
    const refused = await api.post('/api/sendAt', { data: body });
    expect(refused.status()).toBe(401);
    expect(await refused.json()).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    const answered = await api.post('/api/sendAt', {
      data: body,
      headers: { authorization: `Bearer ${stationToken()}` },
    });
    expect(answered.status()).toBe(200);
    expect(await answered.json()).toMatchObject({ ok: true, value: { verdict: 'ok' } });
  } finally {
    await api.dispose();
  }
});

test('the WebSocket refuses a client without the token, even one that sends no Origin', async ({ baseURL }) => {
  const url = `${(baseURL ?? '').replace(/^http/, 'ws')}/ws`;
  const attempt = (headers: Record<string, string>): Promise<string> =>
    new Promise((resolve) => {
      const ws = new WebSocket(url, { headers });
      ws.once('open', () => {
        ws.close();
        resolve('open');
      });
      ws.once('error', (error) => resolve(error.message));
    });
  expect(await attempt({})).toMatch(/401/);
  expect(await attempt({ authorization: 'Bearer not-the-token-not-the-token-not-the' })).toMatch(/401/);
  expect(await attempt({ authorization: `Bearer ${stationToken()}` })).toBe('open');
});
