// /stats?from=&to=: exchange volume per day and per month as charts, the top
// senders and recipients, and every figure again as a table.

import { api, qs, unitName } from './api.js';
import { fmtBytes, fmtDate, fmtDuration, fmtNumber, h, replace } from './dom.js';
import { barChart } from './charts.js';
import { cardSection, errorBox, field, signInNotice, unitLink } from './ui.js';
import { lookupForm } from './view-document.js';

const TOP = 10;

function table(caption, keyLabel, items, keyCell) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'stack-on-phone figures' },
      h('caption', {}, caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          [
            keyLabel,
            'Văn bản',
            'Lượt chuyển',
            'Dung lượng',
            'Đã báo “01 Đã đến”',
            'Thời gian đến 01 (trung bình)',
            'Đã báo “06 Hoàn thành”',
            'Thời gian đến 06 (trung bình)',
          ].map((t, i) => h('th', { scope: 'col', class: i ? 'num' : null }, t)),
        ),
      ),
      h(
        'tbody',
        {},
        items.map((x) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row', 'data-label': keyLabel }, keyCell(x.key)),
            h('td', { class: 'num', 'data-label': 'Văn bản' }, fmtNumber(x.documents)),
            h('td', { class: 'num', 'data-label': 'Lượt chuyển' }, fmtNumber(x.deliveries)),
            h('td', { class: 'num', 'data-label': 'Dung lượng' }, fmtBytes(x.bytes)),
            h('td', { class: 'num', 'data-label': 'Đã báo 01' }, fmtNumber(x.answered_01)),
            h('td', { class: 'num', 'data-label': 'Đến 01' }, fmtDuration(x.sent_to_01_seconds)),
            h('td', { class: 'num', 'data-label': 'Đã báo 06' }, fmtNumber(x.answered_06)),
            h('td', { class: 'num', 'data-label': 'Đến 06' }, fmtDuration(x.sent_to_06_seconds)),
          ),
        ),
      ),
    ),
  );
}

function chartCard(title, id, draw) {
  const canvas = h('canvas', { id, role: 'img', 'aria-label': `${title}: biểu đồ; số liệu ở bảng bên dưới` });
  const card = h(
    'figure',
    { class: 'card chart' },
    h('figcaption', {}, h('h3', {}, title)),
    h('div', { class: 'chart-box' }, canvas),
  );
  requestAnimationFrame(() => draw(canvas));
  return card;
}

const monthLabel = (k) => {
  const m = /^(\d{4})-(\d{2})$/.exec(k);
  return m ? `${m[2]}/${m[1]}` : k;
};

export async function render(view, ctx) {
  ctx.title('Trao đổi văn bản');
  const from = ctx.params.get('from') || '';
  const to = ctx.params.get('to') || '';
  const fFrom = field({ key: 'from', label: 'Từ ngày', type: 'date', value: from });
  const fTo = field({ key: 'to', label: 'Đến ngày', type: 'date', value: to });
  const form = h(
    'form',
    { class: 'card', 'aria-label': 'Khoảng thời gian' },
    h('div', { class: 'grid' }, fFrom.wrap, fTo.wrap),
    h(
      'div',
      { class: 'buttons' },
      h('button', { type: 'submit', class: 'primary' }, 'Xem thống kê'),
      from || to ? h('a', { href: '/stats' }, 'Toàn bộ thời gian') : null,
    ),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    ctx.go(`/stats${qs({ from: fFrom.value, to: fTo.value })}`);
  });
  const heading = h('h1', {}, 'Trao đổi văn bản điện tử');
  const intro = h(
    'p',
    {},
    'Số văn bản, lượt chuyển và dung lượng qua trục, theo ngày, tháng, đơn vị gửi và đơn vị nhận; thời gian trung bình từ khi gửi đến khi bên nhận báo “01 Đã đến” và “06 Hoàn thành”.',
  );

  let data;
  try {
    const by = ['day', 'month', 'sender', 'recipient'];
    const res = await Promise.all(
      by.map((b) => api(`/v1/stats/exchange${qs({ by: b, from, to })}`, { signal: ctx.signal })),
    );
    data = Object.fromEntries(by.map((b, i) => [b, res[i].items]));
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    replace(
      view,
      heading,
      intro,
      e.status === 401 ? signInNotice('Thống kê trao đổi văn bản') : errorBox(e),
      h('h2', {}, 'Tra cứu hành trình một văn bản'),
      lookupForm(ctx),
    );
    return;
  }

  const total = data.month.reduce(
    (a, x) => ({
      documents: a.documents + x.documents,
      bytes: a.bytes + x.bytes,
      deliveries: a.deliveries + x.deliveries,
      a01: a.a01 + x.answered_01,
      a06: a.a06 + x.answered_06,
    }),
    { documents: 0, bytes: 0, deliveries: 0, a01: 0, a06: 0 },
  );
  const cards = h(
    'div',
    { class: 'stats-cards' },
    [
      [fmtNumber(total.documents), 'văn bản'],
      [fmtNumber(total.deliveries), 'lượt chuyển đến nơi nhận'],
      [fmtBytes(total.bytes), 'dung lượng'],
      [fmtNumber(total.a01), 'lượt đã báo “01 Đã đến”'],
      [fmtNumber(total.a06), 'lượt đã báo “06 Hoàn thành”'],
    ].map(([n, t]) => h('div', { class: 'stat' }, h('strong', {}, n), t)),
  );
  const range =
    from || to
      ? `${from ? `từ ${fmtDate(from)}` : ''}${from && to ? ' ' : ''}${to ? `đến ${fmtDate(to)}` : ''}`
      : 'toàn bộ thời gian';
  const byDocs = (a, b) => b.documents - a.documents || b.deliveries - a.deliveries || a.key.localeCompare(b.key);
  const senders = data.sender.slice().sort(byDocs);
  const recipients = data.recipient.slice().sort((a, b) => b.deliveries - a.deliveries || byDocs(a, b));
  const codeCell = (k) => unitLink(k, '', { fetchName: true });

  if (!total.documents) {
    replace(
      view,
      heading,
      intro,
      form,
      h('div', { class: 'alert alert-info' }, h('p', {}, `Chưa có văn bản nào qua trục trong ${range}.`)),
      h('h2', {}, 'Tra cứu hành trình một văn bản'),
      lookupForm(ctx),
    );
    return;
  }

  const names = async (items) => Promise.all(items.map(async (x) => ((await unitName(x.key)) || {}).name || x.key));
  const short = (s) => (s.length > 34 ? `${s.slice(0, 32)}…` : s);
  // Documents and deliveries per day or month.
  const volume = (items, keyLabel) => (c) =>
    barChart(c, {
      labels: items.map((x) => keyLabel(x.key)),
      series: [
        { label: 'Văn bản', data: items.map((x) => x.documents) },
        { label: 'Lượt chuyển', data: items.map((x) => x.deliveries) },
      ],
    });
  // The first TOP units of a ranking, by name.
  const ranking = (items, label, figure) => async (c) =>
    barChart(c, {
      labels: (await names(items.slice(0, TOP))).map(short),
      series: [{ label, data: items.slice(0, TOP).map(figure) }],
      horizontal: true,
    });

  replace(
    view,
    heading,
    intro,
    form,
    h('p', { class: 'result-count' }, `Số liệu ${range}.`),
    cards,
    h(
      'div',
      { class: 'charts' },
      chartCard('Văn bản theo ngày', 'chart-day', volume(data.day, fmtDate)),
      chartCard('Văn bản theo tháng', 'chart-month', volume(data.month, monthLabel)),
      chartCard(
        `Đơn vị gửi nhiều nhất (${Math.min(TOP, senders.length)})`,
        'chart-senders',
        ranking(senders, 'Văn bản', (x) => x.documents),
      ),
      chartCard(
        `Đơn vị nhận nhiều nhất (${Math.min(TOP, recipients.length)})`,
        'chart-recipients',
        ranking(recipients, 'Lượt nhận', (x) => x.deliveries),
      ),
    ),
    cardSection(
      'tables-h',
      'Số liệu dạng bảng',
      {},
      table('Theo ngày', 'Ngày', data.day, (k) => fmtDate(k)),
      table('Theo tháng', 'Tháng', data.month, monthLabel),
      table('Theo đơn vị gửi', 'Đơn vị gửi', senders, codeCell),
      table('Theo đơn vị nhận', 'Đơn vị nhận', recipients, codeCell),
    ),
    h('h2', {}, 'Tra cứu hành trình một văn bản'),
    lookupForm(ctx),
  );
}
