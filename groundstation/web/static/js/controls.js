// Pilot controls on the selected vehicle: RTL, land, pause/continue, go to a clicked point at an
// altitude the pilot sets (with a confirmation and a target mark), dispatch to an incident, hand
// over to a neighbouring station (handover.js); and,
// in the patrols tab, start a planned patrol or resume an interrupted one on any drone. A button
// is enabled only when its command makes sense in the drone's state (controlstate.js); errors
// read in plain words (errors.js). Only built for pilots and admins.
import { h, clear, toast } from "./dom.js";
import { t, hasText } from "./i18n.js";
import { confirmDialog } from "./dialog.js";
import { vehicleName } from "./vehicles.js";
import { incidentTitle } from "./incidents.js";
import { explainError } from "./errors.js";
import { commandStates, PILOT_MODES, stateLine } from "./controlstate.js";
import { modeLabel } from "./modes.js";
import { L } from "./map.js";
import { HandoverControl } from "./handover.js";

const GOTO_ALT_M = 40;
const TAKEOFF_ALT_M = 20;
const COMMANDS = ["rtl", "land", "pause", "continue"];

/** The station's endpoints for each command (docs: the OpenAPI schema at /docs). */
export const ENDPOINTS = {
  arm: (id) => `/api/vehicles/${id}/commands/arm`,
  takeoff: (id) => `/api/vehicles/${id}/commands/takeoff`,
  mode: (id) => `/api/vehicles/${id}/commands/mode`,
  rtl: (id) => `/api/vehicles/${id}/commands/rtl`,
  land: (id) => `/api/vehicles/${id}/commands/land`,
  pause: (id) => `/api/vehicles/${id}/commands/pause`,
  continue: (id) => `/api/vehicles/${id}/commands/continue`,
  goto: (id) => `/api/vehicles/${id}/commands/goto`,
  dispatch: (incidentId) => `/api/incidents/${incidentId}/dispatch`,
  createPatrol: () => "/api/patrols",
  startPatrol: (id) => `/api/patrols/${id}/start`,
  resumePatrol: (id) => `/api/patrols/${id}/resume`,
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
    this.gotoAlt = new Map(); // sysid -> the altitude the pilot set for go-to and dispatch
    this.takeoffAlt = new Map(); // sysid -> the altitude the pilot set for takeoff
    this.targets = new Map(); // sysid -> go-to target marker
    this.buttons = null; // {key: button} of the rendered controls
    this.handover = new HandoverControl(store, api); // hand over to a neighbouring station
    store.on("selected", () => this.render());
    store.on("vehicles", () => this.render());
    store.on("incidents", () => this.render());
    store.on("patrols", () => this.updateStates());
    store.on("connection", () => this.updateStates());
    store.on("vehicle", (v) => {
      this._dropTargetIfDone(v);
      if (v.sysid === this.store.selected) this.updateStates();
    });
  }

  selected() {
    return this.store.selected === null ? null : (this.store.vehicles.get(this.store.selected) ?? null);
  }

  altitudeFor(v) {
    if (this.gotoAlt.has(v.sysid)) return this.gotoAlt.get(v.sysid);
    return Math.max(10, Math.round(v.alt && v.alt > 10 ? v.alt : GOTO_ALT_M));
  }

  render() {
    clear(this.slot);
    this.buttons = null;
    const v = this.selected();
    if (!v) {
      this.slot.append(h("p", { class: "hint", dataset: { testid: "controls-hint" } }, t("controls.select")));
      return;
    }
    const button = (key, onclick, extra = {}) =>
      h("button", { type: "button", dataset: { testid: `cmd-${key}` }, onclick, ...extra }, t(`controls.${key}`));
    const buttons = {};
    for (const key of COMMANDS) buttons[key] = button(key, () => this.simpleCommand(this.selected(), key));
    buttons.goto = button("goto", () => this.startGotoPick(), { class: this.pickingGoto ? "active" : null });
    buttons.arm = button("arm", () => this.simpleCommand(this.selected(), "arm"));
    buttons.takeoff = button("takeoff", () => this.takeoff(this.selected()));
    const modeSelect = h(
      "select",
      { dataset: { testid: "mode-select" }, "aria-label": t("controls.mode_choose") },
      h("option", { value: "" }, t("controls.mode_choose")),
      PILOT_MODES.map((m) => h("option", { value: m }, modeLabel(m))),
    );
    modeSelect.addEventListener("change", () => this.updateStates());
    buttons.mode = button("mode", () => modeSelect.value && this.setMode(this.selected(), modeSelect.value));
    const takeoffAlt = h("input", {
      type: "number",
      min: 5,
      max: 120,
      step: 1,
      value: this.takeoffAlt.get(v.sysid) ?? TAKEOFF_ALT_M,
      dataset: { testid: "takeoff-alt" },
      "aria-label": t("controls.takeoff_alt"),
    });
    takeoffAlt.addEventListener("change", () => {
      const value = Math.round(Number(takeoffAlt.value));
      if (Number.isFinite(value) && value >= 5 && value <= 120) this.takeoffAlt.set(v.sysid, value);
      else takeoffAlt.value = this.takeoffAlt.get(v.sysid) ?? TAKEOFF_ALT_M;
    });
    const incidents = [...this.store.incidents.values()];
    const incidentSelect = h(
      "select",
      { dataset: { testid: "dispatch-select" }, "aria-label": t("controls.choose_incident") },
      h("option", { value: "" }, t("controls.choose_incident")),
      incidents.map((i) => h("option", { value: i.id }, incidentTitle(i))),
    );
    incidentSelect.addEventListener("change", () => this.updateStates());
    buttons.dispatch = button(
      "dispatch",
      () => incidentSelect.value && this.dispatch(this.selected(), Number(incidentSelect.value)),
    );
    const alt = h("input", {
      type: "number",
      min: 5,
      max: 120,
      step: 1,
      value: this.altitudeFor(v),
      dataset: { testid: "goto-alt" },
      "aria-label": t("controls.goto_alt"),
    });
    alt.addEventListener("change", () => {
      const value = Math.round(Number(alt.value));
      if (Number.isFinite(value) && value >= 5 && value <= 120) this.gotoAlt.set(v.sysid, value);
      else alt.value = this.altitudeFor(v);
    });
    this.buttons = buttons;
    this.incidentSelect = incidentSelect;
    this.modeSelect = modeSelect;
    this.stateEl = h("p", { class: "controls-state", dataset: { testid: "controls-state" } });
    this.slot.append(
      h(
        "section",
        { id: "vehicle-controls", class: "controls", dataset: { testid: "vehicle-controls" } },
        h("h3", {}, t("controls.title", { name: vehicleName(v) })),
        this.stateEl,
        h(
          "div",
          { class: "button-row" },
          buttons.arm,
          buttons.takeoff,
          h("label", { class: "inline" }, t("controls.takeoff_alt"), takeoffAlt, t("unit.m")),
        ),
        h("div", { class: "button-row" }, modeSelect, buttons.mode),
        h(
          "div",
          { class: "button-row" },
          COMMANDS.map((key) => buttons[key]),
        ),
        h(
          "div",
          { class: "button-row" },
          buttons.goto,
          h("label", { class: "inline" }, t("controls.goto_alt"), alt, t("unit.m")),
        ),
        this.pickingGoto ? h("p", { class: "hint" }, t("controls.goto_hint")) : null,
        h("div", { class: "button-row" }, incidentSelect, buttons.dispatch),
        this.handover.el,
      ),
    );
    this.updateStates();
  }

  /** Enable each button only when its command makes sense now; say why when it does not. */
  updateStates() {
    const v = this.selected();
    if (!v || !this.buttons) return;
    const states = commandStates(v, this.store, {
      incidentChosen: Boolean(this.incidentSelect?.value),
      mode: this.modeSelect?.value ?? "",
    });
    for (const [key, el] of Object.entries(this.buttons)) {
      const why = states[key];
      el.disabled = why !== null;
      if (why) el.title = t(`why.${why}`);
      else el.removeAttribute("title");
      el.dataset.why = why ?? "";
    }
    this.handover.update(v);
    const line = stateLine(v, this.store);
    this.stateEl.textContent = line.text;
    this.stateEl.dataset.state = line.state;
  }

  async send(label, path, body) {
    try {
      const result = await this.api.post(path, body);
      toast(t("controls.sent", { cmd: label.replace("…", "") }));
      return result ?? {};
    } catch (err) {
      const detail = err.status === 405 ? t("controls.unavailable") : explainError(err);
      toast(t("controls.failed", { cmd: label.replace("…", ""), detail }), "error");
      return null;
    }
  }

  async simpleCommand(v, key) {
    if (!v) return;
    const label = t(`controls.${key}`);
    if (!(await confirmDialog(t("controls.confirm_cmd", { name: vehicleName(v), cmd: label })))) return;
    const done = await this.send(label, ENDPOINTS[key](v.vehicleId), {});
    if (done === null) return;
    // paused or not comes from the station's frames (every page sees the same)
    if (key === "rtl" || key === "land") this._dropTarget(v.sysid);
    this.store.emit("vehicle", v);
  }

  /** Take off to the altitude the pilot set (the station arms a disarmed drone first). */
  async takeoff(v) {
    if (!v) return;
    const alt = this.takeoffAlt.get(v.sysid) ?? TAKEOFF_ALT_M;
    if (!(await confirmDialog(t("controls.confirm_takeoff", { name: vehicleName(v), alt })))) return;
    await this.send(t("controls.takeoff"), ENDPOINTS.takeoff(v.vehicleId), { alt_m: alt });
  }

  async setMode(v, mode) {
    if (!v) return;
    const question = t("controls.confirm_mode", { name: vehicleName(v), mode: modeLabel(mode) });
    if (!(await confirmDialog(question))) return;
    await this.send(t("controls.mode"), ENDPOINTS.mode(v.vehicleId), { mode });
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
    const alt = this.altitudeFor(v);
    const question = t("controls.confirm_goto", {
      name: vehicleName(v),
      lat: latlng.lat.toFixed(5),
      lon: latlng.lng.toFixed(5),
      alt,
    });
    if (!(await confirmDialog(question))) return;
    const done = await this.send(t("controls.goto"), ENDPOINTS.goto(v.vehicleId), {
      lat_deg: latlng.lat,
      lon_deg: latlng.lng,
      alt_rel_m: alt,
    });
    if (done !== null) this._showTarget(v, [latlng.lat, latlng.lng], alt);
  }

  /** The go-to target on the map (a ring with the altitude) until the drone leaves GUIDED. */
  _showTarget(v, latlng, alt) {
    this._dropTarget(v.sysid);
    const icon = L.divIcon({
      className: "goto-icon",
      html: `<div class="goto-target" data-testid="goto-target" data-sysid="${v.sysid}"></div>`,
      iconSize: [22, 22],
      iconAnchor: [11, 11],
    });
    const marker = L.marker(latlng, { icon, interactive: false, keyboard: false }).bindTooltip(
      t("controls.target", { name: vehicleName(v), alt }),
      { permanent: true, direction: "right" },
    );
    marker.addTo(this.map);
    marker.sysid = v.sysid;
    marker.since = Date.now();
    this.targets.set(v.sysid, marker);
  }

  _dropTarget(sysid) {
    const old = this.targets.get(sysid);
    if (old) old.remove();
    this.targets.delete(sysid);
  }

  _dropTargetIfDone(v) {
    const marker = this.targets.get(v.sysid);
    if (!marker || Date.now() - marker.since < 5000) return; // (the mode switch takes a moment)
    if (v.mode !== "GUIDED" || !v.armed) this._dropTarget(v.sysid);
  }

  async dispatch(v, incidentId) {
    const incident = this.store.incidents.get(incidentId);
    if (!incident || !v) return;
    const alt = this.altitudeFor(v);
    const question = t("controls.confirm_dispatch", {
      name: vehicleName(v),
      id: incident.id,
      type: t(`incident.type.${incident.type}`),
    });
    if (!(await confirmDialog(question))) return;
    const done = await this.send(t("controls.dispatch"), ENDPOINTS.dispatch(incidentId), {
      vehicle_id: v.vehicleId,
      alt_rel_m: alt,
    });
    if (done !== null) this._showTarget(v, [incident.lat_deg, incident.lon_deg], alt);
  }

  /** Buttons for an incident popup: dispatch the selected drone there (when it can go). */
  incidentActions(incident) {
    const v = this.selected();
    if (!v) return [];
    const why = commandStates(v, this.store, { incidentChosen: true }).dispatch;
    return [
      h(
        "button",
        {
          type: "button",
          class: "primary",
          dataset: { testid: "popup-dispatch" },
          disabled: why !== null,
          title: why ? t(`why.${why}`) : null,
          onclick: () => this.dispatch(v, incident.id),
        },
        `${t("controls.dispatch").replace("…", "")} (${vehicleName(v)})`,
      ),
    ];
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
    const plan = h(
      "select",
      { dataset: { testid: "patrol-plan" } },
      this.plans.map((p) =>
        h(
          "option",
          { value: p.id },
          `#${p.id} ${p.name}（${hasText(`plan.kind.${p.kind}`) ? t(`plan.kind.${p.kind}`) : p.kind}）`,
        ),
      ),
    );
    const sortie = h("select", { dataset: { testid: "patrol-sortie" } });
    const fillSorties = () => {
      const chosen = this.plans.find((p) => p.id === Number(plan.value));
      clear(sortie).append(
        ...(chosen?.sorties ?? [{ sortie: 1 }]).map((s) =>
          h(
            "option",
            { value: s.sortie },
            `${t("patrol.sortie")} ${s.sortie}` + (s.length_m ? ` · ${(s.length_m / 1000).toFixed(1)} km` : ""),
          ),
        ),
      );
    };
    plan.addEventListener("change", fillSorties);
    fillSorties();
    const vehicle = h(
      "select",
      { dataset: { testid: "patrol-vehicle" } },
      vehicles.map((v) =>
        h("option", { value: v.vehicleId, selected: v.sysid === this.store.selected }, vehicleName(v)),
      ),
    );
    const go = h(
      "button",
      { type: "button", class: "primary", dataset: { testid: "patrol-start" } },
      t("patrol.start"),
    );
    go.addEventListener("click", () =>
      this.startPatrol(Number(plan.value), Number(sortie.value), Number(vehicle.value)),
    );
    this.patrolSlot.append(
      h(
        "div",
        { class: "controls", dataset: { testid: "patrol-start-form" } },
        h("label", {}, t("patrol.plan"), plan),
        h("label", {}, t("patrol.sortie"), sortie),
        h("label", {}, t("patrol.vehicle"), vehicle),
        go,
      ),
    );
  }

  async startPatrol(planId, sortie, vehicleId) {
    if (!planId || !vehicleId) return;
    const label = t("patrol.start");
    try {
      const created = await this.api.post(ENDPOINTS.createPatrol(), {
        plan_id: planId,
        sortie,
        vehicle_ids: [vehicleId],
      });
      const patrol = created.data[0];
      await this.api.post(ENDPOINTS.startPatrol(patrol.id), { vehicle_id: vehicleId });
      toast(t("patrol.started", { id: patrol.id }));
    } catch (err) {
      toast(t("controls.failed", { cmd: label, detail: explainError(err) }), "error");
    }
  }

  /** Resume an interrupted patrol on its own drone or on another one the pilot picks. */
  resumeActions(p) {
    const vehicles = [...this.store.vehicles.values()].filter((v) => v.vehicleId);
    const own = p.vehicle_id;
    const pick = h(
      "select",
      { dataset: { testid: "patrol-resume-vehicle" }, "aria-label": t("patrol.vehicle") },
      vehicles.map((v) =>
        h(
          "option",
          { value: v.vehicleId, selected: v.vehicleId === own },
          v.vehicleId === own ? t("patrol.same_drone", { name: vehicleName(v) }) : vehicleName(v),
        ),
      ),
    );
    const go = h(
      "button",
      {
        type: "button",
        class: "primary",
        dataset: { testid: "patrol-resume" },
        onclick: async (e) => {
          e.stopPropagation();
          const vehicleId = Number(pick.value);
          const v = this.store.vehicleById(vehicleId);
          const question = t("patrol.confirm_resume", {
            id: p.id,
            name: v ? vehicleName(v) : `#${vehicleId}`,
            item: (p.last_item_reached ?? 0) + 1,
          });
          if (!(await confirmDialog(question))) return;
          const r = await this.send(t("patrol.resume"), ENDPOINTS.resumePatrol(p.id), { vehicle_id: vehicleId });
          if (r) toast(t("patrol.resumed", { id: p.id }));
        },
      },
      t("patrol.resume"),
    );
    pick.addEventListener("click", (e) => e.stopPropagation());
    return h("div", { class: "button-row" }, pick, go);
  }

  patrolActions(p) {
    if (p.state === "landed" && (p.last_item_reached ?? 0) >= 1) return this.resumeActions(p);
    if (["landed", "reported", "aborted", "failed"].includes(p.state)) return null;
    if (p.state === "planned") {
      return h(
        "button",
        {
          type: "button",
          class: "primary",
          dataset: { testid: "patrol-start-planned" },
          onclick: async () => {
            const r = await this.send(t("patrol.start"), ENDPOINTS.startPatrol(p.id), {});
            if (r) toast(t("patrol.started", { id: p.id }));
          },
        },
        t("patrol.start"),
      );
    }
    return h(
      "button",
      {
        type: "button",
        dataset: { testid: "patrol-abort" },
        onclick: async () => {
          if (!(await confirmDialog(`${t("patrol.abort")} ${t("patrol.label", { id: p.id })}?`))) return;
          await this.send(t("patrol.abort"), ENDPOINTS.abortPatrol(p.id), {});
        },
      },
      t("patrol.abort"),
    );
  }
}
