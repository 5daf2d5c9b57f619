// A citizen pays 10,00 € of a demo fine with the sandbox card provider, in Debian's
// Chromium, and downloads the receipt. axe-core checks every page of the flow
// against WCAG 2.1 AA.
//
//   node tests/browser/pay-demo-fine.mjs BASE_URL RF OUTDIR
//
// Run by tests/browser.rs against a fresh `tameio demo`. On success it writes
// OUTDIR/receipt.pdf and OUTDIR/return.png and prints one JSON line:
//   {"receipt":"TEST-2026/000001","principal":"x,yy","surcharge":"z,ww","pdf":"OUTDIR/receipt.pdf"}
// On any failure it prints the reason to stderr, leaves OUTDIR/failure.png and
// exits non-zero. TAMEIO_CHROMIUM overrides the browser (default /usr/bin/chromium).

import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';

const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const AMOUNT = '10,00';
const STEP_TIMEOUT_MS = 15_000;
const TOTAL_TIMEOUT_MS = 120_000;

class Failure extends Error {}

function fail(message) {
  throw new Failure(message);
}

const [base, rf, outArg] = process.argv.slice(2);
if (!base || !rf || !outArg) {
  console.error('usage: node pay-demo-fine.mjs BASE_URL RF OUTDIR');
  process.exit(2);
}
const outDir = resolve(outArg);
mkdirSync(outDir, { recursive: true });

// "140,24 €" (with a no-break space) -> "140,24"
function euros(text) {
  const m = /(\d{1,3}(?:\.\d{3})*,\d{2})\s*€/u.exec(text.replace(/\u00a0/gu, ' '));
  if (!m) fail(`not an amount in euros: ${JSON.stringify(text)}`);
  return m[1].replace(/\./gu, '');
}

const compact = (s) => s.replace(/\s+/gu, '').toUpperCase();

// Every page of the flow must pass axe's WCAG 2.1 A/AA rules. The flow goes on
// after a page fails so that one run lists the violations of all four pages.
const violations = [];
async function checkAccessibility(page, name) {
  const results = await new AxeBuilder({ page }).withTags(WCAG_TAGS).analyze();
  for (const v of results.violations) {
    for (const node of v.nodes) {
      violations.push(
        `  [${name}] ${v.id} (${v.impact ?? 'n/a'}): ${v.help}\n` +
          `      element: ${node.target.join(' ')}\n` +
          `      html:    ${node.html.slice(0, 200)}\n` +
          `      why:     ${(node.failureSummary ?? '').replace(/\s*\n\s*/gu, ' / ')}\n` +
          `      rule:    ${v.helpUrl}`,
      );
    }
  }
  process.stderr.write(`axe: ${name} (${page.url()}): ${results.violations.length} violated rule(s)\n`);
}

// The server's receipt counter is per year; it may run on UTC or Athens time.
function plausibleYears() {
  const now = new Date();
  const athens = Number(new Intl.DateTimeFormat('en', { timeZone: 'Europe/Athens', year: 'numeric' }).format(now));
  return new Set([now.getUTCFullYear(), athens]);
}

async function run(page) {
  // 1. The lookup page shows the debt and the card-payment form.
  const lookup = await page.goto(`${base}/lookup?rf=${encodeURIComponent(rf)}`);
  if (!lookup || lookup.status() !== 200) fail(`GET /lookup answered ${lookup?.status()}`);
  await page.getByRole('heading', { name: 'Πληρωμή με κάρτα' }).waitFor();
  await checkAccessibility(page, 'lookup');
  await page.getByLabel('Ποσό (προαιρετικά, για μερική πληρωμή)').fill(AMOUNT);
  await page.getByRole('button', { name: 'Συνέχεια στην πληρωμή', exact: true }).click();

  // 2. The quote: test-mode banner, the split per debt, the amount.
  await page.waitForURL(/\/pay\/[^/?]+(\?.*)?$/u);
  await page.getByText('ΔΟΚΙΜΑΣΤΙΚΗ ΛΕΙΤΟΥΡΓΙΑ').waitFor();
  const amountLine = page.getByText(/^Ποσό πληρωμής:\s*10,00\s€$/u);
  if ((await amountLine.count()) !== 1) fail(`the quote does not show "Ποσό πληρωμής: 10,00 €"`);
  const { principal, surcharge } = await readSplit(page);
  await checkAccessibility(page, 'quote');
  await page.getByRole('button', { name: /^Πληρωμή 10,00\s€$/u }).click();

  // 3. The sandbox asks what the card should do.
  const succeed = page.getByRole('button', { name: 'Επιτυχία', exact: true });
  await succeed.waitFor();
  for (const other of ['Απόρριψη', 'Απαίτηση 3-D Secure']) {
    if ((await page.getByRole('button', { name: other, exact: true }).count()) !== 1) {
      fail(`the sandbox step has no "${other}" button`);
    }
  }
  await checkAccessibility(page, 'sandbox');
  await succeed.click();

  // 4. The return page: paid, with a link to the receipt.
  await page.waitForURL(/\/pay\/[^/?]+\/return(\?.*)?$/u);
  await page.getByText('Η πληρωμή ολοκληρώθηκε.', { exact: true }).waitFor();
  const link = page.getByRole('link', { name: /^Διπλότυπο είσπραξης TEST-\d{4}\/\d{6} \(PDF\)$/u });
  await link.waitFor();
  const linkText = (await link.textContent()) ?? '';
  const receipt = /TEST-(\d{4})\/\d{6}/u.exec(linkText)?.[0] ?? fail(`no receipt number in ${linkText}`);
  const year = Number(receipt.slice(5, 9));
  if (!plausibleYears().has(year)) fail(`receipt ${receipt} is not numbered in the current year`);
  await checkAccessibility(page, 'return');
  await page.screenshot({ path: join(outDir, 'return.png'), fullPage: true });

  const href = (await link.getAttribute('href')) ?? fail('the receipt link has no href');
  const url = new URL(href, page.url());
  if (!/^\/receipts\/[^/]+$/u.test(url.pathname)) fail(`unexpected receipt link ${url.pathname}`);
  const res = await page.request.get(url.href);
  if (res.status() !== 200) fail(`GET ${url.pathname} answered ${res.status()}`);
  const type = res.headers()['content-type'] ?? '';
  const disposition = res.headers()['content-disposition'] ?? '';
  if (!type.startsWith('application/pdf')) fail(`the receipt is ${type}, not application/pdf`);
  if (!disposition.startsWith('inline')) fail(`the receipt's Content-Disposition is "${disposition}", not inline`);
  const body = await res.body();
  if (body.subarray(0, 5).toString('latin1') !== '%PDF-') fail('the receipt is not a PDF');
  const pdf = join(outDir, 'receipt.pdf');
  writeFileSync(pdf, body);

  return { receipt, principal, surcharge, pdf };
}

// The quote table: one row per debt, columns RF, due, Κεφάλαιο, Προσαυξήσεις.
async function readSplit(page) {
  const table = page.getByRole('table');
  if ((await table.count()) !== 1) fail('the quote page has no single table');
  const headers = (await table.getByRole('columnheader').allTextContents()).map((h) => h.trim());
  const col = (name) => {
    const i = headers.indexOf(name);
    if (i < 0) fail(`the quote table has no "${name}" column (columns: ${headers.join(' | ')})`);
    return i;
  };
  const [rfCol, principalCol, surchargeCol] = [col('RF'), col('Κεφάλαιο'), col('Προσαυξήσεις')];
  const rows = [];
  for (const row of await table.locator('tbody').getByRole('row').all()) {
    rows.push((await row.getByRole('cell').allTextContents()).map((c) => c.trim()));
  }
  const ours = rows.filter((cells) => compact(cells[rfCol] ?? '') === compact(rf));
  if (rows.length !== 1 || ours.length !== 1) {
    fail(`the quote should list exactly the debt ${rf}; it lists ${JSON.stringify(rows)}`);
  }
  return { principal: euros(ours[0][principalCol]), surcharge: euros(ours[0][surchargeCol]) };
}

async function main() {
  const watchdog = setTimeout(() => {
    console.error(`pay-demo-fine: gave up after ${TOTAL_TIMEOUT_MS / 1000} s`);
    process.exit(1);
  }, TOTAL_TIMEOUT_MS);
  const executablePath = process.env.TAMEIO_CHROMIUM || '/usr/bin/chromium';
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    // CI runs as root, where Chromium's sandbox cannot start.
    args: ['--no-sandbox'],
  });
  let page;
  try {
    const context = await browser.newContext({ locale: 'el-GR', viewport: { width: 1024, height: 800 } });
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    page = await context.newPage();
    const result = await run(page);
    if (violations.length) {
      fail(`axe found WCAG 2.1 AA violations (${WCAG_TAGS.join(', ')}):\n${violations.join('\n')}`);
    }
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } catch (err) {
    if (page) {
      await page.screenshot({ path: join(outDir, 'failure.png'), fullPage: true }).catch(() => {});
      console.error(`pay-demo-fine: at ${page.url()} (screenshot: ${join(outDir, 'failure.png')})`);
    }
    if (violations.length && !(err instanceof Failure && err.message.startsWith('axe found'))) {
      console.error(`axe violations before the failure:\n${violations.join('\n')}`);
    }
    // Playwright's call logs carry terminal colours even into a pipe.
    const text = err instanceof Failure ? err.message : String(err.stack);
    console.error(`pay-demo-fine: ${text.replace(/\u001b\[[0-9;]*m/gu, '')}`);
    process.exitCode = 1;
  } finally {
    await browser.close();
    clearTimeout(watchdog);
  }
}

await main();
