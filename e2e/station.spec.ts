import { expect, test } from '@playwright/test';
import { StationPage } from './pages/station-page';

// Any console error or uncaught exception in the renderer fails the test.
let problems: string[] = [];

test.beforeEach(({ page }) => {
  problems = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
});

test.afterEach(() => {
  expect(problems).toEqual([]);
});

test('the module list shows the virtual modules with their identity', async ({ page }) => {
  const station = new StationPage(page);
  await station.open();
  await station.waitForReadyModules(3);
  const rows = await station.readRows();
  expect(rows.map((r) => r.port)).toEqual(['virtual:0', 'virtual:1', 'virtual:2']);
  for (const row of rows) {
    expect(row.model).toMatch(/^E[CG][0-9]00U$/);
    expect(row.imei).toMatch(/^\d{15}$/);
    expect(row.iccid).toMatch(/^\d{18,19}[0-9A-F]$/);
    expect(row.state).toBe('Ready');
  }
  expect(new Set(rows.map((r) => r.imei)).size).toBe(3);
});

test('a guided AT session shows the right answers', async ({ page }) => {
  const station = new StationPage(page);
  await station.open();
  await station.waitForReadyModules(3);
  const [, second] = await station.readRows();
  if (second === undefined) throw new Error('the second module is missing');
  await station.selectModule(second.port);

  await station.sendFromList('ATI');
  await expect(station.answer).toHaveAttribute('data-verdict', 'ok');
  await expect(station.field('Manufacturer')).toHaveText('Quectel');
  await expect(station.field('Model')).toHaveText(second.model);

  await station.sendFromList('AT+CGSN');
  await expect(station.field('IMEI')).toHaveText(second.imei);

  await station.sendFromList('AT+GSN');
  await expect(station.field('IMEI')).toHaveText(second.imei);

  await station.sendFromList('AT+QMTCFG="keepalive",0');
  await expect(station.answer.locator('.verdict')).toHaveText('OK');
  await expect(station.field('Keep-alive (s)')).toHaveText('120');

  await station.sendFromList('AT+QMTCFG="version",0');
  await expect(station.field('MQTT version')).toHaveText('3 (MQTT 3.1)');

  // The transcript shows what went over the wire, both ways.
  await expect(station.transcript.locator('li.dir-tx', { hasText: 'AT+QMTCFG="version",0' })).toHaveCount(1);
  await expect(station.transcript.locator('li.dir-rx', { hasText: '+QMTCFG: "version",3' })).toHaveCount(1);
});

test('a bad command shows ERROR clearly', async ({ page }) => {
  const station = new StationPage(page);
  await station.open();
  await station.waitForReadyModules(3);
  await station.selectModule('virtual:0');

  await station.sendTyped('AT+BOGUS=1');
  await expect(station.answer).toHaveAttribute('data-verdict', 'error');
  await expect(station.answer.locator('.verdict')).toHaveText('ERROR');
  await expect(station.answer).toContainText('The module refused the command');

  // Input that is not an AT command never reaches the module: the station says why.
  await station.sendTyped('reboot now');
  await expect(station.alert).toContainText('an AT command starts with AT');
  await expect(station.alert).toHaveAttribute('data-code', 'invalid-input');
});
