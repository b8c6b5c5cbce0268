// Opens one HTML file in Debian's headless Chromium and prints, as one JSON object, what a test
// needs to judge it: console messages (CSP violations and failed loads arrive there too), page
// errors, every request other than the page itself, load time, the numbers the page shows (read
// from its ids and data-* attributes), and a full-page screenshot.
//
//   node check-page.mjs PAGE.html SCREENSHOT.png
//
// The Rust test does the judging; this script only looks.
import { pathToFileURL } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [page_path, screenshot_path] = process.argv.slice(2);
if (!page_path || !screenshot_path) {
  console.error('usage: node check-page.mjs PAGE.html SCREENSHOT.png');
  process.exit(2);
}

const profile = mkdtempSync(join(tmpdir(), 'dashboard-chromium-'));
// A persistent context is the only way to hand Chromium its own fresh --user-data-dir.
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1280, height: 900 },
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    // Without these Chromium phones home at start; a test must not depend on the network.
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-quic',
    '--no-first-run',
  ],
});

const url = pathToFileURL(page_path).href;
const result = { console: [], page_errors: [], requests: [], failed_requests: [] };
try {
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => result.console.push({ type: m.type(), text: m.text() }));
  page.on('pageerror', (e) => result.page_errors.push(String(e)));
  page.on('request', (r) => {
    if (r.url() !== url) result.requests.push(r.url());
  });
  page.on('requestfailed', (r) => result.failed_requests.push(r.url()));

  const started = performance.now();
  await page.goto(url, { waitUntil: 'load' });
  result.load_ms = performance.now() - started;
  result.navigation = await page.evaluate(() => {
    const n = performance.getEntriesByType('navigation')[0];
    return { dom_content_loaded_ms: n.domContentLoadedEventEnd, load_ms: n.loadEventEnd };
  });

  result.dom = await page.evaluate(() => {
    const value = (id) => {
      const el = document.getElementById(id);
      return el ? { data: el.dataset.value, text: el.textContent.trim() } : null;
    };
    const rows = (selector) =>
      [...document.querySelectorAll(selector)].map((tr) => ({ ...tr.dataset, text: tr.innerText }));
    const more = (id) => {
      const el = document.getElementById(id);
      return el ? { ...el.dataset, text: el.textContent.trim() } : null;
    };
    return {
      title: document.title,
      range: { ...document.getElementById('range')?.dataset },
      totals: {
        launches: value('total-launches'),
        unique_users: value('total-unique-users'),
        apps: value('total-apps'),
        inactive_apps: value('total-inactive-apps'),
        deleted_apps: value('total-deleted-apps'),
      },
      top_apps: rows('#top-apps tbody tr'),
      more_apps: more('more-apps'),
      days: rows('#days tbody tr'),
      launch_bars: [...document.querySelectorAll('#chart-launches rect.bar')].map((r) => ({
        ...r.dataset,
        height: r.getBBox().height,
      })),
      user_dots: [...document.querySelectorAll('#chart-users circle.dot')].map((c) => ({ ...c.dataset })),
      environments: rows('#environments-table tbody tr'),
      top_launchers: rows('#top-launchers-table tbody tr'),
      agents: rows('#agents-table tbody tr'),
      inactive_agents: rows('#inactive-agents-table tbody tr'),
      flows: rows('#flows-table tbody tr'),
      inactive_apps: rows('#inactive-apps tbody tr'),
      more_inactive_apps: more('more-inactive-apps'),
      deleted_apps: rows('#deleted-apps tbody tr'),
      more_deleted_apps: more('more-deleted-apps'),
      scripts: document.scripts.length,
      // Anything that would be fetched: none is expected.
      external: [...document.querySelectorAll('[src], link[href]:not([rel="icon"]), [style]')].map(
        (el) => el.outerHTML.slice(0, 120),
      ),
    };
  });
  await page.screenshot({ path: screenshot_path, fullPage: true });
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(result) + '\n');
