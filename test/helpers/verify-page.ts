// verify.html in Debian's chromium (playwright-core), opened from file:// with every other
// request aborted and counted, and a record audited in it as a user does: chosen as a file,
// then Verify. Shared by the Chromium tests of the record audit.
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildVerifyHtml } from '../../bin/build-html.ts';

export interface VerifyPage {
  browser: Browser;
  page: Page;
  /** Requests the page tried to make (all aborted); must stay empty. */
  aborted: string[];
  consoleErrors: string[];
}

export async function openVerifyPage(): Promise<VerifyPage> {
  const html = await buildVerifyHtml();
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const page = await browser.newPage();
  const aborted: string[] = [];
  const consoleErrors: string[] = [];
  await page.route('**/*', (r) => {
    if (r.request().url().startsWith('file:')) return r.continue();
    aborted.push(r.request().url());
    return r.abort();
  });
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  await page.goto(`file://${html.path}`);
  return { browser, page, aborted, consoleErrors };
}

export interface PageAudit {
  headline: { verdict?: string; failedStep?: string; failedSequence?: string; text: string | null };
  report: string;
  /** Progress bar values sampled while the audit ran: each sample was answered by the page's own thread. */
  progress: Set<number>;
}

/** Chooses the record as a file (as a drop does), verifies, and samples the progress bar until the verdict shows. */
export async function auditRecordInPage(page: Page, name: string, record: Uint8Array, genesisText: string, minConfirmations = 6): Promise<PageAudit> {
  await page.fill('#bundle', '');
  await page.fill('#genesis', genesisText);
  await page.fill('#genesis-hash', '');
  await page.fill('#min-confirmations', String(minConfirmations));
  await page.setInputFiles('#files', { name, mimeType: 'application/octet-stream', buffer: Buffer.from(record) });
  await page.waitForFunction(() => document.getElementById('record')!.textContent!.startsWith('Record:'));
  await page.$eval('#headline', (el) => ((el as HTMLElement).dataset.verdict = ''));
  await page.click('#verify');
  const progress = new Set<number>();
  for (;;) {
    const s = await page.evaluate(() => ({ verdict: document.getElementById('headline')!.dataset.verdict, value: (document.getElementById('progress') as HTMLProgressElement).value }));
    if (s.verdict) break;
    progress.add(s.value);
    await new Promise((r) => setTimeout(r, 100));
  }
  const headline = (await page.$eval('#headline', (el) => ({ ...(el as HTMLElement).dataset, text: el.textContent }))) as PageAudit['headline'];
  return { headline, report: (await page.textContent('#record-report'))!, progress };
}

/** A report without its first line, which names where signatures were checked (noble in the page, liboqs workers in the CLI). */
export const reportBody = (text: string) => text.split('\n').slice(1).join('\n');
