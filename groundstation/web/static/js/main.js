// The live map page: login, then the map, the live stream and the panels, wired together.
import "./geoman.js"; // drawing tools, before any map is made (see there)
import { hasText, initLang, onLangChange, t, toggleLang } from "./i18n.js";
import { Api } from "./api.js";
import { Store } from "./store.js";
import { LiveSocket } from "./live.js";
import { startCentre } from "./centre.js";
import { SiteMap, L } from "./map.js";
import { BaseMaps } from "./basemaps.js";
import { VehicleLayer, vehicleName } from "./vehicles.js";
import { IncidentLayer } from "./incidents.js";
import { Panel, setupTabs, showTab } from "./panel.js";
import { PilotControls } from "./controls.js";
import { PatrolRoutes } from "./patrolroutes.js";
import { Instruments } from "./instruments.js";
import { fitPopups, keepLayersOpenOnTap } from "./touch.js";
import { localizeMapControls, localizePopups } from "./maptexts.js";
import { SchedulesTab } from "./schedules.js";
import { ReportsSection } from "./reports.js";
import { FreshnessLayer } from "./freshness.js";
import { PhotoLayer, VideoPanes } from "./video.js";
import { setTimeZone } from "./time.js";
import { h, toast } from "./dom.js";
import { Planner } from "./planner.js";
import { MapLegend } from "./legend.js";
import { MapLabels } from "./labels.js";
import { FollowMode } from "./follow.js";
import { TrackFader } from "./tracks.js";
import { drawRallyPoints } from "./rally.js";
import { AdminTab } from "./admin.js";
import { passwordForm } from "./password.js";
import { showForm } from "./dialog.js";
import { explainLoginError } from "./errors.js";

const TOKEN_KEY = "ecopatrol.token";
const MEDIA_POLL_MS = 10000;
const api = new Api();
const store = new Store();
let config = {};
let live = null;

async function boot() {
  try {
    config = await (await fetch("/web/config.json")).json();
  } catch {
    config = {};
  }
  initLang(config.default_lang ?? "zh-CN");
  setTimeZone(config.time_zone);
  for (const b of document.querySelectorAll(".lang-switch")) b.addEventListener("click", toggleLang);
  document.getElementById("login-form").addEventListener("submit", onLogin);
  document.getElementById("logout").addEventListener("click", logout);
  api.onUnauthorized = logout;
  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) {
    api.token = saved;
    try {
      const me = await api.get("/api/me");
      if (me.must_change_password) showPasswordChange();
      else await startApp(me);
      return;
    } catch {
      api.token = null;
      sessionStorage.removeItem(TOKEN_KEY);
    }
  }
  showLogin();
}

function showLogin() {
  document.getElementById("app").hidden = true;
  document.getElementById("login").hidden = false;
  document.getElementById("login-username").focus();
}

async function onLogin(event) {
  event.preventDefault();
  const error = document.getElementById("login-error");
  const submit = document.getElementById("login-submit");
  error.hidden = true;
  submit.disabled = true;
  try {
    const data = await api.login(
      document.getElementById("login-username").value.trim(),
      document.getElementById("login-password").value,
    );
    sessionStorage.setItem(TOKEN_KEY, data.access_token);
    if (data.user.must_change_password) showPasswordChange();
    else await startApp(data.user);
  } catch (err) {
    error.textContent = t("login.failed", { detail: explainLoginError(err) });
    error.hidden = false;
  } finally {
    submit.disabled = false;
  }
}

/** Signed in with a password an admin set: the station allows nothing but choosing one's own. */
function showPasswordChange() {
  document.getElementById("login").hidden = true;
  document.getElementById("app").hidden = true;
  const section = document.getElementById("password-change");
  section.hidden = false;
  const render = () => {
    const form = passwordForm({
      api,
      forced: true,
      onLogout: logout,
      onDone: async (answer) => {
        sessionStorage.setItem(TOKEN_KEY, answer.access_token);
        section.hidden = true;
        section.replaceChildren();
        toast(t("password.done"));
        await startApp(answer.user);
      },
    });
    form.append(
      h(
        "div",
        { class: "lang-row" },
        h("button", { type: "button", class: "lang-switch link", onclick: toggleLang }, t("lang.other")),
      ),
    );
    section.replaceChildren(form);
    form.elements.current.focus();
  };
  render();
  onLangChange(() => {
    if (!section.hidden) render();
  });
}

/** Change one's own password by choice (the name in the top bar): a form in the dialog. */
function openPasswordDialog() {
  const close = showForm(
    passwordForm({
      api,
      forced: false,
      onCancel: () => close(),
      before: () => live?.stop(),
      after: () => live?.start(),
      onDone: (answer) => {
        sessionStorage.setItem(TOKEN_KEY, answer.access_token);
        store.user = answer.user;
        close();
        toast(t("password.done"));
      },
    }),
  );
}

async function logout() {
  if (live) live.stop();
  await api.logout();
  sessionStorage.removeItem(TOKEN_KEY);
  location.reload();
}

/** The site's name in the page's language (`site.<code>`), else as the station calls it. */
function renderSiteName() {
  const name = store.site?.name;
  if (!name) return;
  document.getElementById("site-name").textContent = hasText(`site.${name}`) ? t(`site.${name}`) : name;
}

function renderWhoami() {
  const u = store.user;
  if (!u) return;
  const el = document.getElementById("whoami");
  el.textContent = `${u.full_name || u.username} · ${t(`role.${u.role}`)}`;
  el.dataset.role = u.role;
  el.title = t("password.change");
}

function renderConnection({ state, delayMs }) {
  const el = document.getElementById("conn");
  el.dataset.state = state;
  el.textContent = t(`conn.${state}`, { s: delayMs ? Math.max(1, Math.round(delayMs / 1000)) : "…" });
  // the page lost the station (not the drones their radio): say so once, above the map
  const lost = document.getElementById("station-lost");
  lost.hidden = state !== "reconnecting" && state !== "offline";
  lost.textContent = t("conn.station_lost");
}

async function startApp(user) {
  store.user = user;
  document.body.dataset.role = user.role;
  document.getElementById("login").hidden = true;
  document.getElementById("app").hidden = false;
  renderWhoami();
  setupTabs();
  document.getElementById("whoami").addEventListener("click", openPasswordDialog);
  if (config.role === "centre") {
    live = await startCentre(store, api, config, { renderWhoami, renderConnection, logout });
    return;
  }

  const siteMap = new SiteMap("map");
  const basemaps = new BaseMaps(siteMap);
  const vehicles = new VehicleLayer(siteMap, store);
  const instruments = new Instruments(siteMap, store, vehicles);
  fitPopups(siteMap.map);
  keepLayersOpenOnTap(siteMap.layerControl);
  localizeMapControls(siteMap.map);
  localizePopups(siteMap.map);
  const incidents = new IncidentLayer(siteMap, store, api);
  const controls = store.canFly ? new PilotControls(store, api, siteMap) : null;
  new PatrolRoutes(store, api, vehicles);
  new TrackFader(store, vehicles);
  const legend = new MapLegend(siteMap, store);
  const labels = new MapLabels(siteMap, store);
  new FollowMode(siteMap, store);
  const planner = new Planner(siteMap, store, api, { onPlansChanged: () => controls?.loadPlans() });
  const reports = new ReportsSection(store, api);
  const schedules = new SchedulesTab(store, api, {
    has: (id) => reports.has(id),
    open: (id) => reports.openHtml(id),
  });
  reports.onLoaded = () => schedules.render();
  const admin = user.role === "admin" ? new AdminTab(store, api) : null;
  const freshness = new FreshnessLayer(siteMap, store, api);
  const videos = new VideoPanes(store, api, siteMap, document.getElementById("video-panes"));
  const photos = new PhotoLayer(siteMap, api);
  const panel = new Panel(store, {
    openReport: (patrolId) => reports.openHtml(patrolId),
    openIncident: (id) => incidents.open(id),
    focusVehicle: (sysid) => {
      const v = store.vehicles.get(sysid);
      if (v && v.lat !== null && v.lat !== undefined) {
        siteMap.map.setView([v.lat, v.lon], Math.max(siteMap.map.getZoom(), 15));
      }
    },
    patrolActions: controls ? (p) => controls.patrolActions(p) : null,
    acknowledgeAlert: store.canFly
      ? (id) => {
          const note = window.prompt(t("alerts.ack_note")) ?? "";
          api.post(`/api/alerts/${id}/acknowledge`, { note }).catch((err) => toast(err.message, "error"));
        }
      : null,
  });
  if (controls) {
    incidents.extraActions = (i) => controls.incidentActions(i);
    controls.render();
  }
  siteMap.map.on("click", (e) => {
    if (!planner.isDrawing()) onMapClick(siteMap, e.latlng, incidents, controls, videos);
  });
  store.on("user", renderWhoami);
  store.on("connection", renderConnection);
  store.on("vehicles", () => controls?.renderPatrolStart());
  onLangChange(() => {
    renderWhoami();
    renderSiteName();
    renderConnection({ state: store.connection });
    panel.renderAll();
    incidents.renderAll();
    schedules.render();
    admin?.render();
    reports.render();
    freshness.renderLegend();
    siteMap.relabel();
    basemaps.relabel().catch((err) => toast(t("map.tiles_error", { detail: err.message }), "error"));
    instruments.relabel();
    localizeMapControls(siteMap.map);
    planner.render();
    legend.render();
    if (controls) {
      controls.render();
      controls.renderPatrolStart();
    }
    siteMap.map.closePopup();
  });
  panel.renderAll();

  live = new LiveSocket(() => api.token, {
    onMessage: (msg) => store.applyMessage(msg),
    onState: (state, info) => store.setConnection(state, info),
    onAuthRefused: logout,
  });
  live.start();

  const loads = [
    siteMap.loadSite(api).then((site) => {
      store.site = site;
      renderSiteName();
      legend.siteLoaded(drawRallyPoints(siteMap, site) > 0);
      labels.siteLoaded();
      planner.render();
    }),
    api.get("/api/users").then((page) => {
      store.users = new Map(page.data.map((u) => [u.id, u]));
      incidents.renderAll();
    }),
  ];
  if (controls) loads.push(controls.loadPlans());
  loads.push(basemaps.load(api));
  loads.push(planner.load());
  loads.push(schedules.load(), reports.load(), videos.load(), photos.load());
  // cameras are found a few seconds after their drones, photos as they are taken
  setInterval(() => Promise.all([videos.load(), photos.load()]).catch(() => {}), MEDIA_POLL_MS);
  const results = await Promise.allSettled(loads);
  for (const r of results) {
    if (r.status === "rejected") toast(t("error.generic", { detail: r.reason?.message ?? r.reason }), "error");
  }
  document.body.dataset.ready = "1";
}

/** A click on the map: a go-to target if one is being picked, else a small menu of actions. */
function onMapClick(siteMap, latlng, incidents, controls, videos) {
  if (controls?.takeMapClick(latlng)) return;
  const selected = store.selected === null ? null : store.vehicles.get(store.selected);
  const popup = L.popup({ closeButton: true, autoClose: true });
  const menu = h(
    "div",
    { class: "map-menu", dataset: { testid: "map-menu" } },
    h(
      "button",
      {
        type: "button",
        class: "primary",
        dataset: { testid: "report-here" },
        onclick: () => {
          siteMap.map.closePopup(popup);
          incidents.reportForm(latlng, selected);
        },
      },
      t("incident.report_here"),
    ),
    controls && selected?.vehicleId
      ? h(
          "button",
          {
            type: "button",
            dataset: { testid: "goto-here" },
            onclick: () => {
              siteMap.map.closePopup(popup);
              controls.gotoPoint(selected, latlng);
            },
          },
          t("incident.send_here", { name: vehicleName(selected) }),
        )
      : null,
    controls && selected && videos.hasCamera(selected.sysid)
      ? h(
          "button",
          {
            type: "button",
            dataset: { testid: "camera-look-here" },
            onclick: () => {
              siteMap.map.closePopup(popup);
              videos.lookAt(selected.sysid, latlng);
            },
          },
          t("video.look_here", { name: vehicleName(selected) }),
        )
      : null,
  );
  popup.setLatLng(latlng).setContent(menu).openOn(siteMap.map);
}

boot().catch((err) => {
  console.error(err);
  toast(t("error.generic", { detail: err.message }), "error");
});

export { showTab };
