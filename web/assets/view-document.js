// /documents/{id}: a document's trace, one card per recipient: where the hub
// routed it and why, then one timeline of its transport states (what the
// receiving system did with the package) and business statuses (01 arrived …
// 06 finished, 13, 15, 16: what the receiving agency did with the document).

import { api, unitName } from './api.js';
import { fmtBytes, fmtTime, h, replace, timeValue } from './dom.js';
import { BUSINESS_STATUS, BUSINESS_TYPE, DOC_KIND, TRANSPORT_STATE, routingReason, signatureText } from './vi.js';
import { cardSection, errorBox, field, signInNotice, unitLink } from './ui.js';

const ID_RE = /^[0-9a-f]{32}$/;

export function lookupForm(ctx, value = '') {
  const f = field({
    key: 'id',
    label: 'Mã văn bản trên trục',
    value,
    hint: 'Chuỗi 32 ký tự mà trục trả về khi gửi (trường id), ví dụ 104c04814624a0134a867a3b85b0b666.',
    attrs: { autocomplete: 'off', spellcheck: 'false', class: 'code-input' },
  });
  const form = h(
    'form',
    { class: 'card lookup', novalidate: true, 'aria-label': 'Tra cứu hành trình văn bản' },
    f.wrap,
    h('button', { type: 'submit', class: 'primary' }, 'Xem hành trình'),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const v = f.value.toLowerCase();
    if (!ID_RE.test(v)) {
      f.setError('Mã văn bản gồm 32 chữ số hệ 16 (0–9, a–f).');
      f.input.focus();
      return;
    }
    ctx.go(`/documents/${v}`);
  });
  return form;
}

function stateBadge(state) {
  const cls =
    {
      done: 'badge-active',
      fail: 'badge-closed',
      refused: 'badge-closed',
      expired: 'badge-closed',
      no_system: 'badge-warn',
      pending: 'badge-warn',
      processing: 'badge-info',
    }[state] || '';
  return h('span', { class: `badge ${cls}`, 'data-state': state }, TRANSPORT_STATE[state] || state);
}

function statusText(s) {
  return `${s.code} · ${BUSINESS_STATUS[s.code] || s.name || ''}`;
}

function recipientCard(r, i) {
  const events = [
    ...(r.transport || []).map((t) => ({ sort: timeValue(t.at), kind: 'transport', t })),
    ...(r.statuses || []).map((s) => ({ sort: timeValue(s.received || s.at), kind: 'business', s })),
  ].sort((a, b) => a.sort - b.sort);
  const latest = (r.statuses || [])
    .slice()
    .sort((a, b) => timeValue(a.received || a.at) - timeValue(b.received || b.at))
    .pop();
  const routed = r.routed_to && r.routed_to !== r.code;
  const headId = `rcpt-${i}`;
  return h(
    'section',
    { class: 'card recipient', 'aria-labelledby': headId, dataset: { code: r.code } },
    h('h3', { id: headId }, 'Gửi đến ', unitLink(r.code, '', { fetchName: true })),
    routed ? h('p', {}, 'Được chuyển tới: ', unitLink(r.routed_to, '', { fetchName: true })) : null,
    r.system ? h('p', {}, `Hệ thống nhận: ${r.system.name || ''} (số ${r.system.id})`) : null,
    r.reason ? h('p', { class: 'muted' }, routingReason(r.reason)) : null,
    h(
      'p',
      {},
      'Vận chuyển: ',
      stateBadge(r.state),
      ' · Nghiệp vụ: ',
      latest
        ? h('span', { class: 'badge badge-active', 'data-status': latest.code }, statusText(latest))
        : h('span', { class: 'badge' }, 'Chưa có trạng thái'),
    ),
    events.length
      ? h(
          'ol',
          { class: 'timeline' },
          events.map((e) =>
            e.kind === 'transport'
              ? h(
                  'li',
                  { class: 'transport' },
                  h(
                    'p',
                    {},
                    h('time', { datetime: e.t.at }, fmtTime(e.t.at)),
                    ' ',
                    h('span', { class: 'kind' }, 'Vận chuyển'),
                    TRANSPORT_STATE[e.t.state] || e.t.state,
                  ),
                )
              : h(
                  'li',
                  { class: 'business', dataset: { status: e.s.code } },
                  h(
                    'p',
                    {},
                    h('time', { datetime: e.s.at }, fmtTime(e.s.at)),
                    ' ',
                    h('span', { class: 'kind' }, 'Nghiệp vụ'),
                    h('strong', {}, statusText(e.s)),
                  ),
                  e.s.description ? h('p', {}, e.s.description) : null,
                  h(
                    'p',
                    { class: 'muted small' },
                    'Do ',
                    unitLink(e.s.from, '', { fetchName: true }),
                    ` báo; trục nhận lúc ${fmtTime(e.s.received)}`,
                  ),
                ),
          ),
        )
      : null,
  );
}

export async function render(view, ctx) {
  const id = decodeURIComponent(ctx.match[1]).toLowerCase();
  ctx.title(`Văn bản ${id}`);
  const heading = h('h1', {}, 'Hành trình văn bản');
  if (!ID_RE.test(id)) {
    replace(
      view,
      heading,
      lookupForm(ctx, id),
      h('div', { class: 'alert alert-error' }, h('p', {}, 'Mã văn bản gồm 32 chữ số hệ 16.')),
    );
    return;
  }
  let t;
  try {
    t = await api(`/v1/documents/${id}/trace`, { signal: ctx.signal });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    const box =
      e.status === 401
        ? signInNotice('Hành trình văn bản')
        : e.status === 403
          ? h(
              'div',
              { class: 'alert alert-error', role: 'alert' },
              h(
                'p',
                {},
                'Mã truy cập này không được xem văn bản này: chỉ hệ thống gửi, hệ thống nhận và quản trị hệ thống xem được hành trình.',
              ),
            )
          : errorBox(e);
    replace(view, heading, lookupForm(ctx, id), box);
    return;
  }
  ctx.title(t.subject || `Văn bản ${id}`);
  const sender = unitLink(t.from, '', { fetchName: true });
  const rows = [
    ['Loại', DOC_KIND[t.kind] || t.kind],
    ['Trích yếu', t.subject || '—'],
    ['Số, ký hiệu (DocumentId)', t.document_id || '—'],
    ['Đơn vị gửi', sender],
    ['Trục nhận lúc', fmtTime(t.received)],
    ['Kích thước', fmtBytes(t.size)],
    ['Chữ ký số', signatureText(t.signature)],
  ];
  if (t.business)
    rows.push([
      'Nghiệp vụ',
      `${BUSINESS_TYPE[t.business.type] || t.business.type}${t.business.refers_to ? ` văn bản ${t.business.refers_to}` : ''}`,
    ]);
  if (t.status) rows.push(['Trạng thái báo cho văn bản', `${statusText(t.status)} (${t.status.refers_to})`]);
  rows.push(
    ['Mã văn bản trên trục', h('span', { class: 'code' }, t.id)],
    ['SHA-256', h('span', { class: 'code small wrap-anywhere' }, t.sha256)],
  );
  if (t.body_removed) rows.push(['Nội dung', 'Đã xóa theo thời hạn lưu trữ; hành trình vẫn được giữ.']);
  replace(
    view,
    heading,
    h('p', { class: 'lead' }, t.subject || t.document_id || t.id),
    cardSection(
      'doc-h',
      'Thông tin văn bản',
      {},
      h(
        'dl',
        { class: 'details' },
        rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
      ),
    ),
    h('h2', {}, `Nơi nhận (${t.recipients.length})`),
    t.recipients.map(recipientCard),
    t.sender_statuses && t.sender_statuses.length
      ? cardSection(
          'own-h',
          'Trạng thái do bên gửi báo',
          {},
          h(
            'ol',
            { class: 'timeline' },
            t.sender_statuses.map((s) =>
              h(
                'li',
                { class: 'business' },
                h('p', {}, h('time', {}, fmtTime(s.at)), ' ', h('strong', {}, statusText(s))),
                s.description ? h('p', {}, s.description) : null,
              ),
            ),
          ),
        )
      : null,
    h('h2', {}, 'Tra cứu văn bản khác'),
    lookupForm(ctx),
  );
  unitName(t.from);
}
