// Pilot controls on the selected vehicle: RTL, land, pause/continue, go to a clicked point (with a
// confirmation), start a planned patrol, dispatch to an incident. Only built for pilots and
// admins; officers never get these elements (and the station refuses their commands anyway).
import { h, clear, toast } from "./dom.js";
import { t } from "./i18n.js";
import { confirmDialog } from "./dialog.js";
import { vehicleName } from "./vehicles.js";
import { incidentTitle } from "./incidents.js";

const GOTO_ALT_M = 40;

/** The station's endpoints for each command (docs: the OpenAPI schema at /docs). */
export const ENDPOINTS = {
  rtl: (id) => `/api/vehicles/${id}/commands/rtl`,
  land: (id) => `/api/vehicles/${id}/commands/land`,
  pause: (id) => `/api/vehicles/${id}/commands/pause`,
  continue: (id) => `/api/vehicles/${id}/commands/continue`,
  goto: (id) => `/api/vehicles/${id}/commands/goto`,
  dispatch: (incidentId) => `/api/incidents/${incidentId}/dispatch`,
  createPatrol: () => "/api/patrols",
  startPatrol: (id) => `/api/patrols/${id}/start`,
  abortPatrol: (id) => `/api/patrols/${id}/abort`,
  plans: () => "/api/plans",
};

export class PilotControls {
  constructor(store, api, siteMap) {
    this.store = store;
    this.api = api;
    this.map = siteMap.map;
    this.slot = document.getElementById("vehicle-controls-slot");
    this.patrolSlot = document.getElementById("patrol-start-slot");
    this.pickingGoto = false;
    this.plans = [];
    store.on("selected", () => this.render());
    store.on("vehicles", () => this.render());
    store.on("incidents", () => this.render());
  }

  selected() {
    return this.store.selected === null ? null : this.store.vehicles.get(this.store.selected) ?? null;
  }

  render() {
    clear(this.slot);
    const v = this.selected();
    if (!v) {
      this.slot.append(h("p", { class: "hint", dataset: { testid: "controls-hint" } }, t("controls.select")));
      return;
    }
    const button = (key, onclick, extra = {}) =>
      h("button", { type: "button", dataset: { testid: `cmd-${key}` }, onclick, ...extra }, t(`controls.${key}`));
    const simple = (key) => button(key, () => this.simpleCommand(v, key));
    const incidents = [...this.store.incidents.values()];
    const incidentSelect = h("select", { dataset: { testid: "dispatch-select" } },
      h("option", { value: "" }, t("controls.choose_incident")),
      incidents.map((i) => h("option", { value: i.id }, incidentTitle(i))));
    this.slot.append(h("section", { id: "vehicle-controls", class: "controls", dataset: { testid: "vehicle-controls" } },
      h("h3", {}, t("controls.title", { name: vehicleName(v) })),
      h("div", { class: "button-row" }, simple("rtl"), simple("land"), simple("pause"), simple("continue")),
      h("div", { class: "button-row" },
        button("goto", () => this.startGotoPick(), { class: this.pickingGoto ? "active" : null })),
      this.pickingGoto ? h("p", { class: "hint" }, t("controls.goto_hint")) : null,
      h("div", { class: "button-row" }, incidentSelect,
        button("dispatch", () => incidentSelect.value && this.dispatch(v, Number(incidentSelect.value))))));
  }

  async send(label, path, body) {
    try {
      const result = await this.api.post(path, body);
      toast(t("controls.sent", { cmd: label.replace("…", "") }));
      return result;
    } catch (err) {
      const detail = err.status === 404 || err.status === 405 ? t("controls.unavailable") : err.message;
      toast(t("controls.failed", { cmd: label, detail }), "error");
      return null;
    }
  }

  async simpleCommand(v, key) {
    const label = t(`controls.${key}`);
    if (!(await confirmDialog(t("controls.confirm_cmd", { name: vehicleName(v), cmd: label })))) return;
    await this.send(label, ENDPOINTS[key](v.vehicleId), {});
  }

  startGotoPick() {
    this.pickingGoto = !this.pickingGoto;
    this.map.getContainer().classList.toggle("picking", this.pickingGoto);
    this.render();
  }

  /** Called by the map click: true when the click was taken as a go-to target. */
  takeMapClick(latlng) {
    if (!this.pickingGoto) return false;
    this.pickingGoto = false;
    this.map.getContainer().classList.remove("picking");
    this.render();
    const v = this.selected();
    if (v) this.gotoPoint(v, latlng);
    return true;
  }

  async gotoPoint(v, latlng) {
    const alt = Math.max(10, Math.round(v.alt && v.alt > 10 ? v.alt : GOTO_ALT_M));
    const question = t("controls.confirm_goto", {
      name: vehicleName(v), lat: latlng.lat.toFixed(5), lon: latlng.lng.toFixed(5), alt,
    });
    if (!(await confirmDialog(question))) return;
    await this.send(t("controls.goto"), ENDPOINTS.goto(v.vehicleId), {
      lat_deg: latlng.lat, lon_deg: latlng.lng, alt_rel_m: alt,
    });
  }

  async dispatch(v, incidentId) {
    const incident = this.store.incidents.get(incidentId);
    if (!incident) return;
    const question = t("controls.confirm_dispatch", {
      name: vehicleName(v), id: incident.id, type: t(`incident.type.${incident.type}`),
    });
    if (!(await confirmDialog(question))) return;
    await this.send(t("controls.dispatch"), ENDPOINTS.dispatch(incidentId), {
      vehicle_id: v.vehicleId, alt_rel_m: GOTO_ALT_M,
    });
  }

  /** Buttons for an incident popup: dispatch the selected drone there. */
  incidentActions(incident) {
    const v = this.selected();
    if (!v) return [];
    return [h("button", {
      type: "button", class: "primary", dataset: { testid: "popup-dispatch" },
      onclick: () => this.dispatch(v, incident.id),
    }, `${t("controls.dispatch").replace("…", "")} (${vehicleName(v)})`)];
  }

  // --- patrols -----------------------------------------------------------------------------------

  async loadPlans() {
    try {
      const page = await this.api.get(ENDPOINTS.plans());
      this.plans = page.data ?? [];
    } catch {
      this.plans = [];
    }
    this.renderPatrolStart();
  }

  renderPatrolStart() {
    clear(this.patrolSlot);
    const vehicles = [...this.store.vehicles.values()].filter((v) => v.vehicleId);
    if (this.plans.length === 0) {
      this.patrolSlot.append(h("p", { class: "hint" }, t("patrol.no_plans")));
      return;
    }
    const plan = h("select", { dataset: { testid: "patrol-plan" } },
      this.plans.map((p) => h("option", { value: p.id }, `#${p.id} ${p.name} (${p.kind})`)));
    const sortie = h("select", { dataset: { testid: "patrol-sortie" } });
    const fillSorties = () => {
      const chosen = this.plans.find((p) => p.id === Number(plan.value));
      clear(sortie).append(...(chosen?.sorties ?? [{ sortie: 1 }]).map((s) =>
        h("option", { value: s.sortie }, `${t("patrol.sortie")} ${s.sortie}`
          + (s.length_m ? ` · ${(s.length_m / 1000).toFixed(1)} km` : ""))));
    };
    plan.addEventListener("change", fillSorties);
    fillSorties();
    const vehicle = h("select", { dataset: { testid: "patrol-vehicle" } },
      vehicles.map((v) => h("option", { value: v.vehicleId, selected: v.sysid === this.store.selected }, vehicleName(v))));
    const go = h("button", { type: "button", class: "primary", dataset: { testid: "patrol-start" } }, t("patrol.start"));
    go.addEventListener("click", () => this.startPatrol(Number(plan.value), Number(sortie.value), Number(vehicle.value)));
    this.patrolSlot.append(h("div", { class: "controls", dataset: { testid: "patrol-start-form" } },
      h("label", {}, t("patrol.plan"), plan), h("label", {}, t("patrol.sortie"), sortie),
      h("label", {}, t("patrol.vehicle"), vehicle), go));
  }

  async startPatrol(planId, sortie, vehicleId) {
    if (!planId || !vehicleId) return;
    const label = t("patrol.start");
    try {
      const created = await this.api.post(ENDPOINTS.createPatrol(), { plan_id: planId, sortie, vehicle_ids: [vehicleId] });
      const patrol = created.data[0];
      await this.api.post(ENDPOINTS.startPatrol(patrol.id), { vehicle_id: vehicleId });
      toast(t("patrol.started", { id: patrol.id }));
    } catch (err) {
      toast(t("controls.failed", { cmd: label, detail: err.message }), "error");
    }
  }

  patrolActions(p) {
    if (["landed", "reported", "aborted", "failed"].includes(p.state)) return null;
    if (p.state === "planned") {
      return h("button", {
        type: "button", class: "primary", dataset: { testid: "patrol-start-planned" },
        onclick: async () => {
          const r = await this.send(t("patrol.start"), ENDPOINTS.startPatrol(p.id), {});
          if (r) toast(t("patrol.started", { id: p.id }));
        },
      }, t("patrol.start"));
    }
    return h("button", {
      type: "button", dataset: { testid: "patrol-abort" },
      onclick: async () => {
        if (!(await confirmDialog(`${t("patrol.abort")} ${t("patrol.label", { id: p.id })}?`))) return;
        await this.send(t("patrol.abort"), ENDPOINTS.abortPatrol(p.id), {});
      },
    }, t("patrol.abort"));
  }
}
