// Patrol reports in the patrols tab: the finished patrols' reports (HTML in a new tab, PDF
// download), the site's daily summary. A link cannot carry the bearer token, so every document
// is fetched with it and handed to the browser as a blob URL.
import { h, clear, toast } from "./dom.js";
import { addTexts, t, lang, hasText } from "./i18n.js";
import { formatTime, formatDuration } from "./time.js";

addTexts({
  "zh-CN": {
    "report.hotspots": "重点部位 {visited}/{planned} 处已到",
    "report.shoreline": "岸线 {km} km",
  },
  en: {
    "report.hotspots": "{visited} of {planned} hotspots visited",
    "report.shoreline": "{km} km of shoreline",
  },
});

const REFRESH_MS = 60000;
const SHOWN = 30;
const REVOKE_AFTER_MS = 120000; // long enough for the new tab or the download to read the blob

export const reportUrl = (patrolId, format) => `/api/patrols/${patrolId}/report?format=${format}`;

/** The daily summary's URL for the page's language (zh-CN -> zh). */
export function dailyUrl(pageLang = lang()) {
  return `/api/reports/daily?format=html&lang=${pageLang.startsWith("zh") ? "zh" : "en"}`;
}

/** "1.2 km · 8 min · 74% covered" (or the tour's hotspots, the shore loop's shoreline) from a
 * report's summary numbers. */
export function summaryText(s) {
  const parts = [];
  if (typeof s.distance_m === "number") {
    parts.push(s.distance_m >= 1000 ? `${(s.distance_m / 1000).toFixed(1)} km` : `${Math.round(s.distance_m)} m`);
  }
  if (typeof s.duration_s === "number") parts.push(formatDuration(s.duration_s));
  // the figure of the patrol's kind: coverage, hotspots visited on a tour, shoreline on a shore loop
  if (typeof s.covered_frac === "number") parts.push(t("report.covered", { pct: Math.round(s.covered_frac * 100) }));
  if (typeof s.hotspots_planned === "number") {
    parts.push(t("report.hotspots", { visited: s.hotspots_visited ?? 0, planned: s.hotspots_planned }));
  }
  if (typeof s.shoreline_m === "number") parts.push(t("report.shoreline", { km: (s.shoreline_m / 1000).toFixed(1) }));
  if (typeof s.incidents === "number" && s.incidents > 0) parts.push(t("report.incidents", { n: s.incidents }));
  return parts.join(" · ");
}

async function fetchBlob(api, path) {
  const response = await fetch(path, { headers: { Authorization: `Bearer ${api.token}` } });
  if (!response.ok) {
    let detail = `HTTP ${response.status}`;
    try {
      const body = await response.json();
      if (typeof body.detail === "string") detail = body.detail;
    } catch {
      // not JSON: keep the status
    }
    throw new Error(detail);
  }
  return response.blob();
}

/**
 * Open an authenticated HTML document in a new tab. The tab is opened at once (inside the click,
 * so no pop-up blocker stops it) and pointed at the blob when it has arrived.
 */
export async function openInNewTab(api, path) {
  const tab = window.open("", "_blank");
  if (tab) tab.opener = null; // the report cannot reach back into this page
  try {
    const blob = await fetchBlob(api, path);
    const url = URL.createObjectURL(blob);
    if (tab) tab.location.href = url;
    else window.location.assign(url);
    setTimeout(() => URL.revokeObjectURL(url), REVOKE_AFTER_MS);
  } catch (err) {
    if (tab) tab.close();
    toast(t("report.failed", { detail: err.message }), "error");
  }
}

/** Download an authenticated file under `filename`. */
export async function download(api, path, filename) {
  try {
    const url = URL.createObjectURL(await fetchBlob(api, path));
    const a = h("a", { href: url, download: filename, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), REVOKE_AFTER_MS);
  } catch (err) {
    toast(t("report.failed", { detail: err.message }), "error");
  }
}

export class ReportsSection {
  constructor(store, api) {
    this.store = store;
    this.api = api;
    this.reports = [];
    this.error = null;
    this.onLoaded = () => {};
    this.list = document.getElementById("report-list");
    const daily = document.getElementById("daily-summary");
    daily.addEventListener("click", () => openInNewTab(api, dailyUrl()));
    store.on("alert", (a) => {
      if (a && a.kind === "report_ready") this.load();
    });
    store.on("patrols", (p) => {
      if (p && ["reported", "aborted", "failed"].includes(p.state)) this.load();
    });
    document.querySelector("[data-tab=patrols]")?.addEventListener("click", () => this.load());
    this.timer = setInterval(() => this.load(), REFRESH_MS);
  }

  async load() {
    try {
      const page = await this.api.get(`/api/reports?limit=${SHOWN}`);
      this.reports = page.data ?? [];
      this.error = null;
    } catch (err) {
      this.error = err.message;
    }
    this.render();
    this.onLoaded();
  }

  /** True when the station has filed a report for `patrolId` (among the latest ones). */
  has(patrolId) {
    return this.reports.some((r) => r.patrol_id === patrolId);
  }

  openHtml(patrolId) {
    return openInNewTab(this.api, reportUrl(patrolId, "html"));
  }

  render() {
    const list = clear(this.list);
    if (this.error) list.append(h("li", { class: "error" }, t("error.generic", { detail: this.error })));
    if (this.reports.length === 0) list.append(h("li", { class: "muted" }, t("report.none")));
    for (const r of this.reports) {
      const s = r.summary ?? {};
      const state = s.state && hasText(`patrol.state.${s.state}`) ? t(`patrol.state.${s.state}`) : s.state;
      list.append(
        h(
          "li",
          { class: "item", dataset: { testid: "report-item", patrol: r.patrol_id } },
          h("strong", {}, t("patrol.label", { id: r.patrol_id })),
          " ",
          state ? h("span", { class: `badge state-${s.state}` }, state) : null,
          h(
            "div",
            { class: "muted" },
            [s.plan, s.drone, formatTime(s.end ?? r.created_at)].filter(Boolean).join(" · "),
          ),
          h("div", { class: "muted" }, summaryText(s)),
          h(
            "div",
            { class: "button-row" },
            h(
              "button",
              {
                type: "button",
                dataset: { testid: "report-html" },
                onclick: () => this.openHtml(r.patrol_id),
              },
              t("report.open"),
            ),
            h(
              "button",
              {
                type: "button",
                dataset: { testid: "report-pdf" },
                onclick: () => download(this.api, reportUrl(r.patrol_id, "pdf"), `patrol-${r.patrol_id}.pdf`),
              },
              "PDF",
            ),
          ),
        ),
      );
    }
  }
}
