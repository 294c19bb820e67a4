// /manage?action=csv: a manager's table in and out as CSV. An upload is
// always checked first (a dry run): the page lists what would be inserted
// and updated, each unit by code and name, and every refused row with its
// line, the file's own column and the reason in Vietnamese; only a clean
// check can be applied. Downloads come in our columns or the shared
// catalogue's (dmdc).

import { csvFiles, forgetUnits } from './api.js';
import { announce, fmtNumber, h, replace, todayIso, uid } from './dom.js';
import { importReason } from './vi.js';
import { FieldSet, errorBox, field, unitField, unitLink } from './ui.js';

const MODES = [
  ['insert', 'Chỉ thêm đơn vị mới', 'Dòng có mã đã có trong danh mục bị từ chối.'],
  ['upsert', 'Thêm mới và sửa đơn vị đã có', 'Dòng có mã đã có sẽ sửa tên, thông tin liên hệ, quyết định của đơn vị đó theo tệp.'],
];

function table(cls, headers, rows) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: `${cls} stack-on-phone` },
      h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, rows),
    ),
  );
}

const td = (label, ...children) => h('td', { 'data-label': label }, children);

/** The counts of a report, as a sentence. */
function counts(rep, dry) {
  const verb = dry ? 'sẽ' : 'đã';
  return `${fmtNumber(rep.rows)} dòng: ${verb} thêm mới ${fmtNumber(rep.inserted)}, ${verb} sửa ${fmtNumber(
    rep.updated,
  )}, không đổi ${fmtNumber(rep.unchanged)}, bị từ chối ${fmtNumber(rep.refused)}.`;
}

function errorsTable(rep) {
  return [
    h('h3', {}, `Các dòng bị từ chối (${fmtNumber(rep.errors.length)})`),
    table(
      'import-errors',
      ['Dòng', 'Cột', 'Mã', 'Tên đơn vị', 'Lý do'],
      rep.errors.map((e) =>
        h(
          'tr',
          { dataset: { line: String(e.line) } },
          td('Dòng', String(e.line)),
          td('Cột', e.column || '—'),
          td('Mã', e.code || '—'),
          td('Tên đơn vị', e.name || '—'),
          td('Lý do', h('span', { dataset: { detail: e.reason } }, importReason(e))),
        ),
      ),
    ),
  ];
}

function previewTable(rep) {
  if (!rep.items || !rep.items.length) return null;
  return [
    h('h3', {}, 'Những thay đổi sẽ ghi vào danh mục'),
    table(
      'import-preview',
      ['Dòng', 'Thao tác', 'Mã', 'Tên đơn vị', 'Chi tiết'],
      rep.items.map((it) =>
        h(
          'tr',
          { dataset: { line: String(it.line) } },
          td('Dòng', String(it.line)),
          td('Thao tác', it.action === 'insert' ? 'Thêm mới' : 'Sửa'),
          td('Mã', it.code),
          td('Tên đơn vị', it.name),
          td(
            'Chi tiết',
            it.action === 'insert'
              ? it.parent
                ? ['Thuộc ', unitLink(it.parent, it.parent_name || '')]
                : 'Đơn vị cấp 1'
              : [
                  `Sửa các cột: ${(it.changed || []).join(', ')}`,
                  it.old_name && it.old_name !== it.name ? ` (tên cũ: ${it.old_name})` : '',
                ],
          ),
        ),
      ),
    ),
  ];
}

function importCard(me) {
  const summary = h('div', { tabindex: '-1', class: 'form-summary' });
  const fs = new FieldSet(summary);
  const file = fs.add(
    field({
      key: 'file',
      label: 'Tệp CSV',
      type: 'file',
      required: true,
      hint: 'Tệp CSV mã hóa UTF-8, dòng đầu là tên cột: theo mẫu của hệ thống (code, name, …) hoặc của danh mục dùng chung (MaDinhDanhCap1…4, TenDonVi, NgayBanHanhQd ngày/tháng/năm, …).',
      attrs: { accept: '.csv,text/csv' },
    }),
  );
  // The browser's own file button speaks the browser's language; this one
  // speaks Vietnamese, and the input stays focusable and labelled.
  const picked = h('span', { class: 'file-name' }, 'Chưa chọn tệp.');
  file.input.classList.add('visually-hidden');
  file.input.after(
    h('span', { class: 'file-pick' }, h('label', { for: file.input.id, class: 'button' }, 'Chọn tệp…'), ' ', picked),
  );
  file.input.addEventListener('change', () => {
    replace(picked, chosen() ? chosen().name : 'Chưa chọn tệp.');
  });
  const group = uid('mode');
  const radios = MODES.map(([v, label, hint], i) => {
    const input = h('input', { type: 'radio', name: group, id: `${group}-${v}`, value: v, checked: i === 0 });
    return h(
      'div',
      {},
      h('p', { class: 'check' }, input, h('label', { for: input.id }, label)),
      h('p', { class: 'hint' }, hint),
    );
  });
  const mode = () => document.querySelector(`input[name="${group}"]:checked`)?.value || 'insert';
  const result = h('div', { 'aria-live': 'polite', class: 'import-result' });
  const check = h('button', { type: 'submit', class: 'primary' }, 'Kiểm tra tệp (chạy thử)');
  const apply = h('button', { type: 'button', hidden: true }, 'Ghi vào danh mục');
  const form = h(
    'form',
    { class: 'card', novalidate: true, 'aria-labelledby': 'csv-in-h' },
    h('h2', { id: 'csv-in-h' }, 'Nhập danh mục từ tệp CSV'),
    h(
      'p',
      {},
      me.role === 'manager'
        ? `Tệp chỉ được chứa các đơn vị thuộc phạm vi quản lý ${me.scope} của bạn. `
        : 'Quản trị hệ thống nhập được mọi đơn vị. ',
      'Tệp được kiểm tra trước; chỉ khi mọi dòng hợp lệ mới ghi được, và ghi tất cả hoặc không ghi gì.',
    ),
    summary,
    file.wrap,
    h('fieldset', {}, h('legend', {}, 'Cách nhập'), radios),
    h('div', { class: 'buttons' }, check, apply),
    result,
  );
  let checked = null; // the file and mode of the last clean dry run
  const chosen = () => file.input.files && file.input.files[0];
  const reset = () => {
    checked = null;
    apply.hidden = true;
  };
  file.input.addEventListener('change', () => {
    reset();
    replace(result);
  });
  for (const r of form.querySelectorAll('input[type=radio]')) r.addEventListener('change', reset);

  async function run(dryRun) {
    fs.clear();
    const f = chosen();
    if (!f) {
      file.setError('Hãy chọn tệp CSV.');
      file.input.focus();
      return;
    }
    check.disabled = apply.disabled = true;
    try {
      const rep = await csvFiles.import(f, { dryRun, mode: mode() });
      if (dryRun) {
        checked = { f, mode: mode() };
        apply.hidden = false;
        replace(
          result,
          h(
            'div',
            { class: 'alert alert-ok', role: 'status' },
            h('p', {}, h('strong', {}, 'Tệp hợp lệ. '), counts(rep, true), ' Chưa có gì được ghi.'),
          ),
          previewTable(rep),
        );
        announce('Tệp hợp lệ');
      } else {
        reset();
        forgetUnits();
        replace(
          result,
          h(
            'div',
            { class: 'alert alert-ok', role: 'status' },
            h('p', {}, h('strong', {}, 'Đã ghi vào danh mục. '), counts(rep, false)),
          ),
        );
        announce('Đã ghi vào danh mục');
      }
    } catch (e) {
      reset();
      if (e.report && e.report.errors && e.report.errors.length) {
        replace(
          result,
          h(
            'div',
            { class: 'alert alert-error', role: 'alert', dataset: { detail: e.message } },
            h(
              'p',
              {},
              h('strong', {}, 'Tệp chưa ghi được. '),
              `${fmtNumber(e.report.refused || e.report.errors.length)} dòng bị từ chối; hãy sửa tệp rồi kiểm tra lại. Chưa có gì được ghi vào danh mục.`,
            ),
          ),
          errorsTable(e.report),
        );
      } else {
        replace(result);
        fs.showError(e);
      }
    } finally {
      check.disabled = apply.disabled = false;
    }
  }
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    run(true);
  });
  apply.addEventListener('click', () => {
    if (!checked || checked.f !== chosen() || checked.mode !== mode()) {
      reset();
      return;
    }
    run(false);
  });
  return form;
}

function exportCard(me) {
  const summary = h('div', { tabindex: '-1', class: 'form-summary' });
  const fs = new FieldSet(summary);
  const format = fs.add(
    field({
      key: 'format',
      label: 'Mẫu tệp',
      type: 'select',
      value: 'csv',
      options: [
        ['csv', 'Mẫu của hệ thống (code, name, …)'],
        ['dmdc', 'Mẫu danh mục dùng chung (MaDinhDanhCap1…4, TenDonVi, …)'],
      ],
    }),
  );
  const under = unitField({
    key: 'under',
    label: 'Đơn vị',
    value: me.scope || '',
    required: false,
    hint: 'Đơn vị và các đơn vị trực thuộc; để trống để tải toàn bộ danh mục.',
  });
  fs.add(under);
  const asOf = fs.add(field({ key: 'as_of', label: 'Tại ngày', type: 'date', hint: 'Để trống để lấy danh mục hiện tại.' }));
  const status = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'card', novalidate: true, 'aria-labelledby': 'csv-out-h' },
    h('h2', { id: 'csv-out-h' }, 'Tải danh mục về tệp CSV'),
    summary,
    h('div', { class: 'grid two' }, format.wrap, under.wrap),
    asOf.wrap,
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, 'Tải về')),
    status,
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    fs.clear();
    replace(status);
    const day = asOf.value;
    if (asOf.input.value.trim() && !/^\d{4}-\d{2}-\d{2}$/.test(day)) {
      asOf.setError('Ngày chưa đúng: ghi theo ngày/tháng/năm, ví dụ 01/07/2025.');
      asOf.input.focus();
      return;
    }
    try {
      const blob = await csvFiles.export({ format: format.value, under: under.value, asOf: day });
      const name = `danh-muc${under.value ? `-${under.value}` : ''}-${day || todayIso()}${
        format.value === 'dmdc' ? '-dmdc' : ''
      }.csv`;
      const url = URL.createObjectURL(blob);
      const a = h('a', { href: url, download: name, hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      replace(status, h('p', { class: 'muted' }, `Đã tải tệp ${name}.`));
      announce(`Đã tải tệp ${name}`);
    } catch (e) {
      replace(status, errorBox(e));
    }
  });
  return form;
}

/** The CSV tab of /manage. */
export function csvView(me) {
  return h('div', { class: 'csv-view' }, importCard(me), exportCard(me));
}

