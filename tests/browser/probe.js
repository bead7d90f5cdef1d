#!/usr/bin/env node
// Loads one of TTG's pages in headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core) and reports what it saw, as one JSON object on
// stdout. The C++ tests (tests/support/browser.h) write the plan and judge
// the report; this script decides nothing.
//
//   node probe.js PLAN.json
//
// PLAN: {
//   "url": "http://127.0.0.1:8080/" or "file:///.../report.html",
//   "allowed": ["http://127.0.0.1:8080/"],  // URL prefixes the page may load
//   "chromium": "/usr/bin/chromium",        // optional
//   "viewport": {"width": 1280, "height": 900},
//   "steps": [
//     {"wait_for": "CSS selector", "timeout_ms": 20000},   // visible
//     {"wait_until": "JS expression", "timeout_ms": 20000}, // truthy
//     {"eval": "JS expression", "name": "key"},             // -> values.key
//     {"screenshot": "/path/shot.png", "full_page": true}
//   ]
// }
// Every request the page makes is listed in `requests`; one to a URL outside
// `allowed` (data: URLs aside) is aborted, so no traffic leaves the test,
// and listed in `outside`. Console errors and uncaught exceptions are in
// `console_errors` and `page_errors`. Exit 0 when every step ran, 1 when one
// failed (`error` says which), 2 for a bad plan; the report is printed in
// every case.
'use strict';

const fs = require('fs');
const { chromium } = require('playwright-core');

async function main() {
  const report = {
    ok: false, error: '', step: -1, requests: [], outside: [], console_errors: [],
    page_errors: [], values: {},
  };
  let plan;
  try {
    plan = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
    if (typeof plan.url !== 'string' || !Array.isArray(plan.steps)) throw new Error('url and steps are required');
  } catch (e) {
    report.error = `bad plan ${process.argv[2]}: ${e.message}`;
    console.log(JSON.stringify(report));
    return 2;
  }
  const allowed = plan.allowed || [plan.url];
  const inside = (url) => url.startsWith('data:') || url.startsWith('blob:') ||
    allowed.some((prefix) => url.startsWith(prefix));

  const browser = await chromium.launch({
    executablePath: plan.chromium || '/usr/bin/chromium',
    // Root in a container has no user namespace for Chromium's sandbox.
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-extensions',
      '--disable-background-networking', '--disable-component-update'],
  });
  try {
    const context = await browser.newContext({ viewport: plan.viewport || { width: 1280, height: 900 } });
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (inside(url)) return route.continue();
      report.outside.push(url);
      return route.abort('blockedbyclient');
    });
    const page = await context.newPage();
    page.on('request', (r) => report.requests.push(r.url()));
    page.on('console', (m) => { if (m.type() === 'error') report.console_errors.push(m.text()); });
    page.on('pageerror', (e) => report.page_errors.push(String(e && e.stack || e)));

    await page.goto(plan.url, { waitUntil: 'load', timeout: 30000 });
    for (let i = 0; i < plan.steps.length; ++i) {
      report.step = i;
      const s = plan.steps[i];
      const timeout = s.timeout_ms || 20000;
      if (s.wait_for) {
        await page.waitForSelector(s.wait_for, { state: 'visible', timeout });
      } else if (s.wait_until) {
        await page.waitForFunction(s.wait_until, null, { timeout, polling: 200 });
      } else if (s.eval) {
        report.values[s.name || `step${i}`] = await page.evaluate(s.eval);
      } else if (s.screenshot) {
        await page.screenshot({ path: s.screenshot, fullPage: s.full_page !== false });
      } else {
        throw new Error(`step ${i}: unknown kind ${JSON.stringify(s)}`);
      }
    }
    report.ok = true;
    report.step = plan.steps.length;
  } catch (e) {
    report.error = `step ${report.step}: ${e.message.split('\n')[0]}`;
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(report));
  return report.ok ? 0 : 1;
}

main().then((code) => process.exit(code), (e) => {
  console.log(JSON.stringify({ ok: false, error: String(e && e.message || e) }));
  process.exit(1);
});
