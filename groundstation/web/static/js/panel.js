// The side panel: tabs with the vehicles, patrols, incidents and alerts lists; the alert banner.
import { h, clear } from "./dom.js";
import { t, hasText, lang } from "./i18n.js";
import { formatTime, formatAge } from "./time.js";
import { displayLink, vehicleAgeS, vehicleName, vehicleSummary } from "./vehicles.js";
import { incidentTitle } from "./incidents.js";
import { patrolReason, reasonText } from "./reasons.js";

export function setupTabs() {
  const buttons = document.querySelectorAll("[data-tab]");
  for (const button of buttons) {
    button.addEventListener("click", () => showTab(button.dataset.tab));
  }
}

export function showTab(name) {
  for (const b of document.querySelectorAll("[data-tab]")) b.classList.toggle("active", b.dataset.tab === name);
  for (const body of document.querySelectorAll("[data-tab-body]")) body.hidden = body.dataset.tabBody !== name;
}

/** Notices (level info) that still deserve the banner: officers are told a report is ready. */
export const NOTICES = new Set(["report_ready", "patrol_skipped", "patrol_delayed"]);
// The scheduler's English notice: "Scheduled patrol 'name' skipped: reason".
const SCHEDULE_TEXT = /^Scheduled patrol '(.*)' (?:skipped|delayed): ([\s\S]*)$/;

/** An alert a person should see in the banner. */
export function bannerWorthy(a) {
  return Boolean(a) && a.open !== false && (a.level !== "info" || NOTICES.has(a.kind));
}

/** The text of an alert in the page's language when the station sent a known `kind`. */
export function alertText(a, store) {
  const patrol = a.patrol_id !== undefined ? store.patrols.get(a.patrol_id) : null;
  const v =
    a.sysid !== undefined
      ? store.vehicles.get(a.sysid)
      : patrol && patrol.vehicle_id != null
        ? store.vehicleById(patrol.vehicle_id)
        : null;
  const scheduled = SCHEDULE_TEXT.exec(a.text ?? "");
  const params = {
    name: v ? vehicleName(v) : (a.vehicle ?? (a.sysid !== undefined ? `#${a.sysid}` : "")),
    pct: a.battery_pct !== undefined ? Math.round(a.battery_pct) : "",
    id: a.patrol_id ?? "",
    reason: a.reason ?? (scheduled ? scheduled[2] : a.text) ?? "",
    schedule: a.schedule ?? (scheduled ? scheduled[1] : a.schedule_id !== undefined ? `#${a.schedule_id}` : ""),
  };
  // a reason the station sent as a code: its sentence in the page's language
  const why = reasonText(a.reason_code, a.reason_params);
  if (why !== null && a.kind && hasText(`alerts.${a.kind}.why`))
    return t(`alerts.${a.kind}.why`, { ...params, reason: why });
  if (a.text_zh && a.id != null) {
    // a stored alert carries its reason in both languages
    return lang().startsWith("zh") ? `${params.name} ${a.text_zh}` : (a.text ?? a.text_zh);
  }
  const key = a.kind ? `alerts.${a.kind}` : null;
  if (key && hasText(key)) return t(key, params);
  return a.text ?? a.kind ?? "";
}

export class Panel {
  constructor(store, hooks) {
    this.store = store;
    this.hooks = hooks; // {openIncident(id), focusVehicle(sysid), openReport(patrolId)}
    this.dismissed = null;
    this.vehicleItems = new Map();
    store.on("vehicles", () => this.renderVehicles());
    store.on("vehicle", () => this.renderVehiclesSoon());
    store.on("selected", () => this.renderVehicles());
    store.on("connection", () => this.renderVehicles());
    store.on("patrols", () => this.renderPatrols());
    this.pausedShown = new Map(); // sysid -> paused, as the patrols list last showed it
    store.on("vehicle", (v) => {
      if (this.pausedShown.get(v.sysid) === Boolean(v.paused)) return;
      this.pausedShown.set(v.sysid, Boolean(v.paused));
      this.renderPatrols();
    });
    store.on("incidents", () => this.renderIncidents());
    store.on("incident", () => this.renderIncidents());
    store.on("alert", (a) => this.renderAlerts(a));
    document.getElementById("alert-banner-close").addEventListener("click", () => {
      this.dismissed = store.alerts.find(bannerWorthy) ?? null;
      document.getElementById("alert-banner").hidden = true;
    });
    document.getElementById("alert-banner-text").addEventListener("click", () => {
      const a = this.bannerAlert;
      if (a && a.kind === "report_ready" && a.patrol_id != null && this.hooks.openReport) {
        this.hooks.openReport(a.patrol_id);
      }
    });
    this.bannerAlert = null;
    this.pending = false;
    this.ticker = setInterval(() => this.renderVehicles(), 1000);
  }

  renderAll() {
    this.renderVehicles();
    this.renderPatrols();
    this.renderIncidents();
    this.renderAlerts(null);
  }

  // Frames can come at 10 Hz per vehicle: redraw the list at most once per animation frame.
  renderVehiclesSoon() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.renderVehicles();
    });
  }

  // Items are kept and updated in place (a click must not land on an element just replaced).
  renderVehicles() {
    const list = document.getElementById("vehicle-list");
    const vehicles = [...this.store.vehicles.values()].sort((a, b) => a.sysid - b.sysid);
    const empty = list.querySelector(".empty");
    if (vehicles.length === 0 && !empty) list.append(h("li", { class: "muted empty" }, t("vehicle.none")));
    if (vehicles.length > 0 && empty) empty.remove();
    const now = Date.now();
    for (const [sysid, li] of this.vehicleItems) {
      if (!this.store.vehicles.has(sysid)) {
        li.remove();
        this.vehicleItems.delete(sysid);
      }
    }
    vehicles.forEach((v, index) => {
      let li = this.vehicleItems.get(v.sysid);
      if (!li) {
        li = h("li", {
          dataset: { testid: "vehicle-item", sysid: v.sysid },
          onclick: () => {
            this.store.select(v.sysid);
            this.hooks.focusVehicle(v.sysid);
          },
        });
        this.vehicleItems.set(v.sysid, li);
      }
      if (list.children[index] !== li) list.insertBefore(li, list.children[index] ?? null);
      const link = displayLink(v, this.store.connection);
      const age = vehicleAgeS(v, now);
      const details = [
        t(`vehicle.link.${link}`) +
          (link !== "ok" && link !== "degraded" && age !== null ? ` (${formatAge(age)})` : ""),
        v.armed === null || v.armed === undefined ? null : t(v.armed ? "vehicle.armed" : "vehicle.disarmed"),
        v.speed !== null && v.speed !== undefined ? `${v.speed.toFixed(1)} m/s` : null,
        v.lat === null || v.lat === undefined ? t("vehicle.no_position") : null,
        typeof v.missionSeq === "number" && v.missionSeq > 0 ? t("vehicle.next_wp", { n: v.missionSeq }) : null,
      ].filter(Boolean);
      li.className = `item link-${link}${this.store.selected === v.sysid ? " selected" : ""}`;
      li.dataset.link = link;
      clear(li).append(
        h("span", { class: `dot dot-${link}` }),
        h("strong", {}, vehicleSummary(v)),
        h("div", { class: "muted" }, details.join(" · ")),
      );
    });
  }

  renderPatrols() {
    const list = clear(document.getElementById("patrol-list"));
    const patrols = [...this.store.patrols.values()].sort((a, b) => b.id - a.id);
    if (patrols.length === 0) list.append(h("li", { class: "muted" }, t("patrol.none")));
    for (const p of patrols) {
      const v = p.vehicle_id !== null && p.vehicle_id !== undefined ? this.store.vehicleById(p.vehicle_id) : null;
      const state = hasText(`patrol.state.${p.state}`) ? t(`patrol.state.${p.state}`) : p.state;
      list.append(
        h(
          "li",
          { class: `item patrol-${p.state}`, dataset: { testid: "patrol-item", id: p.id, state: p.state } },
          h("strong", {}, t("patrol.label", { id: p.id })),
          " ",
          h("span", { class: `badge state-${p.state}` }, state),
          // the station says the drone holds after a pause (every page shows it)
          v?.paused && p.state === "flying"
            ? [
                " ",
                h("span", { class: "badge state-paused", dataset: { testid: "patrol-paused" } }, t("vehicle.paused")),
              ]
            : null,
          h(
            "div",
            { class: "muted" },
            // the reason from its code, in the page's language (./reasons.js)
            [v ? vehicleName(v) : null, p.plan_id ? `${t("patrol.plan")} #${p.plan_id}` : null, patrolReason(p)]
              .filter(Boolean)
              .join(" · "),
          ),
          this.hooks.patrolActions ? this.hooks.patrolActions(p) : null,
        ),
      );
    }
  }

  renderIncidents() {
    const list = clear(document.getElementById("incident-list"));
    const incidents = [...this.store.incidents.values()].sort((a, b) => b.id - a.id);
    if (incidents.length === 0) list.append(h("li", { class: "muted" }, t("incident.none")));
    for (const i of incidents) {
      list.append(
        h(
          "li",
          {
            class: `item inc-row-${i.status}`,
            dataset: { testid: "incident-item", id: i.id },
            onclick: () => this.hooks.openIncident(i.id),
          },
          h("strong", {}, incidentTitle(i)),
          " ",
          h("span", { class: `badge status-${i.status}` }, t(`incident.status.${i.status}`)),
          h("div", { class: "muted" }, formatTime(i.created_at)),
          i.description ? h("div", { class: "description" }, i.description) : null,
        ),
      );
    }
  }

  renderAlerts(latest) {
    const list = clear(document.getElementById("alert-list"));
    const alerts = this.store.alerts;
    if (alerts.length === 0) list.append(h("li", { class: "muted" }, t("alerts.none")));
    for (const a of alerts) {
      const report = a.kind === "report_ready" && a.patrol_id != null && this.hooks.openReport;
      list.append(
        h(
          "li",
          {
            class: `item alert-item alert-${a.level ?? "info"}${report ? " clickable" : ""}`,
            dataset: { testid: "alert-item", kind: a.kind ?? "" },
            onclick: report ? () => this.hooks.openReport(a.patrol_id) : null,
          },
          h("span", { class: "muted" }, formatTime(a.ts)),
          " ",
          alertText(a, this.store),
          a.count > 1 ? h("span", { class: "muted" }, ` ×${a.count}`) : null,
          a.open === false
            ? h(
                "span",
                { class: "muted", dataset: { testid: "alert-acked" } },
                ` ${t("alerts.acked", { who: a.acknowledged_by ?? "" })}`,
              )
            : a.id != null && this.hooks.acknowledgeAlert
              ? h(
                  "button",
                  {
                    type: "button",
                    class: "link",
                    dataset: { testid: "alert-ack" },
                    onclick: (e) => {
                      e.stopPropagation();
                      this.hooks.acknowledgeAlert(a.id);
                    },
                  },
                  t("alerts.ack"),
                )
              : null,
        ),
      );
    }
    const count = alerts.filter(bannerWorthy).length;
    document.getElementById("alert-count").textContent = count ? String(count) : "";
    const banner = document.getElementById("alert-banner");
    const top = alerts.find(bannerWorthy);
    if (bannerWorthy(latest)) {
      this.dismissed = null;
    }
    if (top && this.dismissed !== top) {
      banner.hidden = false;
      banner.className = `alert-banner alert-${top.level === "info" ? "notice" : top.level}`;
      banner.dataset.kind = top.kind ?? "";
      this.bannerAlert = top;
      document.getElementById("alert-banner-text").textContent = `${formatTime(top.ts)} ${alertText(top, this.store)}`;
    } else if (!top) {
      banner.hidden = true;
    }
  }
}
