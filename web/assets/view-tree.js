// /tree: the level-1 table grouped by letter, each unit opening onto its
// children, loaded a page at a time when opened. Only a unit that has
// children gets the button to open it (the hub says which, has_children).
// Buttons carry aria-expanded, so the tree works from the keyboard and reads
// well in a screen reader.

import { units } from './api.js';
import { GROUPS } from './codes.js';
import { fold, h, replace } from './dom.js';
import { errorBox, field, statusBadge } from './ui.js';

const PAGE = 100;

function node(u) {
  const li = h('li');
  const sub = h('ul', { hidden: true, id: `sub-${u.code.replace(/\./g, '-')}` });
  let loaded = false;
  const opens = u.level < 4 && u.has_children !== false;
  const toggle = opens
    ? h(
        'button',
        {
          type: 'button',
          class: 'toggle',
          'aria-expanded': 'false',
          'aria-controls': sub.id,
          'aria-label': `Mở các đơn vị trực thuộc ${u.name}`,
        },
        '+',
      )
    : h('span', { class: 'toggle-spacer', 'aria-hidden': 'true' });
  if (opens) {
    toggle.addEventListener('click', async () => {
      const open = toggle.getAttribute('aria-expanded') === 'true';
      toggle.setAttribute('aria-expanded', String(!open));
      toggle.setAttribute('aria-label', `${open ? 'Mở' : 'Đóng'} các đơn vị trực thuộc ${u.name}`);
      toggle.textContent = open ? '+' : '−';
      sub.hidden = open;
      if (!open && !loaded) {
        loaded = true;
        await loadChildren(u.code, sub);
      }
    });
  }
  li.append(
    h(
      'div',
      { class: 'node' },
      toggle,
      h(
        'a',
        { href: `/units/${u.code}`, class: 'unit-link' },
        h('span', { class: 'code' }, u.code),
        ' ',
        h('span', { class: 'unit-name' }, u.name),
      ),
      u.status === 'closed' ? statusBadge(u) : null,
    ),
    sub,
  );
  return li;
}

async function loadChildren(code, ul, cursor) {
  const wait = h('li', { class: 'loading' }, 'Đang tải…');
  ul.append(wait);
  try {
    const r = await units.search({ parent: code, limit: PAGE, cursor, has_children: true });
    wait.remove();
    if (!r.items.length && !cursor) ul.append(h('li', { class: 'muted' }, 'Không có đơn vị trực thuộc.'));
    ul.append(...r.items.map(node));
    if (r.next_cursor) {
      const li = h('li');
      li.append(
        h(
          'button',
          {
            type: 'button',
            class: 'link-button',
            onclick: () => {
              li.remove();
              loadChildren(code, ul, r.next_cursor);
            },
          },
          'Xem thêm đơn vị',
        ),
      );
      ul.append(li);
    }
  } catch (e) {
    wait.remove();
    ul.append(h('li', {}, errorBox(e)));
  }
}

export async function render(view, ctx) {
  ctx.title('Cây đơn vị');
  const all = await units.searchAll({ level: 1, limit: 500, has_children: true }, ctx.signal);

  const filter = field({
    key: 'filter',
    label: 'Lọc đơn vị cấp 1 theo tên hoặc mã',
    type: 'search',
    hint: 'Gõ không dấu cũng được, ví dụ: cao bang.',
    attrs: { autocomplete: 'off' },
  });
  const groups = h('div', { class: 'tree-groups' });
  const count = h('p', { class: 'result-count', 'aria-live': 'polite' });

  function draw() {
    const f = fold(filter.value);
    const shown = f ? all.filter((u) => fold(u.name).includes(f) || fold(u.code).includes(f)) : all;
    const byLetter = new Map();
    for (const u of shown) {
      const letter = u.code.slice(-3, -2);
      if (!byLetter.has(letter)) byLetter.set(letter, []);
      byLetter.get(letter).push(u);
    }
    replace(
      groups,
      [...byLetter.keys()]
        .sort()
        .map((letter) =>
          h(
            'section',
            { class: 'tree-group', 'aria-labelledby': `g-${letter}` },
            h('h2', { id: `g-${letter}` }, `Nhóm ${letter}: ${GROUPS[letter] || ''}`),
            h('ul', { class: 'tree' }, byLetter.get(letter).map(node)),
          ),
        ),
    );
    count.textContent = f ? `${shown.length} đơn vị cấp 1 khớp “${filter.value}”.` : `${all.length} đơn vị cấp 1.`;
  }
  filter.input.addEventListener('input', draw);
  replace(
    view,
    h('h1', {}, 'Cây đơn vị'),
    h('p', {}, 'Bảng mã cấp 1 theo nhóm. Bấm nút + để mở các đơn vị trực thuộc; bấm tên để xem chi tiết đơn vị.'),
    h('div', { class: 'card' }, filter.wrap, count),
    groups,
  );
  draw();
}
