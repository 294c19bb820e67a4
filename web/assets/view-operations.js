// /operations?sender=…&recipient=…&state=…&older_than_hours=…&stuck_hours=…:
// documents for operators. Per connected system, what waits for it, the
// oldest and how long, and what is stuck (pending, never fetched, for
// hours); then the deliveries themselves, filtered, newest first, a page at
// a time. Metadata only: the hub shows a manager its own units' deliveries.

import { api, qs, session } from './api.js';
import { fmtDuration, fmtNumber, fmtTime, h, replace } from './dom.js';
import { TRANSPORT_STATE } from './vi.js';
import { FieldSet, cardSection, errorBox, field, signInNotice, unitLink } from './ui.js';

const STATES = [
  ['', 'Mọi trạng thái'],
  ['waiting', 'Đang chờ (chưa nhận xong)'],
  ...Object.entries(TRANSPORT_STATE),
];

function waitingTable(r) {
  if (!r.items.length) return h('p', { class: 'muted' }, 'Không có hệ thống nào đang có văn bản chờ nhận.');
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'waiting stack-on-phone' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Hệ thống', 'Đang chờ', `Bị kẹt (chưa tải sau ${r.stuck_hours} giờ)`, 'Chờ lâu nhất', 'Từ lúc'].map((x) =>
            h('th', { scope: 'col' }, x),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        r.items.map((s) =>
          h(
            'tr',
            { dataset: { system: String(s.system_id) }, class: s.stuck ? 'has-stuck' : null },
            h('td', { 'data-label': 'Hệ thống' }, s.name, s.disabled ? ' (đã ngừng kết nối)' : ''),
            h('td', { 'data-label': 'Đang chờ' }, fmtNumber(s.waiting)),
            h('td', { 'data-label': 'Bị kẹt', class: 'stuck' }, fmtNumber(s.stuck)),
            h(
              'td',
              { 'data-label': 'Chờ lâu nhất' },
              h('a', { href: `/documents/${encodeURIComponent(s.oldest.document)}` }, fmtDuration(s.oldest.seconds)),
            ),
            h('td', { 'data-label': 'Từ lúc' }, fmtTime(s.oldest.since)),
          ),
        ),
      ),
    ),
  );
}

function deliveryRows(items) {
  return items.map((d) =>
    h(
      'tr',
      { dataset: { delivery: String(d.delivery_id), state: d.state } },
      h('td', { 'data-label': 'Nhận lúc' }, fmtTime(d.received)),
      h(
        'td',
        { 'data-label': 'Văn bản' },
        h('a', { href: `/documents/${encodeURIComponent(d.document)}` }, d.subject || (d.kind === 'status' ? 'Gói tin trạng thái' : 'Văn bản')),
      ),
      h('td', { 'data-label': 'Gửi từ' }, unitLink(d.from, '', { fetchName: true })),
      h('td', { 'data-label': 'Gửi đến' }, unitLink(d.routed_to || d.addressed, '', { fetchName: true })),
      h('td', { 'data-label': 'Trạng thái' }, TRANSPORT_STATE[d.state] || d.state),
      h(
        'td',
        { 'data-label': 'Đã chờ' },
        d.waiting_since ? `${fmtDuration(d.waiting_seconds)} (từ ${fmtTime(d.waiting_since)})` : '—',
      ),
    ),
  );
}

export async function render(view, ctx) {
  ctx.title('Văn bản đang chuyển');
  const heading = h('h1', {}, 'Văn bản đang chuyển');
  const me = await session.me();
  if (!me) {
    replace(view, heading, signInNotice('Trang theo dõi văn bản đang chuyển'));
    return;
  }
  const p = ctx.params;
  const filters = {
    sender: p.get('sender') || '',
    recipient: p.get('recipient') || '',
    state: p.get('state') || '',
    older_than_hours: p.get('older_than_hours') || '',
  };
  const stuckHours = p.get('stuck_hours') || '24';

  const summary = h('div', { tabindex: '-1', class: 'form-summary' });
  const fs = new FieldSet(summary);
  const fSender = fs.add(field({ key: 'sender', label: 'Đơn vị gửi (mã)', value: filters.sender, attrs: { class: 'code-input', spellcheck: 'false' } }));
  const fRecipient = fs.add(
    field({ key: 'recipient', label: 'Đơn vị nhận (mã)', value: filters.recipient, attrs: { class: 'code-input', spellcheck: 'false' } }),
  );
  const fState = fs.add(field({ key: 'state', label: 'Trạng thái', type: 'select', options: STATES, value: filters.state }));
  const fAge = fs.add(
    field({
      key: 'older_than_hours',
      label: 'Đã chờ ít nhất (giờ)',
      type: 'number',
      value: filters.older_than_hours,
      attrs: { min: 0, step: 1, inputmode: 'numeric' },
    }),
  );
  const fStuck = fs.add(
    field({ key: 'stuck_hours', label: 'Coi là bị kẹt sau (giờ)', type: 'number', value: stuckHours, attrs: { min: 0, step: 1 } }),
  );
  const form = h(
    'form',
    { class: 'card', novalidate: true, 'aria-label': 'Lọc văn bản' },
    summary,
    h('div', { class: 'grid' }, fSender.wrap, fRecipient.wrap, fState.wrap, fAge.wrap, fStuck.wrap),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, 'Lọc'), h('a', { href: '/operations' }, 'Bỏ lọc')),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    ctx.go(
      `/operations${qs({
        sender: fSender.value,
        recipient: fRecipient.value,
        state: fState.value,
        older_than_hours: fAge.value,
        stuck_hours: fStuck.value === '24' ? '' : fStuck.value,
      })}`,
    );
  });

  let waiting;
  let page;
  try {
    [waiting, page] = await Promise.all([
      api(`/v1/deliveries/waiting${qs({ stuck_hours: stuckHours })}`, { signal: ctx.signal }),
      api(`/v1/deliveries${qs({ ...filters, limit: 50 })}`, { signal: ctx.signal }),
    ]);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    replace(view, heading, form);
    if (e.status === 400) fs.showError(e);
    else view.append(errorBox(e));
    return;
  }

  const tbody = h('tbody', {}, deliveryRows(page.items));
  const more = h('div', { class: 'buttons' });
  const showMore = (cursor) => {
    replace(
      more,
      cursor
        ? h(
            'button',
            {
              type: 'button',
              onclick: async (ev) => {
                ev.target.disabled = true;
                try {
                  const next = await api(`/v1/deliveries${qs({ ...filters, limit: 50, before: cursor })}`);
                  tbody.append(...deliveryRows(next.items));
                  showMore(next.next_cursor);
                } catch (e) {
                  replace(more, errorBox(e));
                }
              },
            },
            'Xem thêm',
          )
        : null,
    );
  };
  showMore(page.next_cursor);
  replace(
    view,
    heading,
    h(
      'p',
      {},
      'Theo dõi văn bản qua trục: hệ thống nào đang có văn bản chờ nhận, văn bản nào bị kẹt (bên nhận chưa tải về sau số giờ đã chọn). Chỉ hiển thị thông tin về văn bản, không hiển thị nội dung.',
    ),
    cardSection(
      'waiting-h',
      'Văn bản chờ theo hệ thống nhận',
      {},
      waitingTable(waiting),
      waiting.items.some((s) => s.stuck)
        ? h(
            'p',
            {},
            h(
              'a',
              { href: `/operations${qs({ state: 'pending', older_than_hours: waiting.stuck_hours, stuck_hours: p.get('stuck_hours') })}` },
              'Xem các văn bản bị kẹt',
            ),
          )
        : null,
    ),
    form,
    cardSection(
      'deliveries-h',
      'Các lượt chuyển văn bản (mới nhất trước)',
      {},
      page.items.length
        ? h(
            'div',
            { class: 'table-wrap' },
            h(
              'table',
              { class: 'deliveries stack-on-phone' },
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  ['Nhận lúc', 'Văn bản', 'Gửi từ', 'Gửi đến', 'Trạng thái', 'Đã chờ'].map((x) => h('th', { scope: 'col' }, x)),
                ),
              ),
              tbody,
            ),
          )
        : h('p', { class: 'muted' }, 'Không có lượt chuyển nào khớp bộ lọc.'),
      more,
    ),
  );
}
