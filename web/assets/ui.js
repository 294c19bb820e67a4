// Pieces several views share: links to units, status badges, the copy button,
// error boxes, labelled form fields that show a refusal next to themselves,
// and a code field that suggests units as you type.

import { api, unitName, units } from './api.js';
import { isCode } from './codes.js';
import { announce, copyText, fmtDate, h, parseDate, replace, todayIso, uid } from './dom.js';
import { UNIT_STATUS, explain } from './vi.js';

/** A link to a unit page: the code, then the name when known (fetched when not given). */
export function unitLink(code, name, { asOf, fetchName = false } = {}) {
  const href = `/units/${encodeURIComponent(code)}${asOf ? `?as_of=${asOf}` : ''}`;
  const nameEl = h('span', { class: 'unit-name' }, name || '');
  const a = h(
    'a',
    { href, class: 'unit-link' },
    h('span', { class: 'code' }, code),
    name || fetchName ? ' ' : null,
    nameEl,
  );
  if (!name && fetchName) {
    unitName(code, asOf).then((u) => {
      if (u) nameEl.textContent = u.name;
    });
  }
  return a;
}

export function statusBadge(u) {
  const closed = u.status === 'closed';
  return h(
    'span',
    { class: `badge ${closed ? 'badge-closed' : 'badge-active'}` },
    closed && u.valid_to ? `Đã đóng từ ${fmtDate(u.valid_to)}` : UNIT_STATUS[u.status] || u.status,
  );
}

/** The code in large type with a one-click copy button. */
export function codeCopy(code) {
  const btn = h(
    'button',
    {
      type: 'button',
      class: 'copy',
      'aria-label': `Sao chép mã ${code}`,
      onclick: async () => {
        const ok = await copyText(code);
        btn.textContent = ok ? 'Đã sao chép' : 'Không sao chép được';
        announce(ok ? `Đã sao chép mã ${code}` : 'Không sao chép được mã');
        setTimeout(() => {
          btn.textContent = 'Sao chép mã';
        }, 2000);
      },
    },
    'Sao chép mã',
  );
  return h('p', { class: 'code-line' }, h('span', { class: 'code code-big', 'data-code': code }, code), btn);
}

/**
 * A card section labelled by its own h2, like h(): cardSection('who-h', 'Bạn
 * đang đăng nhập', { class: 'who-card' }, ...children) is <section
 * class="card who-card" aria-labelledby="who-h"><h2 id="who-h">…</h2>…</section>.
 */
export function cardSection(headingId, title, attrs, ...children) {
  const { class: cls, ...rest } = attrs || {};
  return h(
    'section',
    { class: cls ? `card ${cls}` : 'card', 'aria-labelledby': headingId, ...rest },
    h('h2', { id: headingId }, title),
    children,
  );
}

/** A refusal or failure in words, with the API's own sentence kept as detail. */
export function errorBox(e, { title } = {}) {
  const x = explain(e);
  // The hub's own sentence is English: kept for support, never shown.
  return h(
    'div',
    { class: 'alert alert-error', role: 'alert', dataset: { detail: x.detail || '' } },
    h('p', {}, title ? `${title} ` : '', x.text),
  );
}

/** Needs-a-token notice for views that the hub shows only to signed-in users. */
export function signInNotice(what) {
  return h(
    'div',
    { class: 'alert alert-info' },
    h(
      'p',
      {},
      `${what} chỉ hiển thị cho người đã đăng nhập bằng mã truy cập của hệ thống. `,
      h('a', { href: `/manage?next=${encodeURIComponent(location.pathname + location.search)}` }, 'Đăng nhập'),
    ),
  );
}

/**
 * A labelled form field. `key` is the API field it fills ('decision.number',
 * 'into[0].name'…), so a refusal naming that field lands next to it.
 */
export function field({ key, label, type = 'text', value = '', hint, required = false, attrs = {}, options, control }) {
  if (type === 'date' && !control) hint = hint ? `${hint} Ghi theo ngày/tháng/năm.` : 'Ghi theo ngày/tháng/năm, ví dụ 15/10/2026.';
  const id = uid('fld');
  const hintId = hint ? `${id}-hint` : null;
  const errId = `${id}-err`;
  let input;
  if (control) {
    input = control;
    input.id = id;
  } else if (type === 'select') {
    input = h(
      'select',
      { id, name: key, ...attrs },
      options.map(([v, t]) => h('option', { value: v, selected: String(v) === String(value) }, t)),
    );
  } else if (type === 'textarea') {
    input = h('textarea', { id, name: key, rows: 3, ...attrs }, value);
  } else if (type === 'date') {
    // Not <input type=date>: it follows the browser's locale (mm/dd/yyyy
    // under en-US), and a Vietnamese date is dd/mm/yyyy everywhere.
    input = h('input', {
      id,
      name: key,
      type: 'text',
      inputmode: 'numeric',
      autocomplete: 'off',
      placeholder: 'dd/mm/yyyy',
      value: fmtDate(value),
      ...attrs,
    });
    input.addEventListener('change', () => {
      const iso = parseDate(input.value);
      if (iso) input.value = fmtDate(iso);
    });
  } else {
    input = h('input', { id, name: key, type, value, ...attrs });
  }
  input.setAttribute('aria-describedby', [hintId, errId].filter(Boolean).join(' '));
  if (required) input.setAttribute('aria-required', 'true');
  const err = h('p', { class: 'field-error', id: errId, hidden: true });
  const wrap = h(
    'div',
    { class: 'field', dataset: { field: key } },
    h('label', { for: id }, label, required ? h('span', { class: 'req' }, ' (bắt buộc)') : null),
    input,
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null,
    err,
  );
  const isDate = type === 'date' && !control;
  const f = {
    key,
    wrap,
    input,
    /** A date field's value is the ISO date the API takes, or the text as typed when it is not a date. */
    get value() {
      const t = input.value.trim();
      return isDate ? parseDate(t) || t : t;
    },
    set value(v) {
      input.value = isDate ? fmtDate(v) : v;
    },
    setError(text) {
      err.textContent = text;
      err.hidden = !text;
      if (text) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
      wrap.classList.toggle('has-error', !!text);
    },
  };
  wrap.field = f;
  return f;
}

/**
 * A code field that suggests units by name or code as you type (a datalist
 * fed by search) and shows the chosen unit's name under it.
 */
export function unitField({ key, label, value = '', hint, required = true, status = 'active', under }) {
  const listId = uid('units');
  const list = h('datalist', { id: listId });
  const f = field({
    key,
    label,
    value,
    hint: hint || 'Gõ mã (000.00.00.H14) hoặc vài chữ của tên để chọn.',
    required,
    attrs: { list: listId, autocomplete: 'off', spellcheck: 'false', class: 'code-input' },
  });
  const echo = h('p', { class: 'unit-echo', 'aria-live': 'polite' });
  f.wrap.append(list, echo);
  let timer = null;
  let ctl = null;
  f.unit = null;
  const lookup = async () => {
    const v = f.input.value.trim();
    f.unit = null;
    if (!v) {
      replace(echo);
      return;
    }
    if (isCode(v)) {
      const u = await unitName(v);
      if (f.input.value.trim() !== v) return;
      f.unit = u;
      replace(
        echo,
        u ? [h('span', {}, u.name), ' ', statusBadge(u)] : h('span', { class: 'warn' }, 'Không có đơn vị mã này.'),
      );
      if (f.onunit) f.onunit(u);
      return;
    }
    replace(echo);
    if (ctl) ctl.abort();
    ctl = new AbortController();
    try {
      const r = await units.search({ q: v, limit: 12, status, under }, ctl.signal);
      replace(
        list,
        r.items.map((u) => h('option', { value: u.code }, `${u.name}`)),
      );
    } catch {
      /* suggestions are a convenience */
    }
  };
  f.input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(lookup, 200);
  });
  f.input.addEventListener('change', lookup);
  if (value) setTimeout(lookup, 0);
  f.refresh = lookup;
  return f;
}

/** Fields of a form by key; shows a refusal next to the field it concerns. */
export class FieldSet {
  constructor(summary) {
    this.fields = [];
    this.summary = summary; // an element for the form-level message
  }

  add(f) {
    this.fields.push(f);
    return f;
  }

  remove(f) {
    this.fields = this.fields.filter((x) => x !== f);
  }

  clear() {
    for (const f of this.fields) f.setError('');
    replace(this.summary);
  }

  find(key, codes = []) {
    if (key) {
      const exact = this.fields.find((f) => f.key === key);
      if (exact) return exact;
      const base = key.replace(/\[\d+\]/g, '');
      const loose = this.fields.find(
        (f) => f.key.replace(/\[\d+\]/g, '') === base || f.key.startsWith(`${key}.`) || f.key.startsWith(`${key}[`),
      );
      if (loose) {
        // Among several (from[0], from[1]…), prefer the one holding a code the message names.
        const byCode = this.fields.find(
          (f) =>
            f.key.replace(/\[\d+\]/g, '') === loose.key.replace(/\[\d+\]/g, '') && codes.includes(f.code || f.value),
        );
        return byCode || loose;
      }
    }
    for (const c of codes) {
      const f = this.fields.find((x) => (x.code || x.value) === c);
      if (f) return f;
    }
    return null;
  }

  /** Shows an API refusal: next to its field when one is concerned, and always in the summary. */
  showError(e) {
    this.clear();
    const x = explain(e);
    const f = this.find(x.field, x.codes);
    if (f) f.setError(x.text);
    replace(
      this.summary,
      h(
        'div',
        { class: 'alert alert-error', role: 'alert', dataset: { detail: x.detail || '' } },
        h(
          'p',
          {},
          h('strong', {}, 'Không thực hiện được. '),
          f
            ? [
                x.text,
                ' ',
                h(
                  'a',
                  {
                    href: `#${f.input.id}`,
                    onclick: (ev) => {
                      ev.preventDefault();
                      f.input.focus();
                    },
                  },
                  `Xem ô “${f.wrap.querySelector('label').firstChild.textContent}”`,
                ),
              ]
            : x.text,
        ),
      ),
    );
    (f ? f.input : this.summary).focus?.();
    if (!f) this.summary.scrollIntoView({ block: 'nearest' });
    return x;
  }
}

/** The three decision fields and the effective date (design.md §4). */
export function decisionFields(fs, { effective = true, reorganized = false, issuer = '' } = {}) {
  const today = todayIso();
  const num = fs.add(
    field({ key: 'decision.number', label: 'Số quyết định', hint: 'Ví dụ: 1520/QĐ-UBND', required: true }),
  );
  const date = fs.add(field({ key: 'decision.date', label: 'Ngày ban hành', type: 'date', required: true }));
  const iss = fs.add(
    field({
      key: 'decision.issuer',
      label: 'Cơ quan ban hành',
      value: issuer,
      hint: 'Ví dụ: Ủy ban nhân dân tỉnh Cao Bằng',
      required: true,
    }),
  );
  const parts = [num.wrap, date.wrap, iss.wrap];
  // The optional dates: each is sent only when filled in.
  const dates = [];
  const addDate = (opts) => {
    const f = fs.add(field({ type: 'date', ...opts }));
    parts.push(f.wrap);
    dates.push(f);
  };
  if (effective) {
    addDate({
      key: 'effective',
      label: 'Ngày hiệu lực',
      value: today,
      hint: 'Ngày thay đổi có hiệu lực; để trống là hôm nay.',
    });
  }
  if (reorganized) {
    addDate({
      key: 'reorganized',
      label: 'Ngày sắp xếp tổ chức',
      hint: 'Ngày của việc sắp xếp mà quyết định này thực hiện (để tính hạn 30 ngày); có thể để trống.',
    });
  }
  const fieldset = h(
    'fieldset',
    { class: 'decision' },
    h('legend', {}, 'Quyết định'),
    h('div', { class: 'grid' }, parts),
  );
  return {
    fieldset,
    value() {
      const out = { decision: { number: num.value, date: date.value, issuer: iss.value } };
      for (const f of dates) if (f.value) out[f.key] = f.value;
      return out;
    },
  };
}

/** Loads JSON and returns null on any failure (for optional decorations). */
export async function maybe(path) {
  try {
    return await api(path);
  } catch {
    return null;
  }
}
