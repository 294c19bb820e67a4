// /admin?tab=…: what an administrator did only with the CLI before. Bearer
// tokens (made with a role and a scope, shown once, listed, revoked),
// connected systems (registered, codes bound and unbound, disabled and
// enabled, a new token, a kept or a new VXP secret), the signing
// certificates of a unit, and the audit trail of all of these. Every act is
// confirmed first; the hub decides who may (a manager sees and does what
// its scope allows) and records the act.

import { admin, session } from './api.js';
import { announce, copyText, fmtTime, h, replace } from './dom.js';
import { AUDIT_ACTION, ROLES } from './vi.js';
import { FieldSet, cardSection, errorBox, field, signInNotice, unitField, unitLink } from './ui.js';

const TABS = [
  ['tokens', 'Mã truy cập'],
  ['systems', 'Hệ thống kết nối'],
  ['certificates', 'Chứng thư số'],
  ['audit', 'Nhật ký quản trị'],
];

/**
 * Asks before an act: replaces slot with the question and two buttons. On
 * "confirm" runs act(); what it returns (nodes) replaces the question, a
 * refusal is shown in its place.
 */
function confirmStep(slot, question, label, act) {
  const yes = h('button', { type: 'button', class: 'primary confirm' }, label);
  const no = h('button', { type: 'button' }, 'Hủy');
  const box = h(
    'div',
    { class: 'alert alert-info confirm-box', role: 'group', 'aria-label': 'Xác nhận' },
    h('p', {}, question),
    h('div', { class: 'buttons' }, yes, no),
  );
  no.addEventListener('click', () => replace(slot));
  yes.addEventListener('click', async () => {
    yes.disabled = no.disabled = true;
    try {
      const out = await act();
      replace(slot, out || null);
    } catch (e) {
      replace(slot, errorBox(e));
    }
    slot.querySelector('[role=alert], [tabindex="-1"]')?.focus?.();
  });
  replace(slot, box);
  yes.focus();
}

/** A secret shown this once, with a copy button. */
function secretBox(label, value) {
  const copied = h('span', { class: 'muted', 'aria-live': 'polite' });
  return h(
    'div',
    { class: 'secret' },
    h('p', {}, h('strong', {}, `${label}: `), h('code', { class: 'secret-value' }, value)),
    h(
      'button',
      {
        type: 'button',
        onclick: async () => {
          copied.textContent = (await copyText(value)) ? ' Đã sao chép.' : ' Không sao chép được: hãy chọn và sao chép.';
        },
      },
      'Sao chép',
    ),
    copied,
  );
}

function shownOnce(title, ...secrets) {
  return h(
    'div',
    { class: 'alert alert-ok', role: 'status' },
    h('p', { tabindex: '-1' }, h('strong', {}, title)),
    secrets,
    h(
      'p',
      {},
      'Mã này chỉ hiển thị một lần: hệ thống chỉ giữ bản băm. Hãy sao chép và trao tận tay người dùng ngay bây giờ.',
    ),
  );
}

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

// ---- tokens ----

async function tokensTab(me, ctx) {
  const listBox = h('div');
  const result = h('div', { 'aria-live': 'polite' });
  const summary = h('div', { tabindex: '-1', class: 'form-summary' });
  const fs = new FieldSet(summary);
  const roles = me.role === 'admin' ? ['manager', 'requester', 'reader', 'admin'] : ['requester'];
  const role = fs.add(
    field({
      key: 'role',
      label: 'Vai trò',
      type: 'select',
      options: roles.map((r) => [r, ROLES[r]]),
      value: roles[0],
      hint:
        me.role === 'admin'
          ? 'Cán bộ quản lý mã và đơn vị đề nghị cần phạm vi (một đơn vị đang hoạt động).'
          : 'Cán bộ quản lý cấp mã cho đơn vị đề nghị thuộc phạm vi của mình.',
    }),
  );
  const scope = fs.add(
    unitField({
      key: 'scope',
      label: 'Phạm vi (mã đơn vị)',
      required: false,
      value: me.role === 'manager' ? me.scope : '',
      under: me.role === 'manager' ? me.scope : undefined,
    }),
  );
  const name = fs.add(
    field({ key: 'name', label: 'Tên người hoặc đơn vị giữ mã', hint: 'Tên này hiện trong nhật ký quản trị.' }),
  );
  const confirmSlot = h('div');
  const form = h(
    'form',
    { class: 'card', novalidate: true, 'aria-labelledby': 'tok-new-h' },
    h('h2', { id: 'tok-new-h' }, 'Tạo mã truy cập'),
    summary,
    h('div', { class: 'grid' }, role.wrap, scope.wrap, name.wrap),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, 'Tạo mã truy cập')),
    confirmSlot,
  );
  const scoped = () => role.value === 'manager' || role.value === 'requester';
  const showScope = () => {
    scope.wrap.hidden = !scoped();
  };
  role.input.addEventListener('change', showScope);
  showScope();
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    fs.clear();
    replace(result);
    const body = { role: role.value };
    if (scoped()) {
      if (!scope.value) {
        scope.setError('Hãy chọn đơn vị làm phạm vi của mã.');
        scope.input.focus();
        return;
      }
      body.scope = scope.value;
    }
    if (name.value) body.name = name.value;
    const what = `${ROLES[body.role]}${body.scope ? `, phạm vi ${body.scope}` : ''}${body.name ? `, tên “${body.name}”` : ''}`;
    confirmStep(confirmSlot, `Tạo mã truy cập mới: ${what}?`, 'Xác nhận tạo mã', async () => {
      try {
        const t = await admin.createToken(body);
        announce('Đã tạo mã truy cập');
        form.reset();
        showScope();
        replace(result, shownOnce(`Đã tạo mã truy cập số ${t.id} (${ROLES[t.role]}).`, secretBox('Mã truy cập', t.token)));
        await loadList();
        return null;
      } catch (e) {
        fs.showError(e);
        return null;
      }
    });
  });

  async function loadList() {
    const { items } = await admin.tokens(ctx.signal);
    const rows = items
      .slice()
      .reverse()
      .map((t) => {
        const slot = h('div');
        const revoke = t.revoked
          ? null
          : h(
              'button',
              {
                type: 'button',
                onclick: () =>
                  confirmStep(
                    slot,
                    `Thu hồi mã truy cập số ${t.id} (${t.name || ROLES[t.role]})? Người giữ mã sẽ không dùng được nữa.`,
                    'Xác nhận thu hồi',
                    async () => {
                      const r = await admin.revokeToken(t.id);
                      announce(`Đã thu hồi mã truy cập số ${t.id}`);
                      await loadList();
                      return r.note ? h('p', {}, 'Hệ thống vẫn gọi được VXP bằng khóa bí mật cho đến khi bị ngừng kết nối.') : null;
                    },
                  ),
              },
              'Thu hồi',
            );
        return h(
          'tr',
          { dataset: { token: String(t.id) } },
          td('Số', String(t.id)),
          td('Tên', t.name || '—'),
          td('Vai trò', ROLES[t.role] || t.role),
          td('Phạm vi', t.scope ? unitLink(t.scope, '', { fetchName: true }) : t.system_id ? `Hệ thống số ${t.system_id}` : '—'),
          td('Ngày tạo', fmtTime(t.created)),
          td('Trạng thái', t.revoked ? `Đã thu hồi ${fmtTime(t.revoked)}` : 'Đang dùng'),
          td('', revoke, slot),
        );
      });
    replace(
      listBox,
      rows.length
        ? table('tokens', ['Số', 'Tên', 'Vai trò', 'Phạm vi', 'Ngày tạo', 'Trạng thái', 'Thao tác'], rows)
        : h('p', { class: 'muted' }, 'Chưa có mã truy cập nào bạn được quản lý.'),
    );
  }
  await loadList();
  return [form, result, cardSection('tok-list-h', 'Các mã truy cập', {}, listBox)];
}

// ---- connected systems ----

function systemCard(s, reload) {
  const slot = h('div', { 'aria-live': 'polite' });
  const ask = (question, label, act) => confirmStep(slot, question, label, act);
  const codeInput = field({
    key: 'code',
    label: `Gắn thêm mã đơn vị cho ${s.name}`,
    attrs: { spellcheck: 'false', class: 'code-input', autocomplete: 'off' },
  });
  const secretInput = field({
    key: 'secret',
    label: 'Khóa bí mật VXP hệ thống đang dùng (để giữ nguyên)',
    type: 'password',
    attrs: { autocomplete: 'off', spellcheck: 'false' },
  });
  const btn = (text, onclick) => h('button', { type: 'button', onclick }, text);
  return h(
    'section',
    { class: 'card system', 'aria-labelledby': `sys-${s.id}-h`, dataset: { system: String(s.id) } },
    h('h3', { id: `sys-${s.id}-h` }, `${s.name} (số ${s.id})`),
    h(
      'dl',
      { class: 'details' },
      h('dt', {}, 'Mã chính (systemid VXP)'),
      h('dd', {}, h('span', { class: 'code' }, s.primary_code)),
      h('dt', {}, 'Trạng thái'),
      h(
        'dd',
        { class: 'system-state' },
        s.disabled ? `Đã ngừng kết nối từ ${fmtTime(s.disabled_at)}` : 'Đang kết nối',
      ),
      h('dt', {}, 'Ngày đăng ký'),
      h('dd', {}, fmtTime(s.created)),
      h('dt', {}, 'Các mã đơn vị'),
      h(
        'dd',
        {},
        h(
          'ul',
          { class: 'system-codes' },
          s.codes.map((c) =>
            h(
              'li',
              {},
              unitLink(c, '', { fetchName: true }),
              c === s.primary_code
                ? null
                : [
                    ' ',
                    h(
                      'button',
                      {
                        type: 'button',
                        class: 'link-button',
                        'aria-label': `Gỡ mã ${c} khỏi ${s.name}`,
                        onclick: () =>
                          ask(`Gỡ mã ${c} khỏi hệ thống ${s.name}?`, 'Xác nhận gỡ mã', async () => {
                            await admin.unbind(s.id, c);
                            announce(`Đã gỡ mã ${c}`);
                            await reload();
                          }),
                      },
                      'Gỡ',
                    ),
                  ],
            ),
          ),
        ),
      ),
    ),
    h(
      'div',
      { class: 'inline-form' },
      codeInput.wrap,
      btn('Gắn mã', () => {
        const c = codeInput.value;
        if (!c) {
          codeInput.setError('Hãy nhập mã đơn vị.');
          codeInput.input.focus();
          return;
        }
        codeInput.setError('');
        ask(`Gắn mã ${c} vào hệ thống ${s.name}? Văn bản gửi cho ${c} sẽ do hệ thống này nhận.`, 'Xác nhận gắn mã', async () => {
          await admin.bind(s.id, c);
          announce(`Đã gắn mã ${c}`);
          await reload();
        });
      }),
    ),
    h(
      'div',
      { class: 'buttons' },
      s.disabled
        ? btn('Cho kết nối lại', () =>
            ask(`Cho hệ thống ${s.name} kết nối lại?`, 'Xác nhận cho kết nối', async () => {
              await admin.setDisabled(s.id, false);
              announce(`Đã cho ${s.name} kết nối lại`);
              await reload();
            }),
          )
        : btn('Ngừng kết nối', () =>
            ask(
              `Ngừng kết nối hệ thống ${s.name}? Mã truy cập và khóa VXP của hệ thống sẽ bị từ chối; văn bản chờ nhận vẫn được giữ.`,
              'Xác nhận ngừng kết nối',
              async () => {
                await admin.setDisabled(s.id, true);
                announce(`Đã ngừng kết nối ${s.name}`);
                await reload();
              },
            ),
          ),
      btn('Cấp lại mã truy cập', () =>
        ask(
          `Cấp mã truy cập mới cho ${s.name}? Các mã cũ của hệ thống bị thu hồi ngay.`,
          'Xác nhận cấp lại',
          async () => {
            const r = await admin.rotateToken(s.id);
            announce('Đã cấp mã truy cập mới');
            return shownOnce(`Mã truy cập mới của ${s.name}; đã thu hồi ${r.revoked} mã cũ.`, secretBox('Mã truy cập', r.token));
          },
        ),
      ),
      btn('Cấp khóa VXP mới', () =>
        ask(
          `Cấp khóa bí mật VXP mới cho ${s.name}? Khóa cũ hết hiệu lực ngay: hệ thống phải cập nhật khóa mới.`,
          'Xác nhận cấp khóa mới',
          async () => {
            const r = await admin.vxpSecret(s.id);
            announce('Đã cấp khóa VXP mới');
            return shownOnce(`Khóa bí mật VXP mới của ${s.name}.`, secretBox('Khóa VXP', r.vxp_secret));
          },
        ),
      ),
    ),
    h(
      'div',
      { class: 'inline-form' },
      secretInput.wrap,
      btn('Giữ khóa này', () => {
        const v = secretInput.input.value;
        if (!v) {
          secretInput.setError('Hãy nhập khóa hệ thống đang dùng.');
          secretInput.input.focus();
          return;
        }
        secretInput.setError('');
        ask(`Đặt khóa VXP đã nhập cho ${s.name}? Hệ thống tiếp tục dùng khóa này, chỉ đổi địa chỉ kết nối.`, 'Xác nhận đặt khóa', async () => {
          await admin.vxpSecret(s.id, v);
          secretInput.input.value = '';
          announce('Đã đặt khóa VXP');
          return h('p', { class: 'alert alert-ok', role: 'status' }, `Đã đặt khóa VXP cho ${s.name}.`);
        });
      }),
    ),
    slot,
  );
}

async function systemsTab(me, ctx) {
  const listBox = h('div');
  const result = h('div', { 'aria-live': 'polite' });
  const summary = h('div', { tabindex: '-1', class: 'form-summary' });
  const fs = new FieldSet(summary);
  const name = fs.add(field({ key: 'name', label: 'Tên hệ thống', required: true, hint: 'Ví dụ: Hệ thống quản lý văn bản tỉnh Cao Bằng' }));
  const codes = fs.add(
    field({
      key: 'codes',
      label: 'Mã đơn vị hệ thống nhận văn bản thay',
      type: 'textarea',
      required: true,
      value: me.role === 'manager' ? me.scope : '',
      hint: 'Mỗi dòng một mã; mã đầu tiên là mã chính (systemid VXP).',
      attrs: { spellcheck: 'false' },
    }),
  );
  const confirmSlot = h('div');
  const form = h(
    'form',
    { class: 'card', novalidate: true, 'aria-labelledby': 'sys-new-h' },
    h('h2', { id: 'sys-new-h' }, 'Đăng ký hệ thống kết nối'),
    summary,
    name.wrap,
    codes.wrap,
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, 'Đăng ký hệ thống')),
    confirmSlot,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    fs.clear();
    replace(result);
    const list = codes.value.split(/[\s,;]+/).filter(Boolean);
    if (!name.value) {
      name.setError('Chưa nhập tên hệ thống.');
      name.input.focus();
      return;
    }
    if (!list.length) {
      codes.setError('Hãy nhập ít nhất một mã đơn vị.');
      codes.input.focus();
      return;
    }
    confirmStep(confirmSlot, `Đăng ký hệ thống “${name.value}” nhận văn bản cho ${list.join(', ')}?`, 'Xác nhận đăng ký', async () => {
      try {
        const r = await admin.addSystem({ name: name.value, codes: list });
        announce('Đã đăng ký hệ thống');
        form.reset();
        replace(
          result,
          shownOnce(
            `Đã đăng ký hệ thống ${r.name} (số ${r.id}).`,
            secretBox('Mã truy cập', r.token),
            secretBox('Khóa bí mật VXP', r.vxp_secret),
          ),
        );
        await loadList();
      } catch (e) {
        fs.showError(e);
      }
      return null;
    });
  });
  async function loadList() {
    const { items } = await admin.systems(ctx.signal);
    replace(
      listBox,
      items.length
        ? items.map((s) => systemCard(s, loadList))
        : h('p', { class: 'muted' }, 'Chưa có hệ thống nào bạn được quản lý.'),
    );
  }
  await loadList();
  return [form, result, cardSection('sys-list-h', 'Các hệ thống kết nối', {}, listBox)];
}

// ---- certificates ----

async function certificatesTab(me, ctx) {
  const code = ctx.params.get('code') || (me.role === 'manager' ? me.scope : '');
  const unit = unitField({ key: 'code', label: 'Đơn vị', value: code, status: 'active', under: me.role === 'manager' ? me.scope : undefined });
  const pick = h(
    'form',
    { class: 'card', novalidate: true, 'aria-labelledby': 'cert-unit-h' },
    h('h2', { id: 'cert-unit-h' }, 'Chứng thư số ký văn bản của đơn vị'),
    unit.wrap,
    h('div', { class: 'buttons' }, h('button', { type: 'submit' }, 'Xem chứng thư')),
  );
  pick.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (unit.value) ctx.go(`/admin?tab=certificates&code=${encodeURIComponent(unit.value)}`);
  });
  if (!code) return [pick];
  const listBox = h('div');
  const summary = h('div', { tabindex: '-1', class: 'form-summary' });
  const fs = new FieldSet(summary);
  const pem = fs.add(
    field({
      key: 'pem',
      label: 'Chứng thư (PEM)',
      type: 'textarea',
      required: true,
      hint: 'Dán nội dung bắt đầu bằng -----BEGIN CERTIFICATE-----',
      attrs: { spellcheck: 'false', rows: 6 },
    }),
  );
  const confirmSlot = h('div');
  const add = h(
    'form',
    { class: 'card', novalidate: true, 'aria-labelledby': 'cert-add-h' },
    h('h2', { id: 'cert-add-h' }, `Gắn chứng thư cho ${code}`),
    summary,
    pem.wrap,
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, 'Gắn chứng thư')),
    confirmSlot,
  );
  add.addEventListener('submit', (ev) => {
    ev.preventDefault();
    fs.clear();
    if (!pem.value) {
      pem.setError('Hãy dán chứng thư.');
      pem.input.focus();
      return;
    }
    confirmStep(confirmSlot, `Gắn chứng thư này cho ${code}? Văn bản ký bằng chứng thư sẽ được tin cậy là của đơn vị.`, 'Xác nhận gắn', async () => {
      try {
        await admin.addCertificate(code, pem.value);
        announce('Đã gắn chứng thư');
        add.reset();
        await loadList();
      } catch (e) {
        fs.showError(e);
      }
      return null;
    });
  });
  async function loadList() {
    const { items } = await admin.certificates(code, ctx.signal);
    replace(
      listBox,
      items.length
        ? table(
            'certs',
            ['Chủ thể', 'Dấu vân tay SHA-256', 'Hiệu lực', 'Ngày gắn', 'Trạng thái', 'Thao tác'],
            items.map((c) => {
              const slot = h('div');
              return h(
                'tr',
                {},
                td('Chủ thể', c.subject),
                td('Dấu vân tay SHA-256', h('span', { class: 'code' }, c.fingerprint)),
                td('Hiệu lực', `${fmtTime(c.not_before)} – ${fmtTime(c.not_after)}`),
                td('Ngày gắn', fmtTime(c.added)),
                td('Trạng thái', c.revoked ? `Đã thu hồi ${fmtTime(c.revoked)}` : 'Đang dùng'),
                td(
                  '',
                  c.revoked
                    ? null
                    : h(
                        'button',
                        {
                          type: 'button',
                          onclick: () =>
                            confirmStep(slot, `Thu hồi chứng thư “${c.subject}” của ${code}?`, 'Xác nhận thu hồi', async () => {
                              await admin.revokeCertificate(code, c.id);
                              announce('Đã thu hồi chứng thư');
                              await loadList();
                            }),
                        },
                        'Thu hồi',
                      ),
                  slot,
                ),
              );
            }),
          )
        : h('p', { class: 'muted' }, `Đơn vị ${code} chưa có chứng thư số nào.`),
    );
  }
  await loadList();
  return [pick, cardSection('cert-list-h', `Chứng thư của ${code}`, {}, listBox), add];
}

// ---- the audit trail ----

function targetText(t) {
  const u = /^unit:(.+)$/.exec(t || '');
  if (u) return `Đơn vị ${u[1]}`;
  const m = /^(system|token):(\d+)$/.exec(t || '');
  if (!m) return t;
  return m[1] === 'system' ? `Hệ thống số ${m[2]}` : `Mã truy cập số ${m[2]}`;
}

/** Who acted, as the hub names them ("token 7 (name)", "system 3 (name) via VXP", "cli:account"), in Vietnamese. */
function whoText(w) {
  let m;
  if ((m = /^token (\d+) \((.*)\)$/.exec(w))) return `${m[2] === 'unnamed' ? 'Không tên' : m[2]} (mã truy cập số ${m[1]})`;
  if ((m = /^system (\d+) \((.*)\) via VXP$/.exec(w))) return `Hệ thống ${m[2]} (số ${m[1]}) qua VXP`;
  if ((m = /^cli:(.*)$/.exec(w))) return `Dòng lệnh trên máy chủ (tài khoản ${m[1]})`;
  return w;
}

const DETAIL_KEYS = {
  code: 'mã',
  codes: 'các mã',
  name: 'tên',
  role: 'vai trò',
  scope: 'phạm vi',
  revoked: 'số mã đã thu hồi',
  token: 'mã truy cập mới số',
  system: 'hệ thống số',
  id: 'số',
  subject: 'chủ thể',
  fingerprint: 'dấu vân tay',
};

function detailText(d) {
  return Object.entries(d || {})
    .filter(([, v]) => v !== '' && v !== null && v !== 0)
    .map(([k, v]) => {
      const value = k === 'role' ? ROLES[v] || v : Array.isArray(v) ? v.join(', ') : String(v);
      return `${DETAIL_KEYS[k] || k}: ${value}`;
    })
    .join('; ');
}

async function auditTab(me, ctx) {
  if (me.role !== 'admin')
    return [h('div', { class: 'alert alert-info' }, h('p', {}, 'Nhật ký quản trị chỉ hiển thị cho quản trị hệ thống.'))];
  const items = (await admin.audit(ctx.signal)).reverse();
  return [
    cardSection(
      'audit-h',
      'Nhật ký quản trị (mới nhất trước)',
      {},
      items.length
        ? table(
            'audit',
            ['Thời điểm', 'Người thực hiện', 'Vai trò', 'Hành động', 'Đối tượng', 'Chi tiết'],
            items.map((a) =>
              h(
                'tr',
                { dataset: { action: a.action } },
                td('Thời điểm', fmtTime(a.at)),
                td('Người thực hiện', whoText(a.who)),
                td('Vai trò', ROLES[a.role] || a.role),
                td('Hành động', AUDIT_ACTION[a.action] || a.action),
                td('Đối tượng', targetText(a.target)),
                td('Chi tiết', detailText(a.detail)),
              ),
            ),
          )
        : h('p', { class: 'muted' }, 'Chưa có thao tác quản trị nào.'),
    ),
  ];
}

const RENDER = { tokens: tokensTab, systems: systemsTab, certificates: certificatesTab, audit: auditTab };

export async function render(view, ctx) {
  ctx.title('Quản trị');
  const me = await session.me();
  const heading = h('h1', {}, 'Quản trị hệ thống');
  if (!me) {
    replace(view, heading, signInNotice('Trang quản trị'));
    return;
  }
  if (me.role !== 'admin' && me.role !== 'manager') {
    replace(
      view,
      heading,
      h('div', { class: 'alert alert-info' }, h('p', {}, 'Tài khoản này không có quyền quản trị mã truy cập và hệ thống kết nối.')),
    );
    return;
  }
  const tab = RENDER[ctx.params.get('tab')] ? ctx.params.get('tab') : 'tokens';
  const tabs = h(
    'nav',
    { 'aria-label': 'Mục quản trị' },
    h(
      'ul',
      { class: 'tabs' },
      TABS.filter(([t]) => t !== 'audit' || me.role === 'admin').map(([t, text]) =>
        h('li', {}, h('a', { href: `/admin?tab=${t}`, 'aria-current': t === tab ? 'page' : null }, text)),
      ),
      h('li', {}, h('a', { href: '/operations' }, 'Văn bản đang chuyển')),
    ),
  );
  ctx.title(`${TABS.find(([t]) => t === tab)[1]} · Quản trị`);
  const body = await RENDER[tab](me, ctx);
  replace(view, heading, tabs, body);
}
