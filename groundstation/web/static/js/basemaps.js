// Base maps under the site's layers: the sources the station offers (GET /api/map/basemaps),
// as radio buttons in the layer control with "no base map"; the choice kept in this browser.
// Every tile comes from the station (/tiles/…): it reads local files and fetches internet
// sources itself, so the page never talks to anyone else. Vector tiles (PMTiles, MBTiles of
// Mapbox Vector Tiles) are drawn by protomaps-leaflet (npm, served from node_modules).
import { L } from "./map.js";
import { addTexts, lang, t } from "./i18n.js";
import { toast } from "./dom.js";

addTexts({
  "zh-CN": { "basemap.none": "无底图" },
  en: { "basemap.none": "No base map" },
});

const CHOICE_KEY = "ecopatrol.basemap";
const NONE = "none";
const PROTOMAPS = "/static/vendor/protomaps-leaflet/protomaps-leaflet.js";
const MAX_ZOOM = 19;

let protomaps = null;

/** protomaps-leaflet, loaded on first use (a classic script on the global `L` of geoman.js). */
function loadProtomaps() {
  protomaps ??= new Promise((resolve, reject) => {
    globalThis.L ??= { ...L };
    const script = Object.assign(document.createElement("script"), { src: PROTOMAPS });
    script.onload = () => resolve(globalThis.protomapsL);
    script.onerror = () => reject(new Error(`could not load ${PROTOMAPS}`));
    document.head.append(script);
  });
  return protomaps;
}

/** `text` safe to hand to Leaflet's attribution control, which shows it as HTML. */
function escapeHtml(text) {
  const el = document.createElement("span");
  el.textContent = text;
  return el.innerHTML;
}

/** The Leaflet layer drawing `source` (its tile layers bottom first, as one group). */
async function makeLayer(source) {
  const attribution = escapeHtml(source.attribution);
  const common = {
    attribution,
    minNativeZoom: source.min_zoom,
    maxNativeZoom: source.max_zoom,
    maxZoom: MAX_ZOOM,
  };
  if (source.format === "vector") {
    const pm = await loadProtomaps();
    return pm.leafletLayer({
      attribution,
      maxZoom: MAX_ZOOM,
      url: source.tiles[0],
      flavor: "light",
      lang: lang() === "zh-CN" ? "zh" : "en",
      maxDataZoom: source.max_zoom,
      className: "basemap-vector",
    });
  }
  const layers = source.tiles.map((url, i) =>
    L.tileLayer(url, { ...common, attribution: i === 0 ? attribution : "", className: "basemap-raster" }),
  );
  return layers.length === 1 ? layers[0] : L.layerGroup(layers);
}

export class BaseMaps {
  constructor(siteMap) {
    this.map = siteMap.map;
    this.control = siteMap.layerControl;
    this.entries = []; // {id, layer, source|null}, in the control's order
    this.map.on("baselayerchange", (e) => {
      const entry = this.entries.find((x) => x.layer === e.layer);
      if (entry) {
        localStorage.setItem(CHOICE_KEY, entry.id);
        this.map.getContainer().dataset.basemap = entry.id;
      }
    });
  }

  /** Learn the station's base maps and show the remembered one (else the station's default). */
  async load(api) {
    const list = await api.get("/api/map/basemaps");
    for (const problem of list.problems) toast(t("map.tiles_error", { detail: problem.detail }), "error");
    this.entries = [{ id: NONE, layer: L.layerGroup(), source: null }];
    for (const source of list.data) {
      try {
        this.entries.push({ id: source.id, layer: await makeLayer(source), source });
      } catch (err) {
        toast(t("map.tiles_error", { detail: err.message }), "error");
      }
    }
    this.label();
    const saved = localStorage.getItem(CHOICE_KEY);
    const pick = this.entries.find((e) => e.id === saved) ?? this.entries.find((e) => e.id === list.default);
    const entry = pick ?? this.entries[0];
    entry.layer.addTo(this.map);
    this.map.getContainer().dataset.basemap = entry.id;
  }

  /** After a language change: name the entries again, and redraw vector maps with their
   * place names in the new language (protomaps-leaflet picks them when a layer is made). */
  async relabel() {
    for (const { layer } of this.entries) this.control.removeLayer(layer);
    for (const entry of this.entries) {
      if (entry.source?.format !== "vector") continue;
      const layer = await makeLayer(entry.source);
      if (this.map.hasLayer(entry.layer)) {
        this.map.removeLayer(entry.layer);
        layer.addTo(this.map);
      }
      entry.layer = layer;
    }
    this.label();
  }

  /** Name the entries in the page's language. */
  label() {
    for (const { layer } of this.entries) this.control.removeLayer(layer);
    for (const { layer, source } of this.entries) {
      const name = source ? (lang() === "zh-CN" ? source.name_zh : source.name_en) : t("basemap.none");
      this.control.addBaseLayer(layer, name);
    }
  }
}
