// /compliance?level1=CODE: decisions taken more than 30 days after the
// reorganisation, changes that reached the catalogue more than 7 days after
// their decision, and active units with no decision (design.md §4).

import { api, qs, units } from './api.js';
import { fmtDate, h, replace } from './dom.js';
import { CHANGE_KIND, COMPLIANCE_KIND, REQUEST_KIND, REQUEST_STATE } from './vi.js';
import { errorBox, field, unitLink } from './ui.js';

export async function render(view, ctx) {
  ctx.title('Tuân thủ thời hạn');
  const level1 = ctx.params.get('level1') || '';
  const kindFilter = ctx.params.get('kind') || '';
  const l1 = await units.searchAll({ level: 1, status: 'all', limit: 500 }, ctx.signal);

  const sel = field({
    key: 'level1',
    label: 'Đơn vị cấp 1',
    type: 'select',
    value: level1,
    options: [
      ['', 'Tất cả đơn vị cấp 1'],
      ...l1.map((u) => [u.code, `${u.name} (${u.code})${u.status === 'closed' ? ', đã đóng' : ''}`]),
    ],
  });
  const kind = field({
    key: 'kind',
    label: 'Loại vi phạm',
    type: 'select',
    value: kindFilter,
    options: [['', 'Tất cả'], ...Object.entries(COMPLIANCE_KIND)],
  });
  const form = h(
    'form',
    { class: 'card', 'aria-label': 'Lọc báo cáo' },
    h('div', { class: 'grid' }, sel.wrap, kind.wrap),
    h('button', { type: 'submit', class: 'primary' }, 'Xem báo cáo'),
  );
  const out = h('div', { 'aria-live': 'polite' });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    ctx.go(`/compliance${qs({ level1: sel.value, kind: kind.value })}`);
  });
  sel.input.addEventListener('change', () => form.requestSubmit());
  kind.input.addEventListener('change', () => form.requestSubmit());
  replace(
    view,
    h('h1', {}, 'Tuân thủ thời hạn cập nhật mã'),
    h(
      'p',
      {},
      'Quyết định sửa đổi mã phải ban hành trong 30 ngày kể từ khi sắp xếp tổ chức; thay đổi phải được cập nhật lên danh mục trong 7 ngày kể từ ngày quyết định. Báo cáo liệt kê các trường hợp muộn và các đơn vị đang hoạt động chưa có quyết định.',
    ),
    form,
    out,
  );

  let rep;
  try {
    rep = await api(`/v1/reports/compliance${qs({ level1 })}`, { signal: ctx.signal });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    replace(out, errorBox(e));
    return;
  }
  const items = kindFilter ? rep.items.filter((x) => x.kind === kindFilter) : rep.items;
  const counts = {};
  for (const x of rep.items) counts[x.kind] = (counts[x.kind] || 0) + 1;
  const summary = h(
    'div',
    { class: 'stats-cards' },
    Object.entries(COMPLIANCE_KIND).map(([k, t]) =>
      h('div', { class: 'stat' }, h('strong', {}, String(counts[k] || 0)), t),
    ),
  );
  if (!items.length) {
    replace(out, summary, h('div', { class: 'alert alert-ok' }, h('p', {}, 'Không có trường hợp nào cần xử lý.')));
    return;
  }
  const rows = items.map((x) => (x.request ? requestRow(x) : changeRow(x)));
  replace(
    out,
    summary,
    h('p', { class: 'result-count' }, `${items.length} trường hợp${level1 ? ` thuộc ${level1}` : ''}.`),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'stack-on-phone' },
        h('caption', { class: 'visually-hidden' }, 'Các trường hợp muộn hoặc chưa có quyết định'),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Loại', 'Đơn vị', 'Thay đổi', 'Các mốc', 'Thời gian'].map((t) => h('th', { scope: 'col' }, t)),
          ),
        ),
        h('tbody', {}, rows),
      ),
    ),
  );
}

/** A change request past a deadline: a link to it, its kind and where it stands. */
function requestRow(x) {
  return h(
    'tr',
    {},
    h('td', { 'data-label': 'Loại' }, h('span', { class: 'badge badge-warn' }, COMPLIANCE_KIND[x.kind] || x.kind)),
    h('td', { 'data-label': 'Đơn vị' }, unitLink(x.code, '', { fetchName: true })),
    h(
      'td',
      { 'data-label': 'Thay đổi' },
      h('a', { href: `/requests/${x.request}` }, `Đề nghị số ${x.request}`),
      `: ${REQUEST_KIND[x.request_kind] || x.request_kind} (${REQUEST_STATE[x.state] || x.state})`,
    ),
    h('td', { 'data-label': 'Các mốc' }, x.reorganized ? `Sắp xếp: ${fmtDate(x.reorganized)}` : ''),
    h('td', { 'data-label': 'Thời gian', class: 'num' }, `${x.days} ngày (hạn ${x.limit_days} ngày)`),
  );
}

function changeRow(x) {
  const d = x.decision;
  const what =
    x.kind === 'pending'
      ? h('span', {}, 'Đơn vị chưa có quyết định trong danh mục')
      : h(
          'span',
          {},
          `${CHANGE_KIND[x.change_kind] || x.change_kind}; quyết định số ${d.number} ngày ${fmtDate(d.date)} của ${d.issuer}`,
        );
  const dates =
    x.kind === 'pending'
      ? `Từ ${fmtDate(x.since)}`
      : [
          x.reorganized ? `Sắp xếp: ${fmtDate(x.reorganized)}` : null,
          `Quyết định: ${fmtDate(d.date)}`,
          `Cập nhật: ${fmtDate(x.recorded)}`,
        ]
          .filter(Boolean)
          .join('; ');
  const late = x.kind === 'pending' ? `${x.days} ngày` : `${x.days} ngày (hạn ${x.limit_days} ngày)`;
  return h(
    'tr',
    {},
    h(
      'td',
      { 'data-label': 'Loại' },
      h(
        'span',
        { class: `badge ${x.kind === 'pending' ? 'badge-warn' : 'badge-closed'}` },
        COMPLIANCE_KIND[x.kind] || x.kind,
      ),
    ),
    h('td', { 'data-label': 'Đơn vị' }, unitLink(x.code, x.name || '', { fetchName: !x.name })),
    h('td', { 'data-label': 'Thay đổi' }, what),
    h('td', { 'data-label': 'Các mốc' }, dates),
    h('td', { 'data-label': 'Thời gian', class: 'num' }, late),
  );
}
