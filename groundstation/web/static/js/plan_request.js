// The plan request as the station takes it (POST /api/plans, /preview) from the planner form's
// values, and a stored plan's parameters back into the form's values (for editing); the kinds,
// patterns and the form's defaults. Pure functions: no DOM, no map.

export const KINDS = ["coverage", "shore", "corridor", "tour"];
export const PATTERNS = ["auto", "parallel", "channel", "wavefront"];

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

export const DEFAULTS = {
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
