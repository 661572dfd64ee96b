// Planning on the page: a pilot draws an area (or a corridor's centre line) on the map or picks a
// site patrol area, chooses the patrol kind and its parameters, previews the route, its sorties
// and their times on the map, saves it as a plan (巡逻方案), flies it; edits (plans again with
// changed parameters) and deletes plans. This module holds the planner's state and its calls to
// the station; the parts are: the request (./plan_request.js), the form (./plan_form.js), the
// list (./plan_list.js), drawing (./plan_drawing.js, leaflet-geoman), the route on the map
// (./plan_route.js), the numbers (./plan_summary.js) and flying a plan (./plan_fly.js).
import { drawingReady } from "./geoman.js";
import { L } from "./map.js";
import { t } from "./i18n.js";
import "./planner_texts.js";
import { clear, h, toast } from "./dom.js";
import { confirmDialog } from "./dialog.js";
import { AREA_STYLE, clearDrawing, isDrawing, onDrawn, startDrawing, stopDrawing } from "./plan_drawing.js";
import { flyPlan } from "./plan_fly.js";
import { planForm } from "./plan_form.js";
import { planList } from "./plan_list.js";
import { DEFAULTS, formValues, planBody } from "./plan_request.js";
import { clearPreview, drawRoute } from "./plan_route.js";
import { summaryBox } from "./plan_summary.js";

export { formValues, KINDS, planBody } from "./plan_request.js";
export { formatDuration } from "./plan_summary.js";

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
    if (this.values) body.append(planForm(this));
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
    body.append(planList(this));
    this.slot.append(body);
  }

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

  // --- drawing (./plan_drawing.js) ----------------------------------------------------------------

  startDrawing(line) {
    startDrawing(this, line);
  }

  stopDrawing() {
    stopDrawing(this);
  }

  /** True while a shape is being drawn (and just after): the map's click menu stays away. */
  isDrawing() {
    return isDrawing(this);
  }

  onDrawn(layer) {
    onDrawn(this, layer);
  }

  clearDrawing() {
    clearDrawing(this);
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

  fly(plan) {
    return flyPlan(this, plan);
  }

  drawRoute(route, options = {}) {
    drawRoute(this, route, options);
  }

  clearPreview() {
    clearPreview(this);
  }
}
