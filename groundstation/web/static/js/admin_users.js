// The admin's user list: add a user, disable / enable, reset a password (the admin's own or a
// generated one shown once), change the role. The station refuses all of it to other roles
// and refuses to disable or demote the last admin; errors are said in plain words.
import "./admin_texts.js";
import { h, clear, toast } from "./dom.js";
import { t } from "./i18n.js";
import { confirmDialog, showForm } from "./dialog.js";
import { explainError } from "./errors.js";

export const ROLES = ["officer", "pilot", "admin"];
const PASSWORD_CHARS = "abcdefghjkmnpqrstuvwxyz23456789";

/** A random password of 4 groups of 4 characters (as the station generates them). */
export function randomPassword() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  const chars = [...bytes].map((b) => PASSWORD_CHARS[b % PASSWORD_CHARS.length]).join("");
  return chars.match(/.{4}/g).join("-");
}

/** A user-facing sentence for an error of the users API. */
export function userError(err) {
  const detail = typeof err?.detail === "string" ? err.detail : "";
  const field = err?.body?.fields?.field;
  if (/already exists/.test(detail)) return t("user.err.exists");
  if (/last active admin/.test(detail)) return t("user.err.last_admin");
  if (/too easy to guess/.test(detail)) return t("user.err.weak");
  if (/must not be the username/.test(detail)) return t("user.err.same_name");
  if (/at least \d+ characters/.test(detail)) return t("user.err.short");
  const loc = Array.isArray(err?.body?.detail) ? err.body.detail.map((d) => d.loc?.at(-1)) : [field];
  if (loc.includes("password")) return t("user.err.short");
  if (loc.includes("username")) return t("user.err.username");
  if (loc.includes("full_name")) return t("user.err.full_name");
  return explainError(err);
}

function field(label, input) {
  return h("label", {}, h("span", {}, label), input);
}

function roleSelect(value, testid) {
  return h(
    "select",
    { name: "role", dataset: { testid } },
    ROLES.map((r) => h("option", { value: r, selected: r === value }, t(`role.${r}`))),
  );
}

export class AdminUsers {
  constructor(store, api, root) {
    this.store = store;
    this.api = api;
    this.root = root;
    this.users = [];
    this.error = null;
  }

  async load() {
    try {
      this.users = (await this.api.get("/api/users")).data;
      this.store.users = new Map(this.users.map((u) => [u.id, u]));
      this.error = null;
    } catch (err) {
      this.error = explainError(err);
    }
    this.render();
  }

  render() {
    const root = clear(this.root);
    root.append(
      h(
        "div",
        { class: "button-row" },
        h(
          "button",
          { type: "button", class: "primary", dataset: { testid: "user-add" }, onclick: () => this.addForm() },
          t("user.add"),
        ),
      ),
    );
    if (this.error) root.append(h("p", { class: "error" }, this.error));
    const list = h("ul", { class: "list", dataset: { testid: "user-list" } });
    if (this.users.length === 0) list.append(h("li", { class: "muted" }, t("user.none")));
    for (const u of this.users) list.append(this.item(u));
    root.append(list);
  }

  item(u) {
    const me = this.store.user?.id === u.id;
    const button = (testid, text, onclick) => h("button", { type: "button", dataset: { testid }, onclick }, text);
    return h(
      "li",
      {
        class: `item user-item${u.active ? "" : " user-inactive"}`,
        dataset: { testid: "user-item", username: u.username, active: String(u.active), role: u.role },
      },
      h("strong", {}, u.full_name || u.username),
      u.full_name ? h("span", { class: "muted" }, ` ${u.username}`) : null,
      me ? h("span", { class: "muted" }, t("user.you")) : null,
      " ",
      h("span", { class: `badge role-${u.role}` }, t(`role.${u.role}`)),
      " ",
      h(
        "span",
        { class: `badge ${u.active ? "state-flying" : "state-failed"}` },
        t(u.active ? "user.active" : "user.inactive"),
      ),
      u.must_change_password
        ? h("span", { class: "badge state-paused", dataset: { testid: "user-must-change" } }, t("user.must_change"))
        : null,
      h(
        "div",
        { class: "button-row" },
        button("user-toggle", t(u.active ? "user.disable" : "user.enable"), () => this.setActive(u, !u.active)),
        button("user-reset", t("user.reset"), () => this.resetForm(u)),
        button("user-role", t("user.change_role"), () => this.roleForm(u)),
      ),
    );
  }

  replace(updated) {
    this.users = this.users.map((x) => (x.id === updated.id ? updated : x));
    this.store.users?.set(updated.id, updated);
    this.render();
  }

  async setActive(u, active) {
    const name = u.full_name || u.username;
    if (!active && !(await confirmDialog(t("user.confirm_disable", { name })))) return;
    try {
      this.replace(await this.api.patch(`/api/users/${u.id}`, { active }));
      toast(t(active ? "user.enabled_done" : "user.disabled_done", { name }));
    } catch (err) {
      toast(userError(err), "error");
    }
  }

  /** A dialog form: `fields`, an error line, Cancel and Save; `submit(form)` resolves or throws. */
  dialogForm(title, testid, fields, submit) {
    const error = h("p", { class: "error", role: "alert", dataset: { testid: "form-error" }, hidden: true });
    const save = h("button", { type: "submit", class: "primary", dataset: { testid: "form-save" } }, t("user.save"));
    const form = h(
      "form",
      { class: "dialog-body", dataset: { testid } },
      h("h2", {}, title),
      ...fields,
      error,
      h(
        "div",
        { class: "dialog-actions" },
        h("button", { type: "button", onclick: () => close() }, t("confirm.cancel")),
        save,
      ),
    );
    const close = showForm(form);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      error.hidden = true;
      save.disabled = true;
      try {
        if ((await submit(form)) !== false) close();
      } catch (err) {
        error.textContent = userError(err);
        error.hidden = false;
      } finally {
        save.disabled = false;
      }
    });
    return form;
  }

  addForm() {
    const password = h("input", { name: "password", required: true, autocomplete: "off", minlength: 8 });
    const mustChange = h("input", {
      type: "checkbox",
      name: "must_change",
      dataset: { testid: "user-must-change-box" },
    });
    this.dialogForm(
      t("user.add_title"),
      "user-form",
      [
        field(t("user.username"), h("input", { name: "username", required: true, autocomplete: "off", maxlength: 64 })),
        field(t("user.full_name"), h("input", { name: "full_name", maxlength: 128 })),
        field(t("user.role"), roleSelect("officer", "user-role-select")),
        field(
          t("user.password"),
          h(
            "div",
            { class: "inline-row" },
            password,
            h(
              "button",
              {
                type: "button",
                dataset: { testid: "user-generate" },
                onclick: () => {
                  password.value = randomPassword();
                  mustChange.checked = true; // a password the admin read out: the user replaces it
                },
              },
              t("user.generate"),
            ),
          ),
        ),
        h("p", { class: "muted" }, t("user.password_hint")),
        h("label", { class: "inline" }, mustChange, t("user.must_change_box")),
      ],
      async (form) => {
        const body = {
          username: form.elements.username.value.trim(),
          full_name: form.elements.full_name.value.trim(),
          role: form.elements.role.value,
          password: form.elements.password.value,
          must_change_password: mustChange.checked,
        };
        const user = await this.api.post("/api/users", body);
        this.users = [...this.users, user].sort((a, b) => a.username.localeCompare(b.username));
        this.store.users?.set(user.id, user);
        this.render();
        toast(t("user.added", { name: user.full_name || user.username }));
      },
    );
  }

  roleForm(u) {
    const name = u.full_name || u.username;
    this.dialogForm(
      t("user.role_title", { name }),
      "role-form",
      [field(t("user.role"), roleSelect(u.role, "user-role-select"))],
      async (form) => {
        const role = form.elements.role.value;
        if (role === u.role) return;
        this.replace(await this.api.patch(`/api/users/${u.id}`, { role }));
        toast(t("user.role_done", { name, role: t(`role.${role}`) }));
      },
    );
  }

  resetForm(u) {
    const name = u.full_name || u.username;
    const choice = (value, text, checked) =>
      h(
        "label",
        { class: "inline" },
        h("input", { type: "radio", name: "how", value, checked, dataset: { testid: `reset-${value}` } }),
        text,
      );
    const password = h("input", { name: "password", autocomplete: "new-password", minlength: 8, disabled: true });
    const shown = h("div", { class: "shown-once", dataset: { testid: "reset-result" }, hidden: true });
    const form = this.dialogForm(
      t("user.reset_title", { name }),
      "reset-form",
      [
        choice("generate", t("user.reset_generate"), true),
        choice("set", t("user.reset_set"), false),
        field(t("user.new_password"), password),
        shown,
      ],
      async (f) => {
        if (!shown.hidden) return true; // the second press closes, once the password was read
        const body = f.elements.how.value === "set" ? { password: password.value } : {};
        const answer = await this.api.post(`/api/users/${u.id}/password`, body);
        this.replace(answer.user);
        toast(t("user.reset_done", { name }));
        if (!answer.password) return true;
        clear(shown).append(
          h("p", {}, t("user.shown_once")),
          h("p", { class: "muted" }, t("user.must_change_hint")),
          h("code", { class: "password", dataset: { testid: "generated-password" } }, answer.password),
        );
        shown.hidden = false;
        for (const el of f.querySelectorAll("input")) el.disabled = true;
        f.querySelector("[data-testid=form-save]").textContent = t("user.close");
        return false;
      },
    );
    form.addEventListener("change", () => {
      password.disabled = form.elements.how.value !== "set";
      password.required = !password.disabled;
    });
  }
}
