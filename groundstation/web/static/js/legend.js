// The map's legend: what each colour and shape means (site zones by type, points of interest by
// category, the station, the drones each in its own colour, routes and tracks). Collapsed to a
// button on a phone; open on a desktop.
import { L, STYLES } from "./map.js";
import { addTexts, t } from "./i18n.js";
import { clear, h } from "./dom.js";
import { droneColour } from "./colours.js";
import { vehicleName } from "./vehicles.js";

addTexts({
  "zh-CN": {
    "legend.title": "图例",
    "legend.zones": "区域",
    "legend.points": "标注点",
    "legend.drones": "无人机",
    "legend.water": "水面巡逻区",
    "legend.shore": "岸带",
    "legend.patrol_zone": "巡逻区边界",
    "legend.no_fly": "禁飞区（机场净空）",
    "legend.restricted": "限飞区（城镇上空）",
    "legend.keep_out": "高压线走廊（禁入）",
    "legend.hotspot": "重点区域",
    "legend.river": "河道中心线",
    "legend.route": "巡逻航线（虚线）",
    "legend.track": "已飞航迹（实线）",
    "legend.track_done": "已结束的航迹（淡色）",
    "legend.rally": "备降点",
    "poi.patrol_station": "无人机巡逻站",
    "poi.settlement": "村镇",
    "poi.swimming_drowning_risk": "野泳溺水风险点",
    "poi.forest_fire_risk": "森林火险点",
    "poi.fishing_spot": "钓鱼点",
    "poi.river_outfall": "排污口",
    "poi.airport": "机场",
    "poi.other": "其他标注点",
  },
  en: {
    "legend.title": "Legend",
    "legend.zones": "Zones",
    "legend.points": "Marked points",
    "legend.drones": "Drones",
    "legend.water": "Water patrol area",
    "legend.shore": "Shore strip",
    "legend.patrol_zone": "Patrol area boundary",
    "legend.no_fly": "No-fly zone (airport clearance)",
    "legend.restricted": "Restricted (over towns)",
    "legend.keep_out": "Power-line corridor (keep out)",
    "legend.hotspot": "Hotspot",
    "legend.river": "River centre line",
    "legend.route": "Planned route (dashed)",
    "legend.track": "Track flown (solid)",
    "legend.track_done": "Finished track (faded)",
    "legend.rally": "Rally point",
    "poi.patrol_station": "Drone patrol station",
    "poi.settlement": "Village or town",
    "poi.swimming_drowning_risk": "Drowning risk (wild swimming)",
    "poi.forest_fire_risk": "Forest fire risk",
    "poi.fishing_spot": "Fishing spot",
    "poi.river_outfall": "Outfall",
    "poi.airport": "Airport",
    "poi.other": "Other marked point",
  },
});

const ZONES = [
  ["water", STYLES.WATER, "area"],
  ["shore", STYLES.SHORE, "area"],
  ["patrol_zone", STYLES.PATROL_ZONE, "area"],
  ["no_fly", STYLES.NO_FLY.no_fly, "area"],
  ["restricted", STYLES.NO_FLY.restricted, "area"],
  ["keep_out", STYLES.NO_FLY.keep_out, "area"],
  ["hotspot", STYLES.HOTSPOT, "area"],
  ["river", STYLES.RIVER, "line"],
];

/** A small SVG sample of a Leaflet path style: an area (a square) or a line. */
function sample(style, shape) {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("width", "22");
  svg.setAttribute("height", "14");
  svg.setAttribute("class", "legend-sample");
  svg.setAttribute("aria-hidden", "true");
  const el = document.createElementNS("http://www.w3.org/2000/svg", shape === "line" ? "line" : "rect");
  if (shape === "line") {
    for (const [k, v] of Object.entries({ x1: 1, y1: 7, x2: 21, y2: 7 })) el.setAttribute(k, v);
  } else {
    for (const [k, v] of Object.entries({ x: 2, y: 2, width: 18, height: 10 })) el.setAttribute(k, v);
  }
  const fill = style.fill === false || shape === "line" ? "none" : (style.fillColor ?? style.color);
  el.setAttribute("fill", fill);
  el.setAttribute("fill-opacity", String(style.fillOpacity ?? 0.2));
  el.setAttribute("stroke", style.weight === 0 ? "none" : (style.color ?? "#333"));
  el.setAttribute("stroke-width", String(Math.max(1, style.weight ?? 2)));
  if (style.dashArray) el.setAttribute("stroke-dasharray", style.dashArray);
  if (style.opacity !== undefined) el.setAttribute("stroke-opacity", String(style.opacity));
  svg.append(el);
  return svg;
}

function dot(colour, size = 10) {
  return h("span", { class: "legend-dot", style: `background:${colour};width:${size}px;height:${size}px` });
}

export class MapLegend {
  constructor(siteMap, store) {
    this.map = siteMap.map;
    this.siteMap = siteMap;
    this.store = store;
    this.categories = new Set(); // POI categories present on the site
    this.rally = false;
    this.drones = new Set();
    this.open = window.matchMedia("(min-width: 700px)").matches;
    this.control = L.control({ position: "topright" }); // under the layer switch
    this.control.onAdd = () => {
      this.box = L.DomUtil.create("div", "map-legend");
      this.box.dataset.testid = "legend";
      L.DomEvent.disableClickPropagation(this.box);
      L.DomEvent.disableScrollPropagation(this.box);
      this.render();
      return this.box;
    };
    this.control.addTo(this.map);
    store.on("vehicles", () => this.noteDrones());
    store.on("vehicle", () => this.noteDrones());
  }

  /** The site is loaded: list the categories of its points (and rally points, if it has any). */
  siteLoaded(rally = false) {
    this.rally = rally;
    for (const name of ["points_of_interest", "stations"]) {
      const layer = this.siteMap.overlays?.[name];
      if (!layer) continue;
      layer.eachLayer((l) => {
        const p = l.feature?.properties ?? {};
        const category = name === "stations" ? "patrol_station" : p.category;
        this.categories.add(category in STYLES.POI_COLOURS ? category : "other");
      });
    }
    this.render();
  }

  noteDrones() {
    const now = [...this.store.vehicles.keys()].sort((a, b) => a - b).join(",");
    if (now !== [...this.drones].join(",")) {
      this.drones = new Set(now ? now.split(",").map(Number) : []);
      this.render();
    }
  }

  render() {
    if (!this.box) return;
    // The toggle stays in the DOM across renders: Leaflet keeps a click on it from reaching the
    // map only while the button is still inside the legend when the click bubbles.
    if (!this.toggle) {
      this.toggle = h("button", {
        type: "button",
        class: "legend-toggle",
        dataset: { testid: "legend-toggle" },
        onclick: () => {
          this.open = !this.open;
          this.render();
          this.map.fire("legendtoggle"); // the labels lay themselves out again
        },
      });
      this.body = h("div", { class: "legend-body" });
      this.box.append(this.toggle, this.body);
    }
    this.toggle.textContent = t("legend.title");
    this.toggle.setAttribute("aria-expanded", String(this.open));
    clear(this.body);
    this.body.hidden = !this.open;
    if (!this.open) return;
    const row = (testid, symbol, text) =>
      h("li", { dataset: { testid: "legend-item", key: testid } }, symbol, h("span", {}, text));
    const poiColour = (c) => STYLES.POI_COLOURS[c] ?? "#37474f";
    const known = Object.keys(STYLES.POI_COLOURS);
    const points = [...this.categories].sort((a, b) => {
      const i = known.indexOf(a);
      const j = known.indexOf(b);
      return (i === -1 ? 99 : i) - (j === -1 ? 99 : j);
    });
    this.body.append(
      h(
        "div",
        {}, // h() flattens the optional groups; append() would not
        h("h4", {}, t("legend.zones")),
        h(
          "ul",
          {},
          ZONES.map(([key, style, shape]) => row(key, sample(style, shape), t(`legend.${key}`))),
        ),
        points.length
          ? [
              h("h4", {}, t("legend.points")),
              h(
                "ul",
                {},
                points.map((c) =>
                  row(
                    `poi-${c}`,
                    dot(poiColour(c), c === "patrol_station" ? 14 : 10),
                    t(known.includes(c) ? `poi.${c}` : "poi.other"),
                  ),
                ),
              ),
            ]
          : null,
        h("h4", {}, t("legend.drones")),
        h(
          "ul",
          {},
          [...this.drones].map((sysid) => {
            const v = this.store.vehicles.get(sysid);
            return row(`drone-${sysid}`, dot(droneColour(sysid), 12), v ? vehicleName(v) : `#${sysid}`);
          }),
          row("route", sample({ color: "#555", weight: 2, dashArray: "6 6" }, "line"), t("legend.route")),
          row("track", sample({ color: "#555", weight: 2 }, "line"), t("legend.track")),
          row("track-done", sample({ color: "#555", weight: 2, opacity: 0.3 }, "line"), t("legend.track_done")),
          this.rally ? row("rally", h("span", { class: "rally-marker legend-rally" }, "R"), t("legend.rally")) : null,
        ),
      ),
    );
  }
}
