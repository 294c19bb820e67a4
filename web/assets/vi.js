// Vietnamese words for what the API says in codes and English: statuses,
// kinds of change, roles, and the refusals a manager meets, each tied to the
// form field it concerns.

import { codesIn } from './codes.js';
import { fmtDate } from './dom.js';

export const UNIT_STATUS = { active: 'Đang hoạt động', closed: 'Đã đóng' };

export const LEVELS = { 1: 'Cấp 1', 2: 'Cấp 2', 3: 'Cấp 3', 4: 'Cấp 4' };

/** Kinds of registry event (history, change feed, compliance). */
export const CHANGE_KIND = {
  import: 'Nạp danh mục ban đầu',
  issue: 'Cấp mã',
  update: 'Cập nhật thông tin liên hệ',
  rename: 'Đổi tên',
  move: 'Chuyển đơn vị',
  split: 'Chia tách',
  merge: 'Hợp nhất, sáp nhập',
  dissolve: 'Giải thể',
};

export const ROLES = {
  admin: 'Quản trị hệ thống',
  manager: 'Cán bộ quản lý mã',
  system: 'Hệ thống kết nối',
  reader: 'Người tra cứu',
  requester: 'Đơn vị đề nghị',
};

/** The audit trail's actions. */
export const AUDIT_ACTION = {
  'token.create': 'Tạo mã truy cập',
  'token.revoke': 'Thu hồi mã truy cập',
  'system.add': 'Đăng ký hệ thống kết nối',
  'system.bind': 'Gắn mã đơn vị vào hệ thống',
  'system.unbind': 'Gỡ mã đơn vị khỏi hệ thống',
  'system.disable': 'Ngừng kết nối hệ thống',
  'system.enable': 'Cho hệ thống kết nối lại',
  'system.rotate_token': 'Cấp lại mã truy cập của hệ thống',
  'system.set_secret': 'Đặt khóa bí mật VXP',
  'system.rotate_secret': 'Cấp khóa bí mật VXP mới',
  'cert.add': 'Gắn chứng thư số',
  'cert.revoke': 'Thu hồi chứng thư số',
};

/** Change requests: their kinds, states and the steps of their history. */
export const REQUEST_KIND = {
  issue: 'Cấp mã cho đơn vị mới',
  rename: 'Đổi tên',
  update: 'Cập nhật thông tin liên hệ',
  move: 'Chuyển đơn vị',
  split: 'Chia tách',
  merge: 'Hợp nhất, sáp nhập',
  dissolve: 'Giải thể',
  plan: 'Phương án sắp xếp',
};

/** Organisations outside the state tree. */
export const ORG_KIND = { enterprise: 'Doanh nghiệp', cooperative: 'Hợp tác xã', dependent: 'Đơn vị phụ thuộc' };
export const ORG_STATUS = { active: 'Đang hoạt động', suspended: 'Tạm ngừng', dissolved: 'Đã giải thể' };

export const REQUEST_STATE = {
  submitted: 'Đã gửi, chờ xem xét',
  in_review: 'Đang xem xét',
  returned: 'Trả lại để bổ sung',
  rejected: 'Không chấp thuận',
  applied: 'Đã cập nhật vào danh mục',
};

export const REQUEST_STEP = {
  filed: 'Gửi đề nghị',
  file: 'Đính kèm tệp',
  comment: 'Ý kiến',
  returned: 'Trả lại',
  amended: 'Sửa đề nghị',
  submitted: 'Gửi lại',
  rejected: 'Không chấp thuận',
  applied: 'Phê duyệt, cập nhật danh mục',
};

/** Business statuses (formats.md §2.8). */
export const BUSINESS_STATUS = {
  '01': 'Đã đến',
  '02': 'Từ chối tiếp nhận',
  '03': 'Đã tiếp nhận, vào sổ',
  '04': 'Đã phân công xử lý',
  '05': 'Đang xử lý',
  '06': 'Đã hoàn thành',
  13: 'Bên gửi đề nghị lấy lại, thu hồi',
  15: 'Đồng ý thu hồi, cập nhật',
  16: 'Từ chối thu hồi, cập nhật',
};

/** Transport states of a delivery: what the receiving system did with the package. */
export const TRANSPORT_STATE = {
  pending: 'Chờ bên nhận tải về',
  processing: 'Bên nhận đang tải, xử lý gói tin',
  done: 'Bên nhận đã nhận xong',
  fail: 'Bên nhận báo lỗi khi nhận',
  refused: 'Không chuyển được',
  merged: 'Gộp với lượt gửi khác cùng đơn vị nhận',
  no_system: 'Đơn vị nhận chưa có hệ thống kết nối',
  expired: 'Hết hạn chờ hệ thống nhận',
};

export const COMPLIANCE_KIND = {
  late_decision: 'Quyết định sửa đổi mã ban hành muộn',
  late_upload: 'Cập nhật lên danh mục muộn',
  pending: 'Chưa có quyết định',
  request_late_decision: 'Đề nghị chờ quyết định quá 30 ngày',
  request_late_update: 'Đề nghị cập nhật danh mục muộn',
};

export const DOC_KIND = { edoc: 'Văn bản điện tử', status: 'Gói tin trạng thái' };
export const BUSINESS_TYPE = { new: 'Văn bản mới', revoke: 'Thu hồi', update: 'Cập nhật', replace: 'Thay thế' };

/** The parts of a delivery's reason the hub writes, joined by "; ", each in Vietnamese. */
const REASONS = [
  [
    /^([^\s;]+) closed on ([^\s;]+); routed to its successors? ([^\s;]+)/,
    (m) => `Mã ${m[1]} đã đóng từ ngày ${fmtDate(m[2])}; văn bản được chuyển tới đơn vị kế thừa ${m[3]}.`,
  ],
  [
    /^([^\s;]+) closed on ([^\s;]+) and has no active successor/,
    (m) => `Mã ${m[1]} đã đóng từ ngày ${fmtDate(m[2])} và không có đơn vị kế thừa đang hoạt động.`,
  ],
  [/^([^\s;]+) is not a code of the registry/, (m) => `Không có đơn vị mã ${m[1]} trong danh mục.`],
  [/^no unit with code ([^\s;]+)/, (m) => `Không có đơn vị mã ${m[1]} trong danh mục.`],
  [/^delivered once, with the copy addressed to ([^\s;]+)/, (m) => `Chỉ chuyển một lần, cùng bản gửi tới ${m[1]}.`],
  [
    /^no connected system receives for ([^\s;]+): the document waits up to (\d+) days for one/,
    (m) => `Đơn vị ${m[1]} chưa có hệ thống nhận văn bản; văn bản được giữ tối đa ${m[2]} ngày chờ kết nối.`,
  ],
  [
    /^no connected system received for ([^\s;]+) within (\d+) days/,
    (m) => `Hết hạn: trong ${m[2]} ngày không có hệ thống nào nhận văn bản cho đơn vị ${m[1]}.`,
  ],
  [
    /^a system was bound to ([^\s;]+) on ([^\s;]+)/,
    (m) => `Ngày ${fmtDate(m[2].slice(0, 10))} đơn vị ${m[1]} đã có hệ thống nhận.`,
  ],
];

/** A delivery's routing reason in Vietnamese; a part it does not know stays as the hub wrote it. */
export function routingReason(reason) {
  const out = [];
  let rest = reason || '';
  while (rest) {
    const hit = REASONS.map(([re, say]) => [re.exec(rest), say]).find(([m]) => m);
    if (!hit) {
      out.push(rest);
      break;
    }
    out.push(hit[1](hit[0]));
    rest = rest.slice(hit[0][0].length).replace(/^;\s*/, '');
  }
  return out.join(' ');
}

/** Signature verdict in Vietnamese. */
export function signatureText(sig) {
  if (!sig) return 'Không kiểm tra';
  if (sig.trusted) return `Chữ ký số hợp lệ (${sig.signer})`;
  if (/not signed/.test(sig.reason || '')) return 'Gói tin không có chữ ký số';
  return `Chữ ký số chưa được tin cậy: ${sig.reason}`;
}

const FIELD_NAMES = {
  parent: 'đơn vị cấp trên',
  name: 'tên đơn vị',
  number: 'số thứ tự trong mã',
  address: 'địa chỉ',
  email: 'thư điện tử',
  phone: 'số điện thoại',
  fax: 'số fax',
  website: 'trang thông tin điện tử',
  'decision.number': 'số quyết định',
  'decision.date': 'ngày ban hành quyết định',
  'decision.issuer': 'cơ quan ban hành quyết định',
  effective: 'ngày hiệu lực',
  reorganized: 'ngày sắp xếp tổ chức',
  from: 'đơn vị',
  code: 'mã đơn vị',
  'into.code': 'đơn vị tiếp nhận',
  'into.parent': 'đơn vị cấp trên mới',
  'into.name': 'tên đơn vị mới',
  children: 'đơn vị trực thuộc',
  role: 'vai trò',
  scope: 'phạm vi',
  codes: 'mã đơn vị của hệ thống',
  secret: 'khóa bí mật VXP',
  pem: 'chứng thư',
  disabled: 'trạng thái kết nối',
  reason: 'lý do',
  kind: 'loại đề nghị',
  comment: 'ý kiến',
  sender: 'đơn vị gửi',
  recipient: 'đơn vị nhận',
  state: 'trạng thái',
  older_than_hours: 'số giờ đã chờ',
  stuck_hours: 'số giờ coi là bị kẹt',
  under: 'đơn vị cấp trên',
  level1: 'đơn vị cấp 1',
  limit: 'số dòng mỗi trang',
};

/** A field's name in Vietnamese; one the page does not know is never shown as the hub's English key. */
export const fieldName = (key) => FIELD_NAMES[key.replace(/\[\d+\]/g, '')] || 'thông tin đã nhập';

function dateProblem(rest) {
  let m = /'(.*)' is not a real calendar date/.exec(rest);
  if (m) return `ngày “${m[1]}” không có trên lịch`;
  m = /'(.*)' is not a date/.exec(rest);
  if (m) return m[1] ? `“${m[1]}” không phải là ngày (nhập theo dạng ngày/tháng/năm)` : 'chưa nhập ngày';
  return rest;
}

/**
 * Turns an API refusal into words a manager understands, and names the field
 * it concerns: a field key like 'decision.number', 'into[1].name', or null for
 * the form as a whole. `codes` lists codes the message names, so a form can
 * also find the field that holds one of them.
 */
export function explain(err) {
  const msg = err && err.message ? String(err.message) : '';
  const codes = codesIn(msg);
  // The field the hub names is the one concerned, whatever the sentence says.
  const out = (field, text) => ({ field: (err && err.field) || field, text, detail: msg, codes, status: err?.status });
  let m;

  if (!err || err.status === 0) return out(null, 'Không kết nối được tới máy chủ. Kiểm tra mạng rồi thử lại.');
  if (err.status === 401)
    return out(
      null,
      'Phiên làm việc không hợp lệ: mã truy cập sai, đã hết hiệu lực hoặc đã bị thu hồi. Hãy đăng nhập lại.',
    );

  if ((m = /^(\S+) lies outside this manager's subtree (\S+)/.exec(msg)))
    return out(
      null,
      `Bạn chỉ được quản lý các đơn vị thuộc ${m[2]}; đơn vị ${m[1]} nằm ngoài phạm vi đó. Hãy liên hệ đơn vị quản lý ${m[1]} hoặc quản trị hệ thống.`,
    );
  if (err.status === 403) return out(null, 'Tài khoản của bạn không có quyền thực hiện thao tác này.');

  if ((m = /^field '([^']+)' is required/.exec(msg))) return out(m[1], `Chưa nhập ${fieldName(m[1])}.`);
  if ((m = /^a decision is required: .*\(missing (number|date|issuer)\)/.exec(msg)))
    return out(`decision.${m[1]}`, `Mọi thay đổi cần có quyết định: chưa nhập ${fieldName(`decision.${m[1]}`)}.`);
  if ((m = /^decision date: (.*)$/.exec(msg)))
    return out('decision.date', `Ngày ban hành quyết định: ${dateProblem(m[1])}.`);
  if ((m = /^effective date: (.*)$/.exec(msg))) return out('effective', `Ngày hiệu lực: ${dateProblem(m[1])}.`);
  if ((m = /^reorganized: (.*)$/.exec(msg))) return out('reorganized', `Ngày sắp xếp tổ chức: ${dateProblem(m[1])}.`);
  if ((m = /^effective date (\S+) is before the last recorded change of (\S+) \((\w+), (\S+?)\)/.exec(msg)))
    return out(
      'effective',
      `Ngày hiệu lực ${fmtDate(m[1])} sớm hơn thay đổi gần nhất của ${m[2]} (${(CHANGE_KIND[m[3]] || m[3]).toLowerCase()}, ngày ${fmtDate(m[4])}). Các thay đổi của một đơn vị phải được ghi theo đúng thứ tự hiệu lực.`,
    );
  if ((m = /^([\w.[\]]+) '([^']*)' is not a valid code: (.*)$/.exec(msg)))
    return out(m[1], `“${m[2]}” không phải là mã định danh hợp lệ (mã có dạng 000.00.00.H14).`);
  if ((m = /^code (\S+) was already issued once/.exec(msg)))
    return out(
      'number',
      `Mã ${m[1]} đã từng được cấp. Mã định danh không bao giờ được cấp lại, kể cả khi đơn vị đã đóng: hãy chọn số khác hoặc để trống.`,
    );
  if (/^field '(?:[\w.[\]]*\.)?number' must be from/.test(msg) || /^number \d+ is outside/.test(msg))
    return out('number', 'Số thứ tự trong mã không hợp lệ: cấp 2 và cấp 3 từ 1 đến 99, cấp 4 từ 1 đến 999.');
  if ((m = /^email '.*' is not an address/.exec(msg)))
    return out('email', 'Thư điện tử chưa đúng dạng, ví dụ: vanthu@caobang.gov.vn.');
  if ((m = /^(phone|fax) '.*' may hold only/.exec(msg)))
    return out(m[1], `${m[1] === 'phone' ? 'Số điện thoại' : 'Số fax'} chỉ gồm chữ số, dấu cách và các dấu + - ( ) .`);
  if (/^website '.*' is not a host name or URL/.test(msg))
    return out('website', 'Trang thông tin điện tử phải là tên miền hoặc địa chỉ, ví dụ: caobang.gov.vn.');
  if (/^a unit needs a name|^name has no letters|^name is not valid UTF-8/.test(msg))
    return out('name', 'Tên đơn vị phải có chữ hoặc số.');
  if (/^name is \d+ bytes long/.test(msg)) return out('name', 'Tên đơn vị quá dài.');
  if ((m = /^(\S+) is already named '(.*)'$/.exec(msg))) return out('name', `Đơn vị ${m[1]} đang mang đúng tên này.`);
  if ((m = /^(\S+) changed since you read it|^(\S+) is at version/.exec(msg)))
    return out(null, 'Đơn vị vừa được người khác thay đổi sau khi bạn tải thông tin. Hãy tải lại rồi thực hiện lại.');
  if ((m = /^(\S+) still has (\d+) active child units? \(first: (\S+)\)/.exec(msg)))
    return out(
      'from',
      `Đơn vị ${m[1]} còn ${m[2]} đơn vị trực thuộc đang hoạt động (ví dụ ${m[3]}). Hãy chuyển hoặc giải thể các đơn vị đó trước.`,
    );
  if ((m = /^(\S+) has active child (\S+) that the split does not place/.exec(msg)))
    return out(
      'children',
      `Đơn vị trực thuộc ${m[2]} chưa được phân về đơn vị mới nào. Mỗi đơn vị trực thuộc phải được phân về một đơn vị mới.`,
    );
  if ((m = /^children: (\S+) is not an active child of (\S+)/.exec(msg)))
    return out('children', `${m[1]} không phải là đơn vị trực thuộc đang hoạt động của ${m[2]}.`);
  if ((m = /^children: (\S+) is placed twice/.exec(msg))) return out('children', `Đơn vị ${m[1]} được phân hai lần.`);
  if ((m = /^(\S+) was closed on (\S+); its successor is (\S+)/.exec(msg)))
    return out(null, `Đơn vị ${m[1]} đã đóng từ ngày ${fmtDate(m[2])}; đơn vị kế thừa là ${m[3]}.`);
  if ((m = /^(\S+) was closed on (\S+)/.exec(msg)))
    return out(null, `Đơn vị ${m[1]} đã đóng từ ngày ${fmtDate(m[2])}.`);
  if ((m = /^no unit with code (\S+)/.exec(msg))) return out(null, `Không có đơn vị mã ${m[1]} trong danh mục.`);
  if ((m = /^(\S+) did not exist on (\S+)/.exec(msg)))
    return out(null, `Đơn vị ${m[1]} chưa tồn tại vào ngày ${fmtDate(m[2])}.`);
  if ((m = /^(\S+) is a level-4 unit/.exec(msg)))
    return out('parent', `${m[1]} là đơn vị cấp 4: mã định danh không có cấp thứ năm.`);
  if ((m = /^(\S+) and its subtree are (\d+) levels deep/.exec(msg)))
    return out(
      'into.parent',
      `${m[1]} và các đơn vị trực thuộc sâu ${m[2]} cấp: chuyển về đơn vị đã chọn sẽ vượt quá cấp 4.`,
    );
  if ((m = /^(\S+) is already under (\S+)/.exec(msg))) return out('into.parent', `${m[1]} đã trực thuộc ${m[2]}.`);
  if ((m = /^cycle: (\S+) lies inside the subtree of (\S+)/.exec(msg)))
    return out('into.parent', `${m[1]} nằm trong chính đơn vị ${m[2]} đang bị đóng: không thể chuyển về đó.`);
  if ((m = /^(\S+) lies inside (\S+), which this change also closes/.exec(msg)))
    return out(
      'from',
      `${m[1]} thuộc ${m[2]}, đơn vị cũng bị đóng trong thay đổi này: chỉ cần chọn ${m[2]} (các đơn vị trực thuộc đi theo).`,
    );
  if ((m = /^(\S+) cannot be both closed and the target/.exec(msg)))
    return out('into.code', `${m[1]} không thể vừa bị hợp nhất vừa là đơn vị tiếp nhận.`);
  if (/^(\S+) is listed twice in from/.test(msg)) return out('from', `Đơn vị ${codes[0]} được chọn hai lần.`);
  if (/a merge into a new unit joins two or more units/.test(msg))
    return out(
      'from',
      'Hợp nhất thành đơn vị mới cần từ hai đơn vị trở lên; để chuyển một đơn vị, hãy dùng “Chuyển đơn vị”.',
    );
  if (/a split (creates two or more|needs 'into')/.test(msg))
    return out('into', 'Chia tách cần tạo ít nhất hai đơn vị mới.');
  if (/^a move keeps the unit's name/.test(msg))
    return out('into.name', 'Chuyển đơn vị giữ nguyên tên; đổi tên là một thay đổi riêng.');
  if (/^field 'from' must list/.test(msg)) return out('from', 'Cần chọn ít nhất một đơn vị.');
  if ((m = /^CSV syntax error near line (\d+)/.exec(msg)))
    return out(null, `Tệp CSV sai cú pháp gần dòng ${m[1]}: kiểm tra các dấu ngoặc kép.`);
  if (/^CSV syntax error at the end of the file/.test(msg))
    return out(null, 'Tệp CSV sai cú pháp ở cuối tệp: kiểm tra các dấu ngoặc kép.');
  if (/^the header needs a code column/.test(msg))
    return out(
      null,
      'Dòng tiêu đề của tệp cần có cột mã (code hoặc MaDinhDanh, MaDinhDanhCap1…4) và cột tên (name hoặc TenDonVi).',
    );
  if (/^the file is empty/.test(msg)) return out(null, 'Tệp trống: cần có dòng tiêu đề và các dòng đơn vị.');
  if (/the header holds a NUL byte|^line 1, column \d+: the header/.test(msg))
    return out(null, 'Dòng tiêu đề có ký tự NUL: tệp có lẽ được lưu dạng UTF-16; hãy lưu lại dạng UTF-8.');
  if (/^the header has more than \d+ columns/.test(msg)) return out(null, 'Tệp có quá nhiều cột.');
  if (/^send the file as the body with Content-Type: text\/csv/.test(msg))
    return out(null, 'Tệp gửi lên phải là tệp CSV.');
  if ((m = /^(\d+) of (\d+) rows are refused/.exec(msg)))
    return out(null, `${m[1]} trong ${m[2]} dòng của tệp bị từ chối; chưa có gì được ghi vào danh mục.`);

  if (err.field) {
    const f = fieldName(err.field);
    const F = f.charAt(0).toUpperCase() + f.slice(1);
    const byField = {
      bad_request: `${F} chưa đúng.`,
      not_found: `Không tìm thấy ${f} đã nhập.`,
      conflict: `${F} trùng với dữ liệu đã có.`,
      rule_refused: `${F} không được chấp nhận theo quy tắc quản lý mã (ví dụ: đơn vị đã đóng).`,
      forbidden: `Bạn không có quyền với ${f} này.`,
      too_large: `${F} quá dài hoặc quá lớn.`,
    };
    if (byField[err.code]) return out(err.field, byField[err.code]);
  }
  const byCode = {
    bad_request: 'Thông tin gửi lên chưa hợp lệ.',
    not_found: 'Không tìm thấy.',
    conflict: 'Thao tác xung đột với dữ liệu hiện có.',
    rule_refused: 'Quy tắc quản lý mã không cho phép thao tác này.',
    precondition_failed: 'Dữ liệu đã được người khác thay đổi. Hãy tải lại và thử lại.',
    too_large: 'Dữ liệu gửi lên quá lớn.',
    io_error: 'Máy chủ gặp lỗi khi ghi dữ liệu. Hãy thử lại sau.',
    out_of_memory: 'Máy chủ đang quá tải. Hãy thử lại sau.',
    not_ready: 'Máy chủ chưa sẵn sàng. Hãy thử lại sau.',
  };
  if (byCode[err.code]) return out(null, byCode[err.code]);
  const generic = {
    400: 'Thông tin gửi lên chưa hợp lệ.',
    404: 'Không tìm thấy.',
    409: 'Thao tác xung đột với dữ liệu hiện có.',
    412: 'Đơn vị đã được người khác thay đổi. Hãy tải lại và thử lại.',
    413: 'Dữ liệu gửi lên quá lớn.',
    422: 'Quy tắc quản lý mã không cho phép thao tác này.',
    500: 'Máy chủ gặp lỗi khi ghi dữ liệu. Hãy thử lại sau.',
    503: 'Máy chủ chưa sẵn sàng. Hãy thử lại sau.',
  };
  return out(null, generic[err.status] || 'Không thực hiện được thao tác.');
}

/** What a refused row of a CSV import (docs/api.md) means, by its kind, naming the file's own column. */
export function importReason(e) {
  const col = e.column ? `Cột ${e.column}: ` : '';
  const code = e.code || '';
  const reason = e.reason || '';
  let m;
  switch (e.error) {
    case 'nul_byte':
      return `${col}có ký tự NUL (tệp có lẽ được lưu dạng UTF-16); hãy lưu lại dạng UTF-8.`;
    case 'field_count':
      return 'Số ô của dòng khác với số cột của dòng tiêu đề.';
    case 'no_code':
      return `${col}dòng chưa có mã định danh.`;
    case 'bad_code':
      return `${col}“${code}” không phải là mã định danh hợp lệ (mã có dạng 000.00.00.H14).`;
    case 'parent_mismatch':
      return `${col}mã đơn vị cấp trên không khớp với mã định danh ${code}.`;
    case 'bad_name':
      return `${col}tên đơn vị phải có chữ hoặc số.`;
    case 'too_long':
      m = /at most (\d+)/.exec(reason);
      return `${col}nội dung quá dài${m ? ` (tối đa ${m[1]} byte)` : ''}.`;
    case 'bad_text':
      return `${col}có ký tự điều khiển hoặc không phải văn bản UTF-8.`;
    case 'bad_contact':
      if (/email/.test(reason)) return `${col}thư điện tử chưa đúng dạng, ví dụ: vanthu@caobang.gov.vn.`;
      if (/website/.test(reason)) return `${col}trang thông tin điện tử phải là tên miền hoặc địa chỉ, ví dụ: caobang.gov.vn.`;
      return `${col}chỉ được gồm chữ số, dấu cách và các dấu + - ( ) .`;
    case 'bad_date': {
      const rest = reason.replace(/^bad date in [^:]*: /, '');
      const said = dateProblem(rest);
      return `${col}${said === rest ? 'ngày không hợp lệ (ghi theo ngày/tháng/năm, ví dụ 01/07/2025)' : said}.`;
    }
    case 'duplicate_row':
      m = /on line (\d+)/.exec(reason);
      return `${col}mã ${code} đã có ở dòng ${m ? m[1] : 'khác'} của tệp.`;
    case 'forbidden':
      return `${col}đơn vị ${code} nằm ngoài phạm vi quản lý của bạn.`;
    case 'exists':
      return `${col}mã ${code} đã có trong danh mục. Để sửa thông tin đơn vị đã có, chọn “Thêm mới và sửa đơn vị đã có”.`;
    case 'closed':
      return `${col}mã ${code} đã đóng; mã định danh không bao giờ được cấp lại.`;
    case 'unknown_parent':
      return `${col}đơn vị cấp trên của ${code} không có trong danh mục và cũng không có trong tệp.`;
    case 'parent_refused':
      m = /on line (\d+)/.exec(reason);
      return `${col}đơn vị cấp trên của ${code} bị từ chối ở dòng ${m ? m[1] : 'khác'}.`;
    case 'parent_closed':
      return `${col}đơn vị cấp trên của ${code} đã đóng.`;
    default:
      return `${col}dòng không hợp lệ.`;
  }
}
