// /requests/{id}: one change request with its whole history, comments and
// files; what its dry run would do beside the units as they stand now; and
// the acts open to the caller: the managing agency comments, returns,
// rejects or approves with the decision and its file; the filer amends,
// sends again and adds files.

import { requests, session, unitName } from './api.js';
import { announce, fmtDate, fmtTime, h, replace } from './dom.js';
import { CHANGE_KIND, REQUEST_KIND, REQUEST_STATE, REQUEST_STEP } from './vi.js';
import { FieldSet, cardSection, errorBox, field, signInNotice, unitLink } from './ui.js';
import { stateBadge } from './view-requests.js';

export async function render(view, ctx) {
  const id = ctx.match[1];
  ctx.title(`Đề nghị số ${id}`);
  const me = await session.me();
  if (!me) {
    replace(view, h('h1', {}, `Đề nghị số ${id}`), signInNotice('Đề nghị thay đổi'));
    return;
  }
  let r;
  try {
    r = await requests.get(id, ctx.signal);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    replace(view, h('h1', {}, `Đề nghị số ${id}`), errorBox(e));
    return;
  }
  const reload = () => ctx.go(`/requests/${id}`, { replace: true });
  const open = ['submitted', 'in_review', 'returned'].includes(r.state);
  const filer = r.filed_by && r.filed_by.token === me.token_id;
  const decider = (me.role === 'manager' || me.role === 'admin') && !filer;
  replace(
    view,
    h('p', { class: 'breadcrumbs' }, h('a', { href: '/requests' }, 'Đề nghị thay đổi')),
    h('h1', {}, `Đề nghị số ${r.id}: ${REQUEST_KIND[r.kind] || r.kind}`),
    h('p', { class: 'status-line' }, stateBadge(r.state)),
    summary(r),
    await comparison(r),
    decider && ['submitted', 'in_review'].includes(r.state) ? decideCard(r, reload) : null,
    filer && ['submitted', 'returned'].includes(r.state) ? amendCard(r, reload) : null,
    open ? commentCard(r, reload) : null,
    filesCard(r, open && (decider || filer), reload),
    historyCard(r),
  );
}

function summary(r) {
  const row = (t, ...v) => [h('dt', {}, t), h('dd', {}, ...v)];
  return h(
    'dl',
    { class: 'card details request-summary' },
    row('Đơn vị', unitLink(r.unit, '', { fetchName: true })),
    row('Người gửi', r.filed_by ? r.filed_by.who : '—', ' · ', fmtTime(r.filed)),
    row('Lý do, căn cứ', r.reason || '—'),
    row('Ngày sắp xếp tổ chức', fmtDate(r.reorganized) || '—'),
    row('Hạn ban hành quyết định', fmtDate(r.deadlines?.decision_due) || '—'),
    r.decision
      ? row(
          'Quyết định',
          `${r.decision.kind ? `${r.decision.kind} ` : ''}số ${r.decision.number} ngày ${fmtDate(r.decision.date)} của ${r.decision.issuer}`,
        )
      : null,
    r.applied ? row('Cập nhật vào danh mục', fmtDate(r.applied)) : null,
  );
}

/** Every code the proposal and its dry run name. */
function codesOf(r) {
  const p = r.proposal || {};
  const res = r.result || r.dry_run || {};
  const out = new Set([r.unit]);
  for (const c of p.from || []) out.add(c);
  if (p.parent) out.add(p.parent);
  if (p.into && !Array.isArray(p.into)) {
    if (p.into.code) out.add(p.into.code);
    if (p.into.parent) out.add(p.into.parent);
  }
  for (const c of res.closed || []) out.add(c);
  return [...out];
}

/** The proposal, what the dry run (or the approval) did, beside each touched unit as it stands now. */
async function comparison(r) {
  const res = r.result || r.dry_run;
  const p = r.proposal || {};
  const proposal = [];
  if (p.name) proposal.push(h('li', {}, `Tên: ${p.name}`));
  if (p.into && !Array.isArray(p.into) && p.into.name) {
    proposal.push(h('li', {}, `Tên đơn vị mới: ${p.into.name}`));
  }
  for (const k of ['address', 'email', 'phone', 'fax', 'website'])
    if (p[k]) proposal.push(h('li', {}, `${k}: ${p[k]}`));
  if (p.from) proposal.push(h('li', {}, 'Các đơn vị: ', p.from.map((c, i) => [i ? ', ' : '', unitLink(c, '')])));
  const outcome = [];
  if (res) {
    for (const c of res.created || [])
      outcome.push(h('li', {}, 'Cấp mã mới ', h('span', { class: 'code', 'data-created': c }, c)));
    for (const c of res.closed || []) outcome.push(h('li', {}, 'Đóng mã ', h('span', { class: 'code' }, c)));
    for (const [from, to] of Object.entries(res.moved || {}))
      outcome.push(h('li', {}, `Mã ${from} chuyển thành ${to}`));
    if (res.renamed) outcome.push(h('li', {}, `Đổi tên ${res.renamed}`));
    if (res.updated) outcome.push(h('li', {}, `Cập nhật thông tin liên hệ của ${res.updated}`));
  }
  const now = await Promise.all(codesOf(r).map((c) => unitName(c)));
  const current = codesOf(r).map((c, i) =>
    h(
      'li',
      {},
      now[i]
        ? [unitLink(c, now[i].name), now[i].status === 'closed' ? ' (đã đóng)' : '']
        : [h('span', { class: 'code' }, c), ' (không có trong danh mục)'],
    ),
  );
  return cardSection(
    'compare-h',
    'Đề xuất và hiện trạng',
    { class: 'compare' },
    h(
      'div',
      { class: 'grid' },
      h(
        'div',
        {},
        h('h3', {}, 'Nội dung đề xuất'),
        h('ul', {}, proposal.length ? proposal : h('li', {}, '—')),
      ),
      h(
        'div',
        {},
        h('h3', {}, r.result ? 'Kết quả đã cập nhật' : 'Kết quả chạy thử'),
        h('ul', { class: 'dry-run' }, outcome.length ? outcome : h('li', {}, '—')),
      ),
      h('div', {}, h('h3', {}, 'Hiện trạng trong danh mục'), h('ul', {}, current)),
    ),
  );
}

/** A small form whose one text field goes to verb as {key: text}. */
function textAct(r, { verb, key, label, button, reload, cls }) {
  const summary = h('div', { tabindex: '-1' });
  const fs = new FieldSet(summary);
  const text = fs.add(field({ key, label, type: 'textarea', required: true }));
  const form = h(
    'form',
    { class: `act act-${verb}` },
    text.wrap,
    summary,
    h('button', { type: 'submit', class: cls }, button),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await requests.act(r.id, verb, { [key]: text.value });
      announce(`${button}: xong`);
      reload();
    } catch (e) {
      fs.showError(e);
    }
  });
  return form;
}

function commentCard(r, reload) {
  return cardSection(
    'comment-h',
    'Ý kiến',
    {},
    textAct(r, { verb: 'comment', key: 'comment', label: 'Nội dung ý kiến', button: 'Gửi ý kiến', reload }),
  );
}

function decideCard(r, reload) {
  const summary = h('div', { tabindex: '-1' });
  const fs = new FieldSet(summary);
  const num = fs.add(field({ key: 'decision.number', label: 'Số quyết định', required: true }));
  const date = fs.add(field({ key: 'decision.date', label: 'Ngày ban hành', type: 'date', required: true }));
  const issuer = fs.add(field({ key: 'decision.issuer', label: 'Cơ quan ban hành', required: true }));
  const kind = fs.add(field({ key: 'decision.kind', label: 'Loại văn bản', value: 'Quyết định' }));
  const file = field({ key: 'file', label: 'Tệp quyết định', type: 'file' });
  const approve = h(
    'form',
    { class: 'act act-approve', 'aria-labelledby': 'approve-h' },
    h('h3', { id: 'approve-h' }, 'Phê duyệt và cập nhật danh mục'),
    h('div', { class: 'grid' }, num.wrap, date.wrap, issuer.wrap, kind.wrap),
    file.wrap,
    summary,
    h('button', { type: 'submit', class: 'primary' }, 'Phê duyệt'),
  );
  approve.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    fs.clear();
    try {
      const body = { decision: { number: num.value, date: date.value, issuer: issuer.value, kind: kind.value } };
      const f = file.input.files[0];
      if (f) body.file = (await requests.upload(r.id, f)).n;
      await requests.act(r.id, 'approve', body);
      announce('Đã phê duyệt đề nghị');
      reload();
    } catch (e) {
      fs.showError(e);
    }
  });
  return cardSection(
    'decide-h',
    'Xử lý đề nghị',
    { class: 'decide' },
    approve,
    h('h3', {}, 'Trả lại để bổ sung'),
    textAct(r, { verb: 'return', key: 'comment', label: 'Nội dung cần bổ sung', button: 'Trả lại', reload }),
    h('h3', {}, 'Không chấp thuận'),
    textAct(r, {
      verb: 'reject',
      key: 'reason',
      label: 'Lý do không chấp thuận',
      button: 'Không chấp thuận',
      reload,
    }),
  );
}

function amendCard(r, reload) {
  const summary = h('div', { tabindex: '-1' });
  const fs = new FieldSet(summary);
  const proposal = fs.add(
    field({
      key: 'proposal',
      label: 'Nội dung đề xuất (JSON)',
      type: 'textarea',
      value: JSON.stringify(r.proposal, null, 1),
      attrs: { rows: 6, spellcheck: 'false' },
    }),
  );
  const reason = fs.add(field({ key: 'reason', label: 'Lý do, căn cứ', type: 'textarea', value: r.reason || '' }));
  const form = h('form', { class: 'act act-amend' }, proposal.wrap, reason.wrap, summary);
  const save = h('button', { type: 'submit' }, 'Lưu sửa đổi');
  const resend =
    r.state === 'returned' ? h('button', { type: 'button', class: 'primary' }, 'Lưu và gửi lại') : null;
  form.append(h('div', { class: 'buttons' }, save, resend));
  const amend = async (andSubmit) => {
    fs.clear();
    let p;
    try {
      p = JSON.parse(proposal.value);
    } catch {
      proposal.setError('Nội dung đề xuất không đúng dạng JSON.');
      return;
    }
    try {
      await requests.amend(r.id, { proposal: p, reason: reason.value });
      if (andSubmit) await requests.act(r.id, 'submit');
      reload();
    } catch (e) {
      fs.showError(e);
    }
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    amend(false);
  });
  resend?.addEventListener('click', () => amend(true));
  const last = [...(r.history || [])].reverse().find((x) => x.kind === 'returned');
  return cardSection(
    'amend-h',
    'Sửa và gửi lại',
    { class: 'amend' },
    last ? h('div', { class: 'alert alert-info' }, h('p', {}, 'Nội dung cần bổ sung: ', last.comment)) : null,
    form,
  );
}

function filesCard(r, canAdd, reload) {
  const list = (r.files || []).map((f) =>
    h(
      'li',
      {},
      h(
        'button',
        {
          type: 'button',
          class: 'link-button',
          onclick: async () => {
            const blob = await requests.download(r.id, f.n);
            const a = h('a', { href: URL.createObjectURL(blob), download: f.name, hidden: true });
            document.body.append(a);
            a.click();
            setTimeout(() => {
              URL.revokeObjectURL(a.href);
              a.remove();
            }, 1000);
          },
        },
        f.name,
      ),
      ` (${f.role === 'decision' ? 'quyết định' : 'đính kèm'}, ${f.size} byte, ${fmtTime(f.added)})`,
    ),
  );
  let add = null;
  if (canAdd) {
    const file = field({ key: 'file', label: 'Thêm tệp', type: 'file' });
    const out = h('div', {});
    add = h('form', { class: 'act act-file' }, file.wrap, out, h('button', { type: 'submit' }, 'Tải lên'));
    add.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const f = file.input.files[0];
      if (!f) return;
      try {
        await requests.upload(r.id, f);
        reload();
      } catch (e) {
        replace(out, errorBox(e));
      }
    });
  }
  return cardSection(
    'files-h',
    'Tệp đính kèm',
    { class: 'files' },
    list.length ? h('ul', {}, list) : h('p', { class: 'empty' }, 'Chưa có tệp.'),
    add,
  );
}

function historyCard(r) {
  return cardSection(
    'history-h',
    'Quá trình xử lý',
    { class: 'history' },
    h(
      'ol',
      { class: 'timeline request-history' },
      (r.history || []).map((x) =>
        h(
          'li',
          { 'data-step': x.kind },
          h('strong', {}, REQUEST_STEP[x.kind] || CHANGE_KIND[x.kind] || x.kind),
          ` · ${fmtTime(x.at)} · ${x.who} · `,
          REQUEST_STATE[x.state] || x.state,
          x.comment ? h('p', {}, x.comment) : null,
          x.reason && x.kind !== 'filed' ? h('p', {}, x.reason) : null,
          x.name && x.kind === 'file' ? h('p', {}, `Tệp: ${x.name}`) : null,
        ),
      ),
    ),
  );
}
