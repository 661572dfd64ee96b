// Labels that declutter: the points of interest get their names on the map, and after every zoom,
// pan or drone move the labels are laid out again so that none covers another. Drone labels go
// first (the selected drone's before the others) and stack downwards where drones bunch up, as at
// the station; a point's name that would cover one already placed is hidden until there is room.
import { lang, onLangChange } from "./i18n.js";

//: which points' names win a place first (lower first)
const PRIORITY = {
  patrol_station: 0,
  airport: 1,
  swimming_drowning_risk: 2,
  river_outfall: 2,
  fishing_spot: 3,
  forest_fire_risk: 3,
  settlement: 4,
};
const STACK_TRIES = 6;

/** A point's name, short, in the page's language: the Chinese part of "中文 English (notes)"
 * names in Chinese, else the name up to its notes. */
export function shortName(name, language = lang()) {
  const text = String(name ?? "").trim();
  const cjk = text.match(/^[\u3400-\u9fff\u3000-\u303f\uff00-\uffef()（）·\s]+/u);
  if (language !== "en" && cjk && /[\u3400-\u9fff]/u.test(cjk[0])) {
    return cjk[0].replace(/\s*[(（]\s*$/u, "").trim();
  }
  const cut = (out) => (out.length > 28 ? `${out.slice(0, 27)}…` : out);
  for (const part of text.split(/\s+\/\s+/u)) {
    const bare = part
      .replace(/\s+-\s+[A-Z ]+$/u, "") // "- SYNTHETIC", "- APPROXIMATE"
      .replace(/\s*[(（][^)）]*[)）]/gu, "")
      .replace(/[\u3400-\u9fff]+/gu, "")
      .replace(/^[\s,·]+|[\s,·]+$/gu, "");
    if (/[A-Za-z]/u.test(bare)) return cut(bare);
  }
  const inner = text.match(/[(（]([^)）]*[A-Za-z][^)）]*)[)）]/u);
  return cut(inner ? inner[1].trim() : text);
}

function overlaps(a, b) {
  return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
}

export class MapLabels {
  constructor(siteMap, store) {
    this.siteMap = siteMap;
    this.map = siteMap.map;
    this.store = store;
    this.points = []; // [{layer, feature, category}]
    this.pending = false;
    for (const event of ["zoomend", "moveend", "resize", "overlayadd", "overlayremove", "legendtoggle"]) {
      this.map.on(event, () => this.schedule());
    }
    store.on("vehicle", () => this.schedule());
    store.on("vehicles", () => this.schedule());
    store.on("selected", () => this.schedule());
    onLangChange(() => this.relabel());
    this.schedule();
  }

  /** The site is loaded: name its points on the map. */
  siteLoaded() {
    for (const name of ["stations", "points_of_interest"]) {
      const layer = this.siteMap.overlays?.[name];
      if (!layer) continue;
      layer.eachLayer((l) => {
        const p = l.feature?.properties ?? {};
        if (!p.name) return;
        const category = name === "stations" ? "patrol_station" : (p.category ?? "other");
        l.bindTooltip(shortName(p.name), {
          permanent: true,
          direction: "right",
          offset: [category === "patrol_station" ? 17 : 7, 0], // clear of a drone parked there
          className: `poi-label poi-label-${category}`,
          interactive: false,
        });
        this.points.push({ layer: l, name: p.name, category });
      });
    }
    this.points.sort((a, b) => (PRIORITY[a.category] ?? 5) - (PRIORITY[b.category] ?? 5));
    this.schedule();
  }

  relabel() {
    for (const p of this.points) p.layer.setTooltipContent(shortName(p.name));
    this.schedule();
  }

  schedule() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.layout();
    });
  }

  /** Place the drone labels (stacking them), then the points' names that fit. */
  layout() {
    this.map.getContainer().dataset.zoom = String(this.map.getZoom()); // for tests and styles
    const placed = [];
    const selected = this.store.selected;
    const drones = [...document.querySelectorAll("[data-testid=vehicle-marker]")].sort((a, b) => {
      const sa = Number(a.dataset.sysid) === selected ? -1 : Number(a.dataset.sysid);
      const sb = Number(b.dataset.sysid) === selected ? -1 : Number(b.dataset.sysid);
      return sa - sb;
    });
    // the map's own controls (zoom, layers, legend) and the drones' arrows are never covered
    for (const el of this.map.getContainer().querySelectorAll(".leaflet-control"))
      placed.push(el.getBoundingClientRect());
    for (const el of drones)
      placed.push(el.querySelector(".veh-arrow")?.getBoundingClientRect() ?? el.getBoundingClientRect());
    // the station's name before the drones' (they park there), the other points' after
    const station = (p) => p.category === "patrol_station";
    this.placePoints(this.points.filter(station), placed);
    for (const el of drones) {
      const label = el.querySelector(".veh-label");
      if (!label) continue;
      label.style.marginTop = "0px";
      let rect = label.getBoundingClientRect();
      for (let n = 1; n <= STACK_TRIES && placed.some((r) => overlaps(r, rect)); n++) {
        label.style.marginTop = `${n * (rect.height + 2)}px`;
        rect = label.getBoundingClientRect();
      }
      label.dataset.stack = label.style.marginTop;
      placed.push(rect);
    }
    this.placePoints(
      this.points.filter((p) => !station(p)),
      placed,
    );
  }

  /** Show the names of `points` that cover nothing in `placed` (and add them to it). */
  placePoints(points, placed) {
    for (const p of points) {
      const el = p.layer.getTooltip()?.getElement();
      if (!el) continue;
      el.classList.remove("label-hidden");
      const rect = el.getBoundingClientRect();
      if (rect.width === 0 || placed.some((r) => overlaps(r, rect))) el.classList.add("label-hidden");
      else placed.push(rect);
    }
  }
}
