// Which pilot command makes sense in a drone's state, and why not when it does not: a parked,
// disarmed drone cannot pause, continue or return; a drone whose link is lost (or a page that
// lost the station) takes no command at all. Pure functions of the page's vehicle and store.
import { t } from "./i18n.js";
import { modeLabel } from "./modes.js";
import { displayLink } from "./vehicles.js";

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
 * {rtl, land, pause, continue, goto, dispatch}.
 */
export function commandStates(v, store, { incidentChosen = false } = {}) {
  const blocked = unreachable(v, store);
  const flying = v.armed === true;
  const air = (extra) => blocked ?? (flying ? extra : "grounded");
  return {
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
