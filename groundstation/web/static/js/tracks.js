// Finished tracks: when a drone's patrol ends its track is dimmed, and when the drone starts its
// next patrol the old track is cleared, so the map shows what each drone flies now.
import { isTerminalPatrol } from "./store.js";

export const DONE_STYLE = { opacity: 0.3 };
export const LIVE_STYLE = { opacity: 0.85 };

export class TrackFader {
  constructor(store, vehicleLayer) {
    this.store = store;
    this.vehicles = vehicleLayer;
    this.done = new Set(); // sysids whose track belongs to a finished patrol
    this.flying = new Map(); // sysid -> the patrol id it flies
    store.on("patrols", (p) => this.onPatrol(p));
  }

  onPatrol(p) {
    if (!p || p.vehicle_id === null || p.vehicle_id === undefined) return;
    const v = this.store.vehicleById(p.vehicle_id);
    if (!v) return;
    const line = this.vehicles.tracks.get(v.sysid);
    if (isTerminalPatrol(p.state)) {
      this.flying.delete(v.sysid);
      this.done.add(v.sysid);
      if (line) line.setStyle(DONE_STYLE);
      return;
    }
    const before = this.flying.get(v.sysid);
    this.flying.set(v.sysid, p.id);
    if (this.done.has(v.sysid) && before !== p.id) {
      this.done.delete(v.sysid);
      v.track = (v.track ?? []).slice(-1);
      if (line) line.setLatLngs(v.track).setStyle(LIVE_STYLE);
    }
  }
}
