// /manage?action=…&code=…: signing in with a token, and every change a
// manager makes: issue, contact update, rename, and the reorganisations
// (move, split, merge, dissolve). A reorganisation is first run with
// dry_run, and the page shows exactly which codes it will create, close and
// move before it is committed. Refusals are shown next to the field they
// concern.

import { forgetUnits, session, unitName, units } from './api.js';
import { ancestors, isCode, parentOf } from './codes.js';
import { announce, h, replace, uid } from './dom.js';
import { ROLES } from './vi.js';
import { csvView } from './view-csv.js';
import { FieldSet, cardSection, codeCopy, decisionFields, errorBox, field, unitField, unitLink } from './ui.js';

const ACTIONS = [
  ['issue', 'Cấp mã mới'],
  ['update', 'Cập nhật liên hệ'],
  ['rename', 'Đổi tên'],
  ['move', 'Chuyển đơn vị'],
  ['split', 'Chia tách'],
  ['merge', 'Hợp nhất, sáp nhập'],
  ['dissolve', 'Giải thể'],
  ['csv', 'Nhập, xuất tệp CSV'],
];

const CONTACT = [
  ['address', 'Địa chỉ', 'text', 'Số nhà, đường, phường/xã, tỉnh/thành phố'],
  ['email', 'Thư điện tử', 'email', 'Ví dụ: vanthu@caobang.gov.vn'],
  ['phone', 'Điện thoại', 'text', 'Ví dụ: 0206 3852 125'],
  ['fax', 'Fax', 'text', null],
  ['website', 'Trang thông tin điện tử', 'text', 'Ví dụ: caobang.gov.vn'],
];

function signInView(view, ctx) {
  const fs = new FieldSet(h('div'));
  const tok = fs.add(
    field({
      key: 'token',
      label: 'Mã truy cập',
      type: 'password',
      required: true,
      hint: 'Mã do quản trị hệ thống cấp (lệnh lienthong token create). Mã chỉ được giữ trong thẻ trình duyệt này cho đến khi bạn đăng xuất hoặc đóng thẻ.',
      attrs: { autocomplete: 'off', spellcheck: 'false' },
    }),
  );
  const form = h(
    'form',
    { class: 'card', novalidate: true, 'aria-labelledby': 'signin-h' },
    h('h2', { id: 'signin-h' }, 'Đăng nhập'),
    fs.summary,
    tok.wrap,
    h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, 'Đăng nhập')),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    fs.clear();
    if (!tok.value) {
      tok.setError('Hãy dán mã truy cập.');
      tok.input.focus();
      return;
    }
    try {
      const me = await session.signIn(tok.value);
      announce(`Đã đăng nhập: ${me.name || ROLES[me.role]}`);
      const next = ctx.params.get('next');
      ctx.go(next && next.startsWith('/') && !next.startsWith('//') ? next : '/manage', { replace: true });
    } catch (e) {
      if (e.status === 401) {
        tok.setError('Mã truy cập không đúng, hoặc đã bị thu hồi.');
        tok.input.focus();
      } else fs.showError(e);
    }
  });
  replace(
    view,
    h('h1', {}, 'Quản lý mã định danh'),
    h(
      'p',
      {},
      'Cán bộ quản lý mã của bộ, ngành, địa phương đăng nhập để cấp mã, cập nhật thông tin và thực hiện các quyết định sắp xếp tổ chức. Việc tra cứu không cần đăng nhập.',
    ),
    form,
  );
  tok.input.focus();
}

function whoCard(me, ctx) {
  return cardSection(
    'who-h',
    'Bạn đang đăng nhập',
    { class: 'who-card' },
    h(
      'dl',
      { class: 'details' },
      h('dt', {}, 'Tên'),
      h('dd', { 'data-who': 'name' }, me.name || '—'),
      h('dt', {}, 'Vai trò'),
      h('dd', { 'data-who': 'role' }, ROLES[me.role] || me.role),
      h('dt', {}, 'Phạm vi quản lý'),
      h(
        'dd',
        { 'data-who': 'scope' },
        me.scope ? unitLink(me.scope, '', { fetchName: true }) : me.role === 'admin' ? 'Toàn bộ danh mục' : '—',
      ),
    ),
    h(
      'div',
      { class: 'buttons' },
      h(
        'button',
        {
          type: 'button',
          onclick: () => {
            session.signOut();
            announce('Đã đăng xuất');
            ctx.go('/manage', { replace: true });
          },
        },
        'Đăng xuất',
      ),
    ),
  );
}

/** Contact fields, optionally prefilled. */
function contactFields(fs, values = {}) {
  const fields = CONTACT.map(([key, label, type, hint]) =>
    fs.add(field({ key, label, type, hint, value: values[key] || '' })),
  );
  return {
    fields,
    fieldset: h(
      'fieldset',
      {},
      h('legend', {}, 'Thông tin liên hệ'),
      h(
        'div',
        { class: 'grid' },
        fields.map((f) => f.wrap),
      ),
    ),
    value(onlyFilled) {
      const o = {};
      for (const f of fields) if (!onlyFilled || f.value) o[f.key] = f.value;
      return o;
    },
    fill(u) {
      for (const f of fields) f.value = u[f.key] || '';
    },
  };
}

/** The list of what a reorganisation creates, closes and moves (from the dry run, or the commit). */
function reorgOutcome(r, { names = {}, done = false, body } = {}) {
  const movedTo = new Set(Object.values(r.moved || {}));
  const fresh = (r.created || []).filter((c) => !movedTo.has(c));
  const moved = Object.entries(r.moved || {});
  const closedOnly = (r.closed || []).filter((c) => !(c in (r.moved || {})));
  const link = (c) => (done ? unitLink(c, '', { fetchName: true }) : h('span', { class: 'code' }, c));
  const oldLink = (c) => unitLink(c, '', { fetchName: true });
  const kind = body ? body.kind : r.kind;
  // Built anew for each closed code: a node can stand in one place only.
  const heir = () => {
    if (kind === 'dissolve') return 'không có đơn vị kế thừa';
    if (kind === 'split') return fresh.length ? ['kế thừa: ', fresh.map((c, i) => [i ? ', ' : '', link(c)])] : null;
    if (kind === 'merge') {
      const existing = body && body.into && body.into.code;
      const into = existing || fresh[0];
      return into ? ['kế thừa: ', existing ? oldLink(into) : link(into)] : null;
    }
    return null;
  };
  const parts = [];
  parts.push(h('h3', {}, `Cấp ${fresh.length} mã mới`));
  parts.push(
    fresh.length
      ? h(
          'ul',
          { class: 'created' },
          fresh.map((c) => h('li', {}, link(c), names[c] ? ` ${names[c]}` : '')),
        )
      : h('p', { class: 'muted' }, 'Không có.'),
  );
  parts.push(h('h3', {}, `Đóng ${closedOnly.length} mã`));
  parts.push(
    closedOnly.length
      ? h(
          'ul',
          { class: 'closed' },
          closedOnly.map((c) => {
            const x = heir();
            return h('li', {}, oldLink(c), x ? [' — ', x] : null);
          }),
        )
      : h('p', { class: 'muted' }, 'Không có.'),
  );
  parts.push(h('h3', {}, `Chuyển ${moved.length} mã sang mã mới (mã cũ đóng, kế thừa là mã mới)`));
  parts.push(
    moved.length
      ? h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { class: 'moved stack-on-phone' },
            h(
              'thead',
              {},
              h('tr', {}, h('th', { scope: 'col' }, 'Mã cũ (sẽ đóng)'), h('th', { scope: 'col' }, 'Mã mới')),
            ),
            h(
              'tbody',
              {},
              moved.map(([a, b]) =>
                h(
                  'tr',
                  {},
                  h('td', { 'data-label': 'Mã cũ' }, oldLink(a)),
                  h('td', { 'data-label': 'Mã mới' }, link(b)),
                ),
              ),
            ),
          ),
        )
      : h('p', { class: 'muted' }, 'Không có.'),
  );
  return parts;
}

/**
 * One action's form. build(fs, form) adds the fields and returns a function
 * that makes the request body. Reorganisations get a preview step.
 */
function actionForm({ title, intro, build, submitLabel, reorg = false, send, success }) {
  const summary = h('div', { tabindex: '-1', class: 'form-summary' });
  const fs = new FieldSet(summary);
  const form = h('form', { class: 'card action-form', novalidate: true, 'aria-labelledby': 'action-h' });
  const result = h('div', { class: 'result', 'aria-live': 'polite' });
  const body = build(fs, form);
  const preview = h('div');
  const submit = h('button', { type: 'submit', class: 'primary' }, reorg ? 'Xem trước thay đổi' : submitLabel);
  form.prepend(h('h2', { id: 'action-h' }, title), intro ? h('p', {}, intro) : null, summary);
  form.append(h('div', { class: 'buttons' }, submit), preview);
  let previewed = null; // the body the preview was made from

  const clearPreview = () => {
    if (previewed) {
      previewed = null;
      replace(preview);
    }
  };
  form.addEventListener('input', clearPreview);
  form.addEventListener('change', (ev) => {
    if (ev.target.closest('.preview')) return;
    clearPreview();
  });

  async function commit(b) {
    const btns = form.querySelectorAll('button');
    btns.forEach((x) => (x.disabled = true));
    try {
      const r = await send(b);
      forgetUnits();
      fs.clear();
      replace(preview);
      previewed = null;
      replace(result, success(r, b));
      result.querySelector('h2, h3, p')?.setAttribute('tabindex', '-1');
      result.querySelector('[tabindex="-1"]')?.focus();
    } catch (e) {
      replace(result);
      fs.showError(e);
    } finally {
      btns.forEach((x) => (x.disabled = false));
    }
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    fs.clear();
    replace(result);
    const b = body();
    if (!b) return;
    if (!reorg) {
      await commit(b);
      return;
    }
    submit.disabled = true;
    try {
      const r = await units.reorganize({ ...b, dry_run: true });
      previewed = b;
      const names = newNames(r, b);
      const confirm = h('button', { type: 'button', class: 'primary confirm' }, 'Xác nhận thực hiện');
      confirm.addEventListener('click', () => {
        if (previewed) commit({ ...previewed, dry_run: undefined });
      });
      replace(
        preview,
        h(
          'section',
          { class: 'card preview', 'aria-labelledby': 'preview-h' },
          h('h2', { id: 'preview-h', tabindex: '-1' }, 'Xem trước: thay đổi này sẽ'),
          h(
            'p',
            {},
            'Chưa có gì được ghi. Kiểm tra danh sách dưới đây rồi bấm “Xác nhận thực hiện”; sửa bất kỳ ô nào ở trên sẽ phải xem trước lại.',
          ),
          reorgOutcome(r, { names, body: b }),
          h(
            'div',
            { class: 'buttons' },
            confirm,
            h(
              'button',
              {
                type: 'button',
                onclick: () => {
                  clearPreview();
                  submit.focus();
                },
              },
              'Sửa lại',
            ),
          ),
        ),
      );
      preview.querySelector('#preview-h').focus();
    } catch (e) {
      fs.showError(e);
    } finally {
      submit.disabled = false;
    }
  });
  return h('div', {}, form, result);
}

/**
 * Names of the units a reorganisation creates: new units get their codes in
 * the order of "into", before any moved descendant gets its new code.
 */
function newNames(r, b) {
  const movedTo = new Set(Object.values(r.moved || {}));
  const fresh = (r.created || []).filter((c) => !movedTo.has(c));
  const into = Array.isArray(b.into) ? b.into : b.into && b.into.name ? [b.into] : [];
  const names = { ...(r.names || {}) };
  if (fresh.length === into.length) fresh.forEach((c, i) => (names[c] = into[i].name));
  return names;
}

const strip = (b) => {
  const o = { ...b };
  delete o.dry_run;
  return o;
};

function okBox(title, ...rest) {
  return h('div', { class: 'alert alert-ok', role: 'status' }, h('p', {}, h('strong', {}, title)), rest);
}

/** A unit field whose suggestions stay within a manager's scope (the hub enforces it in any case). */
function scopedUnitField(fs, me, opts) {
  return fs.add(unitField({ ...opts, under: me.scope || undefined }));
}

/**
 * The form of a change to one unit (PATCH), sent with the version of the unit
 * as last read. build(fs, form, unit) adds the other fields and returns
 * {fill(u), body()}: fill puts a unit just chosen into them, body makes the
 * rest of the request body. done(u) says what was done.
 */
function patchForm(me, code, { build, done, ...opts }) {
  let version = 0;
  return actionForm({
    ...opts,
    build(fs, form) {
      const unit = scopedUnitField(fs, me, { key: 'code', label: 'Đơn vị', value: code || '' });
      const { fill, body } = build(fs, form, unit);
      unit.onunit = (u) => {
        if (u) {
          version = u.version;
          fill(u);
        }
      };
      return () => ({ code: unit.value, ...body() });
    },
    send: (b) => {
      const { code: c, ...rest } = b;
      if (!isCode(c))
        return Promise.reject(Object.assign(new Error(`code '${c}' is not a valid code: `), { status: 400 }));
      return units.patch(c, rest, version);
    },
    success: (u) => {
      version = u.version;
      return okBox(done(u), h('p', {}, h('a', { href: `/units/${u.code}` }, 'Xem đơn vị')));
    },
  });
}

// ---- the actions ----

function issueForm(me, code) {
  return actionForm({
    title: 'Cấp mã cho đơn vị mới',
    intro:
      'Mã được cấp theo số kế tiếp chưa từng dùng dưới đơn vị cấp trên (kể cả các mã đã đóng), hoặc theo số bạn chọn nếu số đó chưa từng được cấp.',
    submitLabel: 'Cấp mã',
    build(fs, form) {
      const parent = scopedUnitField(fs, me, {
        key: 'parent',
        label: 'Đơn vị cấp trên',
        value: code || me.scope || '',
      });
      const name = fs.add(
        field({
          key: 'name',
          label: 'Tên đơn vị',
          required: true,
          hint: 'Tên đầy đủ, có dấu, ví dụ: Sở Khoa học và Công nghệ tỉnh Cao Bằng',
        }),
      );
      const number = fs.add(
        field({
          key: 'number',
          label: 'Số thứ tự trong mã',
          type: 'number',
          hint: 'Để trống để lấy số kế tiếp. Cấp 2, 3: 1–99; cấp 4: 1–999.',
          attrs: { min: 1, max: 999, inputmode: 'numeric' },
        }),
      );
      const contact = contactFields(fs);
      const dec = decisionFields(fs, { reorganized: true });
      form.append(h('div', { class: 'grid' }, parent.wrap, number.wrap), name.wrap, dec.fieldset, contact.fieldset);
      return () => {
        const b = { parent: parent.value, name: name.value, ...dec.value(), ...contact.value(true) };
        if (number.value) {
          const n = Number(number.value);
          if (!Number.isInteger(n) || n < 1 || n > 999) {
            number.setError('Số thứ tự là số nguyên từ 1 đến 999, hoặc để trống.');
            number.input.focus();
            return null;
          }
          b.number = n;
        }
        return b;
      };
    },
    send: (b) => units.issue(strip(b)),
    success: (u) =>
      okBox(
        `Đã cấp mã ${u.code} cho ${u.name}.`,
        codeCopy(u.code),
        h('p', {}, h('a', { href: `/units/${u.code}`, class: 'issued-link' }, `Xem đơn vị ${u.name}`)),
      ),
  });
}

function updateForm(me, code) {
  return patchForm(me, code, {
    title: 'Cập nhật thông tin liên hệ',
    intro: 'Thông tin liên hệ thay đổi không cần quyết định. Ô để trống sẽ xóa thông tin đó.',
    submitLabel: 'Lưu thông tin liên hệ',
    build(fs, form, unit) {
      const contact = contactFields(fs);
      form.append(unit.wrap, contact.fieldset);
      return { fill: (u) => contact.fill(u), body: () => contact.value(false) };
    },
    done: (u) => `Đã lưu thông tin liên hệ của ${u.name}.`,
  });
}

function renameForm(me, code) {
  return patchForm(me, code, {
    title: 'Đổi tên đơn vị',
    intro: 'Đơn vị giữ nguyên mã; tên mới có hiệu lực từ ngày hiệu lực của quyết định.',
    submitLabel: 'Đổi tên',
    build(fs, form, unit) {
      const name = fs.add(field({ key: 'name', label: 'Tên mới', required: true }));
      const dec = decisionFields(fs);
      form.append(unit.wrap, name.wrap, dec.fieldset);
      return {
        fill: (u) => {
          if (!name.value) name.value = u.name;
        },
        body: () => ({ name: name.value, ...dec.value() }),
      };
    },
    done: (u) => `Đã đổi tên ${u.code} thành “${u.name}”.`,
  });
}

function reorgSuccess(r, b) {
  return h(
    'div',
    { class: 'alert alert-ok', role: 'status' },
    h('h3', {}, 'Đã thực hiện.'),
    reorgOutcome(r, { done: true, body: b, names: newNames(r, b) }),
  );
}

/** A reorganisation's form: previewed with dry_run, then sent to POST /v1/reorganizations. */
function reorgForm(opts) {
  return actionForm({ ...opts, reorg: true, send: (b) => units.reorganize(strip(b)), success: reorgSuccess });
}

function moveForm(me, code) {
  return reorgForm({
    title: 'Chuyển đơn vị sang đơn vị cấp trên khác',
    intro:
      'Đơn vị nhận mã mới dưới đơn vị cấp trên mới; mã cũ đóng và có mã mới là kế thừa. Các đơn vị trực thuộc đi theo, mỗi đơn vị nhận mã mới. Hệ thống kết nối của đơn vị chuyển theo mã mới.',
    build(fs, form) {
      const from = scopedUnitField(fs, me, { key: 'from', label: 'Đơn vị cần chuyển', value: code || '' });
      const parent = scopedUnitField(fs, me, { key: 'into.parent', label: 'Đơn vị cấp trên mới' });
      const dec = decisionFields(fs, { reorganized: true });
      form.append(h('div', { class: 'grid two' }, from.wrap, parent.wrap), dec.fieldset);
      return () => ({ kind: 'move', from: [from.value], into: { parent: parent.value }, ...dec.value() });
    },
  });
}

function dissolveForm(me, code) {
  return reorgForm({
    title: 'Giải thể đơn vị',
    intro:
      'Mã đóng và không có đơn vị kế thừa; mã không bao giờ được cấp lại. Đơn vị phải không còn đơn vị trực thuộc đang hoạt động.',
    build(fs, form) {
      const from = scopedUnitField(fs, me, { key: 'from', label: 'Đơn vị giải thể', value: code || '' });
      const dec = decisionFields(fs, { reorganized: true });
      form.append(from.wrap, dec.fieldset);
      return () => ({ kind: 'dissolve', from: [from.value], ...dec.value() });
    },
  });
}

function mergeForm(me, code) {
  return reorgForm({
    title: 'Hợp nhất, sáp nhập đơn vị',
    intro:
      'Các đơn vị được chọn đóng mã; đơn vị tiếp nhận (đang có, hoặc lập mới) là đơn vị kế thừa. Đơn vị trực thuộc của các đơn vị đóng chuyển về đơn vị tiếp nhận với mã mới.',
    build(fs, form) {
      const list = h('div', { class: 'from-list' });
      const froms = [];
      const addFrom = (value = '') => {
        const i = froms.length;
        const f = scopedUnitField(fs, me, { key: `from[${i}]`, label: `Đơn vị bị hợp nhất ${i + 1}`, value });
        froms.push(f);
        list.append(f.wrap);
        return f;
      };
      addFrom(code || '');
      addFrom();
      const more = h('button', { type: 'button', onclick: () => addFrom().input.focus() }, 'Thêm đơn vị bị hợp nhất');
      const mode = uid('mode');
      const rExisting = h('input', { type: 'radio', name: mode, id: `${mode}-a`, value: 'existing', checked: true });
      const rNew = h('input', { type: 'radio', name: mode, id: `${mode}-b`, value: 'new' });
      const target = scopedUnitField(fs, me, { key: 'into.code', label: 'Đơn vị tiếp nhận (đang có)' });
      const nParent = scopedUnitField(fs, me, {
        key: 'into.parent',
        label: 'Đơn vị cấp trên của đơn vị mới',
        value: parentOf(code || '') || me.scope || '',
      });
      const nName = fs.add(field({ key: 'into.name', label: 'Tên đơn vị mới', required: true }));
      const existingBox = h('div', {}, target.wrap);
      const newBox = h('div', { hidden: true }, h('div', { class: 'grid two' }, nParent.wrap, nName.wrap));
      const sync = () => {
        existingBox.hidden = !rExisting.checked;
        newBox.hidden = rExisting.checked;
      };
      rExisting.addEventListener('change', sync);
      rNew.addEventListener('change', sync);
      const dec = decisionFields(fs, { reorganized: true });
      form.append(
        h('fieldset', {}, h('legend', {}, 'Các đơn vị đóng mã'), list, h('div', { class: 'buttons' }, more)),
        h(
          'fieldset',
          {},
          h('legend', {}, 'Đơn vị tiếp nhận'),
          h('p', { class: 'check' }, rExisting, h('label', { for: rExisting.id }, 'Một đơn vị đang có')),
          h('p', { class: 'check' }, rNew, h('label', { for: rNew.id }, 'Một đơn vị mới lập')),
          existingBox,
          newBox,
        ),
        dec.fieldset,
      );
      return () => {
        const from = froms.map((f) => f.value).filter(Boolean);
        const b = { kind: 'merge', from, ...dec.value() };
        if (rExisting.checked) b.into = { code: target.value };
        else b.into = { parent: nParent.value, name: nName.value };
        return b;
      };
    },
  });
}

function splitForm(me, code) {
  return reorgForm({
    title: 'Chia tách đơn vị',
    intro:
      'Đơn vị bị chia tách đóng mã; hai đơn vị mới trở lên được cấp mã và là đơn vị kế thừa. Mỗi đơn vị trực thuộc đang hoạt động phải được phân về một đơn vị mới.',
    build(fs, form) {
      const from = scopedUnitField(fs, me, { key: 'from', label: 'Đơn vị bị chia tách', value: code || '' });
      const newList = h('div', { class: 'new-units' });
      const news = [];
      const kidsBox = h(
        'div',
        { class: 'children-placing' },
        h('p', { class: 'muted' }, 'Chọn đơn vị bị chia tách để phân các đơn vị trực thuộc.'),
      );
      let kids = [];
      const placeFields = [];
      const optionLabel = (i) => `Đơn vị mới ${i + 1}${news[i] && news[i].name.value ? `: ${news[i].name.value}` : ''}`;
      const refreshOptions = () => {
        for (const pf of placeFields) {
          const cur = pf.input.value;
          replace(
            pf.input,
            h('option', { value: '' }, '— Chọn đơn vị mới —'),
            news.map((_, i) => h('option', { value: String(i), selected: cur === String(i) }, optionLabel(i))),
          );
        }
      };
      const addNew = () => {
        const i = news.length;
        const p = scopedUnitField(fs, me, {
          key: `into[${i}].parent`,
          label: 'Đơn vị cấp trên',
          value: parentOf(from.value) || me.scope || '',
        });
        const n = fs.add(field({ key: `into[${i}].name`, label: 'Tên đơn vị mới', required: true }));
        n.input.addEventListener('input', refreshOptions);
        const box = h(
          'div',
          { class: 'new-unit' },
          h('h3', {}, `Đơn vị mới ${i + 1}`),
          h('div', { class: 'grid two' }, p.wrap, n.wrap),
        );
        news.push({ parent: p, name: n, box });
        newList.append(box);
        refreshOptions();
        return n;
      };
      addNew();
      addNew();
      const loadKids = async (u) => {
        for (const pf of placeFields) fs.remove(pf);
        placeFields.length = 0;
        kids = [];
        if (!u || u.status !== 'active') {
          replace(kidsBox, h('p', { class: 'muted' }, 'Chọn đơn vị bị chia tách để phân các đơn vị trực thuộc.'));
          return;
        }
        // The new units go under the split unit's parent unless chosen otherwise.
        for (const nu of news) {
          if (u.parent && (!nu.parent.value || nu.parent.value === me.scope)) {
            nu.parent.value = u.parent;
            nu.parent.refresh();
          }
        }
        try {
          kids = (await units.children(u.code, { status: 'active' })).items;
        } catch (e) {
          replace(kidsBox, errorBox(e));
          return;
        }
        if (!kids.length) {
          replace(kidsBox, h('p', { class: 'muted' }, `${u.name} không có đơn vị trực thuộc đang hoạt động.`));
          return;
        }
        const rows = kids.map((k, i) => {
          const pf = fs.add(
            field({
              key: `children[${i}]`,
              label: `${k.code} ${k.name}`,
              type: 'select',
              options: [['', '— Chọn đơn vị mới —']],
            }),
          );
          pf.code = k.code;
          placeFields.push(pf);
          return pf.wrap;
        });
        replace(
          kidsBox,
          h('p', {}, `${kids.length} đơn vị trực thuộc: chọn đơn vị mới tiếp nhận từng đơn vị.`),
          h('div', { class: 'grid two' }, rows),
        );
        refreshOptions();
      };
      from.onunit = loadKids;
      const more = h('button', { type: 'button', onclick: () => addNew().input.focus() }, 'Thêm đơn vị mới');
      const dec = decisionFields(fs, { reorganized: true });
      form.append(
        from.wrap,
        h('fieldset', {}, h('legend', {}, 'Các đơn vị mới'), newList, h('div', { class: 'buttons' }, more)),
        h(
          'fieldset',
          { class: 'children-fieldset', dataset: { field: 'children' } },
          h('legend', {}, 'Phân các đơn vị trực thuộc'),
          kidsBox,
        ),
        dec.fieldset,
      );
      return () => {
        const children = {};
        placeFields.forEach((pf, i) => {
          if (pf.input.value !== '') children[kids[i].code] = Number(pf.input.value);
        });
        const b = {
          kind: 'split',
          from: [from.value],
          into: news.map((nu) => ({ parent: nu.parent.value, name: nu.name.value })),
          ...dec.value(),
        };
        if (Object.keys(children).length) b.children = children;
        return b;
      };
    },
  });
}

const FORMS = {
  issue: issueForm,
  update: updateForm,
  rename: renameForm,
  move: moveForm,
  split: splitForm,
  merge: mergeForm,
  dissolve: dissolveForm,
  csv: csvView,
};

export async function render(view, ctx) {
  ctx.title('Quản lý');
  const me = await session.me();
  if (!me) {
    signInView(view, ctx);
    return;
  }
  const action = FORMS[ctx.params.get('action')] ? ctx.params.get('action') : 'issue';
  const code = ctx.params.get('code') || '';
  const heading = h('h1', {}, 'Quản lý mã định danh');
  if (me.role !== 'admin' && me.role !== 'manager') {
    replace(
      view,
      heading,
      whoCard(me, ctx),
      h(
        'div',
        { class: 'alert alert-info' },
        h(
          'p',
          {},
          'Tài khoản này không có quyền thay đổi danh mục. Bạn vẫn xem được hành trình văn bản và thống kê trao đổi.',
        ),
        h('p', {}, h('a', { href: '/stats' }, 'Đến trang trao đổi văn bản')),
      ),
    );
    return;
  }
  const tabs = h(
    'nav',
    { 'aria-label': 'Thao tác quản lý' },
    h(
      'ul',
      { class: 'tabs' },
      ACTIONS.map(([a, t]) =>
        h(
          'li',
          {},
          h(
            'a',
            { href: `/manage?action=${a}${code ? `&code=${code}` : ''}`, 'aria-current': a === action ? 'page' : null },
            t,
          ),
        ),
      ),
    ),
  );
  const scopeNote =
    me.role === 'manager' && code && isCode(code) && me.scope !== code && !ancestors(code).includes(me.scope)
      ? h(
          'div',
          { class: 'alert alert-info' },
          h('p', {}, `Đơn vị ${code} nằm ngoài phạm vi quản lý ${me.scope} của bạn; hệ thống sẽ từ chối thay đổi.`),
        )
      : null;
  ctx.title(`${ACTIONS.find(([a]) => a === action)[1]} · Quản lý`);
  replace(view, heading, whoCard(me, ctx), tabs, scopeNote, FORMS[action](me, code));
  if (code) unitName(code);
}
