// /search?q=…&level=…&status=…&under=…&cursor=…: search as you type, by name
// words without regard to diacritics or by code prefix, with filters and
// cursor paging. Typing replaces the URL (the back button skips keystrokes);
// turning a page pushes one.

import { api, qs, units } from './api.js';
import { announce, fmtNumber, h, replace } from './dom.js';
import { LEVELS, ORG_KIND, ORG_STATUS } from './vi.js';
import { errorBox, field, statusBadge } from './ui.js';

const PAGE = 50;

function urlOf(p, cursor) {
  const s = new URLSearchParams();
  for (const k of ['q', 'level', 'status', 'under']) if (p[k]) s.set(k, p[k]);
  if (cursor) s.set('cursor', cursor);
  const q = s.toString();
  return `/search${q ? `?${q}` : ''}`;
}

export async function render(view, ctx) {
  const params = ctx.params;
  const q = field({
    key: 'q',
    label: 'Tên đơn vị hoặc mã định danh',
    type: 'search',
    value: params.get('q') || '',
    hint: 'Gõ không dấu cũng được (ví dụ: da nang, so noi vu), hoặc phần đầu của mã (ví dụ: H17, 000.00.00.H1).',
    attrs: { autocomplete: 'off', spellcheck: 'false', enterkeyhint: 'search' },
  });
  const level = field({
    key: 'level',
    label: 'Cấp',
    type: 'select',
    value: params.get('level') || '',
    options: [['', 'Mọi cấp'], ...Object.entries(LEVELS)],
  });
  const status = field({
    key: 'status',
    label: 'Trạng thái',
    type: 'select',
    value: params.get('status') || '',
    options: [
      ['', 'Đang hoạt động'],
      ['closed', 'Đã đóng'],
      ['all', 'Tất cả'],
    ],
  });
  const under = field({
    key: 'under',
    label: 'Thuộc đơn vị (mã)',
    value: params.get('under') || '',
    hint: 'Chỉ tìm trong các đơn vị trực thuộc mã này.',
    attrs: { autocomplete: 'off', spellcheck: 'false', class: 'code-input', placeholder: '000.00.00.H14' },
  });
  const results = h('div', { class: 'results', 'aria-live': 'polite' });
  const heading = h('h1', {}, 'Tra cứu mã định danh điện tử');
  const form = h(
    'form',
    { role: 'search', class: 'search-form', 'aria-label': 'Tìm đơn vị', action: '/search' },
    h('div', { class: 'search-main' }, q.wrap, h('button', { type: 'submit', class: 'primary' }, 'Tìm')),
    h(
      'details',
      { class: 'filters', open: !!(params.get('level') || params.get('status') || params.get('under')) },
      h('summary', {}, 'Bộ lọc: cấp, trạng thái, đơn vị cấp trên'),
      h('div', { class: 'grid' }, level.wrap, status.wrap, under.wrap),
    ),
  );
  replace(view, heading, form, results);
  ctx.title(params.get('q') ? `Tìm “${params.get('q')}”` : 'Tra cứu');

  const current = () => ({ q: q.value, level: level.value, status: status.value, under: under.value });
  let ctl = null;
  let seq = 0;
  let asked = ''; // the address of the last query sent

  /** stale(): the answer is out of date when it comes (the box changed meanwhile); it is then not drawn. */
  async function load(p, cursor, stale = () => false) {
    if (ctl) ctl.abort();
    ctl = new AbortController();
    const mine = ++seq;
    asked = urlOf(p, cursor);
    const landing = !p.q && !p.level && !p.under && !p.status;
    const query = { q: p.q, level: landing ? 1 : p.level, status: p.status, under: p.under, limit: PAGE, cursor };
    results.setAttribute('aria-busy', 'true');
    let data;
    // Digits alone are no agency code: an enterprise code, looked up among the organisations.
    const enterprise = /^[0-9][0-9-]*$/.test(p.q || '');
    try {
      data = enterprise
        ? await api(`/v1/organizations${qs({ q: p.q, limit: PAGE })}`, { signal: ctl.signal })
        : await units.search(query, ctl.signal);
    } catch (e) {
      if (e.name === 'AbortError') return;
      if (mine === seq) {
        replace(results, errorBox(e));
        if (e.status === 400 && /^under /.test(e.message))
          under.setError('Mã đơn vị cấp trên chưa đúng dạng 000.00.00.H14.');
      }
      return;
    } finally {
      if (mine === seq) results.removeAttribute('aria-busy');
    }
    if (mine !== seq || stale()) return;
    under.setError('');
    ctx.title(p.q ? `Tìm “${p.q}”` : 'Tra cứu');
    // A complete closed code goes straight to its unit, which shows where its
    // work went; coming back to this search (the back button) stays here.
    if (data.landed && !(history.state && history.state.landed)) {
      history.replaceState({ stack: [], landed: true }, '', urlOf(p));
      ctx.go(`/units/${data.landed.code}`);
      return;
    }
    if (enterprise) showOrganizations(data, p);
    else showResults(data, p, cursor, landing);
  }

  function showOrganizations(data, p) {
    const caption = `Doanh nghiệp, hợp tác xã có mã “${p.q}”`;
    const summary = data.items.length
      ? `${caption}: ${data.items.length} tổ chức.`
      : `${caption}: không tìm thấy tổ chức nào.`;
    const table = data.items.length
      ? h(
          'table',
          { class: 'units organizations stack-on-phone' },
          h('caption', { class: 'visually-hidden' }, caption),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['Mã số doanh nghiệp', 'Tên tổ chức', 'Loại', 'Trạng thái'].map((t) => h('th', { scope: 'col' }, t)),
            ),
          ),
          h(
            'tbody',
            {},
            data.items.map((o) =>
              h(
                'tr',
                {},
                h('td', { 'data-label': 'Mã' }, h('span', { class: 'code' }, o.code)),
                h('td', { 'data-label': 'Tên' }, o.name),
                h('td', { 'data-label': 'Loại' }, ORG_KIND[o.kind] || o.kind),
                h('td', { 'data-label': 'Trạng thái' }, ORG_STATUS[o.status] || o.status),
              ),
            ),
          ),
        )
      : null;
    replace(results, h('p', { class: 'result-count' }, summary), table);
    announce(summary);
  }

  function showResults(data, p, cursor, landing) {
    const stack = (history.state && history.state.stack) || [];
    const n = data.items.length;
    const caption = data.landed
      ? `Mã ${data.landed.code} đã đóng; đơn vị kế thừa hiện nay: ${data.landed.current.join(', ') || 'không có'}`
      : landing
        ? 'Các đơn vị cấp 1'
        : p.q
          ? `Kết quả cho “${p.q}”`
          : 'Kết quả';
    const page = stack.length + 1;
    // The landing page says how many level-1 units there are (the hub counts them).
    const count = landing && typeof data.total === 'number' ? fmtNumber(data.total) : `${n}${data.next_cursor ? '+' : ''}`;
    const summary = n
      ? `${caption}: ${count} đơn vị${page > 1 || data.next_cursor ? `, trang ${page}` : ''}.`
      : `${caption}: không tìm thấy đơn vị nào.`;
    const table = n
      ? h(
          'table',
          { class: 'units stack-on-phone' },
          h('caption', { class: 'visually-hidden' }, caption),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, 'Mã định danh'),
              h('th', { scope: 'col' }, 'Tên đơn vị'),
              h('th', { scope: 'col' }, 'Cấp'),
              h('th', { scope: 'col' }, 'Trạng thái'),
            ),
          ),
          h(
            'tbody',
            {},
            data.items.map((u) =>
              h(
                'tr',
                {},
                h('td', { 'data-label': 'Mã' }, h('a', { href: `/units/${u.code}`, class: 'code' }, u.code)),
                h('td', { 'data-label': 'Tên' }, h('a', { href: `/units/${u.code}` }, u.name)),
                h('td', { 'data-label': 'Cấp' }, String(u.level)),
                h('td', { 'data-label': 'Trạng thái' }, statusBadge(u)),
              ),
            ),
          ),
        )
      : h(
          'p',
          { class: 'empty' },
          p.q ? 'Thử ít chữ hơn, bỏ bớt bộ lọc, hoặc chọn trạng thái “Tất cả” để tìm cả các đơn vị đã đóng.' : '',
        );
    const pager = h(
      'nav',
      { class: 'pager', 'aria-label': 'Phân trang kết quả' },
      stack.length ? h('button', { type: 'button', onclick: () => history.back() }, '← Trang trước') : null,
      data.next_cursor
        ? h(
            'button',
            {
              type: 'button',
              onclick: () => {
                history.pushState({ stack: [...stack, cursor || ''] }, '', urlOf(p, data.next_cursor));
                load(p, data.next_cursor);
              },
            },
            'Trang sau →',
          )
        : null,
    );
    replace(results, h('p', { class: 'result-count' }, summary), table, pager);
    announce(summary);
  }

  // Typing sends a query at once, without waiting for a pause: a pause long
  // enough to tell typing from stopping would itself be a visible delay.
  // Keys typed while a query is on its way are gathered into one follow-up,
  // sent when the answer comes, so one tab never has more than one search
  // in flight and an answer costs no aborted connection.
  let inFlight = false;
  let again = false;
  const typed = async () => {
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    try {
      do {
        again = false;
        const p = current();
        // A space after a word asks nothing new (the box is read trimmed).
        if (urlOf(p) === asked) continue;
        history.replaceState({ stack: [] }, '', urlOf(p));
        await load(p, undefined, () => urlOf(current()) !== urlOf(p));
      } while (again);
    } finally {
      inFlight = false;
    }
  };
  q.input.addEventListener('input', typed);
  under.input.addEventListener('input', () => {
    const v = under.value;
    if (!v || /^[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}$/.test(v)) typed();
  });
  level.input.addEventListener('change', typed);
  status.input.addEventListener('change', typed);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    again = false;
    const p = current();
    history.replaceState({ stack: [] }, '', urlOf(p));
    load(p);
  });

  await load(current(), params.get('cursor') || undefined);
  if (!params.get('cursor')) q.input.focus();
}
