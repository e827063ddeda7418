/** The REST API, called with the token the user gave (kept for this browser tab only). */
const TOKEN_KEY = 'conflux.token';

export class ApiError extends Error {
  constructor(status, body) {
    super(typeof body === 'object' && body?.message ? body.message : `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }

  /** Per config key, the problems the API named (400 of an invalid config). */
  get keyErrors() {
    return Array.isArray(this.body?.errors) ? this.body.errors : [];
  }
}

export const token = () => sessionStorage.getItem(TOKEN_KEY) ?? '';
export const setToken = (value) => (value ? sessionStorage.setItem(TOKEN_KEY, value) : sessionStorage.removeItem(TOKEN_KEY));

export async function api(method, path, body) {
  const headers = { accept: 'application/json' };
  if (token()) headers.authorization = `Bearer ${token()}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  let data;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = text;
  }
  if (res.status === 401) window.dispatchEvent(new CustomEvent('conflux:unauthorized'));
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

export const connectorPath = (name, rest = '') => `../connectors/${encodeURIComponent(name)}${rest}`;

/** One line for an action's failure: a 409 during a rebalance says so. */
export function describeError(err) {
  if (err instanceof ApiError && err.status === 409) return `The cluster is rebalancing (409): ${err.message}. Try again in a moment.`;
  if (err instanceof ApiError) return `${err.status}: ${err.message}`;
  return String(err?.message ?? err);
}
