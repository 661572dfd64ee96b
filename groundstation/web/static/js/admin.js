// The "Admin" tab, made only for an admin (other roles never get it in their page): the user
// list and the audit log, one at a time behind two switch buttons.
import "./admin_texts.js";
import { h } from "./dom.js";
import { t } from "./i18n.js";
import { showTab } from "./panel.js";
import { AdminUsers } from "./admin_users.js";
import { AdminAudit } from "./admin_audit.js";

export class AdminTab {
  /** Adds the tab to the side panel; `store.user` must be an admin. */
  constructor(store, api) {
    this.view = "users";
    this.button = h(
      "button",
      { type: "button", role: "tab", dataset: { tab: "admin", testid: "admin-tab" }, onclick: () => this.open() },
      t("tab.admin"),
    );
    document.querySelector("#panel .tabs").append(this.button);
    const usersRoot = h("div", { dataset: { testid: "admin-users" } });
    const auditRoot = h("div", { dataset: { testid: "admin-audit" }, hidden: true });
    this.switches = {
      users: h("button", {
        type: "button",
        dataset: { testid: "admin-show-users" },
        onclick: () => this.show("users"),
      }),
      audit: h("button", {
        type: "button",
        dataset: { testid: "admin-show-audit" },
        onclick: () => this.show("audit"),
      }),
    };
    this.roots = { users: usersRoot, audit: auditRoot };
    const body = h(
      "div",
      { class: "tab-body", dataset: { tabBody: "admin" }, hidden: true },
      h("div", { class: "button-row admin-switch" }, this.switches.users, this.switches.audit),
      usersRoot,
      auditRoot,
    );
    document.getElementById("panel").append(body);
    this.users = new AdminUsers(store, api, usersRoot);
    this.audit = new AdminAudit(store, api, auditRoot);
    this.loaded = new Set();
    this.render();
  }

  open() {
    showTab("admin");
    this.show(this.view);
  }

  show(view) {
    this.view = view;
    for (const [name, root] of Object.entries(this.roots)) root.hidden = name !== view;
    for (const [name, b] of Object.entries(this.switches)) b.classList.toggle("active", name === view);
    // read afresh each time a view is opened: others change users and the log grows
    if (view === "users") this.users.load();
    else if (this.loaded.has("audit")) this.audit.search(this.audit.page);
    else this.audit.load();
    this.loaded.add(view);
  }

  render() {
    this.button.textContent = t("tab.admin");
    this.switches.users.textContent = t("admin.users");
    this.switches.audit.textContent = t("admin.audit");
    this.users.render();
    if (this.loaded.has("audit")) this.audit.render();
  }
}
