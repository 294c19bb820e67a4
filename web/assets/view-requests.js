// /requests: change requests. A unit (requester) files a change with its
// files and follows it; a manager works the queue of its scope, filtered by
// state and unit (docs/requests.md).

import { qs, requests, session } from './api.js';
import { fmtDate, fmtTime, h, replace } from './dom.js';
import { REQUEST_KIND, REQUEST_STATE } from './vi.js';
import { FieldSet, cardSection, errorBox, field, signInNotice, unitField, unitLink } from './ui.js';

/** The proposal fields each kind asks for, and how they become the proposal object. */
const KINDS = {
  rename: {
    fields: () => [field({ key: 'name', label: 'Tên mới', required: true })],
    proposal: ([name]) => ({ name: name.value }),
  },
  update: {
    fields: () => [
      field({ key: 'address', label: 'Địa chỉ' }),
      field({ key: 'email', label: 'Thư điện tử', type: 'email' }),
      field({ key: 'phone', label: 'Số điện thoại' }),
      field({ key: 'website', label: 'Trang thông tin điện tử' }),
    ],
    proposal: (fs) => Object.fromEntries(fs.filter((f) => f.value).map((f) => [f.key, f.value])),
  },
  issue: {
    fields: () => [field({ key: 'name', label: 'Tên đơn vị mới (trực thuộc đơn vị trên)', required: true })],
    proposal: ([name], unit) => ({ parent: unit, name: name.value }),
  },
  merge: {
    fields: () => [
      field({
        key: 'from',
        label: 'Các đơn vị hợp nhất',
        required: true,
        hint: 'Mã các đơn vị, cách nhau bởi dấu phẩy hoặc dấu cách.',
      }),
      field({ key: 'into.name', label: 'Tên đơn vị mới sau hợp nhất', required: true }),
    ],
    proposal: ([from, name], unit) => ({ from: codes(from.value), into: { parent: unit, name: name.value } }),
  },
  move: {
    fields: () => [unitField({ key: 'into.parent', label: 'Đơn vị cấp trên mới' })],
    proposal: ([parent], unit) => ({ from: [unit], into: { parent: parent.value } }),
  },
  dissolve: {
    fields: () => [],
    proposal: (_, unit) => ({ from: [unit] }),
  },
};

const codes = (text) => text.split(/[\s,;]+/).filter(Boolean);

export async function render(view, ctx) {
  ctx.title('Đề nghị thay đổi');
  const me = await session.me();
  const heading = h('h1', {}, 'Đề nghị thay đổi mã định danh');
  const intro = h(
    'p',
    {},
    'Đơn vị gửi đề nghị khi được thành lập, chia tách, hợp nhất, giải thể, đổi tên hoặc chuyển đơn vị cấp trên; cơ quan quản lý mã xem xét, ban hành quyết định và cập nhật danh mục. Thay đổi thông tin liên hệ được cập nhật ngay.',
  );
  if (!me) {
    replace(view, heading, intro, signInNotice('Đề nghị thay đổi'));
    return;
  }
  if (me.role === 'reader') {
    replace(
      view,
      heading,
      h('div', { class: 'alert alert-info' }, h('p', {}, 'Tài khoản tra cứu không xem được các đề nghị thay đổi.')),
    );
    return;
  }
  const state = ctx.params.get('state') || (me.role === 'manager' || me.role === 'admin' ? 'open' : '');
  const under = ctx.params.get('under') || '';
  replace(view, heading, intro, newRequestForm(me, ctx), await queue(ctx, state, under));
}

async function queue(ctx, state, under) {
  const st = field({
    key: 'state',
    label: 'Trạng thái',
    type: 'select',
    value: state,
    options: [['', 'Tất cả'], ['open', 'Chưa xử lý xong'], ...Object.entries(REQUEST_STATE)],
  });
  const un = unitField({ key: 'under', label: 'Thuộc đơn vị', value: under, required: false });
  const form = h(
    'form',
    { class: 'filters', 'aria-label': 'Lọc đề nghị' },
    h('div', { class: 'grid' }, st.wrap, un.wrap),
    h('button', { type: 'submit' }, 'Lọc'),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    ctx.go(`/requests${qs({ state: st.value || 'all', under: un.value })}`);
  });
  const out = h('div', { 'aria-live': 'polite' });
  try {
    const r = await requests.list({ state: state === 'all' ? '' : state, under, limit: 200 }, ctx.signal);
    replace(out, r.items.length ? table(r.items) : h('p', { class: 'empty' }, 'Không có đề nghị nào.'));
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    replace(out, errorBox(e));
  }
  return cardSection('queue-h', 'Danh sách đề nghị', { class: 'queue' }, form, out);
}

function table(items) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'stack-on-phone requests' },
      h('caption', { class: 'visually-hidden' }, 'Các đề nghị thay đổi'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Số', 'Đề nghị', 'Đơn vị', 'Trạng thái', 'Ngày gửi', 'Hạn quyết định'].map((t) => h('th', { scope: 'col' }, t)),
        ),
      ),
      h(
        'tbody',
        {},
        items.map((r) =>
          h(
            'tr',
            {},
            h('td', { 'data-label': 'Số' }, h('a', { href: `/requests/${r.id}` }, `Đề nghị số ${r.id}`)),
            h('td', { 'data-label': 'Đề nghị' }, REQUEST_KIND[r.kind] || r.kind),
            h('td', { 'data-label': 'Đơn vị' }, unitLink(r.unit, '', { fetchName: true })),
            h('td', { 'data-label': 'Trạng thái' }, stateBadge(r.state)),
            h('td', { 'data-label': 'Ngày gửi' }, fmtTime(r.filed)),
            h('td', { 'data-label': 'Hạn quyết định' }, fmtDate(r.deadlines?.decision_due) || '—'),
          ),
        ),
      ),
    ),
  );
}

export function stateBadge(state) {
  const cls = { applied: 'badge-active', rejected: 'badge-closed', returned: 'badge-warn' }[state] || 'badge-info';
  return h('span', { class: `badge ${cls}`, 'data-state': state }, REQUEST_STATE[state] || state);
}

function newRequestForm(me, ctx) {
  const summary = h('div', { tabindex: '-1' });
  const fs = new FieldSet(summary);
  const kind = fs.add(
    field({
      key: 'kind',
      label: 'Loại đề nghị',
      type: 'select',
      value: 'rename',
      options: Object.entries(REQUEST_KIND).filter(([k]) => KINDS[k]),
    }),
  );
  const unit = fs.add(unitField({ key: 'unit', label: 'Đơn vị', value: me.scope || '' }));
  const specific = h('div', { class: 'grid' });
  let kindFields = [];
  const drawKind = () => {
    for (const f of kindFields) fs.remove(f);
    kindFields = KINDS[kind.value].fields().map((f) => fs.add(f));
    replace(
      specific,
      kindFields.map((f) => f.wrap),
    );
  };
  kind.input.addEventListener('change', drawKind);
  drawKind();
  const reason = fs.add(field({ key: 'reason', label: 'Lý do, căn cứ', type: 'textarea' }));
  const reorganized = fs.add(
    field({
      key: 'reorganized',
      label: 'Ngày sắp xếp tổ chức',
      type: 'date',
      hint: 'Quyết định sửa đổi mã phải ban hành trong 30 ngày kể từ ngày này.',
    }),
  );
  const files = field({
    key: 'files',
    label: 'Tệp đính kèm (dự thảo quyết định, quyết định thành lập…)',
    type: 'file',
    attrs: { multiple: true },
  });
  const form = h(
    'form',
    { class: 'card new-request', 'aria-labelledby': 'new-request-h', novalidate: true },
    h('h2', { id: 'new-request-h' }, 'Gửi đề nghị mới'),
    h('div', { class: 'grid' }, kind.wrap, unit.wrap),
    specific,
    reason.wrap,
    reorganized.wrap,
    files.wrap,
    summary,
    h('button', { type: 'submit', class: 'primary' }, 'Gửi đề nghị'),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    fs.clear();
    const body = {
      kind: kind.value,
      unit: unit.value,
      proposal: KINDS[kind.value].proposal(kindFields, unit.value),
      reason: reason.value,
    };
    if (reorganized.value) body.reorganized = reorganized.value;
    const btn = form.querySelector('button[type=submit]');
    btn.disabled = true;
    try {
      const r = await requests.create(body);
      for (const f of files.input.files) await requests.upload(r.id, f);
      ctx.go(`/requests/${r.id}`);
    } catch (e) {
      fs.showError(e);
    } finally {
      btn.disabled = false;
    }
  });
  return form;
}
