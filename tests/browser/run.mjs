// Browser tests of the web interface: a daemon of their own on a free
// loopback port with the demo registry, Debian's chromium driven by
// playwright-core (never a downloaded browser), one page per test, a
// screenshot of every failure in build/browser-artifacts/. SCREENSHOTS=1
// also writes the pictures of docs/ui.md into docs/img/.
//
//   node tests/browser/run.mjs [name-filter]
//
// Environment: LT_BUILD_DIR (default build/), CHROMIUM (default
// /usr/bin/chromium), SCREENSHOTS=1, KEEP=1 (keep the temporary directory).

import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_FLAGS, launchChromium } from './harness.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BUILD = path.resolve(REPO, process.env.LT_BUILD_DIR || 'build');
const CLI = path.join(BUILD, 'lienthong');
const DAEMON = path.join(BUILD, 'lienthongd');
const ARTIFACTS = path.join(BUILD, 'browser-artifacts');
const DOCS_IMG = path.join(REPO, 'docs', 'img');
const SHOTS = process.env.SCREENSHOTS === '1';
const FILTER = process.argv[2] || '';
const T0 = Date.now();

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lienthong-browser-'));
const env = {
  ...process.env,
  LIENTHONG_DB: path.join(tmp, 't.db'),
  LIENTHONG_DATA_DIR: path.join(tmp, 'data'),
  LIENTHONG_DATA: path.join(REPO, 'data'),
};
fs.mkdirSync(env.LIENTHONG_DATA_DIR);
fs.mkdirSync(ARTIFACTS, { recursive: true });
if (SHOTS) fs.mkdirSync(DOCS_IMG, { recursive: true });

const cli = (...args) => execFileSync(CLI, args, { env, encoding: 'utf8' }).trim();

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// ---- the registry, the daemon and the browser ----

let ADMIN;
let MANAGER;
let REQUESTER;
let PORT;
let BASE;
let daemon = null;
let daemonExited = false;

/** A demo registry, two tokens and a daemon on a free loopback port. */
async function setup() {
  cli('init', '--demo');
  ADMIN = cli('token', 'create', '--role', 'admin', '--name', 'Quản trị thử nghiệm');
  MANAGER = cli(
    'token',
    'create',
    '--role',
    'manager',
    '--scope',
    '000.00.00.H14',
    '--name',
    'Sở Nội vụ tỉnh Cao Bằng',
  );
  REQUESTER = cli(
    'token',
    'create',
    '--role',
    'requester',
    '--scope',
    '000.00.31.H14',
    '--name',
    'UBND thành phố Cao Bằng',
  );
  PORT = await freePort();
  BASE = `http://127.0.0.1:${PORT}`;
  const daemonLog = fs.openSync(path.join(tmp, 'lienthongd.log'), 'a');
  daemon = spawn(DAEMON, [], {
    env: {
      ...env,
      LIENTHONG_LISTEN: `127.0.0.1:${PORT}`,
      LIENTHONG_WEB_DIR: path.join(REPO, 'web'),
      LIENTHONG_HUB_CODE: '000.00.00.G06', // probes of the campaign test come from it
    },
    stdio: ['ignore', daemonLog, daemonLog],
  });
  daemon.on('exit', () => {
    daemonExited = true;
  });
  await waitReady();
}

async function waitReady() {
  for (let i = 0; i < 100; i++) {
    if (daemonExited) break;
    try {
      const r = await fetch(`${BASE}/healthz`);
      if (r.ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `lienthongd did not become ready:\n${fs.readFileSync(path.join(tmp, 'lienthongd.log'), 'utf8').slice(-2000)}`,
  );
}

async function cleanup() {
  if (daemon && !daemonExited) {
    const gone = new Promise((r) => daemon.once('exit', r));
    daemon.kill('SIGTERM');
    await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
  }
  if (process.env.KEEP !== '1') fs.rmSync(tmp, { recursive: true, force: true });
  else console.log(`kept ${tmp}`);
}

// ---- helpers ----

function assert(cond, msg) {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
}

async function newPage({ token, width = 1200, height = 900 } = {}) {
  const page = await context.newPage();
  await page.setViewportSize({ width, height });
  page.setDefaultTimeout(6000);
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
  // The Content-Security-Policy every reply carries: anything it blocks is
  // a defect of the page (an inline script or style, another origin).
  page.on('console', (m) => {
    if (/Content[- ]Security[- ]Policy|securitypolicyviolation/i.test(m.text()))
      page.problems.push(`CSP: ${m.text()}`);
  });
  await page.addInitScript(() =>
    document.addEventListener('securitypolicyviolation', (e) =>
      console.error(`securitypolicyviolation: ${e.violatedDirective} blocked ${e.blockedURI} (${e.sourceFile}:${e.lineNumber})`),
    ),
  );
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (!['data:', 'blob:', 'about:'].includes(u.protocol) && u.host !== `127.0.0.1:${PORT}`)
      page.problems.push(`request left the hub: ${r.url()}`);
  });
  if (token) await signInQuietly(page, token);
  return page;
}

/** Puts a token in the tab's sessionStorage, as signing in does. */
async function signInQuietly(page, token) {
  await page.goto(`${BASE}/manage`);
  await page.evaluate((t) => sessionStorage.setItem('lienthong.token', t), token);
}

async function shot(page, name, { fullPage = false } = {}) {
  if (!SHOTS) return;
  await page.evaluate(
    () =>
      document.activeElement &&
      document.activeElement.blur &&
      document.activeElement !== document.body &&
      document.activeElement.blur(),
  );
  await page.screenshot({ path: path.join(DOCS_IMG, `${name}.png`), fullPage });
}

/** Every form control on the page has a label a screen reader can read. */
async function assertLabelled(page) {
  const bare = await page.evaluate(() =>
    [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
      .filter(
        (el) =>
          !el.closest('[hidden]') &&
          !(el.labels && el.labels.length) &&
          !el.getAttribute('aria-label') &&
          !el.getAttribute('aria-labelledby'),
      )
      .map((el) => el.outerHTML.slice(0, 120)),
  );
  assert(bare.length === 0, `controls without a label: ${bare.join(' | ')}`);
}

function python(code) {
  return execFileSync('python3', ['-c', code], {
    env: { ...env, PYTHONPATH: path.join(REPO, 'tests', 'integration') },
    encoding: 'utf8',
  });
}

// ---- the tests ----

const tests = [];
const test = (name, fn) => tests.push({ name, fn });

test('search: typing "da nang" finds the units of Đà Nẵng, filters and pages', async () => {
  const page = await newPage();
  await page.goto(`${BASE}/`);
  // The home page states how many level-1 units the registry holds.
  const level1 = await (await fetch(`${BASE}/v1/units?level=1&limit=1`)).json();
  assert(level1.total > 50, `the hub counts the level-1 units: ${level1.total}`);
  await page
    .locator('.result-count')
    .getByText(`Các đơn vị cấp 1: ${level1.total} đơn vị, trang 1.`, { exact: true })
    .waitFor();
  const box = page.getByLabel('Tên đơn vị hoặc mã định danh');
  await box.pressSequentially('da nang', { delay: 30 });
  await page.getByRole('link', { name: 'Ủy ban nhân dân thành phố Đà Nẵng', exact: true }).waitFor();
  await page.waitForURL(/\/search\?q=da\+nang/);
  const names = await page.locator('table.units tbody tr td:nth-child(2)').allTextContents();
  assert(
    names.length >= 5 && names.every((n) => n.includes('Đà Nẵng')),
    `every result names Đà Nẵng: ${names.join('; ')}`,
  );
  await assertLabelled(page);
  await shot(page, 'search');

  // A code prefix, and the level filter.
  await box.fill('H17');
  await page.locator('table.units tbody tr').first().getByText('000.00.00.H17').waitFor();
  await page.locator('#main').getByText('Bộ lọc: cấp, trạng thái, đơn vị cấp trên').click();
  await page.getByLabel('Cấp', { exact: true }).selectOption('2');
  await page.waitForURL(/level=2/);
  await page.waitForFunction(() =>
    [...document.querySelectorAll('table.units tbody tr td:nth-child(3)')].every((td) => td.textContent === '2'),
  );
  const codes = await page.locator('table.units tbody tr td:first-child').allTextContents();
  assert(codes.length > 0 && codes.every((c) => c.endsWith('.H17')), `level-2 units of H17: ${codes.join(' ')}`);

  // Paging through the level-1 table: 171 units, 50 a page.
  await page.goto(`${BASE}/search?level=1`);
  await page.getByRole('button', { name: 'Trang sau →' }).click();
  await page.waitForURL(/cursor=/);
  await page.locator('.result-count', { hasText: 'trang 2' }).waitFor();
  await page.getByRole('button', { name: '← Trang trước' }).click();
  await page.locator('.result-count', { hasText: 'trang 1' }).waitFor();

  // The same search on a phone (the screen left below the browser's own
  // bars): at least four results to a screen.
  const phone = await newPage({ width: 360, height: 600 });
  await phone.goto(`${BASE}/search?q=da%20nang`);
  await phone.getByRole('link', { name: 'Ủy ban nhân dân thành phố Đà Nẵng', exact: true }).waitFor();
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert(overflow <= 0, `no sideways scrolling on a phone (overflow ${overflow}px)`);
  const perScreen = await phone.evaluate(() => {
    const rows = [...document.querySelectorAll('table.units tbody tr')];
    rows[0].scrollIntoView({ block: 'start' });
    return rows.filter((r) => {
      const b = r.getBoundingClientRect();
      return b.top >= 0 && b.bottom <= window.innerHeight;
    }).length;
  });
  assert(perScreen >= 4, `a phone screen shows ${perScreen} results`);
  await shot(phone, 'search-phone');
  return [page, phone];
});

test('search as you type: at once, one query in flight, keys typed meanwhile gathered into one', async () => {
  const page = await newPage();
  await page.goto(`${BASE}/search`);
  await page.locator('.result-count', { hasText: 'Các đơn vị cấp 1' }).waitFor();
  // A slow hub: each search answers 400 ms late.
  const sent = [];
  let inside = 0;
  let most = 0;
  let failed = 0;
  page.on('requestfailed', () => (failed += 1));
  await page.route(
    (u) => u.pathname === '/v1/units' && u.searchParams.has('q'),
    async (route) => {
      sent.push(new URL(route.request().url()).searchParams.get('q'));
      most = Math.max(most, ++inside);
      await new Promise((r) => setTimeout(r, 400));
      const response = await route.fetch();
      await route.fulfill({ response });
      inside -= 1;
    },
  );
  const box = page.getByLabel('Tên đơn vị hoặc mã định danh');
  await box.pressSequentially('cao bang', { delay: 20 });
  await page.locator('.result-count', { hasText: 'Kết quả cho “cao bang”' }).waitFor();
  assert(sent[0] === 'c' && sent.at(-1) === 'cao bang', `the first key at once, the rest in one: ${sent.join(' | ')}`);
  assert(sent.length === 2, `two requests for eight keys: ${sent.join(' | ')}`);
  assert(most === 1 && failed === 0, `one query in flight (at most ${most}), none aborted (${failed})`);
  const names = await page.locator('table.units tbody tr td:nth-child(2)').allTextContents();
  assert(names.some((n) => n.includes('Cao Bằng')), `results for the whole query: ${names.join('; ')}`);
  // A space after the last word asks nothing new.
  await box.press('Space');
  await page.waitForTimeout(100);
  assert(sent.length === 2, `no request for a trailing space: ${sent.join(' | ')}`);
  return [page];
});

test('unit page: history and lineage after the merger of Quảng Nam into Đà Nẵng', async () => {
  const page = await newPage();
  await page.goto(`${BASE}/units/000.00.00.H17`);
  await page.getByRole('heading', { level: 1, name: 'Ủy ban nhân dân thành phố Đà Nẵng' }).waitFor();
  const preds = page.locator('.predecessors');
  await preds.getByRole('link', { name: /000\.00\.00\.H47/ }).waitFor();
  await preds.getByText('Ủy ban nhân dân tỉnh Quảng Nam').waitFor();
  const merge = page.locator('.timeline li.kind-merge');
  await merge.getByText('Hợp nhất, sáp nhập').waitFor();
  await merge.getByText('Quyết định số 202/2025/QH15 ngày 12/06/2025 của Quốc hội').waitFor();
  await page.locator('.breadcrumbs').getByText('000.00.00.H17').waitFor();

  // One click copies the code.
  await page.getByRole('button', { name: 'Sao chép mã 000.00.00.H17' }).click();
  await page.getByRole('button', { name: 'Sao chép mã 000.00.00.H17' }).getByText('Đã sao chép').waitFor();
  const clip = await page.evaluate(() => navigator.clipboard.readText());
  assert(clip === '000.00.00.H17', `clipboard holds the code, not '${clip}'`);
  await shot(page, 'unit', { fullPage: true });

  // The predecessor shows its successor; the back button returns.
  await preds.getByRole('link', { name: /000\.00\.00\.H47/ }).click();
  await page.waitForURL(`${BASE}/units/000.00.00.H47`);
  await page.locator('#main').getByText('Đã đóng từ 01/07/2025').first().waitFor();
  await page
    .locator('.successors')
    .getByRole('link', { name: /000\.00\.00\.H17/ })
    .waitFor();
  await page.locator('#main').getByText('Mã này đã đóng. Mã đang dùng hiện nay:').waitFor();
  await shot(page, 'unit-closed');
  await page.goBack();
  await page.getByRole('heading', { level: 1, name: 'Ủy ban nhân dân thành phố Đà Nẵng' }).waitFor();

  // A department merged into its counterpart: its old code leads to it.
  await page.goto(`${BASE}/units/000.00.01.H47`);
  await page
    .locator('.successors')
    .getByRole('link', { name: /000\.00\.01\.H17/ })
    .waitFor();
  // A moved district: its old code leads to its new one.
  await page.goto(`${BASE}/units/000.00.21.H47`);
  await page
    .locator('.successors')
    .getByRole('link', { name: /000\.00\.07\.H17/ })
    .waitFor();
  return [page];
});

test('as-of: Quảng Nam on 2025-06-30 shows the tree before the merger', async () => {
  const page = await newPage();
  await page.goto(`${BASE}/units/000.00.00.H47`);
  await page.locator('#main').getByText('Không có đơn vị trực thuộc.').waitFor();
  await page.getByLabel('Xem theo ngày').fill('30/06/2025');
  await page.getByRole('button', { name: 'Xem', exact: true }).click();
  await page.waitForURL(`${BASE}/units/000.00.00.H47?as_of=2025-06-30`);
  await page.locator('#main').getByText('Đang xem đơn vị như ngày 30/06/2025.').waitFor();
  await page.locator('.status-line').getByText('Đang hoạt động').waitFor();
  const kids = page.locator('ul.children li');
  await kids.first().waitFor();
  const texts = await kids.allTextContents();
  assert(
    texts.some((t) => t.includes('000.00.01.H47') && t.includes('Văn phòng Ủy ban nhân dân tỉnh Quảng Nam')),
    `pre-merger children: ${texts.join('; ')}`,
  );
  assert(
    texts.every((t) => t.endsWith('.H47') || t.includes('.H47 ')),
    'children keep their H47 codes',
  );
  await page.locator('.timeline li.kind-merge.later').waitFor();
  await shot(page, 'as-of');
  // The children's links keep the date.
  await kids.first().getByRole('link').click();
  await page.waitForURL(/\/units\/000\.00\.01\.H47\?as_of=2025-06-30/);
  await page.locator('.status-line').getByText('Đang hoạt động').waitFor();
  await page
    .locator('.breadcrumbs')
    .getByRole('link', { name: '000.00.00.H47 Ủy ban nhân dân tỉnh Quảng Nam' })
    .waitFor();
  return [page];
});

test('many children: a unit with 999 children draws them a page of 50 at a time', async () => {
  // 999 is the most children a code allows (level 4 numbers them 001–999).
  // They go under Hồ Chí Minh City, which no other test lists or counts.
  const today = new Date().toISOString().slice(0, 10);
  const PARENT = '000.01.01.H29';
  const rows = [
    ['000.00.01.H29', 'Sở Giáo dục và Đào tạo thành phố Hồ Chí Minh', '000.00.00.H29'],
    [PARENT, 'Phòng Giáo dục và Đào tạo thành phố Thủ Đức', '000.00.01.H29'],
  ];
  for (let i = 1; i <= 999; i++)
    rows.push([`${String(i).padStart(3, '0')}.01.01.H29`, `Trường Tiểu học số ${i} Thủ Đức`, PARENT]);
  const csv = path.join(tmp, 'h29.csv');
  fs.writeFileSync(
    csv,
    [
      'code,name,parent,decision_number,decision_date,decision_issuer,valid_from',
      ...rows.map(([c, n, p]) => `${c},${n},${p},15/QĐ-UBND,${today},Ủy ban nhân dân thành phố Hồ Chí Minh,${today}`),
    ].join('\n') + '\n',
  );
  cli('import', csv);

  const page = await newPage();
  const asked = [];
  page.on('request', (r) => asked.push(new URL(r.url())));
  const items = page.locator('ul.children li');
  const count = page.locator('#main .result-count');
  const more = page.getByRole('button', { name: 'Xem thêm 50 đơn vị' });
  await page.goto(`${BASE}/units/${PARENT}`);
  await count.getByText('999 đơn vị, đang hiện 50.', { exact: true }).waitFor();
  assert((await items.count()) === 50, `the first page only: ${await items.count()} rows`);
  const first = await items.allTextContents();
  assert(
    first[0] === '001.01.01.H29 Trường Tiểu học số 1 Thủ Đức' && first[49].startsWith('050.01.01.H29 '),
    `children 001 to 050 in order: ${first[0]} … ${first[49]}`,
  );

  // One click, one page; focus moves to the first new row.
  await more.click();
  await count.getByText('999 đơn vị, đang hiện 100.', { exact: true }).waitFor();
  assert((await items.count()) === 100, `two pages: ${await items.count()} rows`);
  assert(
    await page.evaluate(() => document.activeElement.textContent.startsWith('051.01.01.H29 ')),
    'focus on the first row of the new page',
  );
  // A double click still adds a single page: the button is gone while its page loads.
  await more.dblclick();
  await count.getByText('999 đơn vị, đang hiện 150.', { exact: true }).waitFor();
  await more.waitFor();
  assert((await items.count()) === 150, `three pages after a double click: ${await items.count()} rows`);

  // Paged by the hub: no request for the whole list of children.
  const pages = asked.filter((u) => u.pathname === '/v1/units' && u.searchParams.get('parent') === PARENT);
  assert(
    pages.length === 3 && pages.every((u) => u.searchParams.get('limit') === '50'),
    `three requests of 50: ${pages.map((u) => u.search).join(' ')}`,
  );
  assert(!asked.some((u) => u.pathname.endsWith('/children')), 'the whole list of children was never asked for');

  // The closed ones too: the list starts again at one page.
  await page.getByLabel('Hiện cả các đơn vị đã đóng').check();
  await count.getByText('999 đơn vị, đang hiện 50.', { exact: true }).waitFor();
  assert((await items.count()) === 50, 'one page again');

  // As of a date the hub sends the whole list; it is still drawn a page at a time.
  const [y, m, d] = today.split('-');
  await page.goto(`${BASE}/units/${PARENT}?as_of=${today}`);
  await count.getByText(`999 đơn vị vào ngày ${d}/${m}/${y}, đang hiện 50.`, { exact: true }).waitFor();
  assert((await items.count()) === 50, `as of today, one page: ${await items.count()} rows`);
  await more.click();
  await count.getByText(`999 đơn vị vào ngày ${d}/${m}/${y}, đang hiện 100.`, { exact: true }).waitFor();
  assert((await items.count()) === 100, 'as of today, two pages');
  return [page];
});

test('tree: from the level-1 table down, by keyboard', async () => {
  const page = await newPage();
  await page.goto(`${BASE}/tree`);
  await page.getByLabel('Lọc đơn vị cấp 1 theo tên hoặc mã').fill('cao bang');
  // The People's Committee, the People's Council and the Party Committee.
  await page.locator('#main').getByText('3 đơn vị cấp 1 khớp').waitFor();
  const toggle = page.getByRole('button', { name: 'Mở các đơn vị trực thuộc Ủy ban nhân dân tỉnh Cao Bằng' });
  await toggle.focus();
  await page.keyboard.press('Enter');
  await page.getByRole('link', { name: /000\.00\.02\.H14 Sở Nội vụ tỉnh Cao Bằng/ }).waitFor();
  // Only a unit with children of its own can be opened.
  const leaf = page.locator('.node', { hasText: '000.00.02.H14' });
  assert((await leaf.locator('button.toggle').count()) === 0, 'Sở Nội vụ has no children: nothing to open');
  assert((await leaf.locator('.toggle-spacer').count()) === 1, 'a spacer keeps the names in line');
  assert(
    (await page
      .getByRole('button', { name: 'Đóng các đơn vị trực thuộc Ủy ban nhân dân tỉnh Cao Bằng' })
      .getAttribute('aria-expanded')) === 'true',
    'expanded',
  );
  await page.getByRole('button', { name: 'Mở các đơn vị trực thuộc Ủy ban nhân dân thành phố Cao Bằng' }).click();
  await page.getByRole('link', { name: /Ủy ban nhân dân phường Hợp Giang/ }).waitFor();
  await shot(page, 'tree');
  return [page];
});

test('keyboard: skip link, visible focus, labelled controls', async () => {
  const page = await newPage();
  await page.goto(`${BASE}/units/000.00.00.H14`);
  await page.getByRole('heading', { level: 1 }).waitFor();
  await page.keyboard.press('Tab');
  const first = await page.evaluate(() => document.activeElement.textContent);
  assert(first === 'Bỏ qua, đến nội dung chính', `first Tab reaches the skip link, not '${first}'`);
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert(outline !== 'none', 'focus is visible');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.activeElement.id === 'main');
  await page.keyboard.press('Tab');
  const next = await page.evaluate(() => document.activeElement.closest('main') !== null);
  assert(next, 'the next Tab after the skip link lands inside the content');
  await assertLabelled(page);
  return [page];
});

test('manager: signs in with a token, sees who they are, issues a unit under H14 and sees it', async () => {
  const page = await newPage();
  await page.goto(`${BASE}/manage`);
  await page.getByLabel('Mã truy cập').fill(MANAGER);
  await page.getByRole('button', { name: 'Đăng nhập' }).click();
  await page.getByRole('heading', { name: 'Bạn đang đăng nhập' }).waitFor();
  await page.locator('[data-who=name]').getByText('Sở Nội vụ tỉnh Cao Bằng').waitFor();
  await page.locator('[data-who=role]').getByText('Cán bộ quản lý mã').waitFor();
  await page.locator('[data-who=scope]').getByText('000.00.00.H14').waitFor();
  await page.locator('#who').getByText('Sở Nội vụ tỉnh Cao Bằng').waitFor();
  assert(
    (await page.getByLabel('Đơn vị cấp trên').inputValue()) === '000.00.00.H14',
    "the parent starts at the manager's scope",
  );
  await assertLabelled(page);

  await page.getByLabel('Tên đơn vị').fill('Trung tâm Chuyển đổi số tỉnh Cao Bằng');
  await page.getByLabel('Số quyết định').fill('1520/QĐ-UBND');
  await page.getByLabel('Ngày ban hành').fill('15/10/2026');
  await page.getByLabel('Cơ quan ban hành').fill('Ủy ban nhân dân tỉnh Cao Bằng');
  await page.getByLabel('Thư điện tử').fill('cds@caobang.gov.vn');
  await shot(page, 'manage-issue');
  await page.getByRole('button', { name: 'Cấp mã' }).click();
  const ok = page
    .locator('#main')
    .getByText(/^Đã cấp mã 000\.00\.\d\d\.H14 cho Trung tâm Chuyển đổi số tỉnh Cao Bằng\.$/);
  await ok.waitFor();
  const code = (await ok.textContent()).match(/000\.00\.\d\d\.H14/)[0];
  await page.getByRole('link', { name: 'Xem đơn vị Trung tâm Chuyển đổi số tỉnh Cao Bằng' }).click();
  await page.waitForURL(`${BASE}/units/${code}`);
  await page.getByRole('heading', { level: 1, name: 'Trung tâm Chuyển đổi số tỉnh Cao Bằng' }).waitFor();
  await page
    .locator('#main')
    .getByText('Số 1520/QĐ-UBND, ngày 15/10/2026, của Ủy ban nhân dân tỉnh Cao Bằng')
    .waitFor();
  await page.getByRole('link', { name: 'cds@caobang.gov.vn' }).waitFor();
  await page.locator('.timeline li.kind-issue').getByText('Cấp mã').waitFor();
  // It is found by search too, without diacritics.
  await page.goto(`${BASE}/search?q=chuyen%20doi%20so`);
  await page.getByRole('link', { name: code }).waitFor();

  // Sign out: the token is gone from the tab.
  await page.goto(`${BASE}/manage`);
  await page.getByRole('button', { name: 'Đăng xuất' }).first().click();
  await page.getByLabel('Mã truy cập').waitFor();
  assert((await page.evaluate(() => sessionStorage.getItem('lienthong.token'))) === null, 'signed out');
  return [page];
});

test("refusals: outside the manager's subtree (403), and a missing decision field, shown next to the field", async () => {
  const page = await newPage({ token: MANAGER });
  await page.goto(`${BASE}/manage?action=issue`);
  const parent = page.getByLabel('Đơn vị cấp trên');
  await parent.fill('000.00.00.H17');
  await page.getByLabel('Tên đơn vị').fill('Sở Thử nghiệm');
  await page.getByLabel('Số quyết định').fill('1/QĐ-UBND');
  await page.getByLabel('Ngày ban hành').fill('15/10/2026');
  await page.getByLabel('Cơ quan ban hành').fill('Ủy ban nhân dân thành phố Đà Nẵng');
  await page.getByRole('button', { name: 'Cấp mã' }).click();
  const parentError = page.locator('.field[data-field="parent"] .field-error');
  await parentError.waitFor();
  const text = await parentError.textContent();
  assert(
    /chỉ được quản lý các đơn vị thuộc 000\.00\.00\.H14/.test(text) && text.includes('000.00.00.H17'),
    `403 in words next to the parent: ${text}`,
  );
  assert((await parent.getAttribute('aria-invalid')) === 'true', 'the parent field is marked invalid');
  // The hub's English sentence is kept for support, never shown.
  const summary = page.locator('.form-summary .alert');
  assert(
    (await summary.getAttribute('data-detail')) === "000.00.00.H17 lies outside this manager's subtree 000.00.00.H14",
    'the detail is kept',
  );
  assert(!/lies outside|subtree|manager/.test(await page.locator('#main').innerText()), 'no English shown');
  await shot(page, 'manage-refused');

  await parent.fill('000.00.00.H14');
  await page.getByLabel('Số quyết định').fill('');
  await page.getByRole('button', { name: 'Cấp mã' }).click();
  const numError = page.locator('.field[data-field="decision.number"] .field-error');
  await numError.waitFor();
  assert(
    (await numError.textContent()).includes('chưa nhập số quyết định'),
    'missing decision number next to its field',
  );
  assert(await parentError.isHidden(), 'the old refusal is gone');
  assert(
    await page.evaluate(() => document.activeElement.closest('.field')?.dataset.field === 'decision.number'),
    'focus moves to the field',
  );

  await page.getByLabel('Số quyết định').fill('2/QĐ-UBND');
  await page.getByLabel('Thư điện tử').fill('not an address');
  await page.getByRole('button', { name: 'Cấp mã' }).click();
  await page.locator('.field[data-field="email"] .field-error').getByText('Thư điện tử chưa đúng dạng').waitFor();
  return [page];
});

test('split: every child placed, the dry run shows what will happen, then it is committed', async () => {
  const page = await newPage({ token: ADMIN });
  await page.goto(`${BASE}/manage?action=split&code=000.00.32.H14`);
  await page.locator('#main').getByText('3 đơn vị trực thuộc: chọn đơn vị mới tiếp nhận từng đơn vị.').waitFor();
  const names = page.getByLabel('Tên đơn vị mới');
  await names.nth(0).fill('Ủy ban nhân dân huyện Bảo Lạc');
  await names.nth(1).fill('Ủy ban nhân dân huyện Cốc Pàng');
  await page
    .getByLabel('000.01.32.H14 Ủy ban nhân dân thị trấn Bảo Lạc')
    .selectOption({ label: 'Đơn vị mới 1: Ủy ban nhân dân huyện Bảo Lạc' });
  await page
    .getByLabel('000.02.32.H14 Ủy ban nhân dân xã Cốc Pàng')
    .selectOption({ label: 'Đơn vị mới 2: Ủy ban nhân dân huyện Cốc Pàng' });
  await page.getByLabel('Số quyết định').fill('47/NQ-HĐND');
  await page.getByLabel('Ngày ban hành').fill('20/10/2026');
  await page.getByLabel('Cơ quan ban hành').fill('Hội đồng nhân dân tỉnh Cao Bằng');
  await page.getByLabel('Ngày hiệu lực').fill('01/11/2026');
  await assertLabelled(page);

  // One child is not placed yet: refused, next to that child.
  await page.getByRole('button', { name: 'Xem trước thay đổi' }).click();
  const unplaced = page.locator('.field:has(select[aria-invalid="true"])');
  await unplaced.getByText('Đơn vị trực thuộc 000.03.32.H14 chưa được phân về đơn vị mới nào').waitFor();
  await page
    .getByLabel('000.03.32.H14 Ủy ban nhân dân xã Huy Giáp')
    .selectOption({ label: 'Đơn vị mới 2: Ủy ban nhân dân huyện Cốc Pàng' });

  await page.getByRole('button', { name: 'Xem trước thay đổi' }).click();
  const preview = page.locator('.preview');
  await preview.getByText('Xem trước: thay đổi này sẽ').waitFor();
  await preview.getByRole('heading', { name: 'Cấp 2 mã mới' }).waitFor();
  await preview.getByRole('heading', { name: 'Đóng 1 mã', exact: true }).waitFor();
  await preview.locator('ul.created').getByText('Ủy ban nhân dân huyện Cốc Pàng').waitFor();
  await preview.getByRole('heading', { name: /^Chuyển 3 mã sang mã mới/ }).waitFor();
  await preview.locator('table.moved').getByText('000.01.32.H14').waitFor();
  const unchanged = await (await fetch(`${BASE}/v1/units/000.00.32.H14`)).json();
  assert(unchanged.status === 'active', 'the dry run wrote nothing');
  await shot(page, 'manage-preview', { fullPage: true });

  await preview.getByRole('button', { name: 'Xác nhận thực hiện' }).click();
  await page.getByRole('heading', { name: 'Đã thực hiện.' }).waitFor();
  const after = await (await fetch(`${BASE}/v1/units/000.00.32.H14`)).json();
  assert(after.status === 'closed' && after.successors.length === 2, 'the split is committed');
  return [page];
});

test('exchange: the trace of a sent document shows its routing, transport and business statuses', async () => {
  const s14 = JSON.parse(
    cli('system', 'add', '--name', 'QLVB UBND tỉnh Cao Bằng', '--code', '000.00.00.H14', '--json'),
  );
  const s17 = JSON.parse(
    cli('system', 'add', '--name', 'QLVB UBND thành phố Đà Nẵng', '--code', '000.00.00.H17', '--json'),
  );
  const pk = JSON.parse(
    python(`
import base64, json, time, ltpkg
pkg, docid = ltpkg.edoc("000.00.00.H14", ["000.00.00.H47", "000.00.01.H14"], number="42", subject="Công văn về việc chuẩn bị chuyển đổi mã định danh")
now = time.strftime("%Y/%m/%d %H:%M:%S", time.gmtime(time.time() + 7 * 3600))  # the sender's clock, Vietnam time
st = [base64.b64encode(ltpkg.status("000.00.00.H17", "000.00.00.H14", docid, c, d, timestamp=now)).decode()
      for c, d in (("01", "Văn thư đã nhận"), ("03", "Đã vào sổ văn bản đến"))]
print(json.dumps({"pkg": base64.b64encode(pkg).decode(), "docid": docid, "statuses": st}))
`),
  );
  const send = async (token, b64) => {
    const r = await fetch(`${BASE}/v1/documents`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/xml' },
      body: Buffer.from(b64, 'base64'),
    });
    const j = await r.json();
    assert(r.status === 201, `send: ${r.status} ${JSON.stringify(j)}`);
    return j;
  };
  const sent = await send(s14.token, pk.pkg);
  await new Promise((r) => setTimeout(r, 1100)); // the statuses come later than the document
  for (const st of pk.statuses) await send(s17.token, st);
  const ack = await fetch(`${BASE}/v1/documents/${sent.id}/ack`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${s17.token}`, 'Content-Type': 'application/json' },
    body: '{"state":"done"}',
  });
  assert(ack.ok, `ack ${ack.status}`);

  // Signed out, the trace asks for a token.
  const anon = await newPage();
  await anon.goto(`${BASE}/documents/${sent.id}`);
  await anon.locator('#main').getByText('Hành trình văn bản chỉ hiển thị cho người đã đăng nhập').waitFor();

  const page = await newPage({ token: ADMIN });
  await page.goto(`${BASE}/documents/${sent.id}`);
  await page.locator('#main').getByText('Công văn về việc chuẩn bị chuyển đổi mã định danh').first().waitFor();
  const h47 = page.locator('.recipient[data-code="000.00.00.H47"]');
  await h47
    .locator('p', { hasText: 'Được chuyển tới:' })
    .getByRole('link', { name: /000\.00\.00\.H17/ })
    .waitFor();
  await h47
    .getByText('Mã 000.00.00.H47 đã đóng từ ngày 01/07/2025; văn bản được chuyển tới đơn vị kế thừa 000.00.00.H17.')
    .waitFor();
  await h47.locator('.timeline li.business[data-status="01"]').getByText('01 · Đã đến').waitFor();
  await h47.locator('.timeline li.business[data-status="03"]').getByText('03 · Đã tiếp nhận, vào sổ').waitFor();
  await h47.locator('.timeline li.transport').getByText('Bên nhận đã nhận xong').waitFor();
  await h47.locator('[data-state="done"]').waitFor();
  const order = await h47.locator('.timeline li').evaluateAll((lis) => lis.map((li) => li.className));
  assert(order[0] === 'transport' && order.indexOf('business') > 0, `transport first, then statuses: ${order}`);
  const other = page.locator('.recipient[data-code="000.00.01.H14"]');
  // No system receives for this unit: the sender sees that, not a silent wait.
  await other.getByText('Chưa có trạng thái').waitFor();
  await other.locator('[data-state="no_system"]').getByText('Đơn vị nhận chưa có hệ thống kết nối').waitFor();
  await shot(page, 'trace', { fullPage: true });

  // Statistics: charts from /vendor/ and the same figures as tables.
  await page.goto(`${BASE}/stats`);
  await page.getByRole('heading', { name: 'Số liệu dạng bảng' }).waitFor();
  await page
    .locator('table.figures')
    .filter({ hasText: 'Theo đơn vị gửi' })
    .getByRole('link', { name: /000\.00\.00\.H14/ })
    .waitFor();
  await page
    .locator('table.figures')
    .filter({ hasText: 'Theo đơn vị nhận' })
    .getByRole('link', { name: /000\.00\.00\.H17/ })
    .waitFor();
  await page.waitForFunction(
    () =>
      window.Chart &&
      ['chart-day', 'chart-month', 'chart-senders', 'chart-recipients'].every((id) => window.Chart.getChart(id)),
  );
  const drawn = await page.evaluate(() =>
    window.Chart.getChart('chart-day').data.datasets[0].data.reduce((a, b) => a + b, 0),
  );
  assert(drawn === 1, `one document in the day chart, not ${drawn}`);
  await shot(page, 'stats', { fullPage: true });

  // The lookup form leads to the trace.
  await page.getByLabel('Mã văn bản trên trục').fill(sent.id);
  await page.getByRole('button', { name: 'Xem hành trình' }).click();
  await page.waitForURL(`${BASE}/documents/${sent.id}`);
  return [anon, page];
});

test('compliance: a late decision and upload, filtered by level-1 unit; the demo merger is on time', async () => {
  // A unit of Đà Nẵng issued today on a decision of 60 days ago, for a
  // reorganisation of 100 days ago: both deadlines missed.
  const day = (n) => new Date(Date.now() - n * 86400e3).toISOString().slice(0, 10);
  const r = await fetch(`${BASE}/v1/units`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      parent: '000.00.00.H17',
      name: 'Ban Quản lý dự án muộn',
      decision: { number: '88/QĐ-UBND', date: day(60), issuer: 'Ủy ban nhân dân thành phố Đà Nẵng' },
      effective: day(60),
      reorganized: day(100),
    }),
  });
  assert(r.status === 201, `issued: ${r.status}`);
  const page = await newPage();
  await page.goto(`${BASE}/compliance`);
  await page.getByLabel('Đơn vị cấp 1').selectOption('000.00.00.H17');
  await page.waitForURL(/level1=000\.00\.00\.H17/);
  const row = page.locator('tbody tr').filter({ hasText: '88/QĐ-UBND' });
  await row.filter({ hasText: 'Cập nhật lên danh mục muộn' }).getByText(/ngày \(hạn 7 ngày\)/).waitFor();
  await row.filter({ hasText: 'Quyết định sửa đổi mã ban hành muộn' }).getByText(/ngày \(hạn 30 ngày\)/).waitFor();
  // The merger `init --demo` replayed keeps its own recorded date: on time.
  assert((await page.locator('tbody tr').filter({ hasText: '202/2025/QH15' }).count()) === 0, 'the demo merger is not late');
  await page.getByLabel('Đơn vị cấp 1').selectOption('000.00.00.B01');
  await page.locator('#main').getByText('Không có trường hợp nào cần xử lý.').waitFor();
  await page.getByLabel('Đơn vị cấp 1').selectOption('000.00.00.H17');
  await row.first().waitFor();
  await shot(page, 'compliance');
  return [page];
});

test('HTML in a unit name, address or decision renders as text on every page; the policy blocks nothing', async () => {
  const NAME = '<img src=x onerror="window.__pwned=1"><b>Trung tâm HTML</b> & <script>window.__pwned=2</script>';
  const ADDRESS = '<a href="javascript:window.__pwned=3">Số 1</a> <style>body{display:none}</style>';
  const NUMBER = '7/<i>QĐ</i>-UBND';
  const ISSUER = '<svg onload="window.__pwned=4">UBND tỉnh Cao Bằng';
  const r = await fetch(`${BASE}/v1/units`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      parent: '000.00.00.H14',
      name: NAME,
      address: ADDRESS,
      decision: { number: NUMBER, date: '2026-11-02', issuer: ISSUER },
    }),
  });
  const issued = await r.text();
  assert(r.status === 201, `issued: ${r.status} ${issued}`);
  assert(r.headers.get('content-security-policy'), 'the API reply has a Content-Security-Policy');
  const { code } = JSON.parse(issued);
  const page = await newPage({ token: ADMIN });
  const injected = () =>
    page.evaluate(() => ({
      pwned: window.__pwned,
      nodes: document.querySelectorAll(
        'main img[src="x"], main [onerror], main [onload], main a[href^="javascript:"], main style, main script, main i, main svg[onload]',
      ).length,
      hidden: getComputedStyle(document.body).display === 'none',
    }));
  const check = async (where, texts) => {
    const main = await page.locator('main').innerText();
    for (const t of texts) assert(main.includes(t), `${where}: shows ${JSON.stringify(t)} as text`);
    const got = await injected();
    assert(!got.pwned && got.nodes === 0 && !got.hidden, `${where}: markup from the registry ran: ${JSON.stringify(got)}`);
  };
  // The frame-ancestors and Referrer-Policy of the page itself.
  const resp = await page.goto(`${BASE}/units/${code}`);
  const csp = resp.headers()['content-security-policy'] || '';
  assert(/frame-ancestors 'none'/.test(csp) && !/unsafe-inline/.test(csp), `page CSP: ${csp}`);
  assert(resp.headers()['referrer-policy'] === 'no-referrer', 'Referrer-Policy: no-referrer');
  await page.getByRole('heading', { level: 1, name: NAME }).waitFor();
  await check('unit page', [NAME, '<a href="javascript:window.__pwned=3">Số 1</a>', NUMBER, '<svg onload']);

  await page.goto(`${BASE}/search?q=${encodeURIComponent('Trung tâm HTML')}`);
  await page.locator('main').getByText(NAME).first().waitFor();
  await check('search', [NAME]);

  await page.goto(`${BASE}/units/000.00.00.H14`);
  await page.locator('main').getByText(NAME).first().waitFor();
  await check('parent unit', [NAME]);

  await page.goto(`${BASE}/tree`);
  await page.getByLabel('Lọc đơn vị cấp 1 theo tên hoặc mã').fill('cao bang');
  await page.getByRole('button', { name: 'Mở các đơn vị trực thuộc Ủy ban nhân dân tỉnh Cao Bằng' }).click();
  await page.locator('main').getByText(NAME).first().waitFor();
  await check('tree', [NAME]);

  await page.goto(`${BASE}/compliance`);
  await page.locator('main').getByRole('heading', { level: 1 }).first().waitFor();
  await page.waitForLoadState('networkidle');
  await check('compliance', []);

  for (const action of ['update', 'rename', 'move', 'dissolve']) {
    await page.goto(`${BASE}/manage?action=${action}&code=${code}`);
    await page.locator('main form').first().waitFor();
    await page.waitForLoadState('networkidle');
    const got = await injected();
    assert(!got.pwned && got.nodes === 0 && !got.hidden, `manage ${action}: ${JSON.stringify(got)}`);
  }
  // A frame of the management page, from any other page, is refused.
  const framer = await newPage();
  await framer.setContent(`<iframe src="${BASE}/manage"></iframe>`);
  await framer.waitForTimeout(1500);
  assert(
    framer.problems.some((p) => /frame-ancestors/.test(p)),
    `the management page loads in a frame: ${framer.problems.join(' | ') || 'no refusal'}`,
  );
  return [page];
});

test('requests: the city files a merger with its draft, the province returns it, the city amends, the province approves', async () => {
  const city = await newPage({ token: REQUESTER });
  await city.goto(`${BASE}/requests`);
  await city.getByRole('heading', { name: 'Gửi đề nghị mới' }).waitFor();
  assert((await city.locator('input[name=unit]').inputValue()) === '000.00.31.H14', 'the unit starts at the scope');
  await city.getByLabel('Loại đề nghị').selectOption('merge');
  await city.getByLabel('Các đơn vị hợp nhất').fill('000.01.31.H14, 000.02.31.H14');
  await city.getByLabel('Tên đơn vị mới sau hợp nhất').fill('Phường Hợp Giang Mới');
  await city.getByLabel('Lý do, căn cứ').fill('Nghị quyết sắp xếp đơn vị hành chính cấp xã');
  await city.getByLabel(/Tệp đính kèm/).setInputFiles({
    name: 'du-thao.pdf',
    mimeType: 'application/pdf',
    buffer: Buffer.from('%PDF-1.4 dự thảo'),
  });
  await assertLabelled(city);
  await city.getByRole('button', { name: 'Gửi đề nghị' }).click();
  await city.waitForURL(/\/requests\/\d+$/);
  const id = city.url().match(/(\d+)$/)[1];
  await city.locator('.status-line').getByText('Đã gửi, chờ xem xét').waitFor();
  await city.locator('.dry-run').getByText('Cấp mã mới').waitFor();
  await city.locator('.files').getByRole('button', { name: 'du-thao.pdf' }).waitFor();
  await shot(city, 'request-filed', { fullPage: true });
  // The city cannot decide its own request: no approval form.
  assert((await city.getByRole('button', { name: 'Phê duyệt' }).count()) === 0, 'no approve for the requester');

  const province = await newPage({ token: MANAGER });
  await province.goto(`${BASE}/requests`);
  await province.getByRole('link', { name: `Đề nghị số ${id}` }).click();
  await province.waitForURL(`${BASE}/requests/${id}`);
  await province.locator('.compare').getByText('Ủy ban nhân dân phường Hợp Giang').waitFor();
  await province.locator('.act-return').getByLabel('Nội dung cần bổ sung').fill('Đề nghị ghi rõ tên phường mới');
  await province.getByRole('button', { name: 'Trả lại' }).click();
  await province.locator('.status-line').getByText('Trả lại để bổ sung').waitFor();

  await city.goto(`${BASE}/requests/${id}`);
  await city.locator('.amend').getByText('Đề nghị ghi rõ tên phường mới').waitFor();
  const json = city.getByLabel('Nội dung đề xuất (JSON)');
  await json.fill((await json.inputValue()).replace('Phường Hợp Giang Mới', 'Phường Thục Phán'));
  await city.getByRole('button', { name: 'Lưu và gửi lại' }).click();
  await city.locator('.status-line').getByText('Đã gửi, chờ xem xét').waitFor();

  await province.goto(`${BASE}/requests?state=open&under=000.00.31.H14`);
  await province.getByRole('link', { name: `Đề nghị số ${id}` }).click();
  await province.getByLabel('Số quyết định').fill('88/NQ-UBTVQH');
  await province.getByLabel('Ngày ban hành').fill('20/11/2026');
  await province.getByLabel('Cơ quan ban hành').fill('Ủy ban Thường vụ Quốc hội');
  await province.getByLabel('Loại văn bản').fill('Nghị quyết');
  await province.getByLabel('Tệp quyết định').setInputFiles({
    name: 'nghi-quyet.pdf',
    mimeType: 'application/pdf',
    buffer: Buffer.from('%PDF-1.4 nghị quyết'),
  });
  await assertLabelled(province);
  await shot(province, 'request-decide', { fullPage: true });
  await province.getByRole('button', { name: 'Phê duyệt' }).click();
  await province.locator('.status-line').getByText('Đã cập nhật vào danh mục').waitFor();
  await province.locator('.files').getByText(/quyết định/).waitFor();
  const steps = await province.locator('.request-history li').evaluateAll((ls) => ls.map((l) => l.dataset.step));
  assert(
    steps.join(',') === 'filed,file,returned,amended,submitted,file,applied',
    `the whole history: ${steps.join(',')}`,
  );
  const created = await province.locator('.dry-run [data-created]').first().textContent();
  const unit = await (await fetch(`${BASE}/v1/units/${created}`)).json();
  assert(unit.name === 'Phường Thục Phán' && unit.decision.number === '88/NQ-UBTVQH', `merged: ${JSON.stringify(unit)}`);

  // A request waiting 40 days for its decision is named by the compliance report.
  const old = new Date(Date.now() - 40 * 86400000).toISOString().slice(0, 10);
  const r = await fetch(`${BASE}/v1/requests`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${REQUESTER}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      kind: 'rename',
      unit: '000.03.31.H14',
      proposal: { name: 'Phường Tân Giang Mới' },
      reason: 'Đổi tên',
      reorganized: old,
    }),
  });
  assert(r.status === 201, `filed: ${r.status}`);
  const late = await r.json();
  await province.goto(`${BASE}/compliance?level1=000.00.00.H14`);
  const row = province.locator('tbody tr').filter({ hasText: `Đề nghị số ${late.id}` });
  await row.getByText('Đề nghị chờ quyết định quá 30 ngày').waitFor();
  await row.getByText('40 ngày (hạn 30 ngày)').waitFor();
  return [city, province];
});

test('search: an enterprise code finds the enterprise and its dependent unit', async () => {
  cli('org', 'add', '0101234567', '--name', 'Công ty Cổ phần Thương mại Hà Nội');
  cli('org', 'add', '0101234567-001', '--name', 'Chi nhánh Cao Bằng');
  const page = await newPage();
  await page.goto(`${BASE}/`);
  await page.getByLabel('Tên đơn vị hoặc mã định danh').fill('0101234567');
  const rows = page.locator('table.organizations tbody tr');
  await rows.filter({ hasText: 'Đơn vị phụ thuộc' }).getByText('0101234567-001').waitFor();
  await rows.filter({ hasText: 'Công ty Cổ phần Thương mại Hà Nội' }).getByText('Doanh nghiệp').waitFor();
  assert((await rows.count()) === 2, 'two organisations');
  return [page];
});

test('search: a complete closed code goes straight to its unit; back shows it with its successor', async () => {
  // 000.00.00.H47 (Quảng Nam) closed when it merged into Đà Nẵng: the default
  // filter shows active units only, yet the old code still lands.
  const page = await newPage();
  await page.goto(`${BASE}/`);
  await page.getByLabel('Tên đơn vị hoặc mã định danh').pressSequentially('000.00.00.H47', { delay: 20 });
  await page.waitForURL(/\/units\/000\.00\.00\.H47$/);
  await page.getByRole('heading', { level: 1, name: 'Ủy ban nhân dân tỉnh Quảng Nam' }).waitFor();
  await page.locator('.successors').getByRole('link', { name: /000\.00\.00\.H17/ }).waitFor();
  await page.goBack();
  await page.waitForURL(/\/search\?q=000\.00\.00\.H47/);
  await page.locator('.result-count', { hasText: 'Mã 000.00.00.H47 đã đóng' }).waitFor();
  const codes = await page.locator('table.units tbody tr td:first-child').allTextContents();
  assert(codes.join(' ') === '000.00.00.H47 000.00.00.H17', `the old unit then its successor: ${codes.join(' ')}`);
  // A code prefix is no landing: it searches as before.
  await page.getByLabel('Tên đơn vị hoặc mã định danh').fill('000.00.00.H4');
  await page.locator('.result-count', { hasText: 'Kết quả cho' }).waitFor();
  assert(page.url().includes('/search'), 'a prefix stays on the search page');
  return [page];
});

test('admin: creates a manager token, registers a system, disables it, and sees both in the audit list', async () => {
  const page = await newPage({ token: ADMIN });
  await page.goto(`${BASE}/admin?tab=tokens`);
  await page.getByRole('heading', { level: 1, name: 'Quản trị hệ thống' }).waitFor();
  await assertLabelled(page);
  await page.getByLabel('Vai trò').selectOption('manager');
  await page.getByLabel('Phạm vi (mã đơn vị)').fill('000.00.00.H17');
  await page.getByLabel('Tên người hoặc đơn vị giữ mã').fill('Sở Nội vụ Đà Nẵng');
  await page.getByRole('button', { name: 'Tạo mã truy cập' }).click();
  // Nothing is made before it is confirmed.
  await page.getByText('Tạo mã truy cập mới: Cán bộ quản lý mã, phạm vi 000.00.00.H17').waitFor();
  const before = await (await fetch(`${BASE}/v1/tokens`, { headers: { Authorization: `Bearer ${ADMIN}` } })).json();
  await page.getByRole('button', { name: 'Xác nhận tạo mã' }).click();
  const secret = page.locator('.secret-value').first();
  await secret.waitFor();
  const token = (await secret.textContent()).trim();
  assert(/^lt_/.test(token), `the token is shown once: ${token}`);
  await page.getByText('Mã này chỉ hiển thị một lần').waitFor();
  const me = await (await fetch(`${BASE}/v1/me`, { headers: { Authorization: `Bearer ${token}` } })).json();
  assert(me.role === 'manager' && me.scope === '000.00.00.H17', `the new token works: ${JSON.stringify(me)}`);
  await page.locator('table.tokens tr', { hasText: 'Sở Nội vụ Đà Nẵng' }).getByText('Đang dùng').waitFor();
  const after = await (await fetch(`${BASE}/v1/tokens`, { headers: { Authorization: `Bearer ${ADMIN}` } })).json();
  assert(after.items.length === before.items.length + 1, 'one token made');

  await page.getByRole('link', { name: 'Hệ thống kết nối' }).click();
  await page.getByRole('heading', { name: 'Đăng ký hệ thống kết nối' }).waitFor();
  await page.getByLabel('Tên hệ thống').fill('QLVB Sở Tư pháp Cao Bằng');
  await page.getByLabel('Mã đơn vị hệ thống nhận văn bản thay').fill('000.00.04.H14');
  await page.getByRole('button', { name: 'Đăng ký hệ thống' }).click();
  await page.getByRole('button', { name: 'Xác nhận đăng ký' }).click();
  await page.getByText(/^Đã đăng ký hệ thống QLVB Sở Tư pháp Cao Bằng \(số \d+\)\.$/).waitFor();
  assert((await page.locator('.secret-value').count()) === 2, 'the token and the VXP secret are shown once');
  const card = page.locator('section.system', { hasText: 'QLVB Sở Tư pháp Cao Bằng' });
  await card.getByText('Đang kết nối').waitFor();
  // Bind a code, unbind it, a new VXP secret: each asks first.
  await card.getByLabel('Gắn thêm mã đơn vị cho QLVB Sở Tư pháp Cao Bằng').fill('000.00.05.H14');
  await card.getByRole('button', { name: 'Gắn mã', exact: true }).click();
  await card.getByRole('button', { name: 'Xác nhận gắn mã' }).click();
  const bound = page.locator('section.system', { hasText: 'QLVB Sở Tư pháp Cao Bằng' });
  await bound.getByRole('button', { name: 'Gỡ mã 000.00.05.H14 khỏi QLVB Sở Tư pháp Cao Bằng' }).click();
  await bound.getByRole('button', { name: 'Xác nhận gỡ mã' }).click();
  await page
    .locator('section.system', { hasText: 'QLVB Sở Tư pháp Cao Bằng' })
    .getByRole('link', { name: /000\.00\.05\.H14/ })
    .waitFor({ state: 'detached' });
  await card.getByRole('button', { name: 'Cấp khóa VXP mới' }).click();
  await card.getByRole('button', { name: 'Xác nhận cấp khóa mới' }).click();
  assert(/^vxp_/.test((await card.locator('.secret-value').textContent()).trim()), 'the new VXP secret, shown once');
  await card.getByRole('button', { name: 'Ngừng kết nối' }).click();
  await card.getByRole('button', { name: 'Xác nhận ngừng kết nối' }).click();
  await page
    .locator('section.system', { hasText: 'QLVB Sở Tư pháp Cao Bằng' })
    .getByText(/^Đã ngừng kết nối từ \d\d\/\d\d\/\d{4} \d\d:\d\d$/)
    .waitFor();
  await shot(page, 'admin-systems');

  await page.getByRole('link', { name: 'Nhật ký quản trị' }).click();
  const rows = page.locator('table.audit tbody tr');
  await rows.first().waitFor();
  const made = page.locator('table.audit tr[data-action="token.create"]', { hasText: 'Sở Nội vụ Đà Nẵng' });
  await made.getByText('Tạo mã truy cập').waitFor();
  await made.getByText('Quản trị thử nghiệm').waitFor();
  const added = page.locator('table.audit tr[data-action="system.add"]', { hasText: 'QLVB Sở Tư pháp Cao Bằng' });
  await added.getByText('Đăng ký hệ thống kết nối').waitFor();
  const disabled = page.locator('table.audit tr[data-action="system.disable"]').first();
  await disabled.getByText('Ngừng kết nối hệ thống').waitFor();
  await disabled.getByText(/Quản trị thử nghiệm/).waitFor();
  // Newest first: the disable, then the registration, then the token.
  const order = await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.action));
  assert(
    order.indexOf('system.disable') < order.indexOf('system.rotate_secret') &&
      order.indexOf('system.rotate_secret') < order.indexOf('system.unbind') &&
      order.indexOf('system.unbind') < order.indexOf('system.bind') &&
      order.indexOf('system.bind') < order.indexOf('system.add') &&
      order.indexOf('system.add') < order.indexOf('token.create'),
    `newest first: ${order.join(', ')}`,
  );
  assert(/^\d\d\/\d\d\/\d{4} \d\d:\d\d$/.test((await disabled.locator('td').first().textContent()).trim()), 'when, dd/mm/yyyy');
  await shot(page, 'admin-audit');

  // A refusal the page has no sentence for is told by its code and field, in Vietnamese, next to the field.
  await page.getByRole('link', { name: 'Mã truy cập' }).click();
  await page.getByLabel('Vai trò').selectOption('manager');
  await page.getByLabel('Phạm vi (mã đơn vị)').fill('000.00.01.H47');
  await page.getByRole('button', { name: 'Tạo mã truy cập' }).click();
  await page.getByRole('button', { name: 'Xác nhận tạo mã' }).click();
  const scopeError = page.locator('.field[data-field="scope"] .field-error');
  await scopeError.waitFor();
  assert(
    (await scopeError.textContent()) === 'Phạm vi không được chấp nhận theo quy tắc quản lý mã (ví dụ: đơn vị đã đóng).',
    `422 with field scope, in Vietnamese: ${await scopeError.textContent()}`,
  );
  assert(!/closed|scope|unit/.test(await page.locator('#main form').first().innerText()), 'no English shown');

  // A certificate bound to a unit and revoked, each confirmed and in the audit list.
  const [, certPath] = execFileSync(path.join(REPO, 'scripts', 'test-ca'), [path.join(tmp, 'ca'), '000.00.04.H14'], {
    encoding: 'utf8',
  })
    .trim()
    .split(/\s+/);
  await page.goto(`${BASE}/admin?tab=certificates&code=000.00.04.H14`);
  await page.getByText('Đơn vị 000.00.04.H14 chưa có chứng thư số nào.').waitFor();
  await page.getByLabel('Chứng thư (PEM)').fill(fs.readFileSync(certPath, 'utf8'));
  await page.getByRole('button', { name: 'Gắn chứng thư' }).click();
  await page.getByRole('button', { name: 'Xác nhận gắn' }).click();
  const cert = page.locator('table.certs tbody tr').first();
  await cert.getByText('Đang dùng').waitFor();
  await cert.getByRole('button', { name: 'Thu hồi' }).click();
  await cert.getByRole('button', { name: 'Xác nhận thu hồi' }).click();
  await page.locator('table.certs tbody tr').first().getByText(/^Đã thu hồi \d\d\/\d\d\/\d{4}/).waitFor();
  await page.getByRole('link', { name: 'Nhật ký quản trị' }).click();
  await page.locator('table.audit tr[data-action="cert.add"]').getByText('Đơn vị 000.00.04.H14').waitFor();
  await page.locator('table.audit tr[data-action="cert.revoke"]').getByText('Thu hồi chứng thư số').waitFor();

  // A manager sees no audit list and may make only requester tokens.
  const mgr = await newPage({ token: MANAGER });
  await mgr.goto(`${BASE}/admin?tab=tokens`);
  await mgr.getByLabel('Vai trò').waitFor();
  const options = await mgr.getByLabel('Vai trò').locator('option').allTextContents();
  assert(options.join() === 'Đơn vị đề nghị', `a manager's roles: ${options}`);
  assert((await mgr.getByRole('link', { name: 'Nhật ký quản trị' }).count()) === 0, 'no audit tab for a manager');
  return [page, mgr];
});

test('csv: a manager uploads a file with one bad row, reads why by its own column, fixes it, upserts, downloads dmdc', async () => {
  const page = await newPage({ token: MANAGER });
  await page.goto(`${BASE}/manage?action=csv`);
  await page.getByRole('heading', { name: 'Nhập danh mục từ tệp CSV' }).waitFor();
  await assertLabelled(page);
  const header = 'MaDinhDanhCap2,TenDonVi,DiaChi,NgayBanHanhQd,QdBanHanhQdSuaDoi,CoQuanBanHanhQd\n';
  const bad =
    header +
    '000.00.51.H14,Ban Dân tộc tỉnh Cao Bằng,Số 2 Hoàng Đình Giong,15/10/2026,1600/QĐ-UBND,Ủy ban nhân dân tỉnh Cao Bằng\n' +
    '000.00.52.H14,Ban Quản lý Khu kinh tế tỉnh Cao Bằng,Số 9 Bế Văn Đàn,31/02/2026,1601/QĐ-UBND,Ủy ban nhân dân tỉnh Cao Bằng\n';
  const upload = (text) =>
    page.locator('input[type=file]').setInputFiles({ name: 'h14.csv', mimeType: 'text/csv', buffer: Buffer.from(text) });
  await upload(bad);
  await page.getByRole('button', { name: 'Kiểm tra tệp (chạy thử)' }).click();
  const row = page.locator('table.import-errors tbody tr');
  await row.first().waitFor();
  assert((await row.count()) === 1, 'one bad row');
  assert((await row.locator('td[data-label="Dòng"]').textContent()) === '3', 'its line');
  assert((await row.locator('td[data-label="Cột"]').textContent()) === 'NgayBanHanhQd', "the file's own column");
  assert((await row.locator('td[data-label="Tên đơn vị"]').textContent()) === 'Ban Quản lý Khu kinh tế tỉnh Cao Bằng', 'the unit by name');
  const why = (await row.locator('td[data-label="Lý do"]').textContent()).trim();
  assert(why === 'Cột NgayBanHanhQd: ngày “31/02/2026” không có trên lịch.', `the reason in Vietnamese: ${why}`);
  await page.getByText('1 dòng bị từ chối; hãy sửa tệp rồi kiểm tra lại.', { exact: false }).waitFor();
  const shown = await page.locator('.import-result').innerText();
  assert(!/bad date|refused|calendar/i.test(shown), `no English shown: ${shown}`);
  assert(await page.getByRole('button', { name: 'Ghi vào danh mục' }).isHidden(), 'nothing to apply while a row is bad');
  await page.locator('.import-result').scrollIntoViewIfNeeded();
  await shot(page, 'manage-csv-refused');

  // Fixed, with a correction of a unit the registry holds: upsert.
  const fixed = bad.replace('31/02/2026', '28/02/2026') +
    '000.00.05.H14,Sở Y tế tỉnh Cao Bằng,"Số 31 Hiến Giang, phường Hợp Giang, tỉnh Cao Bằng",14/09/2020,1215/QĐ-UBND,Ủy ban nhân dân tỉnh Cao Bằng\n';
  await upload(fixed);
  await page.getByLabel('Thêm mới và sửa đơn vị đã có').check();
  await page.getByRole('button', { name: 'Kiểm tra tệp (chạy thử)' }).click();
  await page.getByText('Tệp hợp lệ.', { exact: false }).waitFor();
  await page.getByText('3 dòng: sẽ thêm mới 2, sẽ sửa 1, không đổi 0, bị từ chối 0.', { exact: false }).waitFor();
  const preview = page.locator('table.import-preview tbody tr');
  assert((await preview.count()) === 3, 'each row previewed');
  await preview.filter({ hasText: '000.00.52.H14' }).getByText('Ban Quản lý Khu kinh tế tỉnh Cao Bằng').waitFor();
  await preview.filter({ hasText: '000.00.52.H14' }).getByText('Ủy ban nhân dân tỉnh Cao Bằng').waitFor();
  await preview.filter({ hasText: '000.00.05.H14' }).getByText('Sửa các cột: DiaChi').waitFor();
  let unit = await (await fetch(`${BASE}/v1/units/000.00.52.H14`)).json();
  assert(unit.error, 'a dry run writes nothing');
  await page.locator('.import-result').scrollIntoViewIfNeeded();
  await shot(page, 'manage-csv-preview');
  await page.getByRole('button', { name: 'Ghi vào danh mục' }).click();
  await page.getByText('Đã ghi vào danh mục.', { exact: false }).waitFor();
  await page.getByText('3 dòng: đã thêm mới 2, đã sửa 1, không đổi 0, bị từ chối 0.', { exact: false }).waitFor();
  unit = await (await fetch(`${BASE}/v1/units/000.00.52.H14`)).json();
  assert(unit.name === 'Ban Quản lý Khu kinh tế tỉnh Cao Bằng' && unit.decision.date === '2026-02-28', JSON.stringify(unit));
  unit = await (await fetch(`${BASE}/v1/units/000.00.05.H14`)).json();
  assert(unit.address === 'Số 31 Hiến Giang, phường Hợp Giang, tỉnh Cao Bằng', `corrected: ${unit.address}`);

  // Downloaded in the shared catalogue's columns.
  await page.getByRole('heading', { name: 'Tải danh mục về tệp CSV' }).waitFor();
  assert((await page.getByLabel('Đơn vị', { exact: true }).inputValue()) === '000.00.00.H14', "the manager's subtree");
  await page.getByLabel('Mẫu tệp').selectOption('dmdc');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Tải về' }).click()]);
  assert(/^danh-muc-000\.00\.00\.H14-\d{4}-\d\d-\d\d-dmdc\.csv$/.test(download.suggestedFilename()), download.suggestedFilename());
  const file = path.join(tmp, 'download-dmdc.csv');
  await download.saveAs(file);
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
  assert(
    lines[0] ===
      'MaDinhDanhCap1,MaDinhDanhCap2,MaDinhDanhCap3,MaDinhDanhCap4,MaDinhDanhCha,TenDonVi,DiaChi,Email,SoDienThoai,Fax,Website,QdBanHanhQdSuaDoi,NgayBanHanhQd,CoQuanBanHanhQd',
    `dmdc header: ${lines[0]}`,
  );
  const mine = lines.find((l) => l.includes('000.00.52.H14'));
  assert(
    mine === ',000.00.52.H14,,,000.00.00.H14,Ban Quản lý Khu kinh tế tỉnh Cao Bằng,Số 9 Bế Văn Đàn,,,,,1601/QĐ-UBND,28/02/2026,Ủy ban nhân dân tỉnh Cao Bằng',
    `the new unit, dd/MM/yyyy: ${mine}`,
  );
  assert(lines.every((l, i) => i === 0 || /H14/.test(l)), 'only the subtree');
  await page.getByText(/^Đã tải tệp danh-muc-000\.00\.00\.H14-.*-dmdc\.csv\.$/).waitFor();
  return [page];
});

test('dates: under an en-US browser every date shown and every date input reads dd/mm/yyyy', async () => {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_FLAGS, '--lang=en-US'],
  });
  try {
    const us = await browser.newContext({ locale: 'en-US', timezoneId: 'Asia/Ho_Chi_Minh', viewport: { width: 1200, height: 900 } });
    const page = await us.newPage();
    page.setDefaultTimeout(6000);
    const problems = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${BASE}/manage`);
    assert((await page.evaluate(() => navigator.language)) === 'en-US', 'the browser speaks en-US');
    await page.evaluate((t) => sessionStorage.setItem('lienthong.token', t), ADMIN);
    const p2 = (n) => String(n).padStart(2, '0');
    const now = new Date(new Date().toLocaleString('en-US', { timeZone: 'Asia/Ho_Chi_Minh' }));
    const today = `${p2(now.getDate())}/${p2(now.getMonth() + 1)}/${now.getFullYear()}`;

    /** No date control follows the locale, and every date in the text is dd/mm/yyyy. */
    const check = async (where) => {
      const r = await page.evaluate(() => ({
        dateInputs: document.querySelectorAll('input[type=date], input[type=datetime-local]').length,
        values: [...document.querySelectorAll('input[placeholder="dd/mm/yyyy"]')].map((i) => i.value),
        text: document.getElementById('main').innerText,
      }));
      assert(r.dateInputs === 0, `${where}: no locale-bound date input`);
      for (const v of r.values) assert(v === '' || /^\d\d\/\d\d\/\d{4}$/.test(v), `${where}: input reads ${v}`);
      const iso = r.text.match(/\b\d{4}-\d{2}-\d{2}\b/g);
      assert(!iso, `${where}: ISO dates shown: ${iso}`);
      const loose = (r.text.match(/\b\d{1,2}\/\d{1,2}\/\d{4}\b/g) || []).filter((d) => !/^\d\d\/\d\d\/\d{4}$/.test(d));
      assert(!loose.length, `${where}: dates not dd/mm/yyyy: ${loose}`);
      assert(!/\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* \d/.test(r.text), `${where}: an English month`);
      return r;
    };

    await page.goto(`${BASE}/manage?action=issue`);
    const eff = page.getByLabel('Ngày hiệu lực');
    assert((await eff.inputValue()) === today, `Ngày hiệu lực defaults to today as dd/mm/yyyy: ${await eff.inputValue()}`);
    await check('manage');
    await page.getByLabel('Tên đơn vị').fill('Trung tâm Lưu trữ lịch sử tỉnh Cao Bằng');
    await page.getByLabel('Đơn vị cấp trên').fill('000.00.00.H14');
    await page.getByLabel('Số quyết định').fill('77/QĐ-UBND');
    await page.getByLabel('Ngày ban hành').fill('7/12/2026');
    await page.getByLabel('Ngày ban hành').blur();
    assert((await page.getByLabel('Ngày ban hành').inputValue()) === '07/12/2026', 'typed date rewritten dd/mm/yyyy');
    await page.getByLabel('Cơ quan ban hành').fill('Ủy ban nhân dân tỉnh Cao Bằng');
    await page.getByRole('button', { name: 'Cấp mã' }).click();
    await page.getByRole('link', { name: 'Xem đơn vị Trung tâm Lưu trữ lịch sử tỉnh Cao Bằng' }).click();
    // 7 December, never 12 July.
    await page.locator('#main').getByText('Số 77/QĐ-UBND, ngày 07/12/2026, của Ủy ban nhân dân tỉnh Cao Bằng').waitFor();
    await check('new unit');

    await page.goto(`${BASE}/units/000.00.00.H47`);
    await page.getByLabel('Xem theo ngày').fill('30/06/2025');
    await page.getByRole('button', { name: 'Xem', exact: true }).click();
    await page.waitForURL(`${BASE}/units/000.00.00.H47?as_of=2025-06-30`);
    await page.locator('#main').getByText('Đang xem đơn vị như ngày 30/06/2025.').waitFor();
    assert((await page.getByLabel('Xem theo ngày').inputValue()) === '30/06/2025', 'the as-of input reads dd/mm/yyyy');
    await check('as-of');
    await page.goto(`${BASE}/units/000.00.00.H17`);
    await page.locator('.timeline li').first().waitFor();
    await check('unit history');

    for (const [url, ready] of [
      ['/compliance', 'table, .muted'],
      ['/stats?from=2025-01-01&to=2026-12-31', 'form'],
      ['/requests', 'form'],
      ['/admin?tab=audit', 'table.audit'],
      ['/admin?tab=tokens', 'table.tokens'],
      ['/manage?action=csv', 'form'],
    ]) {
      await page.goto(`${BASE}${url}`);
      await page.locator(ready).first().waitFor();
      await page.waitForFunction(() => !document.querySelector('[aria-busy=true]'));
      const r = await check(url);
      if (url.startsWith('/stats')) assert(r.values.join() === '01/01/2025,31/12/2026', `stats range: ${r.values}`);
    }
    assert(!problems.length, problems.join('\n'));
  } finally {
    await browser.close();
  }
});

test('operations: the oldest waiting delivery per system, the stuck ones, filtered, in Vietnamese', async () => {
  const g22 = JSON.parse(cli('system', 'add', '--name', 'Trục liên thông VPCP', '--code', '000.00.00.G22', '--json'));
  const h26 = JSON.parse(cli('system', 'add', '--name', 'QLVB UBND thành phố Hà Nội', '--code', '000.00.00.H26', '--json'));
  const pkg = python(`
import base64, ltpkg
pkg, docid = ltpkg.edoc("000.00.00.G22", ["000.00.00.H26"], number="907", subject="Công văn chờ Hà Nội tải về")
print(base64.b64encode(pkg).decode())
`).trim();
  const r = await fetch(`${BASE}/v1/documents`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${g22.token}`, 'Content-Type': 'application/xml' },
    body: Buffer.from(pkg, 'base64'),
  });
  assert(r.status === 201, `send ${r.status}`);
  const sent = await r.json();
  // Hà Nội never fetched it: make it three days old.
  python(`
import sqlite3, os
db = sqlite3.connect(os.environ["LIENTHONG_DB"])
db.execute("UPDATE xevents SET at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-3 days') WHERE state = 'pending' AND delivery_id IN (SELECT id FROM xdeliveries WHERE doc = ?)", ("${sent.id}",))
db.commit()
`);
  const page = await newPage({ token: ADMIN });
  await page.goto(`${BASE}/operations?stuck_hours=1`);
  const row = page.locator(`table.waiting tr[data-system="${h26.id}"]`);
  await row.waitFor();
  assert((await row.locator('td.stuck').textContent()) === '1', 'one stuck delivery for Hà Nội');
  await row.getByRole('link', { name: /^3 ngày/ }).waitFor();
  await assertLabelled(page);
  await page.getByRole('link', { name: 'Xem các văn bản bị kẹt' }).click();
  await page.waitForURL(/state=pending&older_than_hours=1/);
  const line = page.locator('table.deliveries tr', { hasText: 'Công văn chờ Hà Nội tải về' });
  await line.getByText('Chờ bên nhận tải về').waitFor();
  await line.getByText(/^3 ngày \(từ \d\d\/\d\d\/\d{4} \d\d:\d\d\)$/).waitFor();
  assert((await page.getByLabel('Trạng thái').inputValue()) === 'pending', 'the filter is shown');
  await shot(page, 'operations');
  // Filtered by a sender that sent nothing: nothing.
  await page.getByLabel('Đơn vị gửi (mã)').fill('000.00.00.H29');
  await page.getByRole('button', { name: 'Lọc' }).click();
  await page.getByText('Không có lượt chuyển nào khớp bộ lọc.').waitFor();
  // A bad code: refused next to its field, in Vietnamese.
  await page.getByLabel('Đơn vị gửi (mã)').fill('000.00.9.H29');
  await page.getByRole('button', { name: 'Lọc' }).click();
  await page.locator('.field[data-field="sender"] .field-error').getByText('“000.00.9.H29” không phải là mã định danh hợp lệ').waitFor();

  // A manager of Cao Bằng sees nothing of Hà Nội's.
  const mgr = await newPage({ token: MANAGER });
  await mgr.goto(`${BASE}/operations?stuck_hours=1`);
  await mgr.getByRole('heading', { name: 'Văn bản chờ theo hệ thống nhận' }).waitFor();
  assert((await mgr.locator(`table.waiting tr[data-system="${h26.id}"]`).count()) === 0, "no Hà Nội row for H14's manager");
  assert((await mgr.getByText('Công văn chờ Hà Nội tải về').count()) === 0, "no Hà Nội document for H14's manager");
  return [page, mgr];
});

test('transition campaign: opened after the merger, old codes per system, the mapping, a probe, CSV', async () => {
  const btc = JSON.parse(cli('system', 'add', '--name', 'QLVB Bộ Tài chính', '--code', '000.00.00.G12', '--json'));
  const nv = JSON.parse(cli('system', 'add', '--name', 'QLVB UBND thành phố Hội An', '--code', '000.00.08.H17', '--json'));
  const pkg = python(`
import base64, ltpkg
pkg, docid = ltpkg.edoc("000.00.00.G12", ["000.00.00.H47"], number="77", subject="Gửi theo mã cũ của Quảng Nam")
print(base64.b64encode(pkg).decode())
`).trim();
  const r = await fetch(`${BASE}/v1/documents`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${btc.token}`, 'Content-Type': 'application/xml' },
    body: Buffer.from(pkg, 'base64'),
  });
  assert(r.status === 201, `send ${r.status}`);

  const page = await newPage({ token: ADMIN });
  await page.goto(`${BASE}/transitions`);
  await page.getByRole('heading', { level: 1, name: 'Chuyển đổi mã định danh' }).waitFor();
  await assertLabelled(page);
  await page.getByLabel('Tên đợt chuyển đổi').fill('Sáp nhập Quảng Nam vào Đà Nẵng');
  await page.getByLabel('Thuộc đơn vị').fill('000.00.00.H17');
  // The unit's name shows under its code (and moves the button down) first.
  await page.locator('.unit-echo', { hasText: 'Ủy ban nhân dân thành phố Đà Nẵng' }).waitFor();
  await page.getByRole('button', { name: 'Mở đợt chuyển đổi' }).click();
  await page.waitForURL(/\/transitions\/\d+$/);
  const id = page.url().split('/').pop();
  await page.getByRole('heading', { level: 1, name: 'Chuyển đổi mã định danh: Sáp nhập Quảng Nam vào Đà Nẵng' }).waitFor();
  // The plan's changes: the closed code and the unit that carries its work.
  const h47 = page.locator('.changes tr', { hasText: '000.00.00.H47' }).first();
  await h47.getByText('Ủy ban nhân dân tỉnh Quảng Nam').waitFor();
  await h47.getByRole('link', { name: /000\.00\.00\.H17/ }).waitFor();
  // The mapping to download.
  const map = await page.getByRole('link', { name: 'Bảng chuyển đổi (CSV)' }).getAttribute('href');
  assert(map === '/v1/transition/map?since=2025-07-01&under=000.00.00.H17&format=csv', `map link ${map}`);
  // Each system's progress: the ministry still addresses the old code.
  const row = page.locator(`table.systems-progress tr[data-system="${btc.id}"]`);
  await row.locator('td.old-addressed').getByText(/1 lần: 000\.00\.00\.H47/).waitFor();
  await row.getByText('Chưa xong').waitFor();
  await page.locator(`table.systems-progress tr[data-system="${nv.id}"]`).waitFor();
  await page.getByText('Chưa gửi gói thăm dò.').waitFor();
  // A probe: Hội An's system receives it, units without one are named.
  await page.getByRole('button', { name: 'Gửi gói thăm dò' }).click();
  await page.locator('table.probe-units tr[data-code="000.00.08.H17"]').getByText('Đã chuyển, chưa tải về').waitFor();
  await page.locator('table.probe-units tr[data-result="no_system"]').first().getByText('Chưa có hệ thống nhận').waitFor();
  await shot(page, 'transition', { fullPage: true });
  // The progress as CSV.
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Tải tiến độ (CSV)' }).click()]);
  const csv = fs.readFileSync(await dl.path(), 'utf8');
  assert(csv.startsWith('system_id,system,codes,'), `CSV header: ${csv.slice(0, 80)}`);
  assert(csv.includes(`${btc.id},QLVB Bộ Tài chính,000.00.00.G12,`), `the ministry's row: ${csv}`);
  assert(dl.suggestedFilename() === `chuyen-doi-${id}.csv`, `file name ${dl.suggestedFilename()}`);

  // A campaign that follows the merger's plan: its codes, and the mapping of that plan.
  await page.goto(`${BASE}/transitions`);
  await page.getByLabel('Tên đợt chuyển đổi').fill('Theo Nghị quyết 202/2025/QH15');
  const choice = page.getByLabel('Theo kế hoạch sắp xếp');
  const label = await choice.locator('option', { hasText: 'Quảng Nam' }).textContent();
  assert(label.startsWith('Nghị quyết 202/2025/QH15: '), `the plan named by its decision: ${label}`);
  await choice.selectOption({ label });
  assert(await page.getByLabel('Tính các mã đóng từ ngày').isDisabled(), 'the date is not asked with a plan');
  await page.getByRole('button', { name: 'Mở đợt chuyển đổi' }).click();
  await page.waitForURL((u) => /\/transitions\/\d+$/.test(u.pathname) && !u.pathname.endsWith(`/${id}`));
  await page.locator('.campaign-scope', { hasText: 'theo kế hoạch' }).waitFor();
  const planMap = await page.getByRole('link', { name: 'Bảng chuyển đổi (CSV)' }).getAttribute('href');
  assert(/^\/v1\/transition\/map\?plan=\d+&format=csv$/.test(planMap), `map link by plan ${planMap}`);
  await page.locator('.changes tr', { hasText: '000.00.22.H47' }).getByRole('link', { name: /000\.00\.08\.H17/ }).waitFor();

  // Cao Bằng's manager may not see Đà Nẵng's campaign.
  const mgr = await newPage({ token: MANAGER });
  await mgr.goto(`${BASE}/transitions/${id}`);
  await mgr.locator('#main .alert-error').waitFor();
  assert((await mgr.getByText('Sáp nhập Quảng Nam vào Đà Nẵng').count()) === 0, 'no campaign for H14');
  return [page, mgr];
});

test('chromium --headless --dump-dom renders the search results and the unit (no JavaScript driver)', async () => {
  const profile = fs.mkdtempSync(path.join(tmp, 'dump-'));
  const dump = (url) =>
    execFileSync(CHROMIUM, [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, '--dump-dom', url], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 30000,
    });
  const search = dump(`${BASE}/search?q=cao%20bang`);
  assert(
    search.includes('Kết quả cho “cao bang”') && search.includes('>Ủy ban nhân dân tỉnh Cao Bằng</a>'),
    'search results in the dumped DOM',
  );
  const unit = dump(`${BASE}/units/000.00.00.H14`);
  assert(
    unit.includes('<h1>Ủy ban nhân dân tỉnh Cao Bằng</h1>') && unit.includes('Sở Nội vụ tỉnh Cao Bằng'),
    'the unit and its children in the dumped DOM',
  );
  return [];
});

async function runAll() {
  let ok = 0;
  let bad = 0;
  let n = 0;
  for (const t of tests) {
    if (FILTER && !t.name.includes(FILTER)) continue;
    n += 1;
    const t1 = Date.now();
    const before = new Set(context.pages());
    let pages = [];
    try {
      pages = (await t.fn()) || [];
      const problems = pages.flatMap((p) => p.problems || []);
      if (problems.length) throw new Error(problems.join('\n'));
      ok += 1;
      console.log(`ok ${n} - ${t.name} (${Date.now() - t1} ms)`);
    } catch (e) {
      bad += 1;
      console.log(
        `not ok ${n} - ${t.name}\n  ${String(e.stack || e)
          .split('\n')
          .slice(0, 6)
          .join('\n  ')}`,
      );
      const open = context.pages().filter((p) => !before.has(p));
      for (const [i, p] of open.entries()) {
        const file = path.join(ARTIFACTS, `${t.name.split(':')[0].replace(/[^a-z0-9]+/gi, '-')}-${i + 1}.png`);
        await p.screenshot({ path: file, fullPage: true }).catch(() => {});
        console.log(`  screenshot: ${path.relative(REPO, file)} (${p.url()})`);
        for (const problem of p.problems || []) console.log(`  ${problem}`);
      }
      const log = path.join(tmp, 'lienthongd.log');
      if (fs.existsSync(log)) fs.copyFileSync(log, path.join(ARTIFACTS, 'lienthongd.log'));
    } finally {
      for (const p of context.pages()) if (!before.has(p)) await p.close().catch(() => {});
    }
  }
  return { passed: ok, failed: bad };
}

let context;

async function main() {
  let failed = 0;
  let passed = 0;
  try {
    await setup();
    if (!fs.existsSync(path.join(REPO, 'web', 'vendor', 'chart.umd.min.js')))
      throw new Error('web/vendor/chart.umd.min.js is missing: run `make web`');
    context = await launchChromium(path.join(tmp, 'profile')); // a fresh, empty user-data dir
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE });
    ({ passed, failed } = await runAll());
  } catch (e) {
    console.error(`browser tests could not run: ${e.stack || e}`);
    failed += 1;
  } finally {
    if (context) await context.close().catch(() => {});
    await cleanup();
  }
  console.log(`browser tests took ${((Date.now() - T0) / 1000).toFixed(1)} s`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

await main();
