// The pilot's instruments for the selected drone: mission progress (waypoint x of N, % done),
// ETA to the end of the mission and to home, flight time, remaining endurance (the safety watch's
// reach-the-shore margin), battery voltage, distance to home, GPS fix and satellites, radio
// signal, wind, and the flight mode in words. Also draws each drone's home point on the map.
import { L } from "./map.js";
import { h, clear } from "./dom.js";
import { t, hasText } from "./i18n.js";
import { formatDuration } from "./time.js";
import { vehicleName } from "./vehicles.js";
import { modeLabel } from "./modes.js";

const EARTH_R_M = 6371008.8;
const MIN_SPEED_M_S = 1; // slower than this (hovering, parked): no ETA from the ground speed

/** Great-circle distance in metres between two [lat, lon]. */
export function distanceM(a, b) {
  const rad = Math.PI / 180;
  const dLat = (b[0] - a[0]) * rad;
  const dLon = (b[1] - a[1]) * rad;
  const s = Math.sin(dLat / 2) ** 2 + Math.cos(a[0] * rad) * Math.cos(b[0] * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_R_M * Math.asin(Math.min(1, Math.sqrt(s)));
}

/**
 * Mission progress of vehicle `v` flying a route whose waypoints are `waypoints` ({seq: [lat,
 * lon]}): {seq, total, pct, remainingM}. `seq` is the item flown to, `total` the vehicle's own
 * count (MISSION_CURRENT.total) or the route's last item. Null without a mission.
 */
export function missionProgress(v, waypoints = {}) {
  const seqs = Object.keys(waypoints)
    .map(Number)
    .filter((n) => n > 0)
    .sort((a, b) => a - b);
  const total = typeof v.missionTotal === "number" && v.missionTotal > 0 ? v.missionTotal : (seqs.at(-1) ?? null);
  if (typeof v.missionSeq !== "number" || v.missionSeq < 1 || !total) return null;
  const seq = Math.min(v.missionSeq, total);
  let remainingM = null;
  const ahead = seqs.filter((n) => n >= seq);
  if (ahead.length && typeof v.lat === "number") {
    remainingM = distanceM([v.lat, v.lon], waypoints[ahead[0]]);
    for (let i = 1; i < ahead.length; i++) remainingM += distanceM(waypoints[ahead[i - 1]], waypoints[ahead[i]]);
  }
  const pct = Math.round((100 * (seq - 1)) / total);
  return { seq, total, pct, remainingM };
}

/** Seconds to fly `m` metres at the vehicle's ground speed (null when it hardly moves). */
export function etaS(m, speed) {
  if (typeof m !== "number" || typeof speed !== "number" || speed < MIN_SPEED_M_S) return null;
  return m / speed;
}

/** Metres from the vehicle to its home point (null if either is unknown). */
export function homeDistanceM(v) {
  if (typeof v.homeLat !== "number" || typeof v.lat !== "number") return null;
  return distanceM([v.lat, v.lon], [v.homeLat, v.homeLon]);
}

function km(m) {
  return m >= 1000 ? `${(m / 1000).toFixed(1)} km` : `${Math.round(m)} m`;
}

export function gpsLabel(v) {
  if (typeof v.gpsFix !== "number") return null;
  const fix = hasText(`gps.fix.${v.gpsFix}`) ? t(`gps.fix.${v.gpsFix}`) : String(v.gpsFix);
  return typeof v.satellites === "number" ? t("gps.sats", { fix, n: v.satellites }) : fix;
}

export function radioLabel(v) {
  if (typeof v.radioRssi === "number") {
    const remote = typeof v.radioRemrssi === "number" ? ` / ${Math.round(v.radioRemrssi)}%` : "";
    return t("radio.rssi", { pct: `${Math.round(v.radioRssi)}%${remote}` });
  }
  if (typeof v.lossPct === "number") return t("radio.loss", { pct: Math.round(v.lossPct) });
  return null;
}

export function windLabel(v) {
  if (typeof v.windSpeed !== "number") return null;
  const dir = typeof v.windDir === "number" ? Math.round(v.windDir) : null;
  return t("wind.value", { speed: v.windSpeed.toFixed(1), dir: dir === null ? "–" : `${dir}°` });
}

/**
 * Rows [key, label, value] of the instruments a vehicle has values for; ETAs at `cruise` m/s
 * (the speed it flew lately) when it is slower now (in a turn, climbing).
 */
export function instrumentRows(v, waypoints, cruise = null) {
  const speed = typeof v.speed === "number" && v.speed >= MIN_SPEED_M_S ? v.speed : cruise;
  const rows = [];
  const add = (key, value) => {
    if (value !== null && value !== undefined && value !== "") rows.push([key, t(`inst.${key}`), value]);
  };
  const progress = missionProgress(v, waypoints);
  add("mode", modeLabel(v.mode));
  if (progress) {
    add("progress", t("inst.progress_value", { seq: progress.seq, total: progress.total, pct: progress.pct }));
    const end = etaS(progress.remainingM, speed);
    add(
      "eta_end",
      end === null
        ? progress.remainingM === null
          ? null
          : km(progress.remainingM)
        : `${formatDuration(end)} · ${km(progress.remainingM)}`,
    );
  }
  const home = homeDistanceM(v);
  if (home !== null) {
    add("home", km(home));
    const back = etaS(home, speed);
    if (back !== null) add("eta_home", formatDuration(back));
  }
  if (typeof v.flightTimeS === "number") add("flight_time", formatDuration(v.flightTimeS));
  const margin = v.safety?.margin_min;
  if (typeof margin === "number") add("endurance", formatDuration(margin * 60));
  const volts = typeof v.voltage === "number" ? ` · ${v.voltage.toFixed(1)} V` : "";
  if (typeof v.battery === "number") add("battery", `${Math.round(v.battery)}%${volts}`);
  else if (volts) add("battery", volts.slice(3));
  add("gps", gpsLabel(v));
  add("radio", radioLabel(v));
  add("wind", windLabel(v));
  return rows;
}

export class Instruments {
  constructor(siteMap, store, vehicleLayer) {
    this.map = siteMap.map;
    this.store = store;
    this.vehicles = vehicleLayer;
    this.slot = document.getElementById("instruments-slot");
    this.homes = new Map(); // sysid -> marker
    this.cruise = new Map(); // sysid -> smoothed ground speed while it moves (m/s)
    this.group = L.layerGroup().addTo(this.map);
    this.pending = false;
    store.on("selected", () => this.render());
    store.on("vehicles", () => this.renderSoon());
    store.on("vehicle", (v) => {
      this._learnCruise(v);
      this.renderSoon();
    });
  }

  renderSoon() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.render();
    });
  }

  render() {
    for (const v of this.store.vehicles.values()) this._home(v);
    const v = this.store.selected === null ? null : this.store.vehicles.get(this.store.selected);
    clear(this.slot);
    if (!v) return;
    const waypoints = this.vehicles.routes.get(v.sysid)?.waypoints ?? {};
    const rows = instrumentRows(v, waypoints, this.cruise.get(v.sysid) ?? null);
    this.slot.append(
      h(
        "section",
        { class: "instruments", dataset: { testid: "instruments", sysid: v.sysid } },
        h("h3", {}, t("inst.title", { name: vehicleName(v) })),
        h(
          "dl",
          {},
          rows.flatMap(([key, label, value]) => [
            h("dt", {}, label),
            h("dd", { dataset: { testid: `inst-${key}` } }, value),
          ]),
        ),
      ),
    );
  }

  _learnCruise(v) {
    if (typeof v.speed !== "number" || v.speed < MIN_SPEED_M_S) return;
    const before = this.cruise.get(v.sysid);
    this.cruise.set(v.sysid, before === undefined ? v.speed : 0.9 * before + 0.1 * v.speed);
  }

  relabel() {
    for (const [sysid, marker] of this.homes) {
      const v = this.store.vehicles.get(sysid);
      if (v) marker.setTooltipContent(t("inst.home_of", { name: vehicleName(v) }));
    }
    this.render();
  }

  _home(v) {
    if (typeof v.homeLat !== "number" || typeof v.homeLon !== "number") return;
    let marker = this.homes.get(v.sysid);
    if (!marker) {
      const icon = L.divIcon({
        className: "home-icon",
        html: `<div class="home-mark" data-testid="home-marker" data-sysid="${v.sysid}">H</div>`,
        iconSize: [20, 20],
        iconAnchor: [10, 10],
      });
      marker = L.marker([v.homeLat, v.homeLon], { icon, interactive: true, keyboard: false }).bindTooltip(
        t("inst.home_of", { name: vehicleName(v) }),
      );
      marker.addTo(this.group);
      this.homes.set(v.sysid, marker);
    }
    marker.setLatLng([v.homeLat, v.homeLon]);
  }
}
