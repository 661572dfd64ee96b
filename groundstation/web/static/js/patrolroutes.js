// The planned route of each patrol in progress, drawn for its vehicle, with the mission's
// waypoints by sequence number (from the plan's QGC WPL export) for the "next waypoint" mark.
import { isTerminalPatrol } from "./store.js";
import { L } from "./map.js";
import { t } from "./i18n.js";

/** The geofence as drawn: a red dashed boundary the drone may not cross (no fill, no clicks). */
const FENCE_STYLE = {
  color: "#d50000",
  weight: 2,
  dashArray: "10 5",
  fill: false,
  interactive: false,
  className: "geofence-line",
};

/** The plan's geofence feature (role "fence" in its route GeoJSON), or null. */
export function fenceFeature(route) {
  return (route?.features ?? []).find((f) => f.properties?.role === "fence" && f.geometry) ?? null;
}

/** LatLngs of one sortie's legs, in order, from a plan's route GeoJSON. */
export function sortieLatLngs(route, sortie) {
  const legs = (route?.features ?? [])
    .filter((f) => f.properties && f.properties.sortie === sortie && f.geometry?.type === "LineString")
    .sort((a, b) => a.properties.seq - b.properties.seq);
  const out = [];
  for (const leg of legs) {
    for (const [lon, lat] of leg.geometry.coordinates) {
      const last = out[out.length - 1];
      if (!last || last[0] !== lat || last[1] !== lon) out.push([lat, lon]);
    }
  }
  return out;
}

/** LatLngs of a stored patrol track (GeoJSON LineString or MultiLineString split at gaps). */
export function trackLatLngs(track) {
  const g = track?.geometry ?? track;
  if (!g?.coordinates) return [];
  const lines = g.type === "MultiLineString" ? g.coordinates : g.type === "LineString" ? [g.coordinates] : [];
  return lines.flat().map(([lon, lat]) => [lat, lon]);
}

/** {seq: [lat, lon]} of the items with a position in a "QGC WPL 110" file. */
export function waypointsBySeq(text) {
  const out = {};
  for (const line of String(text).split(/\r?\n/).slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 12) continue;
    const [seq, lat, lon] = [Number(f[0]), Number(f[8]), Number(f[9])];
    if (Number.isFinite(seq) && Number.isFinite(lat) && Number.isFinite(lon) && (lat !== 0 || lon !== 0)) {
      out[seq] = [lat, lon];
    }
  }
  return out;
}

export class PatrolRoutes {
  constructor(store, api, vehicleLayer) {
    this.store = store;
    this.api = api;
    this.vehicles = vehicleLayer;
    this.shown = new Map(); // sysid -> patrol id
    this.cache = new Map(); // `${plan}/${sortie}` -> {latlngs, waypoints, fence}
    this.fences = new Map(); // sysid -> the geofence layer of the patrol it flies
    store.on("patrols", () => this.refresh());
    store.on("vehicles", () => this.refresh());
  }

  async refresh() {
    const wanted = new Map();
    for (const p of this.store.patrols.values()) {
      if (isTerminalPatrol(p.state) || p.vehicle_id == null || p.plan_id == null) continue;
      const v = this.store.vehicleById(p.vehicle_id);
      if (v) wanted.set(v.sysid, p);
    }
    for (const sysid of [...this.shown.keys()]) {
      if (!wanted.has(sysid)) {
        this.vehicles.setRoute(sysid, null);
        this._fence(sysid, null);
        this.shown.delete(sysid);
      }
    }
    for (const [sysid, p] of wanted) {
      if (this.shown.get(sysid) === p.id) continue;
      this.shown.set(sysid, p.id);
      try {
        const detail = await this.api.get(`/api/patrols/${p.id}`);
        const route = await this.load(p.plan_id, detail.sortie ?? 1);
        if (this.shown.get(sysid) !== p.id) continue;
        this.vehicles.setRoute(sysid, route.latlngs, route.waypoints);
        this._fence(sysid, route.fence, p.id);
        this.vehicles.setPatrolTrack(sysid, trackLatLngs(detail.track));
      } catch {
        this.shown.delete(sysid); // try again on the next change
      }
    }
  }

  /** Draw (or remove, `feature` null) the geofence of the patrol vehicle `sysid` flies. */
  _fence(sysid, feature, patrolId) {
    this.fences.get(sysid)?.remove();
    this.fences.delete(sysid);
    if (!feature) return;
    const layer = L.geoJSON(feature, { style: () => FENCE_STYLE });
    layer.bindTooltip(t("layer.geofence", { id: patrolId }), { sticky: true });
    layer.addTo(this.vehicles.map);
    this.fences.set(sysid, layer);
  }

  async load(planId, sortie) {
    const key = `${planId}/${sortie}`;
    if (!this.cache.has(key)) {
      const plan = await this.api.get(`/api/plans/${planId}`);
      let waypoints = {};
      try {
        waypoints = waypointsBySeq(await this.api.get(`/api/plans/${planId}/export?format=waypoints&sortie=${sortie}`));
      } catch {
        waypoints = {};
      }
      this.cache.set(key, { latlngs: sortieLatLngs(plan.route, sortie), waypoints, fence: fenceFeature(plan.route) });
    }
    return this.cache.get(key);
  }
}
