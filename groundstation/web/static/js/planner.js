// Planning on the page: a pilot draws an area (or a corridor's centre line) on the map or picks a
// site patrol area, chooses the patrol kind and its parameters, previews the route, its sorties
// and their times on the map, saves it as a plan (巡逻方案), flies it; edits (plans again with
// changed parameters) and deletes plans. Drawing is leaflet-geoman's (./geoman.js).
import { drawingReady } from "./geoman.js";
import { L } from "./map.js";
import { t } from "./i18n.js";
import "./planner_texts.js";
import { clear, h, toast } from "./dom.js";
import { confirmDialog, showForm } from "./dialog.js";
import { sortieColour } from "./colours.js";
import { vehicleName } from "./vehicles.js";

export const KINDS = ["coverage", "shore", "corridor", "tour"];
const PATTERNS = ["auto", "parallel", "channel", "wavefront"];
const AREA_STYLE = { color: "#0d47a1", weight: 2, dashArray: "5 4", fillColor: "#64b5f6", fillOpacity: 0.15 };

/** A duration in seconds as the page says it: "12分5秒", "1小时3分" (or in English). */
export function formatDuration(seconds) {
  const s = Math.max(0, Math.round(Number(seconds) || 0));
  if (s >= 3600) return t("plan.duration_h", { h: Math.floor(s / 3600), m: Math.round((s % 3600) / 60) });
  return t("plan.duration", { m: Math.floor(s / 60), s: s % 60 });
}

/** Kilometres with one decimal, from metres. */
function km(metres) {
  return (Number(metres || 0) / 1000).toFixed(1);
}

/** The plan request's body from the form's values (empty optional fields left out). */
export function planBody(values, shape) {
  const num = (v) => (v === "" || v === null || v === undefined ? null : Number(v));
  const body = { name: values.name.trim(), kind: values.kind, altitude_m: num(values.altitude) };
  if (values.area) body.area = values.area;
  else if (shape && values.kind === "corridor" && shape.type === "LineString") body.line = shape;
  else if (shape && shape.type === "Polygon") body.polygon = shape;
  const optional = {
    speed_m_s: num(values.speed),
    drones: num(values.drones),
    endurance_s: num(values.endurance) === null ? null : num(values.endurance) * 60,
    battery_wh: num(values.battery_wh),
    power_w: num(values.power_w),
  };
  if (values.kind === "coverage") {
    if (values.swath_by === "camera") {
      optional.camera_hfov_deg = num(values.hfov);
      optional.overlap_frac = num(values.overlap) === null ? null : num(values.overlap) / 100;
    } else {
      optional.swath_width_m = num(values.swath);
    }
    optional.pattern = values.pattern || null;
  } else if (values.kind === "shore") {
    optional.offset_m = num(values.offset);
    optional.loops = num(values.loops);
  } else if (values.kind === "corridor") {
    optional.width_m = num(values.width);
  } else if (values.kind === "tour") {
    optional.loiter_s = num(values.loiter);
  }
  for (const [key, value] of Object.entries(optional)) if (value !== null && !Number.isNaN(value)) body[key] = value;
  return body;
}

/** The form's values from a stored plan's parameters (the inverse of planBody, for editing). */
export function formValues(plan) {
  const p = plan.params ?? {};
  const camera = p.camera_hfov_deg !== null && p.camera_hfov_deg !== undefined;
  return {
    name: plan.name,
    kind: plan.kind,
    area: p.polygon || p.line ? "" : (p.area ?? ""),
    altitude: p.altitude_m ?? 40,
    swath_by: camera ? "camera" : "width",
    swath: p.swath_width_m ?? 60,
    hfov: p.camera_hfov_deg ?? 70,
    overlap: p.overlap_frac !== null && p.overlap_frac !== undefined ? Math.round(p.overlap_frac * 100) : 20,
    pattern: p.pattern ?? "auto",
    offset: p.offset_m ?? 20,
    loops: p.loops ?? 1,
    width: p.width_m ?? "",
    loiter: p.loiter_s ?? 30,
    speed: p.speed_m_s ?? "",
    drones: p.drones ?? 1,
    endurance: p.endurance_s ? Math.round(p.endurance_s / 60) : "",
    battery_wh: p.battery_wh ?? "",
    power_w: p.power_w ?? "",
  };
}

const DEFAULTS = {
  name: "",
  kind: "coverage",
  area: "",
  altitude: 40,
  swath_by: "width",
  swath: 60,
  hfov: 70,
  overlap: 20,
  pattern: "auto",
  offset: 20,
  loops: 1,
  width: "",
  loiter: 30,
  speed: "",
  drones: 1,
  endurance: "",
  battery_wh: "",
  power_w: "",
};

export class Planner {
  /** `onPlansChanged` is told after a save or delete (the patrol start form lists plans). */
  constructor(siteMap, store, api, { onPlansChanged = () => {} } = {}) {
    this.siteMap = siteMap;
    this.map = siteMap.map;
    this.store = store;
    this.api = api;
    this.onPlansChanged = onPlansChanged;
    this.slot = document.getElementById("planner-slot");
    this.plans = [];
    this.values = null; // the form's values while the form is open
    this.editing = null; // the id of the plan being edited
    this.shape = null; // GeoJSON geometry drawn for the open form
    this.drawn = null; // its Leaflet layer
    this.preview = L.layerGroup().addTo(this.map);
    this.result = null; // the last preview (or the shown plan)
    this.busy = false;
    this.drawnAt = 0;
    if (drawingReady) {
      this.map.pm.setLang(document.documentElement.lang === "en" ? "en" : "zh");
      this.map.on("pm:create", (e) => this.onDrawn(e.layer));
    }
  }

  async load() {
    const page = await this.api.get("/api/plans?limit=200");
    this.plans = page.data ?? [];
    this.render();
  }

  /** The site's patrol areas a plan may use whole: [value, label]. */
  siteAreas() {
    const layer = this.siteMap.overlays?.patrol_areas;
    if (!layer) return [];
    const out = [];
    layer.eachLayer((l) => {
      const p = l.feature?.properties ?? {};
      const value = p.zone_id ?? p.name;
      if (value) out.push([String(value), String(p.name ?? value)]);
    });
    return out;
  }

  render() {
    if (!this.slot) return;
    clear(this.slot);
    const body = h(
      "section",
      { class: "planner", dataset: { testid: "planner" } },
      h("h3", { class: "section-first" }, t("plan.title")),
    );
    if (this.values) body.append(this.renderForm());
    else {
      body.append(
        h(
          "div",
          { class: "button-row" },
          h(
            "button",
            { type: "button", class: "primary", dataset: { testid: "plan-new" }, onclick: () => this.openForm() },
            t("plan.new"),
          ),
        ),
      );
    }
    body.append(this.renderList());
    this.slot.append(body);
  }

  renderList() {
    if (this.plans.length === 0) return h("p", { class: "hint" }, t("plan.none"));
    return h(
      "ul",
      { class: "list", dataset: { testid: "plan-list" } },
      this.plans.map((p) => {
        const time = (p.sorties ?? []).reduce((sum, s) => sum + s.duration_s, 0);
        const length = (p.sorties ?? []).reduce((sum, s) => sum + s.length_m, 0);
        const shown = this.result?.planId === p.id;
        return h(
          "li",
          { class: `item${shown ? " selected" : ""}`, dataset: { testid: "plan-item", id: p.id } },
          h("strong", {}, `#${p.id} ${p.name}`),
          " ",
          h("span", { class: "badge" }, t(`plan.kind.${p.kind}`)),
          h(
            "div",
            { class: "muted" },
            t("plan.summary", {
              km: km(length),
              time: formatDuration(time),
              sorties: (p.sorties ?? []).length,
            }),
          ),
          h(
            "div",
            { class: "button-row" },
            h(
              "button",
              { type: "button", dataset: { testid: "plan-show" }, onclick: () => this.show(p.id) },
              t("plan.show"),
            ),
            this.store.canFly
              ? [
                  h(
                    "button",
                    { type: "button", class: "primary", dataset: { testid: "plan-fly" }, onclick: () => this.fly(p) },
                    t("plan.fly"),
                  ),
                  h(
                    "button",
                    { type: "button", dataset: { testid: "plan-edit" }, onclick: () => this.edit(p.id) },
                    t("plan.edit"),
                  ),
                  h(
                    "button",
                    {
                      type: "button",
                      class: "danger",
                      dataset: { testid: "plan-delete" },
                      onclick: () => this.remove(p),
                    },
                    t("plan.delete"),
                  ),
                ]
              : null,
          ),
        );
      }),
    );
  }

  // --- the form ----------------------------------------------------------------------------------

  openForm(values = null, planId = null) {
    this.clearDrawing();
    this.clearPreview();
    const date = new Date().toISOString().slice(0, 16).replace("T", " ");
    this.values = { ...DEFAULTS, name: t("plan.default_name", { date }), ...(values ?? {}) };
    this.editing = planId;
    this.render();
  }

  closeForm() {
    this.stopDrawing();
    this.clearDrawing();
    this.values = null;
    this.editing = null;
    this.render();
  }

  field(key, label, input) {
    input.dataset.testid = `plan-${key.replace("_", "-")}`;
    input.name = key;
    input.addEventListener("change", () => {
      this.values[key] = input.value;
      if (["kind", "area", "swath_by"].includes(key)) this.render();
    });
    return h("label", { class: `field field-${key}` }, t(label), input);
  }

  number(key, label, { min, max, step = "any" } = {}) {
    const input = h("input", { type: "number", inputmode: "decimal", min, max, step, value: this.values[key] });
    input.addEventListener("input", () => {
      this.values[key] = input.value;
    });
    return this.field(key, label, input);
  }

  select(key, label, options) {
    const input = h(
      "select",
      {},
      options.map(([value, text]) =>
        h("option", { value, selected: String(this.values[key]) === String(value) }, text),
      ),
    );
    return this.field(key, label, input);
  }

  renderForm() {
    const v = this.values;
    const name = h("input", { value: v.name, maxlength: 128, required: true, name: "name" });
    name.dataset.testid = "plan-name";
    name.addEventListener("input", () => {
      v.name = name.value;
    });
    const areas = this.siteAreas();
    const line = v.kind === "corridor";
    const drawLabel = this.shape ? "plan.redraw" : line ? "plan.draw_line" : "plan.draw";
    const kindFields = {
      coverage: () => [
        this.select("swath_by", "plan.swath_by", [
          ["width", t("plan.swath_by.width")],
          ["camera", t("plan.swath_by.camera")],
        ]),
        v.swath_by === "camera"
          ? [
              this.number("hfov", "plan.hfov", { min: 1, max: 179 }),
              this.number("overlap", "plan.overlap", { min: 0, max: 95 }),
            ]
          : this.number("swath", "plan.swath", { min: 1, max: 2000 }),
        this.select(
          "pattern",
          "plan.pattern",
          PATTERNS.map((p) => [p, t(`plan.pattern.${p}`)]),
        ),
      ],
      shore: () => [
        this.number("offset", "plan.offset", { min: -500, max: 500 }),
        this.number("loops", "plan.loops", { min: 1, max: 20, step: 1 }),
      ],
      corridor: () => [this.number("width", "plan.width", { min: 1, max: 5000 })],
      tour: () => [this.number("loiter", "plan.loiter", { min: 0, max: 3600 })],
    };
    const form = h(
      "form",
      { class: "controls plan-form", dataset: { testid: "plan-form" }, onsubmit: (e) => e.preventDefault() },
      h("label", { class: "field field-name" }, t("plan.name"), name),
      this.select(
        "kind",
        "plan.kind",
        KINDS.map((k) => [k, t(`plan.kind.${k}`)]),
      ),
      this.select("area", "plan.area", [
        ["", t(line ? "plan.draw_line" : "plan.area.drawn")],
        ...(line ? [] : areas.map(([value, text]) => [value, `${t("plan.area.site")}：${text}`])),
      ]),
      v.area
        ? null
        : h(
            "div",
            { class: "draw-row" },
            h(
              "button",
              {
                type: "button",
                dataset: { testid: "plan-draw" },
                disabled: !drawingReady,
                onclick: () => this.startDrawing(line),
              },
              t(drawLabel),
            ),
            h("span", { class: "muted", dataset: { testid: "plan-drawn" } }, this.drawnText()),
          ),
      this.number("altitude", "plan.altitude", { min: 1, max: 120 }),
      kindFields[v.kind](),
      this.number("speed", "plan.speed", { min: 0.5, max: 30 }),
      this.number("drones", "plan.drones", { min: 1, max: 20, step: 1 }),
      this.number("endurance", "plan.endurance", { min: 2, max: 180 }),
      this.number("battery_wh", "plan.battery_wh", { min: 1 }),
      this.number("power_w", "plan.power_w", { min: 1 }),
      h(
        "div",
        { class: "button-row" },
        h(
          "button",
          { type: "button", dataset: { testid: "plan-preview" }, onclick: () => this.runPreview() },
          t("plan.preview"),
        ),
        h(
          "button",
          { type: "button", class: "primary", dataset: { testid: "plan-save" }, onclick: () => this.save() },
          t(this.editing ? "plan.save_changes" : "plan.save"),
        ),
        h(
          "button",
          { type: "button", dataset: { testid: "plan-cancel" }, onclick: () => this.closeForm() },
          t("plan.cancel"),
        ),
      ),
      this.renderSummary(),
    );
    return form;
  }

  drawnText() {
    if (!this.shape) return "";
    const coords = this.shape.type === "Polygon" ? this.shape.coordinates[0].slice(1) : this.shape.coordinates;
    return t(this.shape.type === "Polygon" ? "plan.drawn" : "plan.drawn_line", { points: coords.length });
  }

  renderSummary() {
    const r = this.result;
    if (!r || r.planId) return null;
    return summaryBox(r);
  }

  // --- drawing -----------------------------------------------------------------------------------

  startDrawing(line) {
    if (!drawingReady) return;
    this.clearDrawing();
    this.map.pm.enableDraw(line ? "Line" : "Polygon", {
      snappable: false,
      continueDrawing: false,
      templineStyle: { color: "#0d47a1" },
      hintlineStyle: { color: "#0d47a1", dashArray: "5 5" },
      pathOptions: AREA_STYLE,
    });
    document.getElementById("map")?.classList.add("drawing");
    toast(t(line ? "plan.drawing_line" : "plan.drawing"));
  }

  stopDrawing() {
    if (drawingReady && this.map.pm.globalDrawModeEnabled()) this.map.pm.disableDraw();
    document.getElementById("map")?.classList.remove("drawing");
  }

  /** True while a shape is being drawn (and just after): the map's click menu stays away. */
  isDrawing() {
    return (drawingReady && this.map.pm.globalDrawModeEnabled()) || Date.now() - this.drawnAt < 600;
  }

  onDrawn(layer) {
    this.drawnAt = Date.now();
    this.stopDrawing();
    if (!this.values) {
      layer.remove();
      return;
    }
    this.clearDrawing();
    this.drawn = layer;
    this.shape = layer.toGeoJSON().geometry;
    layer.on("pm:edit", () => {
      this.shape = layer.toGeoJSON().geometry;
    });
    this.render();
  }

  clearDrawing() {
    if (this.drawn) this.drawn.remove();
    this.drawn = null;
    this.shape = null;
  }

  // --- preview, save, show -----------------------------------------------------------------------

  request() {
    const body = planBody(this.values, this.shape);
    if (!body.area && !body.polygon && !body.line && body.kind !== "tour" && body.kind !== "shore") {
      toast(t("plan.need_area"), "error");
      return null;
    }
    return body;
  }

  async runPreview() {
    const body = this.request();
    if (!body || this.busy) return;
    await this.planning(t("plan.preview"), async () => {
      const r = await this.api.post("/api/plans/preview", body);
      this.result = { ...r, planId: null };
      this.drawRoute(r.route, { fit: true });
      this.render();
    });
  }

  async save() {
    const body = this.request();
    if (!body || this.busy) return;
    await this.planning(t("plan.save"), async () => {
      const saved = this.editing
        ? await this.api.request("PUT", `/api/plans/${this.editing}`, { json: body })
        : await this.api.post("/api/plans", body);
      toast(t("plan.saved", { id: saved.id }));
      this.stopDrawing();
      this.clearDrawing();
      this.values = null;
      this.editing = null;
      this.result = { ...saved, planId: saved.id };
      this.drawRoute(saved.route, { fit: true });
      await this.load();
      this.onPlansChanged();
    });
  }

  async planning(what, fn) {
    this.busy = true;
    const status = this.slot?.querySelector("[data-testid=plan-preview]");
    if (status) status.textContent = t("plan.planning");
    try {
      await fn();
    } catch (err) {
      toast(t("plan.failed", { what, detail: err.message }), "error");
      if (status) status.textContent = t("plan.preview");
    } finally {
      this.busy = false;
    }
  }

  async show(planId) {
    try {
      const plan = await this.api.get(`/api/plans/${planId}`);
      this.result = { ...plan, planId };
      this.drawRoute(plan.route, { fit: true });
      this.render();
      const item = this.slot.querySelector(`[data-testid=plan-item][data-id="${planId}"]`);
      if (item) item.append(summaryBox(plan));
    } catch (err) {
      toast(t("plan.failed", { what: t("plan.show"), detail: err.message }), "error");
    }
  }

  async edit(planId) {
    try {
      const plan = await this.api.get(`/api/plans/${planId}`);
      this.openForm(formValues(plan), planId);
      const shape = plan.params?.polygon ?? plan.params?.line;
      if (shape) {
        const geometry = shape.type === "Feature" ? shape.geometry : shape;
        this.drawn = L.geoJSON(geometry, { style: AREA_STYLE }).addTo(this.map);
        this.shape = geometry;
      }
      this.result = { ...plan, planId: null };
      this.drawRoute(plan.route, { fit: true });
      this.render();
    } catch (err) {
      toast(t("plan.failed", { what: t("plan.edit"), detail: err.message }), "error");
    }
  }

  async remove(plan) {
    if (!(await confirmDialog(t("plan.confirm_delete", { name: plan.name })))) return;
    try {
      await this.api.request("DELETE", `/api/plans/${plan.id}`);
      toast(t("plan.deleted", { id: plan.id }));
      if (this.result?.planId === plan.id) this.clearPreview();
      await this.load();
      this.onPlansChanged();
    } catch (err) {
      toast(t("plan.failed", { what: t("plan.delete"), detail: err.message }), "error");
    }
  }

  /** Fly every sortie of a plan: its drone k on the k-th drone picked here. */
  async fly(plan) {
    const vehicles = [...this.store.vehicles.values()].filter((v) => v.vehicleId);
    if (vehicles.length === 0) {
      toast(t("plan.no_vehicles"), "error");
      return;
    }
    const drones = Math.max(1, ...(plan.sorties ?? []).map((s) => s.drone));
    const chosen = [];
    const picks = [];
    for (let k = 0; k < drones; k++) {
      const first = this.store.selected !== null && k === 0 ? this.store.selected : vehicles[k % vehicles.length].sysid;
      const select = h(
        "select",
        { dataset: { testid: `plan-fly-vehicle-${k + 1}` } },
        vehicles.map((v) => h("option", { value: v.vehicleId, selected: v.sysid === first }, vehicleName(v))),
      );
      picks.push(select);
      chosen.push(h("label", {}, t("plan.fly_drone", { n: k + 1 }), select));
    }
    const close = showForm(
      h(
        "form",
        { method: "dialog", class: "dialog-body", dataset: { testid: "plan-fly-dialog" } },
        h("h3", {}, t("plan.fly_title", { name: plan.name })),
        chosen,
        h(
          "div",
          { class: "dialog-actions" },
          h("button", { type: "button", onclick: () => close() }, t("plan.cancel")),
          h(
            "button",
            {
              type: "button",
              class: "primary",
              dataset: { testid: "plan-fly-ok" },
              onclick: async () => {
                close();
                try {
                  const ids = picks.map((s) => Number(s.value));
                  const started = await this.api.post(`/api/plans/${plan.id}/fly`, { vehicle_ids: ids });
                  toast(t("plan.flying", { id: plan.id, count: started.count }));
                  this.clearPreview();
                  this.render();
                } catch (err) {
                  toast(t("plan.failed", { what: t("plan.fly"), detail: err.message }), "error");
                }
              },
            },
            t("plan.fly"),
          ),
        ),
      ),
    );
  }

  /** Draw a plan's route: its area, and each sortie's legs in the sortie's colour. */
  drawRoute(route, { fit = false } = {}) {
    this.preview.clearLayers();
    if (!route) return;
    const layer = L.geoJSON(route, {
      filter: (f) => f.geometry && (f.properties?.role === "area" || f.properties?.sortie !== undefined),
      style: (f) =>
        f.properties?.role === "area"
          ? { color: "#0d47a1", weight: 1, dashArray: "3 4", fill: false }
          : {
              color: sortieColour(f.properties.sortie),
              weight: f.properties.kind === "transit" ? 2 : 3,
              opacity: 0.9,
              dashArray: f.properties.kind === "transit" ? "4 6" : null,
            },
      pointToLayer: (_f, latlng) => L.circleMarker(latlng, { radius: 3 }),
      interactive: false,
    }).addTo(this.preview);
    const el = document.getElementById("map");
    if (el) el.dataset.planPreview = String(layer.getLayers().length);
    if (fit && layer.getBounds().isValid()) this.map.fitBounds(layer.getBounds(), { padding: [30, 30], maxZoom: 17 });
  }

  clearPreview() {
    this.preview.clearLayers();
    this.result = null;
    const el = document.getElementById("map");
    if (el) delete el.dataset.planPreview;
  }
}

/** Length, time and sorties of a preview or a plan, each sortie with its route's colour. */
function summaryBox(r) {
  const sorties = r.sorties ?? [];
  const length = sorties.reduce((sum, s) => sum + s.length_m, 0);
  const time = sorties.reduce((sum, s) => sum + s.duration_s, 0);
  return h(
    "div",
    { class: "plan-summary", dataset: { testid: "plan-summary" } },
    h("div", {}, t("plan.summary", { km: km(length), time: formatDuration(time), sorties: sorties.length })),
    h(
      "ul",
      { class: "sortie-list" },
      sorties.map((s) =>
        h(
          "li",
          { dataset: { testid: "plan-sortie" } },
          h("span", { class: "swatch", style: `background:${sortieColour(s.sortie)}` }),
          t("plan.sortie", { n: s.sortie, drone: s.drone, km: km(s.length_m), time: formatDuration(s.duration_s) }),
        ),
      ),
    ),
  );
}
