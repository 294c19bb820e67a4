// /units/{code}?as_of=YYYY-MM-DD: one unit with its code (one click to copy),
// contact data, status and decision, breadcrumbs of its ancestors, its
// children (paged), its history as a timeline and its lineage. With as_of the
// unit and its children are shown as they stood that day.

import { session, unitName, units } from './api.js';
import { ancestors, isCode } from './codes.js';
import { announce, fmtDate, fmtTime, h, parseDate, replace } from './dom.js';
import { CHANGE_KIND, LEVELS } from './vi.js';
import { cardSection, codeCopy, errorBox, statusBadge, unitLink } from './ui.js';

const PAGE = 50;

function unitUrl(code, asOf) {
  return `/units/${encodeURIComponent(code)}${asOf ? `?as_of=${asOf}` : ''}`;
}

function breadcrumbs(code, asOf, name) {
  const items = [h('li', {}, h('a', { href: '/tree' }, 'Danh mục'))];
  const ol = h('ol', {}, items);
  for (const a of ancestors(code)) {
    const link = unitLink(a, '', { asOf });
    ol.append(h('li', {}, link));
    unitName(a, asOf).then((u) => {
      if (u) link.querySelector('.unit-name').textContent = ` ${u.name}`;
    });
  }
  ol.append(h('li', { 'aria-current': 'page' }, h('span', { class: 'code' }, code), ' ', name));
  return h('nav', { class: 'breadcrumbs', 'aria-label': 'Vị trí trong cây đơn vị' }, ol);
}

function detailRows(u) {
  const d = u.decision;
  const rows = [
    ['Cấp', LEVELS[u.level] || String(u.level)],
    ['Trực thuộc', u.parent ? unitLink(u.parent, '', { fetchName: true }) : 'Đơn vị cấp 1 (không có cấp trên)'],
    [
      'Quyết định',
      d && d.number
        ? h('span', {}, `Số ${d.number}, ngày ${fmtDate(d.date)}, của ${d.issuer}`)
        : h('span', { class: 'warn' }, 'Chưa có quyết định'),
    ],
    ['Hiệu lực từ', fmtDate(u.valid_from) || '—'],
  ];
  if (u.valid_to) rows.push(['Hiệu lực đến', fmtDate(u.valid_to)]);
  if (u.reorganized) rows.push(['Ngày sắp xếp tổ chức', fmtDate(u.reorganized)]);
  rows.push(
    ['Địa chỉ', u.address || '—'],
    ['Thư điện tử', u.email ? h('a', { href: `mailto:${u.email}`, 'data-native': true }, u.email) : '—'],
    [
      'Điện thoại',
      u.phone ? h('a', { href: `tel:${u.phone.replace(/[^0-9+]/g, '')}`, 'data-native': true }, u.phone) : '—',
    ],
    ['Fax', u.fax || '—'],
    [
      'Trang thông tin điện tử',
      u.website
        ? h(
            'a',
            {
              href: /^https?:/.test(u.website) ? u.website : `https://${u.website}`,
              rel: 'noopener',
              'data-native': true,
            },
            u.website,
          )
        : '—',
    ],
  );
  if (u.recorded) rows.push(['Cập nhật lên danh mục', fmtDate(u.recorded)]);
  return h(
    'dl',
    { class: 'details' },
    rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
  );
}

function lineage(u, asOf) {
  const preds = u.predecessors || [];
  const succs = u.successors || [];
  const list = (codes, empty) =>
    codes.length
      ? h(
          'ul',
          { class: 'plain' },
          codes.map((c) => h('li', {}, unitLink(c, '', { fetchName: true }))),
        )
      : h('p', { class: 'muted' }, empty);
  return cardSection(
    'lineage-h',
    'Đơn vị tiền thân và kế thừa',
    {},
    h(
      'div',
      { class: 'grid two' },
      h('div', { class: 'predecessors' }, h('h3', {}, 'Tiền thân'), list(preds, 'Không có đơn vị tiền thân.')),
      h(
        'div',
        { class: 'successors' },
        h('h3', {}, 'Kế thừa'),
        list(succs, u.status === 'closed' ? 'Đóng không có đơn vị kế thừa (giải thể).' : 'Đơn vị đang hoạt động.'),
      ),
    ),
    asOf ? h('p', { class: 'muted' }, `Theo tình trạng ngày ${fmtDate(asOf)}.`) : null,
  );
}

function historyTimeline(items, asOf, code) {
  const ol = h('ol', { class: 'timeline' });
  for (const e of items) {
    const later = asOf && e.effective > asOf;
    const d = e.decision;
    const links = [];
    if ((e.predecessors || []).length)
      links.push(
        h(
          'p',
          {},
          'Từ: ',
          e.predecessors.map((c, i) => [i ? ', ' : '', unitLink(c, '', { fetchName: true })]),
        ),
      );
    if ((e.successors || []).length)
      links.push(
        h(
          'p',
          {},
          e.status === 'closed' ? 'Chuyển thành: ' : 'Kế thừa: ',
          e.successors.map((c, i) => [i ? ', ' : '', unitLink(c, '', { fetchName: true })]),
        ),
      );
    ol.append(
      h(
        'li',
        { class: `event kind-${e.kind}${later ? ' later' : ''}${e.status === 'closed' ? ' closes' : ''}` },
        h(
          'p',
          { class: 'event-head' },
          h('time', { datetime: e.effective }, fmtDate(e.effective)),
          ' ',
          h('strong', {}, CHANGE_KIND[e.kind] || e.kind),
          e.status === 'closed' && e.code === code ? h('span', { class: 'badge badge-closed' }, 'Đóng mã') : null,
          later ? h('span', { class: 'badge' }, 'Sau ngày đang xem') : null,
        ),
        h('p', {}, 'Tên: ', e.name),
        d && d.number
          ? h('p', {}, `Quyết định số ${d.number} ngày ${fmtDate(d.date)} của ${d.issuer}`)
          : h('p', { class: 'muted' }, 'Không cần quyết định'),
        links,
        h('p', { class: 'muted small' }, `Ghi nhận lúc ${fmtTime(e.at)}`),
      ),
    );
  }
  return ol;
}

/**
 * Children, 50 at a time: from search (server paging, with the count the hub
 * gives for a parent's listing) today, from the as-of list otherwise. Only
 * the rows of the pages asked for are drawn, so a unit with 999 children,
 * the most a code allows, opens as fast as one with a single child.
 */
function childrenSection(code, asOf, signal) {
  const list = h('ul', { class: 'children plain' });
  const more = h('div', { class: 'pager' });
  const count = h('p', { class: 'result-count', 'aria-live': 'polite' });
  const showClosed = h('input', { type: 'checkbox', id: 'show-closed' });
  const section = cardSection(
    'children-h',
    'Đơn vị trực thuộc',
    {},
    h('p', { class: 'check' }, showClosed, h('label', { for: 'show-closed' }, 'Hiện cả các đơn vị đã đóng')),
    count,
    list,
    more,
  );
  let cursor = null;
  let all = null; // as-of: the whole list, drawn a page at a time
  let shown = 0;
  let seq = 0; // a page that arrives after the checkbox changed belongs to the old list

  const row = (u) =>
    h('li', {}, unitLink(u.code, u.name, { asOf }), u.status === 'closed' ? [' ', statusBadge(u)] : null);
  const when = asOf ? ` vào ngày ${fmtDate(asOf)}` : '';

  function summary(total) {
    if (total === undefined) return shown ? `${shown}${cursor ? '+' : ''} đơn vị.` : 'Không có đơn vị trực thuộc.';
    if (!total) return `Không có đơn vị trực thuộc${when}.`;
    return `${total} đơn vị${when}${total > shown ? `, đang hiện ${shown}` : ''}.`;
  }

  function moreButton(total) {
    const left = total === undefined ? 0 : total - shown;
    return h(
      'button',
      { type: 'button', onclick: (ev) => page(false, ev.currentTarget) },
      left > 0 ? `Xem thêm ${Math.min(PAGE, left)} đơn vị` : 'Xem thêm đơn vị trực thuộc',
    );
  }

  async function page(first, button) {
    const mine = ++seq;
    const status = showClosed.checked ? 'all' : 'active';
    if (first) {
      list.replaceChildren();
      cursor = null;
      all = null;
      shown = 0;
      replace(more);
    } else if (button) {
      // Disabled in place rather than removed: one click adds one page, and
      // the second click of a double click does not land on a row that
      // moved up under the pointer.
      button.disabled = true;
      button.textContent = 'Đang tải…';
    }
    try {
      let items;
      let total;
      let hasMore;
      if (asOf) {
        if (!all) all = (await units.children(code, { asOf, status, signal })).items;
        if (mine !== seq) return;
        items = all.slice(shown, shown + PAGE);
        total = all.length;
        hasMore = shown + items.length < total;
      } else {
        const r = await units.search({ parent: code, status, limit: PAGE, cursor: cursor || undefined }, signal);
        if (mine !== seq) return;
        items = r.items;
        total = r.total;
        cursor = r.next_cursor;
        hasMore = !!cursor;
      }
      const rows = items.map(row);
      replace(more);
      list.append(...rows);
      shown += items.length;
      count.textContent = summary(total);
      if (hasMore) more.append(moreButton(total));
      // The clicked button is gone; keyboard users carry on from the first new row.
      if (!first && rows.length) rows[0].querySelector('a')?.focus();
    } catch (e) {
      if (e.name !== 'AbortError' && mine === seq) replace(more, errorBox(e));
    }
  }
  showClosed.addEventListener('change', () => page(true));
  section.ready = page(true);
  return section;
}

async function manageLinks(u) {
  const me = await session.me().catch(() => null);
  if (!me || !(me.role === 'admin' || me.role === 'manager') || u.status !== 'active') return null;
  if (me.role === 'manager' && !(me.scope === u.code || ancestors(u.code).includes(me.scope))) return null;
  const a = (action, text) => h('li', {}, h('a', { href: `/manage?action=${action}&code=${u.code}` }, text));
  return cardSection(
    'manage-h',
    'Quản lý đơn vị này',
    { class: 'manage-links' },
    h(
      'ul',
      { class: 'actions' },
      u.level < 4 ? a('issue', 'Cấp mã cho đơn vị trực thuộc') : null,
      a('update', 'Cập nhật thông tin liên hệ'),
      a('rename', 'Đổi tên'),
      u.level > 1 ? a('move', 'Chuyển đơn vị') : null,
      a('split', 'Chia tách'),
      a('merge', 'Hợp nhất, sáp nhập'),
      a('dissolve', 'Giải thể'),
    ),
  );
}

export async function render(view, ctx) {
  const code = decodeURIComponent(ctx.match[1]);
  const asOf = ctx.params.get('as_of') || '';
  ctx.title(code);
  if (!isCode(code)) {
    replace(
      view,
      h('h1', {}, 'Mã không hợp lệ'),
      h('p', {}, `“${code}” không phải là mã định danh (mã có dạng 000.00.00.H14).`),
      h('p', {}, h('a', { href: `/search?q=${encodeURIComponent(code)}` }, 'Tìm theo tên')),
    );
    return;
  }
  const asOfForm = h(
    'form',
    { class: 'as-of' },
    h('label', { for: 'as-of' }, 'Xem theo ngày'),
    h('input', {
      type: 'text',
      id: 'as-of',
      name: 'as_of',
      value: fmtDate(asOf),
      inputmode: 'numeric',
      autocomplete: 'off',
      placeholder: 'dd/mm/yyyy',
      'aria-describedby': 'as-of-hint',
    }),
    h('span', { id: 'as-of-hint', class: 'visually-hidden' }, 'Ghi theo ngày/tháng/năm'),
    h('button', { type: 'submit' }, 'Xem'),
    asOf ? h('a', { href: unitUrl(code) }, 'Về hiện tại') : null,
  );
  asOfForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const t = asOfForm.elements.as_of.value.trim();
    const v = parseDate(t);
    if (t && !v) {
      asOfForm.elements.as_of.setAttribute('aria-invalid', 'true');
      announce(`“${t}” không phải là ngày: ghi theo ngày/tháng/năm, ví dụ 01/07/2025.`);
      asOfForm.elements.as_of.focus();
      return;
    }
    ctx.go(unitUrl(code, v || ''));
  });

  let u;
  let hist;
  try {
    [u, hist] = await Promise.all([
      units.get(code, asOf, ctx.signal),
      units
        .history(code, ctx.signal)
        .catch((e) => (e.name === 'AbortError' ? Promise.reject(e) : { items: [], error: e })),
    ]);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    replace(view, h('h1', {}, code), asOf ? asOfForm : null, errorBox(e));
    return;
  }
  ctx.title(`${u.name} (${u.code})`);
  const resolveBox = h('div', { class: 'resolve' });
  if (u.status === 'closed' && !asOf) {
    units.resolve(code, ctx.signal).then(
      (r) =>
        replace(
          resolveBox,
          h(
            'div',
            { class: 'alert alert-info' },
            r.current.length
              ? h(
                  'p',
                  {},
                  'Mã này đã đóng. Mã đang dùng hiện nay: ',
                  r.current.map((c, i) => [i ? ', ' : '', unitLink(c, '', { fetchName: true })]),
                )
              : h('p', {}, 'Mã này đã đóng và không có đơn vị kế thừa đang hoạt động.'),
          ),
        ),
      () => {},
    );
  }
  const banner = asOf
    ? h(
        'div',
        { class: 'alert alert-info as-of-banner', role: 'status' },
        h(
          'p',
          {},
          `Đang xem đơn vị như ngày ${fmtDate(asOf)}. `,
          h('a', { href: unitUrl(code) }, 'Xem tình trạng hiện tại'),
        ),
      )
    : null;
  const manage = h('div');
  const kids = u.level < 4 ? childrenSection(code, asOf, ctx.signal) : null;
  replace(
    view,
    breadcrumbs(code, asOf, u.name),
    h('h1', {}, u.name),
    codeCopy(u.code),
    h('p', { class: 'status-line' }, statusBadge(u), ' ', h('span', { class: 'muted' }, LEVELS[u.level])),
    banner,
    resolveBox,
    asOfForm,
    cardSection('details-h', 'Thông tin đơn vị', {}, detailRows(u)),
    lineage(u, asOf),
    kids,
    cardSection(
      'history-h',
      'Lịch sử thay đổi',
      {},
      hist.error
        ? errorBox(hist.error)
        : hist.items.length
          ? historyTimeline(hist.items, asOf, code)
          : h('p', { class: 'muted' }, 'Chưa có sự kiện nào.'),
    ),
    manage,
  );
  announce(`${u.name}, mã ${u.code}`);
  manageLinks(u).then((m) => m && manage.replaceWith(m));
  if (kids) await kids.ready;
}
