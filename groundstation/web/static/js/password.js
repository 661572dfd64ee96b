// Choosing one's own password: forced after signing in with a password an admin set (a reset
// or a generated one: the station allows nothing else until it is changed), or by choice from
// the top bar. The station checks the current password and its policy, revokes every other
// session and answers a new token, which replaces the page's.
import { h } from "./dom.js";
import { t } from "./i18n.js";
import { userError } from "./admin_users.js";

/** A user-facing sentence for a refused password change. */
export function passwordError(err) {
  const detail = typeof err?.detail === "string" ? err.detail : "";
  if (err?.body?.fields?.field === "current_password") return t("password.err.current");
  if (/must differ/.test(detail)) return t("password.err.same");
  return userError(err);
}

function field(label, name, autocomplete, testid) {
  return h(
    "label",
    {},
    h("span", {}, label),
    h("input", { type: "password", name, autocomplete, required: true, maxlength: 1024, dataset: { testid } }),
  );
}

/**
 * The change-password form (its own <form>).
 * @param {object} opts
 * @param {Api} opts.api  the page's API client: its token is replaced by the new one
 * @param {boolean} opts.forced  the station refuses everything else until it is done
 * @param {(answer: object) => void} opts.onDone  called with the station's answer (new token, user)
 * @param {() => void} [opts.onCancel]  a Cancel button (by choice only)
 * @param {() => void} [opts.onLogout]  a Log out button (forced only)
 * @param {() => void} [opts.before]  called just before the request (and `after` just after)
 * @param {() => void} [opts.after]
 */
export function passwordForm({ api, forced, onDone, onCancel, onLogout, before, after }) {
  const error = h("p", { class: "error", role: "alert", dataset: { testid: "password-error" }, hidden: true });
  const save = h(
    "button",
    { type: "submit", class: "primary", dataset: { testid: "password-save" } },
    t("password.save"),
  );
  const form = h(
    "form",
    { class: forced ? "login-card" : "dialog-body", dataset: { testid: "password-form" } },
    h("h2", {}, t(forced ? "password.forced_title" : "password.title")),
    forced ? h("p", { class: "subtitle", dataset: { testid: "password-forced" } }, t("password.forced_hint")) : null,
    field(t(forced ? "password.one_time" : "password.current"), "current", "current-password", "password-current"),
    field(t("password.new"), "password", "new-password", "password-new"),
    field(t("password.repeat"), "repeat", "new-password", "password-repeat"),
    h("p", { class: "muted" }, t("password.hint")),
    error,
    h(
      "div",
      { class: "dialog-actions" },
      onCancel ? h("button", { type: "button", onclick: onCancel }, t("confirm.cancel")) : null,
      onLogout
        ? h("button", { type: "button", dataset: { testid: "password-logout" }, onclick: onLogout }, t("login.logout"))
        : null,
      save,
    ),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const { current, password, repeat } = form.elements;
    error.hidden = true;
    if (password.value !== repeat.value) {
      error.textContent = t("password.err.mismatch");
      error.hidden = false;
      return;
    }
    save.disabled = true;
    before?.();
    try {
      const answer = await api.post("/api/auth/password", {
        current_password: current.value,
        password: password.value,
      });
      api.token = answer.access_token;
      onDone(answer);
    } catch (err) {
      error.textContent = passwordError(err);
      error.hidden = false;
    } finally {
      after?.();
      save.disabled = false;
    }
  });
  return form;
}
