// What the page knows: vehicles by system id, patrols, incidents, alerts, users, recordings.
// Live messages are applied by id (objects) or sysid (vehicles), so a change that arrives both in a
// snapshot and as an event gives the same result. Listeners are told which part changed.

const MAX_ALERTS = 200;
const TERMINAL_PATROL = new Set(["reported", "aborted", "failed"]);

/**
 * What the page reads from a vehicle frame, the station's one vehicle shape (`VehicleFrame` in
 * docs/live-protocol.md: live frames, batches and the snapshot's vehicles alike): the page's
 * name for each value -> its path in the frame. tests/browser/test_live_map_protocol.py checks
 * every path against the protocol's schema.
 */
export const VEHICLE_FRAME_FIELDS = Object.freeze({
  sysid: "sysid",
  vehicleId: "vehicle_id",
  name: "name",
  lat: "lat_deg",
  lon: "lon_deg",
  alt: "alt_rel_m",
  heading: "heading_deg",
  speed: "speed_m_s",
  battery: "battery_pct",
  mode: "mode",
  armed: "armed",
  paused: "paused",
  linkStatus: "link.status",
  lastHeardS: "link.last_heard_s",
  missionSeq: "mission_seq",
  missionTotal: "mission_total",
  voltage: "voltage_v",
  gpsFix: "gps_fix",
  satellites: "satellites",
  homeLat: "home_lat_deg",
  homeLon: "home_lon_deg",
  flightTimeS: "flight_time_s",
  windSpeed: "wind_speed_m_s",
  windDir: "wind_dir_deg",
  radioRssi: "radio_rssi_pct",
  radioRemrssi: "radio_remrssi_pct",
  lossPct: "link.loss_pct",
  landedState: "landed_state",
  safety: "safety",
  commandedBy: "commanded_by",
});

/** Values whose null means "no longer" (disarmed: no flight time, no margin), not "not sent". */
const NULL_CLEARS = new Set(["safety", "flightTimeS", "commandedBy"]);

/** The page's view of a vehicle frame; a value the frame does not know (null) is null. */
export function vehicleFromFrame(frame) {
  const out = {};
  for (const [key, path] of Object.entries(VEHICLE_FRAME_FIELDS)) {
    let value = frame;
    for (const part of path.split(".")) value = value?.[part];
    out[key] = value ?? null;
  }
  return out;
}

export class Store {
  constructor() {
    this.user = null;
    this.vehicles = new Map(); // sysid -> vehicle
    this.patrols = new Map();
    this.incidents = new Map();
    this.alerts = [];
    this.recordings = new Map(); // sysid -> the station's last video.recording
    this.users = new Map();
    this.plans = new Map();
    this.site = null;
    this.selected = null; // sysid
    this.centre = false; // a command centre's page (centre.js): it watches, the stations fly
    this.connection = "connecting";
    this.clockOffsetMs = null; // page clock minus station clock (smallest seen: least delayed)
    this._listeners = new Map();
  }

  /** Learn the page's clock offset from a message's `ts` (station time, ISO UTC). */
  noteStationClock(ts, now = Date.now()) {
    const at = ts ? Date.parse(ts) : NaN;
    if (Number.isNaN(at)) return;
    const offset = now - at;
    if (this.clockOffsetMs === null || offset < this.clockOffsetMs) this.clockOffsetMs = offset;
  }

  /** A station timestamp on this page's clock (now when unknown). */
  stationTime(ts) {
    const at = ts ? Date.parse(ts) : NaN;
    if (Number.isNaN(at)) return Date.now();
    return at + (this.clockOffsetMs ?? 0);
  }

  on(part, fn) {
    if (!this._listeners.has(part)) this._listeners.set(part, new Set());
    this._listeners.get(part).add(fn);
  }

  emit(part, detail) {
    for (const fn of this._listeners.get(part) ?? []) fn(detail);
  }

  get role() {
    return this.user?.role ?? null;
  }

  /** Pilots (and admins, who stand in for anyone) fly the drones. */
  get canFly() {
    return !this.centre && (this.role === "pilot" || this.role === "admin");
  }

  /** Officers (and admins) assign and resolve incidents. */
  get canManageIncidents() {
    return !this.centre && (this.role === "officer" || this.role === "admin");
  }

  /**
   * Merge a vehicle frame made by the station at `ts`; null fields never erase a known value.
   * A frame of a vehicle the station has heard dates it (`seenAt`); an offline one does not.
   */
  mergeVehicle(frame, ts = null) {
    const v = vehicleFromFrame(frame);
    if (typeof v.sysid !== "number") return null;
    const fromFrame = v.linkStatus !== "offline";
    const known = this.vehicles.get(v.sysid) ?? { sysid: v.sysid, track: [] };
    for (const [k, value] of Object.entries(v)) if (value !== null || NULL_CLEARS.has(k)) known[k] = value;
    // a centre's frame: whose drone it is (sysid is then the centre's key, not the station's)
    if (typeof frame.station === "string") {
      known.station = frame.station;
      known.stationSysid = frame.station_sysid ?? null;
    }
    // When the station made the frame, on this page's clock (see stationTime).
    if (fromFrame) known.seenAt = this.stationTime(ts);
    if (fromFrame && known.lat !== null && known.lon !== null && v.lat !== null) {
      const last = known.track[known.track.length - 1];
      if (!last || last[0] !== known.lat || last[1] !== known.lon) {
        known.track.push([known.lat, known.lon]);
        if (known.track.length > 5000) known.track.splice(0, known.track.length - 5000);
      }
    }
    this.vehicles.set(v.sysid, known);
    return known;
  }

  vehicleById(id) {
    for (const v of this.vehicles.values()) if (v.vehicleId === id) return v;
    return null;
  }

  applySnapshot(data, ts) {
    this.user = data.user ?? this.user;
    for (const frame of data.vehicles ?? []) this.mergeVehicle(frame, ts);
    this.patrols = new Map((data.patrols ?? []).map((p) => [p.id, p]));
    // stored alerts still open (the safety watch): kept until someone acknowledges them
    if (Array.isArray(data.alerts)) {
      const fresh = data.alerts.map((a) => ({ ...a, ts: a.last_at ?? ts }));
      const ids = new Set(fresh.map((a) => a.id));
      this.alerts = [...fresh, ...this.alerts.filter((a) => a.id == null || !ids.has(a.id))];
      this.emit("alert", null);
    }
    this.incidents = new Map((data.incidents ?? []).map((i) => [i.id, i]));
    this.emit("user", this.user);
    this.emit("vehicles", null);
    this.emit("patrols", null);
    this.emit("incidents", null);
  }

  applyMessage(msg) {
    const data = msg.data ?? {};
    this.noteStationClock(msg.ts);
    switch (msg.type) {
      case "snapshot":
        this.applySnapshot(data, msg.ts);
        break;
      case "vehicle.frame": {
        const v = this.mergeVehicle(data, msg.ts);
        if (v) this.emit("vehicle", v);
        break;
      }
      case "vehicle.frames": // frames that waited together: each one as a vehicle.frame
        for (const frame of Array.isArray(msg.data) ? msg.data : []) {
          const v = this.mergeVehicle(frame ?? {}, msg.ts);
          if (v) this.emit("vehicle", v);
        }
        break;
      case "patrol.state":
      case "patrol.progress":
        this.applyPatrol(data, msg.ts);
        break;
      case "incident.created":
      case "incident.updated":
        this.applyIncident(data);
        break;
      case "alert":
        this.addAlert({ ...data, ts: msg.ts });
        break;
      case "video.recording": // a drone's recording started or stopped, and why
        this.applyRecording(data);
        break;
      default:
        break; // unknown types are ignored (protocol v1)
    }
  }

  applyPatrol(p, ts) {
    const before = this.patrols.get(p.id);
    if (!p.state && !before) return; // progress of a patrol this page does not follow
    const merged = { ...(before ?? {}), ...p };
    if (TERMINAL_PATROL.has(p.state)) this.patrols.delete(p.id);
    else this.patrols.set(p.id, merged);
    this.emit("patrols", merged);
    const told = this.alerts.some((a) => a.patrol_id === p.id && a.kind === "failure");
    if (p.state === "failed" && before?.state !== "failed" && !told) {
      const why = { reason_code: merged.reason_code, reason_params: merged.reason_params };
      this.addAlert({ level: "critical", kind: "failure", patrol_id: p.id, text: p.reason ?? "", ...why, ts });
    }
  }

  applyIncident(i) {
    if (i.status === "resolved") this.incidents.delete(i.id);
    else this.incidents.set(i.id, { ...(this.incidents.get(i.id) ?? {}), ...i });
    this.emit("incident", i);
  }

  /** A drone's recording state (`RecordingState`): from the stream or the camera list. */
  applyRecording(state) {
    if (typeof state.sysid !== "number") return;
    this.recordings.set(state.sysid, state);
    this.emit("recording", state);
  }

  addAlert(alert) {
    // a stored alert (it has an id): a repeat or an acknowledgement replaces it
    if (alert.id != null) {
      const at = this.alerts.findIndex((a) => a.id === alert.id);
      if (at >= 0) this.alerts.splice(at, 1);
    }
    this.alerts.unshift({ ...alert, ts: alert.ts ?? new Date().toISOString() });
    if (this.alerts.length > MAX_ALERTS) this.alerts.length = MAX_ALERTS;
    this.emit("alert", this.alerts[0]);
  }

  select(sysid) {
    this.selected = sysid;
    this.emit("selected", sysid);
  }

  setConnection(state, info) {
    this.connection = state;
    this.emit("connection", { state, ...info });
  }
}

export function isTerminalPatrol(state) {
  return TERMINAL_PATROL.has(state);
}
