// Small DOM helpers shared by every view. Elements are built with h(), never
// from HTML strings, so text from the registry can never become markup.

/**
 * h('a', {href: '/x', class: 'code'}, 'text', otherNode) builds an element.
 * Attributes: on<event> functions become listeners, `dataset` an object of
 * data- attributes, true/false booleans set or omit the attribute, and null
 * or undefined values are skipped. Children may be strings, numbers, nodes,
 * arrays of those, or null/false (skipped).
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (key === 'value' && 'value' in el) {
      el.value = value;
    } else if (value === true) {
      el.setAttribute(key, '');
    } else {
      el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Replaces every child of el. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

let idSeq = 0;
/** A fresh element id, for label/aria-describedby pairs. */
export const uid = (prefix = 'f') => `${prefix}-${++idSeq}`;

/** '2025-07-01' → '01/07/2025' (the way Vietnamese decisions write dates). */
export function fmtDate(iso) {
  if (!iso) return '';
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso);
  return m ? `${m[3]}/${m[2]}/${m[1]}` : iso;
}

/**
 * A date as typed, in the Vietnamese order whatever the browser's locale:
 * '7/12/2026', '07-12-2026' or '07.12.2026' (day, month, year), or an ISO
 * '2026-12-07' (pasted from the API) → '2026-12-07'; null when it is not a
 * real calendar date.
 */
export function parseDate(text) {
  const t = String(text || '').trim();
  let m = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(t);
  let y, mo, d;
  if (m) [d, mo, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
  else if ((m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(t))) [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  else return null;
  const dt = new Date(Date.UTC(y, mo - 1, d));
  if (y < 1 || dt.getUTCFullYear() !== y || dt.getUTCMonth() !== mo - 1 || dt.getUTCDate() !== d) return null;
  const p = (n, w = 2) => String(n).padStart(w, '0');
  return `${p(y, 4)}-${p(mo)}-${p(d)}`;
}

/** Today in the reader's own calendar, as YYYY-MM-DD (not UTC's day, which differs before 07:00 in Vietnam). */
export function todayIso() {
  const t = new Date();
  const p = (n) => String(n).padStart(2, '0');
  return `${t.getFullYear()}-${p(t.getMonth() + 1)}-${p(t.getDate())}`;
}

/**
 * A timestamp as date and time. UTC stamps ('…Z', the hub's own clock) are
 * shown in the reader's time zone; stamps without a zone (a status package's
 * own Timestamp) are shown as written.
 */
export function fmtTime(ts) {
  if (!ts) return '';
  let d;
  if (/[zZ]$|[+-]\d{2}:?\d{2}$/.test(ts)) {
    const t = new Date(ts);
    if (Number.isNaN(t.getTime())) return ts;
    d = [t.getFullYear(), t.getMonth() + 1, t.getDate(), t.getHours(), t.getMinutes(), t.getSeconds()];
  } else {
    const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?/.exec(ts);
    if (!m) return fmtDate(ts);
    d = m.slice(1).map((x) => Number(x || 0));
  }
  const p = (n) => String(n).padStart(2, '0');
  return `${p(d[2])}/${p(d[1])}/${d[0]} ${p(d[3])}:${p(d[4])}`;
}

/** Sortable number of a timestamp (for merging timelines). */
export function timeValue(ts) {
  if (!ts) return 0;
  const z = /[zZ]$|[+-]\d{2}:?\d{2}$/.test(ts) ? ts : ts + 'Z';
  const v = Date.parse(z);
  return Number.isNaN(v) ? 0 : v;
}

const nf = new Intl.NumberFormat('vi-VN');
export const fmtNumber = (n) => (n === null || n === undefined ? '—' : nf.format(n));

export function fmtBytes(n) {
  if (n === null || n === undefined) return '—';
  if (n < 1024) return `${nf.format(n)} B`;
  if (n < 1024 * 1024) return `${nf.format(Math.round(n / 102.4) / 10)} KB`;
  if (n < 1024 ** 3) return `${nf.format(Math.round(n / (1024 * 102.4)) / 10)} MB`;
  return `${nf.format(Math.round(n / (1024 ** 2 * 102.4)) / 10)} GB`;
}

/** Seconds as a short Vietnamese duration: '45 giây', '3 giờ 5 phút', '2 ngày 4 giờ'. */
export function fmtDuration(s) {
  if (s === null || s === undefined) return '—';
  s = Math.max(0, Math.round(s));
  if (s < 60) return `${s} giây`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} phút`;
  const hrs = Math.floor(m / 60);
  if (hrs < 24) return `${hrs} giờ${m % 60 ? ` ${m % 60} phút` : ''}`;
  const days = Math.floor(hrs / 24);
  return `${days} ngày${hrs % 24 ? ` ${hrs % 24} giờ` : ''}`;
}

/** Folds Vietnamese text for diacritics-insensitive matching in the browser. */
export function fold(s) {
  return String(s || '')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .toLowerCase();
}

/** Polite announcement for screen readers (the live region in index.html). */
export function announce(text) {
  const live = document.getElementById('live');
  if (!live) return;
  live.textContent = '';
  // A separate task, so the same text twice is still announced.
  setTimeout(() => {
    live.textContent = text;
  }, 30);
}

/** A promise that resolves after ms, or rejects when signal aborts. */
export function delay(ms, signal) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(new DOMException('aborted', 'AbortError'));
    });
  });
}

/** Copies text to the clipboard; falls back to a selection copy where the Clipboard API is not offered (plain http). */
export async function copyText(text) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    /* fall through to the selection copy */
  }
  const ta = h('textarea', { class: 'visually-hidden', readonly: true }, text);
  document.body.append(ta);
  ta.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  ta.remove();
  return ok;
}
