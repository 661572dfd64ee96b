// Vehicle markers: an arrow turned to the heading, a label (name, battery, mode, altitude), a colour
// by link state, greyed with the age of the last frame when lost; the track flown and the planned
// route with its next waypoint.
import { L } from "./map.js";
import { t } from "./i18n.js";
import { formatAge } from "./time.js";
import { modeLabel } from "./modes.js";
import { droneColour } from "./colours.js";

const ARROW =
  '<svg class="veh-arrow" viewBox="-12 -12 24 24" width="30" height="30" aria-hidden="true">' +
  '<path d="M0,-11 L8,9 L0,4 L-8,9 Z"/></svg>';

/**
 * Age in seconds of the vehicle's last message to the station: the frame's own `last_heard_s`
 * plus the time since the station made that frame (its `ts`, on the page's clock).
 */
export function vehicleAgeS(v, now = Date.now()) {
  if (!v.seenAt) return null;
  return Math.max(0, (now - v.seenAt) / 1000) + (v.lastHeardS ?? 0);
}

/**
 * ok | degraded | lost, as the page shows it. The link state is the station's own (`link.status`
 * of the latest frame): the station sends frames only when something changes and sends one when
 * it declares a link lost, so a quiet parked drone is not lost. A vehicle never heard shows
 * "lost"; on a page that is not live (its socket is down: nothing it shows is current) every
 * vehicle shows "station": what the page lost is the station, not the drones their radio.
 */
export function displayLink(v, connection) {
  if (!v.seenAt) return "lost";
  if (connection !== "live") return "station"; // the page lost the station, not the drone its link
  const status = v.linkStatus ?? "ok";
  return status === "ok" || status === "degraded" ? status : "lost"; // "lost", "offline"
}

/** The drone's name; on a centre's page, after its station's (the centre keys drones itself). */
export function vehicleName(v) {
  if (v.station) return `${v.station} · ${v.name ?? `#${v.stationSysid}`}`;
  return v.name ?? `#${v.sysid}`;
}

export function vehicleSummary(v) {
  const parts = [vehicleName(v)];
  if (v.battery !== null && v.battery !== undefined) parts.push(`${Math.round(v.battery)}%`);
  if (v.mode) parts.push(modeLabel(v.mode));
  if (v.paused) parts.push(t("vehicle.paused"));
  if (v.alt !== null && v.alt !== undefined) parts.push(`${Math.round(v.alt)} m`);
  const margin = v.safety?.margin_min;
  if (typeof margin === "number") parts.push(t("vehicle.margin", { min: margin.toFixed(1) }));
  return parts.join(" · ");
}

export class VehicleLayer {
  constructor(siteMap, store) {
    this.map = siteMap.map;
    this.store = store;
    this.markers = new Map();
    this.tracks = new Map();
    this.routes = new Map(); // sysid -> {line, next}
    this.group = L.layerGroup().addTo(this.map);
    this.trackGroup = L.layerGroup().addTo(this.map);
    this.routeGroup = L.layerGroup().addTo(this.map);
    siteMap.addOverlay(this.trackGroup, "layer.tracks");
    store.on("vehicles", () => this.renderAll());
    store.on("vehicle", (v) => this.render(v));
    store.on("selected", () => this.renderAll());
    store.on("connection", () => this.renderAll());
    this.ticker = setInterval(() => this.renderAll(), 1000);
  }

  renderAll() {
    for (const v of this.store.vehicles.values()) this.render(v);
  }

  render(v) {
    if (v.lat === null || v.lon === null || v.lat === undefined) return;
    let marker = this.markers.get(v.sysid);
    if (!marker) {
      marker = this._create(v);
      this.markers.set(v.sysid, marker);
    }
    marker.setLatLng([v.lat, v.lon]);
    const el = marker.getElement();
    if (!el) return;
    const box = el.querySelector(".veh");
    const now = Date.now();
    const link = displayLink(v, this.store.connection);
    const age = vehicleAgeS(v, now);
    box.dataset.lat = v.lat.toFixed(7);
    box.dataset.lon = v.lon.toFixed(7);
    box.dataset.link = link;
    box.dataset.heading = v.heading === null || v.heading === undefined ? "" : String(v.heading);
    box.className = `veh veh-${link}${this.store.selected === v.sysid ? " veh-selected" : ""}`;
    box.style.setProperty("--drone", droneColour(v.sysid));
    el.querySelector(".veh-arrow").style.transform = `rotate(${v.heading ?? 0}deg)`;
    let label = vehicleSummary(v);
    if (link === "lost" && age !== null) label += ` · ${t("vehicle.lost_for", { age: formatAge(age) })}`;
    if (link === "station" && age !== null) label += ` · ${t("vehicle.last_seen", { age: formatAge(age) })}`;
    el.querySelector(".veh-label").textContent = label;
    // Lost vehicles fade with age down to a floor, so the last known position stays visible.
    box.style.opacity =
      link !== "ok" && link !== "degraded" && age !== null ? String(Math.max(0.35, 1 - age / 300)) : "1";
    marker.setZIndexOffset(this.store.selected === v.sysid ? 1000 : 0);
    this._track(v);
    this._next(v);
    this._noReturn(v);
  }

  /** The point of no return along the vehicle's patrol route (the safety watch's), if any. */
  _noReturn(v) {
    this.pnr ??= new Map();
    const lat = v.safety?.pnr_lat_deg;
    const lon = v.safety?.pnr_lon_deg;
    let mark = this.pnr.get(v.sysid);
    if (typeof lat !== "number" || typeof lon !== "number") {
      if (mark) {
        mark.remove();
        this.pnr.delete(v.sysid);
      }
      return;
    }
    if (!mark) {
      mark = L.circleMarker([lat, lon], {
        radius: 7,
        color: "#b00020",
        weight: 3,
        fill: false,
        className: "pnr-mark",
      }).bindTooltip(t("vehicle.pnr", { name: vehicleName(v) }));
      mark.addTo(this.routeGroup);
      this.pnr.set(v.sysid, mark);
    }
    mark.setLatLng([lat, lon]);
  }

  _create(v) {
    const icon = L.divIcon({
      className: "veh-icon",
      html: `<div class="veh" data-testid="vehicle-marker" data-sysid="${v.sysid}">${ARROW}<div class="veh-label"></div></div>`,
      iconSize: [30, 30],
      iconAnchor: [15, 15],
    });
    const marker = L.marker([v.lat, v.lon], { icon, keyboard: true, riseOnHover: true });
    marker.on("click", () => this.store.select(v.sysid));
    marker.addTo(this.group);
    return marker;
  }

  _track(v) {
    if (!v.track || v.track.length < 2) return;
    let line = this.tracks.get(v.sysid);
    if (!line) {
      line = L.polyline([], {
        color: droneColour(v.sysid),
        weight: 2,
        opacity: 0.85,
        interactive: false,
        className: `track track-${v.sysid}`,
      });
      line.addTo(this.trackGroup);
      this.tracks.set(v.sysid, line);
    }
    if (line.getLatLngs().length !== v.track.length) line.setLatLngs(v.track);
  }

  /** Start the vehicle's drawn track from what the station stored of its current patrol. */
  setPatrolTrack(sysid, latlngs) {
    const v = this.store.vehicles.get(sysid);
    if (!v || latlngs.length === 0) return;
    v.track = [...latlngs, ...(v.track ?? []).slice(-1)];
    this._track(v);
  }

  /** Draw the planned route of the patrol a vehicle flies; `waypoints` maps mission seq to latlng. */
  setRoute(sysid, latlngs, waypoints = {}) {
    const old = this.routes.get(sysid);
    if (old) {
      this.routeGroup.removeLayer(old.line);
      if (old.next) this.routeGroup.removeLayer(old.next);
    }
    if (!latlngs || latlngs.length === 0) {
      this.routes.delete(sysid);
      return;
    }
    const line = L.polyline(latlngs, {
      color: droneColour(sysid),
      weight: 2,
      dashArray: "6 6",
      opacity: 0.9,
      interactive: false,
      className: `route route-${sysid}`,
    }).addTo(this.routeGroup);
    this.routes.set(sysid, { line, waypoints, next: null });
    const v = this.store.vehicles.get(sysid);
    if (v) this._next(v);
  }

  _next(v) {
    const route = this.routes.get(v.sysid);
    if (!route) return;
    const target = typeof v.missionSeq === "number" ? route.waypoints[v.missionSeq] : null;
    if (!target) return;
    if (!route.next) {
      route.next = L.circleMarker(target, {
        radius: 7,
        color: droneColour(v.sysid),
        weight: 3,
        fillColor: "#fff",
        fillOpacity: 1,
        interactive: false,
      }).addTo(this.routeGroup);
    } else {
      route.next.setLatLng(target);
    }
  }

  reset() {
    this.group.clearLayers();
    this.trackGroup.clearLayers();
    this.routeGroup.clearLayers();
    this.markers.clear();
    this.tracks.clear();
    this.routes.clear();
  }
}
