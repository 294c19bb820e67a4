// /transitions and /transitions/{id}: "Chuyển đổi mã định danh". After a
// reform, every connected system must move to the new codes; a campaign
// shows the plan's changes, the mapping to download, each system's progress
// as the hub measures it, and the results of a probe run (docs/campaigns.md).

import { ApiError, qs, session, transitions } from './api.js';
import { fmtDate, fmtNumber, fmtTime, h, replace } from './dom.js';
import { FieldSet, cardSection, errorBox, field, signInNotice, unitField, unitLink } from './ui.js';

const TITLE = 'Chuyển đổi mã định danh';

const PROBE_RESULT = {
  no_system: 'Chưa có hệ thống nhận',
  not_delivered: 'Chưa chuyển được',
  delivered: 'Đã chuyển, chưa tải về',
  fetched: 'Đã tải về, chưa xác nhận',
  acknowledged: 'Đã xác nhận',
  answered: 'Đã báo đã nhận (01)',
};

export async function render(view, ctx) {
  ctx.title(TITLE);
  const me = await session.me();
  if (!me) {
    replace(view, h('h1', {}, TITLE), signInNotice('Chuyển đổi mã định danh'));
    return;
  }
  if (me.role !== 'admin' && me.role !== 'manager') {
    replace(
      view,
      h('h1', {}, TITLE),
      h('div', { class: 'alert alert-info' }, h('p', {}, 'Chỉ quản trị viên và cán bộ quản lý mã xem được các đợt chuyển đổi.')),
    );
    return;
  }
  if (ctx.match[1]) await campaign(view, ctx, me, ctx.match[1]);
  else await list(view, ctx, me);
}

// ---- the list, and opening a campaign ----

async function list(view, ctx, me) {
  const out = h('div', { 'aria-live': 'polite' });
  try {
    const r = await transitions.list(ctx.signal);
    replace(
      out,
      r.items.length
        ? h(
            'ul',
            { class: 'campaigns' },
            r.items.map((c) =>
              h(
                'li',
                {},
                h('a', { href: `/transitions/${c.id}` }, c.name),
                c.plan ? ` — theo kế hoạch số ${c.plan}` : ` — mã đóng từ ${fmtDate(c.since)}`,
                c.under ? [' thuộc ', unitLink(c.under, '', { fetchName: true })] : ' trên cả danh mục',
              ),
            ),
          )
        : h('p', { class: 'empty' }, 'Chưa có đợt chuyển đổi nào.'),
    );
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    replace(out, errorBox(e));
  }
  replace(
    view,
    h('h1', {}, TITLE),
    h(
      'p',
      {},
      'Sau mỗi đợt sắp xếp, sáp nhập, mọi hệ thống kết nối phải chuyển dữ liệu sang mã mới và thôi dùng mã cũ. Mỗi đợt chuyển đổi theo dõi các hệ thống liên quan bằng số liệu trục tự đo được.',
    ),
    cardSection('campaigns-h', 'Các đợt chuyển đổi', {}, out),
    openForm(ctx, me, await plans(ctx)),
  );
}

/** The plans applied, for the form's choice; none when they cannot be read. */
async function plans(ctx) {
  try {
    return (await transitions.plans(ctx.signal)).items || [];
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    return [];
  }
}

const decisionText = (d) => (d ? `${d.kind ? `${d.kind} ` : ''}${d.number}` : '');

function openForm(ctx, me, planList) {
  const summary = h('div', { tabindex: '-1' });
  const fs = new FieldSet(summary);
  const name = fs.add(field({ key: 'name', label: 'Tên đợt chuyển đổi', required: true }));
  const plan = fs.add(
    field({
      key: 'plan',
      label: 'Theo kế hoạch sắp xếp',
      type: 'select',
      options: [['', 'Không: theo ngày đóng mã'], ...planList.map((p) => [String(p.id), `${decisionText(p.decision)}: ${p.title}`])],
      hint: 'Chọn một kế hoạch để theo dõi đúng các mã kế hoạch đó đã đóng; hoặc để trống và ghi ngày.',
    }),
  );
  const since = fs.add(
    field({ key: 'since', label: 'Tính các mã đóng từ ngày', type: 'date', value: '2025-07-01' }),
  );
  const syncSince = () => {
    since.input.disabled = !!plan.value;
  };
  plan.input.addEventListener('change', syncSince);
  const under = fs.add(
    unitField({
      key: 'under',
      label: 'Thuộc đơn vị',
      required: me.role === 'manager',
      status: 'all',
      value: me.role === 'manager' ? me.scope : '',
      hint: 'Mã đóng hoặc đơn vị kế thừa nằm dưới đơn vị này. Để trống: cả danh mục (chỉ quản trị viên).',
    }),
  );
  const form = h(
    'form',
    { class: 'open-campaign', 'aria-label': 'Mở đợt chuyển đổi' },
    summary,
    h('div', { class: 'grid' }, name.wrap, plan.wrap, since.wrap, under.wrap),
    h('button', { type: 'submit' }, 'Mở đợt chuyển đổi'),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    fs.clear();
    try {
      const body = { name: name.value, ...(under.value ? { under: under.value } : {}) };
      if (plan.value) body.plan = Number(plan.value);
      else body.since = since.value;
      const c = await transitions.open(body);
      ctx.go(`/transitions/${c.id}`);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      fs.showError(e);
    }
  });
  return cardSection('open-h', 'Mở đợt chuyển đổi mới', {}, form);
}

// ---- one campaign ----

async function campaign(view, ctx, me, id) {
  let c;
  try {
    c = await transitions.get(id, ctx.signal);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    replace(view, h('h1', {}, TITLE), errorBox(e));
    return;
  }
  ctx.title(`${TITLE}: ${c.name}`);
  let report = null;
  try {
    report = await transitions.probeReport(id, ctx.signal);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    if (e.status !== 404) throw e;
  }
  const probeBox = h('div', { 'aria-live': 'polite' });
  const showReport = (r) => replace(probeBox, r ? probeTable(r) : h('p', { class: 'empty' }, 'Chưa gửi gói thăm dò.'));
  showReport(report);
  const probeMsg = h('div');
  const send = h(
    'button',
    {
      type: 'button',
      class: 'send-probe',
      onclick: async () => {
        send.disabled = true;
        replace(probeMsg);
        try {
          showReport(await transitions.probe(id));
        } catch (e) {
          replace(probeMsg, errorBox(e, { title: 'Không gửi được gói thăm dò.' }));
        } finally {
          send.disabled = false;
        }
      },
    },
    'Gửi gói thăm dò',
  );
  replace(
    view,
    h('h1', {}, `${TITLE}: ${c.name}`),
    h(
      'p',
      { class: 'campaign-scope' },
      c.plan
        ? [
            `Các mã đã đóng theo kế hoạch “${c.plan.title}” (${decisionText(c.plan.decision)}, hiệu lực từ ${fmtDate(c.plan.effective)})`,
          ]
        : `Các mã đóng từ ngày ${fmtDate(c.since)}`,
      c.under ? [' thuộc ', unitLink(c.under, '', { fetchName: true })] : ' trên cả danh mục',
      `. Mở lúc ${fmtTime(c.created)}.`,
    ),
    cardSection('changes-h', 'Các thay đổi mã', { class: 'changes' }, changesTable(c.changes)),
    cardSection('map-h', 'Bảng chuyển đổi mã', { class: 'map' }, mapLinks(c)),
    cardSection(
      'progress-h',
      'Tiến độ của các hệ thống kết nối',
      { class: 'progress' },
      h(
        'p',
        { class: 'hint' },
        'Số liệu do trục tự đo: lần tải bảng chuyển đổi, lần đọc danh mục (luồng thay đổi, danh mục dùng chung, getAgenciesList) sau thay đổi, xác nhận gói thăm dò, và các lần còn dùng mã cũ.',
      ),
      progressTable(c.systems),
      h('button', { type: 'button', class: 'csv-export', onclick: () => downloadCsv(c) }, 'Tải tiến độ (CSV)'),
    ),
    cardSection('probe-h', 'Gói thăm dò', { class: 'probe' }, h('p', {}, send), probeMsg, probeBox),
  );
}

function changesTable(changes) {
  if (!changes.length) return h('p', { class: 'empty' }, 'Không có mã nào.');
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'stack-on-phone' },
      h('caption', { class: 'visually-hidden' }, 'Mã cũ và mã mới'),
      h('thead', {}, h('tr', {}, ['Mã cũ', 'Tên cũ', 'Mã mới', 'Tên mới', 'Ngày đóng'].map((t) => h('th', { scope: 'col' }, t)))),
      h(
        'tbody',
        {},
        changes.map((x) =>
          h(
            'tr',
            {},
            h('td', { 'data-label': 'Mã cũ' }, h('span', { class: 'code' }, x.old_code)),
            h('td', { 'data-label': 'Tên cũ' }, x.old_name || ''),
            h('td', { 'data-label': 'Mã mới' }, x.new_code ? unitLink(x.new_code) : 'Không có đơn vị kế thừa'),
            h('td', { 'data-label': 'Tên mới' }, x.new_name || ''),
            h('td', { 'data-label': 'Ngày đóng' }, fmtDate(x.closed)),
          ),
        ),
      ),
    ),
  );
}

function mapLinks(c) {
  const q = (format) =>
    `/v1/transition/map${qs(c.plan ? { plan: c.plan.id, under: c.under, format } : { since: c.since, under: c.under, format })}`;
  return [
    h('p', {}, 'Các hệ thống dùng bảng này để chuyển dữ liệu của mình sang mã mới (lệnh lienthong convert đọc cùng bảng).'),
    h(
      'ul',
      {},
      h('li', {}, h('a', { href: q('csv'), class: 'map-csv', 'data-native': true, download: true }, 'Bảng chuyển đổi (CSV)')),
      h('li', {}, h('a', { href: q('json'), 'data-native': true, download: true }, 'Bảng chuyển đổi (JSON)')),
      h('li', {}, h('a', { href: q('sql'), 'data-native': true, download: true }, 'Câu lệnh cập nhật (SQL)')),
    ),
  ];
}

const when = (t) => (t ? fmtTime(t) : h('span', { class: 'badge badge-warn' }, 'Chưa'));

function uses(u) {
  if (!u.count) return h('span', { class: 'badge badge-active' }, 'Không');
  return [h('strong', {}, fmtNumber(u.count)), ` lần: ${u.codes.join(', ')}`, u.last_seen ? ` (gần nhất ${fmtTime(u.last_seen)})` : ''];
}

function progressTable(systems) {
  if (!systems.length) return h('p', { class: 'empty' }, 'Không có hệ thống kết nối nào liên quan.');
  const cols = [
    'Hệ thống',
    'Đã tải bảng chuyển đổi',
    'Đã cập nhật danh mục',
    'Đã xác nhận gói thăm dò',
    'Còn gửi tới mã cũ',
    'Còn gửi bằng mã cũ',
    'Hoàn tất',
  ];
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'stack-on-phone systems-progress' },
      h('caption', { class: 'visually-hidden' }, 'Tiến độ từng hệ thống'),
      h('thead', {}, h('tr', {}, cols.map((t) => h('th', { scope: 'col' }, t)))),
      h(
        'tbody',
        {},
        systems.map((s) =>
          h(
            'tr',
            { dataset: { system: s.id } },
            h('td', { 'data-label': cols[0] }, h('strong', {}, s.name), h('br'), h('span', { class: 'code' }, s.codes.join(', '))),
            h('td', { 'data-label': cols[1] }, when(s.map_fetched)),
            h('td', { 'data-label': cols[2] }, when(s.catalogue_refreshed)),
            h('td', { 'data-label': cols[3] }, when(s.probe_acked)),
            h('td', { 'data-label': cols[4], class: 'old-addressed' }, uses(s.old_codes_addressed)),
            h('td', { 'data-label': cols[5], class: 'old-sent-as' }, uses(s.old_codes_sent_as)),
            h(
              'td',
              { 'data-label': cols[6] },
              h('span', { class: `badge ${s.ready ? 'badge-active' : 'badge-warn'}` }, s.ready ? 'Đã xong' : 'Chưa xong'),
            ),
          ),
        ),
      ),
    ),
  );
}

async function downloadCsv(c) {
  const blob = await transitions.csv(c.id);
  const a = h('a', { href: URL.createObjectURL(blob), download: `chuyen-doi-${c.id}.csv`, hidden: true });
  document.body.append(a);
  a.click();
  setTimeout(() => {
    URL.revokeObjectURL(a.href);
    a.remove();
  }, 1000);
}

function probeTable(r) {
  const counts = Object.entries(r.counts || {})
    .filter(([, n]) => n)
    .map(([k, n]) => `${PROBE_RESULT[k] || k}: ${fmtNumber(n)}`)
    .join('; ');
  return [
    h('p', { class: 'probe-summary' }, `Gửi lúc ${fmtTime(r.at)}. ${counts}.`),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'stack-on-phone probe-units' },
        h('caption', { class: 'visually-hidden' }, 'Kết quả gói thăm dò theo đơn vị'),
        h('thead', {}, h('tr', {}, ['Đơn vị', 'Kết quả', 'Hệ thống nhận', 'Đã tải về', 'Đã xác nhận', 'Báo đã nhận (01)'].map((t) => h('th', { scope: 'col' }, t)))),
        h(
          'tbody',
          {},
          r.units.map((u) =>
            h(
              'tr',
              { dataset: { code: u.code, result: u.result } },
              h('td', { 'data-label': 'Đơn vị' }, unitLink(u.code, u.name)),
              h('td', { 'data-label': 'Kết quả' }, PROBE_RESULT[u.result] || u.result),
              h('td', { 'data-label': 'Hệ thống nhận' }, u.systems.map((s) => s.name).join(', ') || '—'),
              h('td', { 'data-label': 'Đã tải về' }, u.systems.length ? u.systems.map((s) => (s.fetched ? fmtTime(s.fetched) : 'Chưa')).join(', ') : '—'),
              h('td', { 'data-label': 'Đã xác nhận' }, u.systems.length ? u.systems.map((s) => (s.acknowledged ? fmtTime(s.acknowledged) : 'Chưa')).join(', ') : '—'),
              h('td', { 'data-label': 'Báo đã nhận (01)' }, u.status_01 ? fmtTime(u.status_01) : u.systems.length ? 'Chưa' : '—'),
            ),
          ),
        ),
      ),
    ),
  ];
}
