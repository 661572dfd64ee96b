// The planner's form: the patrol kind and its parameters, the area (drawn on the map or a site
// patrol area), and the preview / save / cancel buttons; a preview's summary under it.
import { t } from "./i18n.js";
import { h } from "./dom.js";
import { drawingReady } from "./geoman.js";
import { KINDS, PATTERNS } from "./plan_request.js";
import { summaryBox } from "./plan_summary.js";

function field(planner, key, label, input) {
  input.dataset.testid = `plan-${key.replace("_", "-")}`;
  input.name = key;
  input.addEventListener("change", () => {
    planner.values[key] = input.value;
    if (["kind", "area", "swath_by"].includes(key)) planner.render();
  });
  return h("label", { class: `field field-${key}` }, t(label), input);
}

function number(planner, key, label, { min, max, step = "any" } = {}) {
  const input = h("input", { type: "number", inputmode: "decimal", min, max, step, value: planner.values[key] });
  input.addEventListener("input", () => {
    planner.values[key] = input.value;
  });
  return field(planner, key, label, input);
}

function select(planner, key, label, options) {
  const input = h(
    "select",
    {},
    options.map(([value, text]) =>
      h("option", { value, selected: String(planner.values[key]) === String(value) }, text),
    ),
  );
  return field(planner, key, label, input);
}

function drawnText(planner) {
  if (!planner.shape) return "";
  const coords = planner.shape.type === "Polygon" ? planner.shape.coordinates[0].slice(1) : planner.shape.coordinates;
  return t(planner.shape.type === "Polygon" ? "plan.drawn" : "plan.drawn_line", { points: coords.length });
}

function renderSummary(planner) {
  const r = planner.result;
  if (!r || r.planId) return null;
  return summaryBox(r);
}

/** The plan form: name, kind, area (drawn or a site patrol area), the kind's parameters,
 * preview, save and cancel; its values live in `planner.values`. */
export function planForm(planner) {
  const v = planner.values;
  const name = h("input", { value: v.name, maxlength: 128, required: true, name: "name" });
  name.dataset.testid = "plan-name";
  name.addEventListener("input", () => {
    v.name = name.value;
  });
  const areas = planner.siteAreas();
  const line = v.kind === "corridor";
  const drawLabel = planner.shape ? "plan.redraw" : line ? "plan.draw_line" : "plan.draw";
  const kindFields = {
    coverage: () => [
      select(planner, "swath_by", "plan.swath_by", [
        ["width", t("plan.swath_by.width")],
        ["camera", t("plan.swath_by.camera")],
      ]),
      v.swath_by === "camera"
        ? [
            number(planner, "hfov", "plan.hfov", { min: 1, max: 179 }),
            number(planner, "overlap", "plan.overlap", { min: 0, max: 95 }),
          ]
        : number(planner, "swath", "plan.swath", { min: 1, max: 2000 }),
      select(
        planner,
        "pattern",
        "plan.pattern",
        PATTERNS.map((p) => [p, t(`plan.pattern.${p}`)]),
      ),
    ],
    shore: () => [
      number(planner, "offset", "plan.offset", { min: -500, max: 500 }),
      number(planner, "loops", "plan.loops", { min: 1, max: 20, step: 1 }),
    ],
    corridor: () => [number(planner, "width", "plan.width", { min: 1, max: 5000 })],
    tour: () => [number(planner, "loiter", "plan.loiter", { min: 0, max: 3600 })],
  };
  const form = h(
    "form",
    { class: "controls plan-form", dataset: { testid: "plan-form" }, onsubmit: (e) => e.preventDefault() },
    h("label", { class: "field field-name" }, t("plan.name"), name),
    select(
      planner,
      "kind",
      "plan.kind",
      KINDS.map((k) => [k, t(`plan.kind.${k}`)]),
    ),
    select(planner, "area", "plan.area", [
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
              onclick: () => planner.startDrawing(line),
            },
            t(drawLabel),
          ),
          h("span", { class: "muted", dataset: { testid: "plan-drawn" } }, drawnText(planner)),
        ),
    number(planner, "altitude", "plan.altitude", { min: 1, max: 120 }),
    kindFields[v.kind](),
    number(planner, "speed", "plan.speed", { min: 0.5, max: 30 }),
    number(planner, "drones", "plan.drones", { min: 1, max: 20, step: 1 }),
    number(planner, "endurance", "plan.endurance", { min: 2, max: 180 }),
    number(planner, "battery_wh", "plan.battery_wh", { min: 1 }),
    number(planner, "power_w", "plan.power_w", { min: 1 }),
    h(
      "div",
      { class: "button-row" },
      h(
        "button",
        { type: "button", dataset: { testid: "plan-preview" }, onclick: () => planner.runPreview() },
        t("plan.preview"),
      ),
      h(
        "button",
        { type: "button", class: "primary", dataset: { testid: "plan-save" }, onclick: () => planner.save() },
        t(planner.editing ? "plan.save_changes" : "plan.save"),
      ),
      h(
        "button",
        { type: "button", dataset: { testid: "plan-cancel" }, onclick: () => planner.closeForm() },
        t("plan.cancel"),
      ),
    ),
    renderSummary(planner),
  );
  return form;
}
