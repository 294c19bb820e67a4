// The JSON API of the same daemon (/v1), and the signed-in session. The token
// lives in sessionStorage only: it goes when the tab closes, and is never put
// in a URL or a cookie.

const KEY = 'lienthong.token';
const listeners = new Set();
let meCache = null;

export class ApiError extends Error {
  /**
   * status: HTTP status (0 when the hub could not be reached); code: the API's
   * error code; field: the input field it concerns, when the hub names one.
   */
  constructor(status, code, message, field = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

export const session = {
  token() {
    try {
      return sessionStorage.getItem(KEY) || '';
    } catch {
      return '';
    }
  },
  /** Checks the token with GET /v1/me and keeps it when the hub knows it. */
  async signIn(token) {
    token = token.trim();
    const me = await request('/v1/me', { token });
    sessionStorage.setItem(KEY, token);
    meCache = Promise.resolve(me);
    notify();
    return me;
  },
  signOut() {
    sessionStorage.removeItem(KEY);
    meCache = null;
    notify();
  },
  /** Who the token is ({role, scope, name, …}), or null when signed out. */
  /** Who the token is ({role, scope, name, …}), or null when signed out; asked once per sign-in. */
  me() {
    const token = this.token();
    if (!token) return Promise.resolve(null);
    if (!meCache) {
      meCache = request('/v1/me', { token }).catch((e) => {
        meCache = null;
        if (e.status === 401) {
          this.signOut();
          return null;
        }
        throw e;
      });
    }
    return meCache;
  },
  onChange(fn) {
    listeners.add(fn);
  },
};

function notify() {
  for (const fn of listeners) fn();
}

async function request(path, { method = 'GET', body, signal, token, headers = {} } = {}) {
  const h = { Accept: 'application/json', ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  let r;
  try {
    r = await fetch(path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body), signal });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', 'the hub could not be reached');
  }
  let data = null;
  const text = await r.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!r.ok) {
    const err = data && data.error;
    throw new ApiError(r.status, err ? err.code : 'http', err ? err.message : `HTTP ${r.status}`, err?.field || null);
  }
  return data;
}

/**
 * Calls the API with the session's token when there is one. A token the hub
 * no longer knows (revoked, or a database reset) ends the session; reads are
 * then tried once more without it, since the catalogue is usually public.
 */
export async function api(path, opts = {}) {
  const token = session.token();
  try {
    return await request(path, { ...opts, token });
  } catch (e) {
    if (e.status === 401 && token && /not known|revoked|malformed/i.test(e.message)) {
      session.signOut();
      if (!opts.method || opts.method === 'GET') return request(path, opts);
    }
    throw e;
  }
}

/** Query string from an object, leaving out empty values. */
export function qs(params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, v);
  const s = p.toString();
  return s ? `?${s}` : '';
}

const enc = encodeURIComponent;

/** Units by code, cached for the page's life (names for links and breadcrumbs). */
const nameCache = new Map();
export function unitName(code, asOf) {
  const key = `${code}@${asOf || ''}`;
  if (!nameCache.has(key)) {
    nameCache.set(
      key,
      api(`/v1/units/${enc(code)}${qs({ as_of: asOf })}`).then(
        (u) => u,
        () => null,
      ),
    );
  }
  return nameCache.get(key);
}
export function forgetUnits() {
  nameCache.clear();
}

export const units = {
  get: (code, asOf, signal) => api(`/v1/units/${enc(code)}${qs({ as_of: asOf })}`, { signal }),
  children: (code, { asOf, status, signal } = {}) =>
    api(`/v1/units/${enc(code)}/children${qs({ as_of: asOf, status })}`, { signal }),
  history: (code, signal) => api(`/v1/units/${enc(code)}/history`, { signal }),
  resolve: (code, signal) => api(`/v1/units/${enc(code)}/resolve`, { signal }),
  search: (params, signal) => api(`/v1/units${qs(params)}`, { signal }),
  /** Every unit a search finds, page after page to the last. */
  async searchAll(params, signal) {
    const all = [];
    let cursor;
    do {
      const r = await units.search({ ...params, cursor }, signal);
      all.push(...r.items);
      cursor = r.next_cursor;
    } while (cursor);
    return all;
  },
  issue: (body) => api('/v1/units', { method: 'POST', body }),
  patch: (code, body, version) =>
    api(`/v1/units/${enc(code)}`, {
      method: 'PATCH',
      body,
      headers: version ? { 'If-Match': `"v${version}"` } : {},
    }),
  reorganize: (body) => api('/v1/reorganizations', { method: 'POST', body }),
};

/** CSV in and out (docs/api.md: CSV import and export). */
export const csvFiles = {
  /**
   * Sends a File as the body of POST /v1/imports; the report. A refusal
   * throws an ApiError that carries the report (its rows and reasons) as
   * `report` when the hub gave one.
   */
  async import(file, { dryRun, mode }) {
    const h = { Accept: 'application/json', 'Content-Type': 'text/csv' };
    const token = session.token();
    if (token) h.Authorization = `Bearer ${token}`;
    let r;
    try {
      r = await fetch(`/v1/imports${qs({ dry_run: dryRun ? 'true' : 'false', mode })}`, {
        method: 'POST',
        headers: h,
        body: file,
      });
    } catch {
      throw new ApiError(0, 'network', 'the hub could not be reached');
    }
    const data = await r.json().catch(() => null);
    if (!r.ok) {
      const err = data && data.error;
      const e = new ApiError(r.status, err ? err.code : 'http', err ? err.message : `HTTP ${r.status}`, err?.field || null);
      e.report = data?.report || null;
      throw e;
    }
    return data;
  },
  /** GET /v1/export as a Blob: format 'csv' or 'dmdc', under a code, as of a date. */
  async export({ format, under, asOf }) {
    const token = session.token();
    let r;
    try {
      r = await fetch(`/v1/export${qs({ format, under, as_of: asOf })}`, {
        headers: token ? { Authorization: `Bearer ${token}` } : {},
      });
    } catch {
      throw new ApiError(0, 'network', 'the hub could not be reached');
    }
    if (!r.ok) {
      const data = await r.json().catch(() => null);
      const err = data && data.error;
      throw new ApiError(r.status, err ? err.code : 'http', err ? err.message : `HTTP ${r.status}`, err?.field || null);
    }
    return r.blob();
  },
};

/** Change requests (docs/requests.md). */
export const requests = {
  list: (params, signal) => api(`/v1/requests${qs(params)}`, { signal }),
  get: (id, signal) => api(`/v1/requests/${enc(id)}`, { signal }),
  create: (body) => api('/v1/requests', { method: 'POST', body }),
  amend: (id, body) => api(`/v1/requests/${enc(id)}`, { method: 'PATCH', body }),
  /** verb: submit, comment, return, reject or approve. */
  act: (id, verb, body) => api(`/v1/requests/${enc(id)}/${verb}`, { method: 'POST', body }),
  /** Streams a File as the body, its type and name kept; the file's metadata. */
  async upload(id, file) {
    const h = { Accept: 'application/json', 'Content-Type': file.type || 'application/octet-stream' };
    const token = session.token();
    if (token) h.Authorization = `Bearer ${token}`;
    let r;
    try {
      r = await fetch(`/v1/requests/${enc(id)}/files${qs({ name: file.name })}`, { method: 'POST', headers: h, body: file });
    } catch {
      throw new ApiError(0, 'network', 'the hub could not be reached');
    }
    const data = await r.json().catch(() => null);
    if (!r.ok) {
      const err = data && data.error;
      throw new ApiError(r.status, err ? err.code : 'http', err ? err.message : `HTTP ${r.status}`, err?.field || null);
    }
    return data;
  },
  /** A file's bytes as a Blob (the link needs the session's token). */
  async download(id, n) {
    const token = session.token();
    const r = await fetch(`/v1/requests/${enc(id)}/files/${enc(n)}`, {
      headers: token ? { Authorization: `Bearer ${token}` } : {},
    });
    if (!r.ok) throw new ApiError(r.status, 'http', `HTTP ${r.status}`);
    return r.blob();
  },
};

/** Administration (docs/api.md: tokens, connected systems, certificates, the audit trail). */
export const admin = {
  tokens: (signal) => api('/v1/tokens', { signal }),
  createToken: (body) => api('/v1/tokens', { method: 'POST', body }),
  revokeToken: (id) => api(`/v1/tokens/${enc(id)}`, { method: 'DELETE' }),
  systems: (signal) => api('/v1/systems', { signal }),
  addSystem: (body) => api('/v1/systems', { method: 'POST', body }),
  setDisabled: (id, disabled) => api(`/v1/systems/${enc(id)}`, { method: 'PATCH', body: { disabled } }),
  bind: (id, code) => api(`/v1/systems/${enc(id)}/codes`, { method: 'POST', body: { code } }),
  unbind: (id, code) => api(`/v1/systems/${enc(id)}/codes/${enc(code)}`, { method: 'DELETE' }),
  rotateToken: (id) => api(`/v1/systems/${enc(id)}/token`, { method: 'POST' }),
  /** secret: the one the system already has, or undefined for a new one. */
  vxpSecret: (id, secret) =>
    api(`/v1/systems/${enc(id)}/vxp-secret`, { method: 'POST', body: secret ? { secret } : {} }),
  certificates: (code, signal) => api(`/v1/units/${enc(code)}/certificates`, { signal }),
  addCertificate: (code, pem) => api(`/v1/units/${enc(code)}/certificates`, { method: 'POST', body: { pem } }),
  revokeCertificate: (code, id) => api(`/v1/units/${enc(code)}/certificates/${enc(id)}`, { method: 'DELETE' }),
  /** Every entry of the audit trail, oldest first, page after page. */
  async audit(signal) {
    const all = [];
    let after = 0;
    for (;;) {
      const r = await api(`/v1/audit${qs({ after, limit: 1000 })}`, { signal });
      all.push(...r.items);
      if (r.next_cursor === null || r.next_cursor === undefined) return all;
      after = r.next_cursor;
    }
  },
};

/** Transition campaigns (docs/campaigns.md). */
export const transitions = {
  list: (signal) => api('/v1/transitions', { signal }),
  plans: (signal) => api('/v1/plans', { signal }),
  get: (id, signal) => api(`/v1/transitions/${enc(id)}`, { signal }),
  open: (body) => api('/v1/transitions', { method: 'POST', body }),
  probe: (id) => api(`/v1/transitions/${enc(id)}/probe`, { method: 'POST' }),
  probeReport: (id, signal) => api(`/v1/transitions/${enc(id)}/probe`, { signal }),
  /** The progress as CSV text (the link needs the session's token). */
  async csv(id) {
    const token = session.token();
    const r = await fetch(`/v1/transitions/${enc(id)}?format=csv`, {
      headers: token ? { Authorization: `Bearer ${token}` } : {},
    });
    if (!r.ok) throw new ApiError(r.status, 'http', `HTTP ${r.status}`);
    return r.blob();
  },
};
