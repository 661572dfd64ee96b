// The map: the site's own vector layers from the API, over the base map chosen among those the
// station offers (./basemaps.js).
import * as L from "/static/vendor/leaflet/leaflet-src.esm.js";
import { t } from "./i18n.js";

const WATER = { color: "#2b7bb9", weight: 1, fillColor: "#8cc4ea", fillOpacity: 0.75 };
const PATROL_ZONE = { color: "#2e7d32", weight: 2, dashArray: "6 4", fill: false };
const SHORE = { color: "#7cb342", weight: 0, fillColor: "#c5e1a5", fillOpacity: 0.35 };
const NO_FLY = {
  no_fly: { color: "#c62828", weight: 2, fillColor: "#ef5350", fillOpacity: 0.12 },
  restricted: { color: "#ef6c00", weight: 2, dashArray: "4 3", fillColor: "#ffa726", fillOpacity: 0.12 },
  keep_out: { color: "#6a1b9a", weight: 2, fillColor: "#ab47bc", fillOpacity: 0.15 },
};
const HOTSPOT = { color: "#f9a825", weight: 1, dashArray: "3 3", fillColor: "#fff176", fillOpacity: 0.25 };
const RIVER = { color: "#1565c0", weight: 2, opacity: 0.8 };
const POI_COLOURS = {
  patrol_station: "#1b5e20",
  settlement: "#455a64",
  swimming_drowning_risk: "#0277bd",
  forest_fire_risk: "#d84315",
  fishing_spot: "#00838f",
  river_outfall: "#6d4c41",
  airport: "#c62828",
};

function polygonStyle(layerName, feature) {
  const p = feature.properties ?? {};
  if (feature.geometry?.type === "Point") return {}; // points are styled by pointMarker
  if (layerName === "patrol_areas") {
    if (p.kind === "water") return WATER;
    if (p.kind === "shore") return SHORE;
    return PATROL_ZONE;
  }
  if (layerName === "no_fly_zones") return NO_FLY[p.restriction] ?? NO_FLY.no_fly;
  if (layerName === "hotspot_zones") return HOTSPOT;
  if (layerName.includes("river") || layerName.includes("centerline")) return RIVER;
  return { color: "#546e7a", weight: 1, fillOpacity: 0.1 };
}

function pointMarker(layerName, feature, latlng) {
  const p = feature.properties ?? {};
  const category = layerName === "stations" ? "patrol_station" : p.category;
  const colour = POI_COLOURS[category] ?? "#37474f";
  const station = category === "patrol_station";
  return L.circleMarker(latlng, {
    radius: station ? 8 : 5,
    color: "#fff",
    weight: station ? 2 : 1,
    fillColor: colour,
    fillOpacity: 0.95,
    interactive: true,
    bubblingMouseEvents: false,
  });
}

function describe(feature) {
  const p = feature.properties ?? {};
  const rows = [p.name, p.category ?? p.kind ?? p.restriction, p.data_status].filter(Boolean);
  const box = document.createElement("div");
  box.className = "feature-popup";
  rows.forEach((text, i) => {
    const el = document.createElement(i === 0 ? "strong" : "div");
    el.textContent = String(text);
    box.append(el);
  });
  return box;
}

// Draw order: big areas first, points last.
const ORDER = ["patrol_areas", "hotspot_zones", "no_fly_zones"];
const LABELS = {
  patrol_areas: "layer.patrol_area",
  no_fly_zones: "layer.no_fly",
  hotspot_zones: "layer.hotspot",
  points_of_interest: "layer.poi",
  stations: "layer.stations",
};

export class SiteMap {
  constructor(element) {
    this.map = L.map(element, {
      zoomControl: true,
      attributionControl: true,
      preferCanvas: false,
      minZoom: 8,
      maxZoom: 19,
    });
    this.map.attributionControl.setPrefix("Leaflet");
    this.map.setView([29.05, 119.18], 12);
    this.overlays = {};
    this.labelled = []; // [layer, text key or raw name] in the control's order
    this.layerControl = L.control.layers({}, {}, { collapsed: true }).addTo(this.map);
    L.control.scale({ metric: true, imperial: false }).addTo(this.map);
  }

  /** Put `layer` in the layer control under the text `key` (in the page's language). */
  addOverlay(layer, key) {
    this.labelled.push([layer, key]);
    this.layerControl.addOverlay(layer, t(key));
  }

  /** Name the layer control's entries again after a language change (same order). */
  relabel() {
    for (const [layer] of this.labelled) this.layerControl.removeLayer(layer);
    for (const [layer, key] of this.labelled) this.layerControl.addOverlay(layer, t(key));
  }

  /** Fetch and draw every layer of the site; fit the view to its patrol area. */
  async loadSite(api) {
    const site = await api.get("/api/sites/current");
    const names = site.layers.map((l) => l.name);
    names.sort((a, b) => rank(a) - rank(b));
    let fit = null;
    for (const name of names) {
      const url = site.layers.find((l) => l.name === name).url;
      const geojson = await api.get(url);
      const layer = L.geoJSON(geojson, {
        style: (f) => polygonStyle(name, f),
        pointToLayer: (f, latlng) => pointMarker(name, f, latlng),
        onEachFeature: (f, l) => {
          if (f.geometry?.type === "Point") l.bindPopup(() => describe(f));
        },
        // Areas are not clickable: a click on the map is for reporting or sending a drone.
        interactive: false,
      });
      layer.addTo(this.map);
      this.overlays[name] = layer;
      this.addOverlay(layer, LABELS[name] ?? name);
      if (name === "patrol_areas" && layer.getBounds().isValid()) fit = layer.getBounds();
    }
    if (!fit && site.bbox.length === 4) {
      fit = L.latLngBounds([site.bbox[1], site.bbox[0]], [site.bbox[3], site.bbox[2]]);
    }
    if (fit) this.map.fitBounds(fit, { padding: [20, 20] });
    return site;
  }
}

function rank(name) {
  const i = ORDER.indexOf(name);
  return i === -1 ? ORDER.length : i;
}

export { L };

/** The site layers' styles, for the legend (./legend.js). */
export const STYLES = { WATER, PATROL_ZONE, SHORE, NO_FLY, HOTSPOT, RIVER, POI_COLOURS };
