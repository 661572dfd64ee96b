// Which pilot command makes sense in a drone's state, and why not when it does not: a parked,
// disarmed drone cannot pause, continue or return; a drone whose link is lost (or a page that
// lost the station) takes no command at all. Pure functions of the page's vehicle and store.
import { addTexts, t } from "./i18n.js";
import { modeLabel } from "./modes.js";
import { displayLink } from "./vehicles.js";

addTexts({
  "zh-CN": {
    "controls.arm": "解锁",
    "controls.takeoff": "起飞",
    "controls.takeoff_alt": "起飞高度",
    "controls.mode": "切换模式",
    "controls.mode_choose": "飞行模式",
    "controls.confirm_takeoff": "确认 {name} 起飞至 {alt} 米？（未解锁会先解锁）",
    "controls.confirm_mode": "确认将 {name} 切换为「{mode}」？",
    "why.armed": "无人机已解锁",
    "why.airborne": "无人机已在空中",
    "why.no_gps": "卫星定位不足：无人机不能解锁起飞",
    "why.same_mode": "无人机已处于该模式",
    "why.choose_mode": "请先选择飞行模式",
  },
  en: {
    "controls.arm": "Arm",
    "controls.takeoff": "Take off",
    "controls.takeoff_alt": "Takeoff altitude",
    "controls.mode": "Set mode",
    "controls.mode_choose": "Flight mode",
    "controls.confirm_takeoff": "Take {name} off to {alt} m? (It is armed first if needed)",
    "controls.confirm_mode": "Switch {name} to {mode}?",
    "why.armed": "The drone is already armed",
    "why.airborne": "The drone is already in the air",
    "why.no_gps": "No GPS fix: the drone cannot arm and take off",
    "why.same_mode": "The drone is already in this mode",
    "why.choose_mode": "Choose a flight mode first",
  },
});

/** The modes a pilot may pick on the page (ArduCopter's names; labels from modes.js). */
export const PILOT_MODES = ["GUIDED", "LOITER", "AUTO", "RTL", "LAND"];

const RETURNING = new Set(["RTL", "SMART_RTL", "AUTO_RTL", "RETURN"]);
const ACTIVE_PATROL = new Set(["preflight", "uploading", "launching", "flying", "returning"]);

/** The patrol a vehicle is flying now, if any. */
export function activePatrolOf(v, store) {
  for (const p of store.patrols.values()) {
    if (p.vehicle_id === v.vehicleId && ACTIVE_PATROL.has(p.state)) return p;
  }
  return null;
}

/** Why no command can reach the vehicle at all (a reason key), or null. */
function unreachable(v, store) {
  if (store.connection !== "live") return "station";
  if (!v.vehicleId) return "unregistered";
  if (displayLink(v, store.connection) === "lost") return "link";
  return null;
}

/**
 * For each command, null when it makes sense now, else the key of the reason (texts `why.*`):
 * {arm, takeoff, mode, rtl, land, pause, continue, goto, dispatch}. `mode` is the mode the
 * pilot picked in the list ("" for none).
 */
export function commandStates(v, store, { incidentChosen = false, mode = "" } = {}) {
  const blocked = unreachable(v, store);
  const flying = v.armed === true;
  const air = (extra) => blocked ?? (flying ? extra : "grounded");
  const patrol = activePatrolOf(v, store) ? "on_patrol" : null;
  const noGps = v.gpsFix !== null && v.gpsFix !== undefined && v.gpsFix < 3 ? "no_gps" : null;
  const inAir = flying && (v.landedState === "in_air" || v.landedState === "takeoff" || (v.alt ?? 0) > 1);
  return {
    arm: blocked ?? (flying ? "armed" : (patrol ?? noGps)),
    takeoff: blocked ?? patrol ?? (inAir ? "airborne" : noGps),
    mode: blocked ?? (!mode ? "choose_mode" : mode === v.mode ? "same_mode" : null),
    rtl: air(RETURNING.has(v.mode) ? "returning" : null),
    land: air(v.mode === "LAND" ? "landing" : null),
    pause: air(v.paused ? "paused" : RETURNING.has(v.mode) || v.mode === "LAND" ? "returning" : null),
    continue: air(v.paused ? null : "not_paused"),
    goto: air(null),
    dispatch: blocked ?? (activePatrolOf(v, store) ? "on_patrol" : incidentChosen ? null : "no_incident"),
  };
}

/** One line on what the drone is doing, for the controls: {state, text}. */
export function stateLine(v, store) {
  const blocked = unreachable(v, store);
  if (blocked === "station") return { state: "station", text: t("why.station") };
  if (blocked === "link") return { state: "link", text: t("why.link") };
  if (v.armed !== true) return { state: "grounded", text: t("controls.state.grounded") };
  if (v.paused) return { state: "paused", text: t("controls.state.paused") };
  const patrol = activePatrolOf(v, store);
  const mode = modeLabel(v.mode);
  if (patrol) return { state: "patrol", text: t("controls.state.patrol", { id: patrol.id, mode }) };
  return { state: "flying", text: t("controls.state.flying", { mode }) };
}
