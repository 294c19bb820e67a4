// Identifier codes as the browser needs them (design.md §3): the grammar, the
// level and the chain of ancestors. The registry stays the judge of validity;
// this only saves a round trip for breadcrumbs and hints.

export const CODE_RE = /^[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}$/;

export const isCode = (s) => CODE_RE.test(String(s || ''));

/** Groups right to left: [L1, L2, L3, L4]. */
function groups(code) {
  const [l4, l3, l2, l1] = code.split('.');
  return [l1, l2, l3, l4];
}

export function level(code) {
  const g = groups(code);
  let n = 1;
  while (n < 4 && !/^0+$/.test(g[n])) n++;
  return n;
}

/** The parent code (the leftmost non-zero group set back to zeros), or null for level 1. */
export function parentOf(code) {
  if (!isCode(code)) return null;
  const lv = level(code);
  if (lv === 1) return null;
  const parts = code.split('.'); // [L4, L3, L2, L1]
  parts[4 - lv] = parts[4 - lv].replace(/./g, '0');
  return parts.join('.');
}

/** Ancestors from level 1 down to the direct parent. */
export function ancestors(code) {
  const out = [];
  for (let p = parentOf(code); p; p = parentOf(p)) out.unshift(p);
  return out;
}

/** Codes named in a sentence, in order of appearance. */
export function codesIn(text) {
  return String(text || '').match(/\b[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}\b/g) || [];
}

/** Level-1 group letters (formats.md §1.3). */
export const GROUPS = {
  A: 'Cơ quan của Đảng',
  B: 'Văn phòng Chủ tịch nước',
  C: 'Quốc hội và cơ quan của Quốc hội',
  D: 'Tòa án nhân dân tối cao',
  E: 'Viện kiểm sát nhân dân tối cao',
  F: 'Kiểm toán Nhà nước',
  G: 'Bộ, cơ quan ngang bộ, cơ quan thuộc Chính phủ',
  H: 'Ủy ban nhân dân tỉnh, thành phố trực thuộc trung ương',
  I: 'Tổ chức chính trị - xã hội',
  J: 'Tổ chức xã hội, xã hội - nghề nghiệp',
  K: 'Hội đồng nhân dân tỉnh, thành phố trực thuộc trung ương',
};
