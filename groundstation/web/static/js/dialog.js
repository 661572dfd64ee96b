// One modal <dialog> for confirmations and forms.
import { h, clear } from "./dom.js";
import { t } from "./i18n.js";

const dialog = () => document.getElementById("dialog");

/** Ask the user to confirm `message`; resolves true or false. */
export function confirmDialog(message) {
  return new Promise((resolve) => {
    const d = clear(dialog());
    const done = (answer) => {
      d.close();
      resolve(answer);
    };
    d.append(
      h(
        "form",
        { method: "dialog", class: "dialog-body", dataset: { testid: "confirm-dialog" } },
        h("p", {}, message),
        h(
          "div",
          { class: "dialog-actions" },
          h("button", { type: "button", onclick: () => done(false) }, t("confirm.cancel")),
          h(
            "button",
            { type: "button", class: "primary", dataset: { testid: "confirm-ok" }, onclick: () => done(true) },
            t("confirm.ok"),
          ),
        ),
      ),
    );
    d.oncancel = () => resolve(false);
    d.showModal();
  });
}

/** Show `form` (a <form>) in the dialog; returns a function that closes it. */
export function showForm(form) {
  const d = clear(dialog());
  d.append(form);
  d.oncancel = null;
  d.showModal();
  return () => d.close();
}
