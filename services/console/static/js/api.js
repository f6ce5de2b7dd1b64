// The public API, through the console's same-origin pass-through: /api/{service}/v1/...
// The API key lives in sessionStorage (this tab only, gone when it closes) and goes out as the
// Authorization header, exactly as an integrator sends it.

const KEY = "cityfit.apiKey";

export const session = {
  get key() { return sessionStorage.getItem(KEY); },
  set key(value) {
    if (value) sessionStorage.setItem(KEY, value); else sessionStorage.removeItem(KEY);
    session.caller = null;
  },
  // what catalogue's introspection said about the key: {organisation_id, role, ...}
  caller: null,
};

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
  get fieldErrors() { return this.problem.errors || []; }
}

// A fresh key per attempt: a retried click replays, a corrected form is a new request
// (the same key with another body is refused by the API).
export function idempotencyKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return "console-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export async function api(service, path, { method = "GET", body, etag, key, query } = {}) {
  const headers = {};
  if (session.key) headers.Authorization = `Bearer ${session.key}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method === "POST") headers["Idempotency-Key"] = key || idempotencyKey();
  if (etag) headers["If-Match"] = etag;
  let url = `/api/${service}${path}`;
  if (query) {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined && value !== null && value !== "") params.set(name, value);
    }
    if ([...params].length) url += `?${params}`;
  }
  const response = await fetch(url, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = { detail: text }; }
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return { data, etag: response.headers.get("ETag"), status: response.status };
}

export const get = (service, path, query) => api(service, path, { query }).then((r) => r.data);

// Who the key belongs to, asked once per key (catalogue's introspection, as every service does).
export async function whoAmI() {
  if (!session.key) return null;
  if (!session.caller) {
    try {
      session.caller = await get("catalogue", "/v1/auth/introspect");
    } catch (error) {
      if (error.status === 401) { session.key = null; return null; }
      throw error;
    }
  }
  return session.caller;
}
