import { expect, type Locator, type Page } from '@playwright/test';

/** The station's token, as the runner handed it to the station (playwright.config.ts). */
export function stationToken(): string {
  const token = process.env.FLEET_E2E_TOKEN;
  if (token === undefined)
    throw new Error('FLEET_E2E_TOKEN is not set: run the e2e tests through playwright.config.ts');
  return token;
}

/** One row of the module list, as the operator reads it. */
export interface ModuleRow {
  readonly port: string;
  readonly model: string;
  readonly imei: string;
  readonly iccid: string;
  readonly state: string;
}

/** The station window: the module list and the guided AT session of the selected module. */
export class StationPage {
  readonly moduleTable: Locator;
  readonly rows: Locator;
  readonly commandPicker: Locator;
  readonly commandInput: Locator;
  readonly sendButton: Locator;
  readonly answer: Locator;
  readonly alert: Locator;
  readonly transcript: Locator;

  constructor(readonly page: Page) {
    this.moduleTable = page.getByRole('table', { name: 'Modules' });
    this.rows = this.moduleTable.locator('tbody tr');
    this.commandPicker = page.getByLabel('Common commands');
    this.commandInput = page.getByRole('textbox', { name: 'Command' });
    this.sendButton = page.getByRole('button', { name: 'Send' });
    this.answer = page.getByRole('region', { name: 'Answer' });
    this.alert = page.getByRole('alert');
    this.transcript = page.getByRole('list', { name: 'Transcript' });
  }

  /** Opens the address `serve` prints (with the token), which lands on the UI with the token gone from it. */
  async open(): Promise<void> {
    await this.page.goto(`/?token=${stationToken()}`);
    await expect(this.page).toHaveURL(/\/$/);
    await expect(this.page.getByRole('heading', { name: 'Fleet Station' })).toBeVisible();
    await expect(this.page.getByTestId('connection')).toHaveText('Connected');
  }

  /** Waits until `count` modules are listed and all of them are identified and ready. */
  async waitForReadyModules(count: number): Promise<void> {
    await expect(this.rows).toHaveCount(count);
    await expect(this.rows.locator('[data-field="state"]', { hasText: 'Ready' })).toHaveCount(count);
  }

  async readRows(): Promise<ModuleRow[]> {
    const rows: ModuleRow[] = [];
    for (const row of await this.rows.all()) {
      const cells = (await row.locator('td').allInnerTexts()).map((t) => t.trim());
      const [port = '', model = '', imei = '', iccid = '', state = ''] = cells;
      rows.push({ port, model, imei, iccid, state });
    }
    return rows;
  }

  async selectModule(port: string): Promise<void> {
    await this.rows.filter({ hasText: port }).first().click();
    await expect(this.page.getByRole('region', { name: `Session with ${port}` })).toBeVisible();
  }

  /** Picks a command from the list of common ones and sends it; resolves once its answer is shown. */
  async sendFromList(line: string): Promise<void> {
    await this.commandPicker.selectOption(line);
    await expect(this.commandInput).toHaveValue(line);
    await this.send(line);
  }

  /** Types a command by hand and sends it. */
  async sendTyped(line: string): Promise<void> {
    await this.commandInput.fill(line);
    await this.send(line);
  }

  private async send(line: string): Promise<void> {
    await this.sendButton.click();
    await expect(this.sendButton).toBeEnabled();
    await expect(this.answer.or(this.alert)).toBeVisible();
    if (await this.answer.isVisible()) await expect(this.answer.locator('code')).toHaveText(line);
  }

  /** The value of a labelled field of the decoded answer. */
  field(label: string): Locator {
    return this.answer
      .locator('.field', { has: this.page.locator('dt', { hasText: new RegExp(`^${escape(label)}$`) }) })
      .locator('dd');
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
