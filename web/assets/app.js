// The catalogue in the browser: every view has its own URL (/search?q=…,
// /units/{code}?as_of=…) and reads the JSON API of the same daemon.
const main = document.getElementById('main');
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

async function api(path) {
  const r = await fetch(path, { headers: { Accept: 'application/json' } });
  const body = await r.json();
  if (!r.ok) throw new Error(body.error ? body.error.message : `HTTP ${r.status}`);
  return body;
}

const unitLink = (code, name) => `<a href="/units/${esc(code)}" class="code">${esc(code)}</a>${name ? ' ' + esc(name) : ''}`;

async function showSearch(params) {
  const q = params.get('q') || '';
  document.getElementById('q').value = q;
  const data = await api('/v1/units?' + new URLSearchParams({ q, limit: '50', ...(params.get('cursor') ? { cursor: params.get('cursor') } : {}) }));
  main.innerHTML = `<h1>Kết quả tìm “${esc(q)}”</h1>` + (data.items.length
    ? `<table><thead><tr><th>Mã</th><th>Tên đơn vị</th><th>Cấp</th><th>Trạng thái</th></tr></thead><tbody>${data.items.map((u) =>
      `<tr><td>${unitLink(u.code)}</td><td>${esc(u.name)}</td><td>${u.level}</td><td class="${u.status}">${u.status === 'active' ? 'Đang hoạt động' : 'Đã đóng'}</td></tr>`).join('')}</tbody></table>`
    : '<p>Không tìm thấy đơn vị nào.</p>') +
    (data.next_cursor ? `<p><a href="/search?${new URLSearchParams({ q, cursor: data.next_cursor })}">Trang sau</a></p>` : '');
}

async function showUnit(code, params) {
  const asOf = params.get('as_of') || '';
  const qs = asOf ? '?as_of=' + encodeURIComponent(asOf) : '';
  const [u, kids, hist] = await Promise.all([
    api(`/v1/units/${encodeURIComponent(code)}${qs}`),
    api(`/v1/units/${encodeURIComponent(code)}/children${qs}`),
    api(`/v1/units/${encodeURIComponent(code)}/history`),
  ]);
  const d = u.decision;
  main.innerHTML = `<h1>${esc(u.name)}</h1>
  <p><span class="code">${esc(u.code)}</span> <button id="copy" type="button">Sao chép mã</button>
  — ${u.status === 'active' ? 'Đang hoạt động' : `<span class="closed">Đã đóng từ ${esc(u.valid_to)}</span>`}
  ${u.parent ? `— trực thuộc ${unitLink(u.parent)}` : ''}</p>
  <form id="asof"><label for="as_of">Xem tại ngày</label> <input id="as_of" name="as_of" type="date" value="${esc(asOf)}"> <button>Xem</button></form>
  <table><tbody>
  <tr><th>Quyết định</th><td>${d ? `${esc(d.number)} ngày ${esc(d.date)} của ${esc(d.issuer)}` : '—'}</td></tr>
  <tr><th>Địa chỉ</th><td>${esc(u.address) || '—'}</td></tr><tr><th>Thư điện tử</th><td>${esc(u.email) || '—'}</td></tr>
  <tr><th>Điện thoại</th><td>${esc(u.phone) || '—'}</td></tr>
  <tr><th>Đơn vị tiền thân</th><td>${(u.predecessors || []).map((c) => unitLink(c)).join(', ') || '—'}</td></tr>
  <tr><th>Đơn vị kế thừa</th><td>${(u.successors || []).map((c) => unitLink(c)).join(', ') || '—'}</td></tr>
  </tbody></table>
  <h2>Đơn vị trực thuộc</h2>${kids.items.length ? `<ul>${kids.items.map((k) => `<li>${unitLink(k.code, k.name)}</li>`).join('')}</ul>` : '<p>Không có.</p>'}
  <h2>Lịch sử</h2><ol>${hist.items.map((e) => `<li>${esc(e.effective)} — ${esc(e.kind)}${e.decision ? ` (${esc(e.decision.number)})` : ''}${
    (e.successors || []).length ? ' → ' + e.successors.map((c) => unitLink(c)).join(', ') : ''}${
    (e.predecessors || []).length ? ' ← ' + e.predecessors.map((c) => unitLink(c)).join(', ') : ''}</li>`).join('')}</ol>`;
  document.getElementById('copy').onclick = () => navigator.clipboard && navigator.clipboard.writeText(u.code);
  document.getElementById('asof').onsubmit = (ev) => {
    ev.preventDefault();
    const v = document.getElementById('as_of').value;
    go(`/units/${encodeURIComponent(code)}${v ? '?as_of=' + v : ''}`);
  };
}

async function showHome() {
  const data = await api('/v1/units?' + new URLSearchParams({ level: '1', limit: '500' }));
  main.innerHTML = `<h1>Đơn vị cấp 1</h1><ul>${data.items.map((u) => `<li>${unitLink(u.code, u.name)}</li>`).join('')}</ul>`;
}

async function route() {
  const url = new URL(location.href);
  try {
    if (url.pathname.startsWith('/units/')) await showUnit(decodeURIComponent(url.pathname.slice(7)), url.searchParams);
    else if (url.pathname === '/search') await showSearch(url.searchParams);
    else await showHome();
  } catch (e) {
    main.innerHTML = `<p role="alert">Không thực hiện được: ${esc(e.message)}</p>`;
  }
}

function go(path) {
  history.pushState(null, '', path);
  route();
}

document.addEventListener('click', (ev) => {
  const a = ev.target.closest('a');
  if (a && a.origin === location.origin && !ev.ctrlKey && !ev.metaKey) {
    ev.preventDefault();
    go(a.pathname + a.search);
  }
});
document.getElementById('search').onsubmit = (ev) => {
  ev.preventDefault();
  go('/search?' + new URLSearchParams({ q: document.getElementById('q').value }));
};
let timer;
document.getElementById('q').oninput = (ev) => {
  clearTimeout(timer);
  timer = setTimeout(() => ev.target.value.trim() && go('/search?' + new URLSearchParams({ q: ev.target.value })), 250);
};
window.onpopstate = route;
route();
