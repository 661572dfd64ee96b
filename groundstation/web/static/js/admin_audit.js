// The admin's audit log: filters (time range in the station's zone, user, action, text), pages
// of entries newest first, and the CSV export of the same filters (the station streams it).
import "./admin_texts.js";
import { h, clear, toast } from "./dom.js";
import { t, hasText, lang } from "./i18n.js";
import { explainError } from "./errors.js";
import { formatTime, timeZone, zonedToUtc } from "./time.js";

export const PAGE_SIZE = 25;

/** The action in words: its own text, else its family's, else (English page) the code. */
export function actionText(command) {
  if (hasText(`audit.cmd.${command}`)) return t(`audit.cmd.${command}`);
  const family = command.split(".")[0];
  if (family !== command && hasText(`audit.family.${family}`)) return t(`audit.family.${family}`);
  return lang().startsWith("zh") ? t("audit.cmd.other") : command;
}

/** The outcome in words; the station's English detail of a failure on the English page only. */
export function resultText(result) {
  if (result === "ok" || result === "accepted" || result === "refused") return t(`audit.result.${result}`);
  if (/^error\b/.test(result)) return lang().startsWith("zh") ? t("audit.result.error") : result;
  return lang().startsWith("zh") ? "" : t("audit.result.other", { result });
}

function field(label, input) {
  return h("label", {}, h("span", {}, label), input);
}

export class AdminAudit {
  constructor(store, api, root) {
    this.store = store;
    this.api = api;
    this.root = root;
    this.entries = [];
    this.count = 0;
    this.page = 0;
    this.actions = [];
    this.error = null;
    this.inputs = null;
  }

  /** The filters as query parameters (times converted from the station's zone to UTC). */
  params() {
    const f = this.inputs;
    const p = new URLSearchParams();
    const since = zonedToUtc(f.since.value);
    const until = zonedToUtc(f.until.value);
    if (since) p.set("since", since);
    if (until) p.set("until", until);
    if (f.user.value) p.set("username", f.user.value);
    if (f.action.value) p.set("action", f.action.value);
    if (f.text.value.trim()) p.set("text", f.text.value.trim());
    return p;
  }

  async load() {
    try {
      this.actions = await this.api.get("/api/audit/actions");
    } catch (err) {
      this.error = explainError(err);
    }
    this.render();
    await this.search(0);
  }

  async search(page) {
    if (!this.inputs) this.render();
    const p = this.params();
    if (p.has("since") && p.has("until") && p.get("until") < p.get("since")) {
      this.error = t("audit.err.range");
      this.renderEntries();
      return;
    }
    p.set("limit", String(PAGE_SIZE));
    p.set("offset", String(page * PAGE_SIZE));
    try {
      const answer = await this.api.get(`/api/audit?${p}`);
      this.entries = answer.data;
      this.count = answer.count;
      this.page = page;
      this.error = null;
    } catch (err) {
      this.error = explainError(err);
    }
    this.renderEntries();
  }

  async exportCsv() {
    const p = this.params();
    p.set("time_zone", timeZone());
    try {
      const response = await fetch(`/api/audit/export.csv?${p}`, {
        headers: { Authorization: `Bearer ${this.api.token}` },
      });
      if (!response.ok) {
        const body = await response.json().catch(() => ({}));
        throw Object.assign(new Error(body.detail ?? ""), { status: response.status, detail: body.detail, body });
      }
      const name = /filename="([^"]+)"/.exec(response.headers.get("content-disposition") ?? "")?.[1] ?? "audit.csv";
      const url = URL.createObjectURL(await response.blob());
      const link = h("a", { href: url, download: name, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      toast(t("audit.exported"));
    } catch (err) {
      toast(explainError(err), "error");
    }
  }

  userOptions(selected) {
    const users = [...(this.store.users?.values() ?? [])].sort((a, b) => a.username.localeCompare(b.username));
    return [
      h("option", { value: "" }, t("audit.any_user")),
      h("option", { value: "station", selected: selected === "station" }, t("audit.station")),
      ...users.map((u) =>
        h("option", { value: u.username, selected: selected === u.username }, u.full_name || u.username),
      ),
    ];
  }

  actionOptions(selected) {
    return [
      h("option", { value: "" }, t("audit.any_action")),
      ...this.actions.map((a) => h("option", { value: a, selected: selected === a }, actionText(a))),
    ];
  }

  /** The filter form (kept across renders: what was typed stays) and the entry list. */
  render() {
    const old = this.inputs;
    const keep = (name) => old?.[name].value ?? "";
    this.inputs = {
      since: h("input", {
        type: "datetime-local",
        name: "since",
        value: keep("since"),
        dataset: { testid: "audit-since" },
      }),
      until: h("input", {
        type: "datetime-local",
        name: "until",
        value: keep("until"),
        dataset: { testid: "audit-until" },
      }),
      user: h("select", { name: "user", dataset: { testid: "audit-user" } }, this.userOptions(keep("user"))),
      action: h("select", { name: "action", dataset: { testid: "audit-action" } }, this.actionOptions(keep("action"))),
      text: h("input", {
        type: "search",
        name: "text",
        value: keep("text"),
        maxlength: 200,
        dataset: { testid: "audit-text" },
      }),
    };
    const f = this.inputs;
    const form = h(
      "form",
      {
        class: "audit-filters",
        dataset: { testid: "audit-filters" },
        onsubmit: (e) => {
          e.preventDefault();
          this.search(0);
        },
      },
      field(t("audit.since"), f.since),
      field(t("audit.until"), f.until),
      field(t("audit.user"), f.user),
      field(t("audit.action"), f.action),
      field(t("audit.text"), f.text),
      h(
        "div",
        { class: "button-row" },
        h("button", { type: "submit", class: "primary", dataset: { testid: "audit-search" } }, t("audit.search")),
        h(
          "button",
          { type: "button", dataset: { testid: "audit-export" }, onclick: () => this.exportCsv() },
          t("audit.export"),
        ),
      ),
    );
    this.list = h("ul", { class: "list audit-list", dataset: { testid: "audit-list" } });
    this.pager = h("div", { class: "button-row audit-pager" });
    clear(this.root).append(form, this.list, this.pager);
    this.renderEntries();
  }

  who(e) {
    if (e.username === "station") return t("audit.station");
    const user = e.user_id != null ? this.store.users?.get(e.user_id) : null;
    return user?.full_name || e.username;
  }

  entry(e) {
    const vehicle =
      e.vehicle_sysid != null
        ? t("audit.vehicle", {
            name: this.store.vehicles?.get(e.vehicle_sysid)?.name ?? `#${e.vehicle_sysid}`,
          })
        : null;
    const result = resultText(e.result);
    return h(
      "li",
      { class: "item audit-item", dataset: { testid: "audit-item", command: e.command, id: e.id } },
      h("span", { class: "muted" }, formatTime(e.at)),
      " ",
      h("strong", {}, actionText(e.command)),
      h("div", {}, [this.who(e), vehicle, result].filter(Boolean).join(" · ")),
      Object.keys(e.params ?? {}).length ? this.details(e.params) : null,
    );
  }

  /** The raw parameters (the station's field names), filled in only when opened. */
  details(params) {
    const pre = h("pre", { class: "audit-params" });
    return h(
      "details",
      { ontoggle: (e) => (pre.textContent = e.target.open ? JSON.stringify(params, null, 1) : "") },
      h("summary", {}, t("audit.details")),
      pre,
    );
  }

  renderEntries() {
    if (!this.list) return;
    const list = clear(this.list);
    if (this.error) list.append(h("li", { class: "error", dataset: { testid: "audit-error" } }, this.error));
    else if (this.entries.length === 0) list.append(h("li", { class: "muted" }, t("audit.none")));
    for (const e of this.entries) list.append(this.entry(e));
    const pages = Math.max(1, Math.ceil(this.count / PAGE_SIZE));
    clear(this.pager).append(
      h(
        "button",
        {
          type: "button",
          disabled: this.page <= 0,
          dataset: { testid: "audit-prev" },
          onclick: () => this.search(this.page - 1),
        },
        t("audit.prev"),
      ),
      h(
        "span",
        { class: "muted", dataset: { testid: "audit-page" } },
        t("audit.page", { page: this.page + 1, pages, n: this.count }),
      ),
      h(
        "button",
        {
          type: "button",
          disabled: this.page + 1 >= pages,
          dataset: { testid: "audit-next" },
          onclick: () => this.search(this.page + 1),
        },
        t("audit.next"),
      ),
    );
  }
}
