// The page in a command centre's role (/web/config.json says "role": "centre"): every
// station's drones, patrols, incidents and alerts from the centre's /ws/live, a station filter,
// and each drone and incident labelled with its station (vehicleName, incidentTitle). Flying,
// planning, schedules, reports and video stay with each station: none of them here. The
// filter asks the centre for one station's stream (?station=, kept in the page's address), so
// what the page holds is only what it shows; the centre enforces the user's own scope.
import { onLangChange, t } from "./i18n.js";
import { SiteMap, L } from "./map.js";
import { VehicleLayer } from "./vehicles.js";
import { IncidentLayer } from "./incidents.js";
import { Panel } from "./panel.js";
import { FreshnessLayer } from "./freshness.js";
import { LiveSocket } from "./live.js";
import { BaseMaps } from "./basemaps.js";
import { h, toast } from "./dom.js";
import { fitPopups, keepLayersOpenOnTap } from "./touch.js";
import { localizeMapControls, localizePopups } from "./maptexts.js";

/** Tabs of the station's page that the centre does not have. */
const STATION_ONLY_TABS = ["schedules", "admin"];

/** The station the page is filtered to (its address's ?station=), or null: all of them. */
export function stationFilter(search = location.search) {
  return new URLSearchParams(search).get("station") || null;
}

/** The live stream's path for the filter. */
export function livePath(station) {
  return station ? `/ws/live?station=${encodeURIComponent(station)}` : "/ws/live";
}

/**
 * Start the centre's page for the signed-in `store.user`. `hooks`: renderConnection(info),
 * renderWhoami(), logout(). Returns the live socket.
 */
export async function startCentre(store, api, config, hooks) {
  store.centre = true;
  document.body.dataset.centre = "1";
  for (const name of STATION_ONLY_TABS) {
    for (const el of document.querySelectorAll(`[data-tab="${name}"], [data-tab-body="${name}"]`)) el.hidden = true;
  }
  const siteMap = new SiteMap("map", config);
  const basemaps = new BaseMaps(siteMap);
  basemaps.load(api).catch((err) => toast(t("error.generic", { detail: err.message }), "error"));
  new VehicleLayer(siteMap, store);
  fitPopups(siteMap.map);
  keepLayersOpenOnTap(siteMap.layerControl);
  localizeMapControls(siteMap.map);
  localizePopups(siteMap.map);
  const incidents = new IncidentLayer(siteMap, store, api);
  const freshness = new FreshnessLayer(siteMap, store, api);
  const panel = new Panel(store, {
    openIncident: (id) => incidents.open(id),
    focusVehicle: (sysid) => {
      const v = store.vehicles.get(sysid);
      if (v && v.lat !== null && v.lat !== undefined) {
        siteMap.map.setView([v.lat, v.lon], Math.max(siteMap.map.getZoom(), 15));
      }
    },
    openReport: null,
    patrolActions: null,
    acknowledgeAlert: null,
  });
  const station = stationFilter();
  const select = h("select", {
    id: "station-filter",
    dataset: { testid: "station-filter" },
    "aria-label": t("centre.station"),
    onchange: () => {
      const url = new URL(location.href);
      if (select.value) url.searchParams.set("station", select.value);
      else url.searchParams.delete("station");
      location.assign(url.toString());
    },
  });
  const renderFilter = (names) => {
    select.replaceChildren(
      h("option", { value: "" }, t("centre.all_stations")),
      ...names.map((n) => h("option", { value: n, selected: n === station }, n)),
    );
    select.setAttribute("aria-label", t("centre.station"));
  };
  let names = station ? [station] : [];
  renderFilter(names);
  // an officer of one station has nothing to choose: the centre shows them that station only
  select.hidden = Boolean(store.user?.station);
  document.getElementById("conn").after(select);
  api
    .get("/api/centre/stations")
    .then((found) => {
      names = [...new Set([...found, ...names])].sort();
      renderFilter(names);
    })
    .catch((err) => toast(t("error.generic", { detail: err.message }), "error"));

  let fitted = false;
  store.on("vehicles", () => {
    const points = [...store.vehicles.values()].filter((v) => v.lat != null).map((v) => [v.lat, v.lon]);
    if (!fitted && points.length > 0) {
      fitted = true;
      siteMap.map.fitBounds(L.latLngBounds(points).pad(0.2), { maxZoom: 15 });
    }
  });
  store.on("user", hooks.renderWhoami);
  store.on("connection", hooks.renderConnection);
  onLangChange(() => {
    hooks.renderWhoami();
    hooks.renderConnection({ state: store.connection });
    renderFilter(names);
    panel.renderAll();
    incidents.renderAll();
    freshness.renderLegend();
    siteMap.relabel();
    basemaps.label();
    localizeMapControls(siteMap.map);
    siteMap.map.closePopup();
  });
  panel.renderAll();
  const live = new LiveSocket(
    () => api.token,
    {
      onMessage: (msg) => store.applyMessage(msg),
      onState: (state, info) => store.setConnection(state, info),
      onAuthRefused: hooks.logout,
    },
    livePath(station),
  );
  live.start();
  document.body.dataset.ready = "1";
  return live;
}
