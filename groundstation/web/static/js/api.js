// The station's HTTP API with the bearer token; errors carry the station's own explanation.

export class ApiError extends Error {
  constructor(status, detail, body) {
    super(detail);
    this.status = status;
    this.detail = detail;
    this.body = body;
  }
}

function explain(body, status) {
  if (body && typeof body.detail === "string") return body.detail;
  if (body && Array.isArray(body.detail)) {
    return body.detail.map((d) => `${(d.loc || []).join(".")}: ${d.msg}`).join("; ");
  }
  return `HTTP ${status}`;
}

export class Api {
  constructor() {
    this.token = null;
    this.onUnauthorized = () => {};
    this._blobs = new Map();
  }

  async request(method, path, { json, form } = {}) {
    const headers = {};
    const sent = this.token;
    if (sent) headers.Authorization = `Bearer ${sent}`;
    let body;
    if (json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(json);
    } else if (form !== undefined) {
      body = form;
    }
    const response = await fetch(path, { method, headers, body });
    if (response.status === 204) return null;
    const type = response.headers.get("content-type") || "";
    const data = type.includes("json") ? await response.json() : await response.text();
    if (!response.ok) {
      // a request sent with a token since replaced (a password change) is not a logout
      if (response.status === 401 && sent && this.token === sent) this.onUnauthorized();
      throw new ApiError(response.status, explain(data, response.status), data);
    }
    return data;
  }

  get(path) {
    return this.request("GET", path);
  }

  post(path, json) {
    return this.request("POST", path, { json: json ?? {} });
  }

  patch(path, json) {
    return this.request("PATCH", path, { json });
  }

  upload(path, file, fields = {}) {
    const form = new FormData();
    form.append("file", file, file.name);
    for (const [k, v] of Object.entries(fields)) if (v != null) form.append(k, String(v));
    return this.request("POST", path, { form });
  }

  /** POST `path` and save the file it answers with as `filename` (a sealed evidence packet). */
  async download(path, filename) {
    const response = await fetch(path, {
      method: "POST",
      headers: { Authorization: `Bearer ${this.token}` },
    });
    if (!response.ok) {
      const type = response.headers.get("content-type") || "";
      const data = type.includes("json") ? await response.json() : await response.text();
      throw new ApiError(response.status, explain(data, response.status), data);
    }
    const url = URL.createObjectURL(await response.blob());
    const link = document.createElement("a");
    link.href = url;
    link.download = filename;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }

  /** An object URL for an authenticated image (an <img> cannot send the token itself). */
  async blobUrl(path) {
    if (this._blobs.has(path)) return this._blobs.get(path);
    const response = await fetch(path, { headers: { Authorization: `Bearer ${this.token}` } });
    if (!response.ok) throw new ApiError(response.status, `HTTP ${response.status}`);
    const url = URL.createObjectURL(await response.blob());
    this._blobs.set(path, url);
    return url;
  }

  async login(username, password) {
    const data = await this.request("POST", "/api/auth/login", { json: { username, password } });
    this.token = data.access_token;
    return data;
  }

  /** Revoke the token on the station (every session of this user), then forget it here. */
  async logout() {
    const token = this.token;
    this.token = null;
    for (const url of this._blobs.values()) URL.revokeObjectURL(url);
    this._blobs.clear();
    if (!token) return;
    try {
      await fetch("/api/auth/logout", {
        method: "POST",
        headers: { Authorization: `Bearer ${token}` },
      });
    } catch {
      // offline: the token is forgotten here and expires on its own
    }
  }
}
