// The "coverage freshness" overlay: the patrol zone's cells by time since a drone camera last saw
// them. Not seen for more than 24 h (or never) in red, fresh cells a light transparent green. The
// station merges the ~33 000 cells into one polygon per class; they are drawn on a canvas. Read
// again every minute while the layer is shown, and when a report is ready.
import { L } from "./map.js";
import { t } from "./i18n.js";
import { formatTime } from "./time.js";

const REFRESH_MS = 60000;
export const MAX_AGE_H = 24;
// Fills are opaque with a stroke of the same colour and the pane carries the transparency: the
// merged classes arrive as many touching strips, and translucent fills would show their seams.
export const STYLES = {
  fresh: { color: "#81c784", weight: 1, opacity: 1, fillColor: "#81c784", fillOpacity: 1 },
  stale: { color: "#e53935", weight: 1, opacity: 1, fillColor: "#e53935", fillOpacity: 1 },
  never: { color: "#e53935", weight: 1, opacity: 1, fillColor: "#e53935", fillOpacity: 1 },
};
const PANES = { fresh: ["freshness-fresh", "0.3"], old: ["freshness", "0.45"] };

/** Cells and square kilometres per class, and the fresh fraction, from the station's answer. */
export function freshnessCounts(fc) {
  const out = { fresh: 0, stale: 0, never: 0, km2: { fresh: 0, stale: 0, never: 0 } };
  for (const f of fc?.features ?? []) {
    const p = f.properties ?? {};
    if (p.class in out.km2) {
      out[p.class] = p.cells ?? 0;
      out.km2[p.class] = p.area_km2 ?? 0;
    }
  }
  out.total = fc?.properties?.cells ?? out.fresh + out.stale + out.never;
  out.freshFraction = fc?.properties?.fresh_fraction ?? (out.total ? out.fresh / out.total : 0);
  return out;
}

export class FreshnessLayer {
  constructor(siteMap, store, api) {
    this.map = siteMap.map;
    this.api = api;
    // Own panes: above the site's filled areas (the water would hide it), under the markers.
    const layer = (kind) => {
      const [name, opacity] = PANES[kind];
      if (!this.map.getPane(name)) {
        const pane = this.map.createPane(name);
        pane.style.zIndex = "450";
        pane.style.opacity = opacity;
        pane.style.pointerEvents = "none";
      }
      return L.geoJSON(null, {
        renderer: L.canvas({ padding: 0.2, pane: name }),
        pane: name,
        interactive: false,
        style: (f) => STYLES[f.properties?.class] ?? STYLES.never,
      });
    };
    this.fresh = layer("fresh");
    this.old = layer("old");
    this.layer = L.layerGroup([this.fresh, this.old]);
    this.data = null;
    this.timer = null;
    this.loading = null;
    this.legend = L.control({ position: "bottomleft" });
    this.legend.onAdd = () => {
      const box = L.DomUtil.create("div", "freshness-legend");
      box.dataset.testid = "freshness-legend";
      this.legendBox = box;
      this.renderLegend();
      return box;
    };
    siteMap.addOverlay(this.layer, "layer.freshness");
    this.map.on("overlayadd", (e) => {
      if (e.layer === this.layer) this.show();
    });
    this.map.on("overlayremove", (e) => {
      if (e.layer === this.layer) this.hide();
    });
    store.on("alert", (a) => {
      if (a && a.kind === "report_ready" && this.shown) this.load();
    });
  }

  get shown() {
    return this.map.hasLayer(this.layer);
  }

  show() {
    this.legend.addTo(this.map);
    this.load();
    clearInterval(this.timer);
    this.timer = setInterval(() => this.load(), REFRESH_MS);
  }

  hide() {
    clearInterval(this.timer);
    this.timer = null;
    this.legend.remove();
  }

  /** Read the grid from the station and redraw (one request at a time). */
  load() {
    if (this.loading) return this.loading;
    this.loading = this.api
      .get(`/api/freshness?max_age_h=${MAX_AGE_H}`)
      .then((fc) => {
        this.data = fc;
        this.error = null;
        this.fresh.clearLayers();
        this.old.clearLayers();
        for (const f of fc.features ?? []) (f.properties?.class === "fresh" ? this.fresh : this.old).addData(f);
      })
      .catch((err) => {
        this.error = err.message;
      })
      .finally(() => {
        this.loading = null;
        this.renderLegend();
      });
    return this.loading;
  }

  renderLegend() {
    const box = this.legendBox;
    if (!box) return;
    box.replaceChildren();
    const row = (cls, text) => {
      const el = L.DomUtil.create("div", "legend-row", box);
      L.DomUtil.create("span", `swatch swatch-${cls}`, el);
      el.append(text);
    };
    L.DomUtil.create("strong", "", box).textContent = t("freshness.title");
    if (this.error) {
      L.DomUtil.create("div", "error", box).textContent = t("error.generic", { detail: this.error });
    }
    if (!this.data) {
      L.DomUtil.create("div", "muted", box).textContent = "…";
      return;
    }
    const c = freshnessCounts(this.data);
    box.dataset.fresh = String(c.fresh);
    box.dataset.stale = String(c.stale);
    box.dataset.never = String(c.never);
    row("fresh", t("freshness.fresh", { h: MAX_AGE_H, pct: (c.freshFraction * 100).toFixed(1) }));
    row("stale", t("freshness.stale", { h: MAX_AGE_H, km2: (c.km2.stale + c.km2.never).toFixed(1) }));
    const at = this.data.properties?.at;
    const cell = this.data.properties?.cell_m;
    L.DomUtil.create("div", "muted", box).textContent = t("freshness.at", { time: formatTime(at), m: cell ?? "?" });
  }
}
