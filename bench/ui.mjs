// The web interface on the 100,000-unit registry, in Debian's chromium
// driven by playwright-core from tests/browser/node_modules (never a
// downloaded browser). Run by bench/ui.py, which starts the daemon and
// passes a JSON file:
//
//   node bench/ui.mjs CONFIG.json   -> one JSON object on stdout
//
// CONFIG: {base, chromium, profile, queries: [{kind, q}], key_delay_ms,
// parent, one_child, rounds, more_clicks}.
//
// Every time is taken inside the page with performance.now(), so the
// driver's own round trips do not count: from the last keystroke's input
// event (or the click) to the frame that paints the answer, i.e. the first
// task after the requestAnimationFrame that follows the DOM change.
// The reference of each figure is the API request behind it, timed from
// node on a keep-alive connection just after (the median of three).

import fs from 'node:fs';
// bench/ has no node_modules of its own: the browser tests' harness, with
// their pinned playwright-core, starts chromium as they do.
import { launchChromium } from '../tests/browser/harness.mjs';

const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const BASE = cfg.base;
const log = (m) => process.stderr.write(`ui.mjs: ${m}\n`);

/** Installed before any script of the page: what the measurements read. */
function instrument() {
  const lt = {
    lastInput: 0,
    lastClick: 0,
    watch: null,
    hit: null,
    longtasks: [],
  };
  window.__lt = lt;
  document.addEventListener('input', () => (lt.lastInput = performance.now()), true);
  document.addEventListener('click', () => (lt.lastClick = performance.now()), true);
  try {
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) lt.longtasks.push([e.startTime, e.duration]);
    }).observe({ type: 'longtask', buffered: true });
  } catch {
    /* no long-task timing in this browser */
  }
  const check = () => {
    const w = lt.watch;
    if (!w || lt.hit) return;
    let ok = false;
    if (w.kind === 'results') {
      const el = document.querySelector('.results .result-count');
      ok = !!el && el.textContent.startsWith(w.prefix);
    } else {
      const n = document.querySelectorAll('ul.children li').length;
      const c = document.querySelector('#main .result-count');
      ok = n >= w.n && !!c && c.textContent.includes(w.text);
    }
    if (!ok) return;
    lt.hit = { dom: performance.now(), paint: 0 };
    requestAnimationFrame(() => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => (lt.hit.paint = performance.now());
      ch.port2.postMessage(0);
    });
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, characterData: true });
  lt.check = check;
}

/** The median of three timed GETs (on node's keep-alive connection pool), and the body. */
async function apiTime(p) {
  const times = [];
  let body = '';
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const r = await fetch(BASE + p);
    body = await r.text();
    times.push(performance.now() - t);
    if (!r.ok) throw new Error(`GET ${p} answered ${r.status}`);
  }
  return { ms: times.sort((a, b) => a - b)[1], body };
}

function pct(values, p) {
  const v = [...values].sort((a, b) => a - b);
  if (!v.length) return 0;
  const k = Math.min(v.length - 1, Math.max(0, Math.round((p / 100) * v.length + 0.5) - 1));
  return v[k];
}

const stats = (xs) => ({ n: xs.length, p50_ms: pct(xs, 50), p95_ms: pct(xs, 95), max_ms: Math.max(0, ...xs) });

async function watchAndWait(page, watch, start) {
  await page.evaluate((w) => {
    window.__lt.hit = null;
    window.__lt.watch = w;
    window.__lt.check();
  }, watch);
  await start();
  await page.waitForFunction(() => window.__lt.hit && window.__lt.hit.paint > 0, null, {
    timeout: 15000,
    polling: 5,
  });
  return page.evaluate(() => ({
    hit: window.__lt.hit,
    lastInput: window.__lt.lastInput,
    lastClick: window.__lt.lastClick,
    longtasks: window.__lt.longtasks.splice(0),
  }));
}

async function searchRun(page) {
  const box = page.getByLabel('Tên đơn vị hoặc mã định danh');
  let sent = 0;
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.pathname === '/v1/units' && u.searchParams.has('q')) sent += 1;
  });
  await page.goto(`${BASE}/search`);
  await page.locator('.results .result-count', { hasText: 'Các đơn vị cấp 1' }).waitFor();
  const out = [];
  for (const { kind, q } of cfg.queries) {
    await box.fill('');
    await page.locator('.results .result-count', { hasText: 'Các đơn vị cấp 1' }).waitFor();
    await page.waitForTimeout(150);
    sent = 0;
    const m = await watchAndWait(page, { kind: 'results', prefix: `Kết quả cho “${q}”` }, () =>
      box.pressSequentially(q, { delay: cfg.key_delay_ms }),
    );
    const ui = m.hit.paint - m.lastInput;
    const api = await apiTime(`/v1/units?q=${encodeURIComponent(q)}&limit=50`);
    const shown = JSON.parse(api.body).items.length;
    out.push({
      kind,
      q,
      keys: [...q].length,
      ui_ms: ui,
      ui_dom_ms: m.hit.dom - m.lastInput,
      api_ms: api.ms,
      requests: sent,
      rows: shown,
      longest_task_ms: Math.max(0, ...m.longtasks.map((x) => x[1])),
    });
    log(`search ${kind} “${q}”: ${ui.toFixed(1)} ms (API ${api.ms.toFixed(2)} ms, ${sent} requests)`);
  }
  return out;
}

/** In-page navigation (a click on a link, as from search results) to a unit, until its children show. */
async function openUnit(page, code, n, text) {
  const m = await watchAndWait(page, { kind: 'items', n, text }, () =>
    page.evaluate((c) => {
      const a = document.createElement('a');
      a.href = `/units/${c}`;
      a.textContent = c;
      document.body.append(a);
      a.click();
      a.remove();
    }, code),
  );
  return {
    ms: m.hit.paint - m.lastClick,
    longest_task_ms: Math.max(0, ...m.longtasks.filter((x) => x[0] >= m.lastClick).map((x) => x[1])),
  };
}

async function unitRun(page) {
  const { parent, one_child: ref } = cfg;
  const total = JSON.parse((await apiTime(`/v1/units?parent=${parent}&limit=1`)).body).total;
  await page.goto(`${BASE}/units/${ref}`);
  await page.locator('ul.children li').first().waitFor();
  // A warm-up round, as for search: the first visit also reads the family from disk.
  await openUnit(page, parent, 50, `${total} đơn vị, đang hiện 50.`);
  await openUnit(page, ref, 1, '1 đơn vị.');
  const open = [];
  const openRef = [];
  const more = [];
  const moreApi = [];
  const openApi = [];
  for (let i = 0; i < cfg.rounds; i++) {
    // Alternating: the unit with 999 children, then the one with a single child.
    const a = await openUnit(page, parent, 50, `${total} đơn vị, đang hiện 50.`);
    open.push(a);
    let cursor = null;
    const first = await apiTime(`/v1/units?parent=${parent}&status=active&limit=50`);
    openApi.push(first.ms);
    cursor = JSON.parse(first.body).next_cursor;
    for (let k = 1; k <= cfg.more_clicks; k++) {
      const shown = 50 * (k + 1);
      const button = page.getByRole('button', { name: 'Xem thêm 50 đơn vị' });
      await button.waitFor();
      const m = await watchAndWait(page, { kind: 'items', n: shown, text: `đang hiện ${shown}.` }, () =>
        button.click(),
      );
      more.push({ ms: m.hit.paint - m.lastClick, longest_task_ms: Math.max(0, ...m.longtasks.map((x) => x[1])) });
      const r = await apiTime(
        `/v1/units?parent=${parent}&status=active&limit=50&cursor=${encodeURIComponent(cursor)}`,
      );
      moreApi.push(r.ms);
      cursor = JSON.parse(r.body).next_cursor;
    }
    const rows = await page.locator('ul.children li').count();
    if (rows !== 50 * (cfg.more_clicks + 1)) throw new Error(`${rows} rows after ${cfg.more_clicks} clicks`);
    const b = await openUnit(page, ref, 1, '1 đơn vị.');
    openRef.push(b);
    log(
      `unit round ${i + 1}: open ${a.ms.toFixed(1)} ms (one child ${b.ms.toFixed(1)} ms), ` +
        `Xem thêm ${more
          .slice(-cfg.more_clicks)
          .map((x) => x.ms.toFixed(1))
          .join(', ')} ms`,
    );
  }
  return { total, open, openRef, openApi, more, moreApi };
}

async function main() {
  const context = await launchChromium(cfg.profile, cfg.chromium);
  try {
    await context.addInitScript(instrument);
    const page = await context.newPage();
    page.setDefaultTimeout(15000);
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // One warm-up pass, so the first figures include neither loading the
    // modules nor node opening its first connection.
    await apiTime('/v1/units?q=uy+ban&limit=50');
    await page.goto(`${BASE}/units/${cfg.one_child}`);
    await page.locator('ul.children li').first().waitFor();
    const search = await searchRun(page);
    const unit = await unitRun(page);
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
    const ui = search.map((x) => x.ui_ms);
    const api = search.map((x) => x.api_ms);
    const byKind = {};
    for (const kind of new Set(search.map((x) => x.kind))) {
      const xs = search.filter((x) => x.kind === kind);
      byKind[kind] = { ui: stats(xs.map((x) => x.ui_ms)), api: stats(xs.map((x) => x.api_ms)) };
    }
    const result = {
      user_agent: await page.evaluate(() => navigator.userAgent),
      search: {
        queries: search,
        ui: stats(ui),
        api: stats(api),
        overhead: stats(search.map((x) => x.ui_ms - x.api_ms)),
        by_kind: byKind,
        requests_per_query: search.reduce((a, x) => a + x.requests, 0) / search.length,
        keys_per_query: search.reduce((a, x) => a + x.keys, 0) / search.length,
        longest_task_ms: Math.max(0, ...search.map((x) => x.longest_task_ms)),
      },
      unit: {
        children: unit.total,
        open: stats(unit.open.map((x) => x.ms)),
        open_one_child: stats(unit.openRef.map((x) => x.ms)),
        open_api_first_page: stats(unit.openApi),
        open_longest_task_ms: Math.max(0, ...unit.open.map((x) => x.longest_task_ms)),
        more: stats(unit.more.map((x) => x.ms)),
        more_api: stats(unit.moreApi),
        more_longest_task_ms: Math.max(0, ...unit.more.map((x) => x.longest_task_ms)),
        samples: {
          open_ms: unit.open.map((x) => x.ms),
          open_one_child_ms: unit.openRef.map((x) => x.ms),
          more_ms: unit.more.map((x) => x.ms),
        },
      },
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await context.close().catch(() => {});
  }
}

main().catch((e) => {
  process.stderr.write(`ui.mjs: ${e.stack || e}\n`);
  process.exit(1);
});
