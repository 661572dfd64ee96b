// Incidents: markers by type with a popup (time, type, description, photos, status, assignee),
// the report form (type, description, photos; at a clicked point or a drone's position), and for
// officers: assign and resolve. Changes come back over /ws/live to every open page.
import { L } from "./map.js";
import { h, toast } from "./dom.js";
import { t } from "./i18n.js";
import { formatTime } from "./time.js";
import { showForm } from "./dialog.js";
import { vehicleName } from "./vehicles.js";

export const INCIDENT_TYPES = [
  "illegal_fishing",
  "illegal_sand_mining",
  "pollution_discharge",
  "fire_or_smoke",
  "drowning_risk",
  "illegal_dumping",
  "poaching",
  "theft",
  "other",
];
const GLYPHS = {
  illegal_fishing: "渔",
  illegal_sand_mining: "砂",
  pollution_discharge: "污",
  fire_or_smoke: "火",
  drowning_risk: "溺",
  illegal_dumping: "倒",
  poaching: "猎",
  theft: "盗",
  other: "?",
};

/** "#12 Oil", or on a centre's page "river-a #12 Oil" (the station's own number). */
export function incidentTitle(i) {
  if (i.station) return `${i.station} #${i.station_incident_id} ${t(`incident.type.${i.type}`)}`;
  return `#${i.id} ${t(`incident.type.${i.type}`)}`;
}

export class IncidentLayer {
  constructor(siteMap, store, api) {
    this.map = siteMap.map;
    this.store = store;
    this.api = api;
    this.markers = new Map();
    this.group = L.layerGroup().addTo(this.map);
    this.extraActions = () => []; // (incident) -> [element]: added by the pilot controls
    store.on("incidents", () => this.renderAll());
    store.on("incident", (i) => this.render(i));
  }

  renderAll() {
    for (const [id, marker] of this.markers) {
      if (!this.store.incidents.has(id)) {
        this.group.removeLayer(marker);
        this.markers.delete(id);
      }
    }
    for (const i of this.store.incidents.values()) this.render(i);
  }

  render(raw) {
    const i = this.store.incidents.get(raw.id);
    let marker = this.markers.get(raw.id);
    if (!i) {
      if (marker) {
        this.group.removeLayer(marker);
        this.markers.delete(raw.id);
      }
      return;
    }
    const icon = L.divIcon({
      className: "inc-icon",
      html: `<div class="inc inc-${i.type} inc-${i.status}" data-testid="incident-marker" data-id="${i.id}">${GLYPHS[i.type] ?? "?"}</div>`,
      iconSize: [26, 26],
      iconAnchor: [13, 13],
      popupAnchor: [0, -12],
    });
    if (!marker) {
      marker = L.marker([i.lat_deg, i.lon_deg], { icon, bubblingMouseEvents: false });
      marker.bindPopup(() => this.popup(this.store.incidents.get(i.id) ?? i), { minWidth: 240 });
      marker.addTo(this.group);
      this.markers.set(i.id, marker);
    } else {
      marker.setLatLng([i.lat_deg, i.lon_deg]);
      marker.setIcon(icon);
      if (marker.isPopupOpen()) marker.setPopupContent(this.popup(i));
    }
  }

  open(id) {
    const marker = this.markers.get(id);
    if (!marker) return;
    this.map.panTo(marker.getLatLng());
    marker.openPopup();
  }

  popup(i) {
    const assignee = i.assigned_to ? this.store.users.get(i.assigned_to) : null;
    const photos = h("div", { class: "photos" });
    const box = h(
      "div",
      { class: "incident-popup", dataset: { testid: "incident-popup", id: i.id } },
      h("strong", {}, incidentTitle(i)),
      h(
        "dl",
        {},
        h("dt", {}, t("incident.reported_at")),
        h("dd", {}, formatTime(i.created_at)),
        h("dt", {}, t("incident.status")),
        h("dd", { dataset: { testid: "incident-status" } }, t(`incident.status.${i.status}`)),
        h("dt", {}, t("incident.assignee")),
        h("dd", {}, assignee ? assignee.full_name || assignee.username : t("incident.unassigned")),
      ),
      i.description ? h("p", { class: "description" }, i.description) : null,
      photos,
      this.actions(i),
      ...this.extraActions(i),
    );
    this.loadPhotos(i, photos);
    return box;
  }

  async loadPhotos(i, box) {
    const list = i.attachments ?? [];
    // the drone camera's photos around the incident (those its evidence packet carries)
    const camera = await this.api.get(`/api/incidents/${i.id}/camera-photos`).catch(() => ({ data: [] }));
    const shots = camera.data.map((p) => ({
      url: p.url,
      filename: `#${p.sysid} ${formatTime(p.taken_at)}`,
      camera: true,
    }));
    if (list.length === 0 && shots.length === 0) {
      box.append(h("span", { class: "muted" }, t("incident.no_photos")));
      return;
    }
    for (const a of [...list, ...shots]) {
      try {
        const url = await this.api.blobUrl(a.url);
        box.append(
          h(
            "a",
            { href: url, target: "_blank", rel: "noopener" },
            h("img", {
              src: url,
              alt: a.filename,
              title: a.camera ? t("incident.camera_photo", { name: a.filename }) : a.filename,
              class: "photo",
              dataset: { testid: a.camera ? "incident-camera-photo" : "incident-photo" },
            }),
          ),
        );
      } catch (err) {
        box.append(h("span", { class: "error" }, `${a.filename}: ${err.message}`));
      }
    }
  }

  actions(i) {
    if (!this.store.canManageIncidents) return null;
    const officers = [...this.store.users.values()].filter((u) => u.role === "officer" && u.active);
    const select = h(
      "select",
      { dataset: { testid: "assign-select" } },
      h("option", { value: "" }, t("incident.unassigned")),
      officers.map((u) => h("option", { value: u.id, selected: u.id === i.assigned_to }, u.full_name || u.username)),
    );
    const patch = async (body, okText) => {
      try {
        await this.api.patch(`/api/incidents/${i.id}`, body);
        toast(okText);
      } catch (err) {
        toast(t("error.generic", { detail: err.message }), "error");
      }
    };
    return h(
      "div",
      { class: "popup-actions" },
      select,
      h(
        "button",
        {
          type: "button",
          dataset: { testid: "assign" },
          onclick: () => patch({ assigned_to: select.value ? Number(select.value) : null }, t("incident.assign")),
        },
        t("incident.assign"),
      ),
      i.status === "resolved"
        ? h(
            "button",
            { type: "button", onclick: () => patch({ status: "open" }, t("incident.reopen")) },
            t("incident.reopen"),
          )
        : h(
            "button",
            {
              type: "button",
              class: "primary",
              dataset: { testid: "resolve" },
              onclick: () => patch({ status: "resolved" }, t("incident.resolve")),
            },
            t("incident.resolve"),
          ),
      h(
        "button",
        {
          type: "button",
          dataset: { testid: "export-evidence" },
          onclick: async () => {
            try {
              await this.api.download(`/api/incidents/${i.id}/evidence`, `incident-${i.id}-evidence.zip`);
              toast(t("incident.exported"));
            } catch (err) {
              toast(t("error.generic", { detail: err.message }), "error");
            }
          },
        },
        t("incident.export"),
      ),
    );
  }

  /** The report form at `latlng`; `vehicle` (optional) offers its position instead. */
  reportForm(latlng, vehicle = null) {
    let position = { lat: latlng.lat, lon: latlng.lng };
    let fromVehicle = null; // set when the drone's position is used
    const where = h("output", { dataset: { testid: "incident-position" } });
    const showWhere = () => {
      where.textContent = `${position.lat.toFixed(5)}, ${position.lon.toFixed(5)}`;
    };
    showWhere();
    const type = h(
      "select",
      { name: "type", dataset: { testid: "incident-type" } },
      INCIDENT_TYPES.map((k) => h("option", { value: k }, t(`incident.type.${k}`))),
    );
    const description = h("textarea", {
      name: "description",
      rows: 3,
      maxlength: 4000,
      dataset: { testid: "incident-description" },
    });
    const photos = h("input", {
      type: "file",
      name: "photos",
      accept: "image/*",
      multiple: true,
      dataset: { testid: "incident-photos" },
    });
    const error = h("p", { class: "error", role: "alert", hidden: true });
    const submit = h(
      "button",
      { type: "submit", class: "primary", dataset: { testid: "incident-submit" } },
      t("incident.submit"),
    );
    const useVehicle =
      vehicle && vehicle.lat !== null
        ? h(
            "button",
            {
              type: "button",
              dataset: { testid: "incident-use-vehicle" },
              onclick: () => {
                position = { lat: vehicle.lat, lon: vehicle.lon };
                fromVehicle = vehicle;
                showWhere();
              },
            },
            t("incident.use_vehicle", { name: vehicleName(vehicle) }),
          )
        : null;
    const form = h(
      "form",
      { class: "dialog-body", dataset: { testid: "incident-form" } },
      h("h2", {}, t("incident.new")),
      h("label", {}, t("incident.position"), " ", where),
      useVehicle,
      h("label", {}, t("incident.type"), type),
      h("label", {}, t("incident.description"), description),
      h("label", {}, t("incident.photos"), photos),
      error,
      h(
        "div",
        { class: "dialog-actions" },
        h("button", { type: "button", onclick: () => close() }, t("incident.cancel")),
        submit,
      ),
    );
    const close = showForm(form);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      submit.disabled = true;
      error.hidden = true;
      try {
        const incident = await this.api.post("/api/incidents", {
          type: type.value,
          lat_deg: position.lat,
          lon_deg: position.lon,
          description: description.value,
          vehicle_id: fromVehicle?.vehicleId ?? null,
        });
        for (const file of photos.files) {
          await this.api.upload(`/api/incidents/${incident.id}/attachments`, file, {
            lat_deg: position.lat,
            lon_deg: position.lon,
          });
        }
        close();
        toast(t("incident.created", { id: incident.id }));
      } catch (err) {
        error.textContent = t("error.generic", { detail: err.message });
        error.hidden = false;
        submit.disabled = false;
      }
    });
  }

  reset() {
    this.group.clearLayers();
    this.markers.clear();
  }
}
