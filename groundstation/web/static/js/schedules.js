// The "Schedules" tab: every schedule with its plan, drone pool, enabled state and next run
// (Asia/Shanghai), and the latest runs (flown / delayed / skipped / failed) with their reasons.
// Pilots and admins switch a schedule on and off, create and edit one (./schedule_editor.js); the
// station refuses officers (POST and PATCH are pilot-only), who see none of these buttons.
import { h, clear, toast } from "./dom.js";
import { t, hasText } from "./i18n.js";
import { formatTime } from "./time.js";
// a run's reason in the page's language, from its code
import { patrolReason as runReason } from "./reasons.js";
import { ScheduleEditor } from "./schedule_editor.js";

const REFRESH_MS = 30000;
const RUNS_SHOWN = 20;
/** Alert kinds after which the schedules and their runs are read again. */
export const SCHEDULE_ALERTS = new Set(["patrol_skipped", "patrol_delayed", "report_ready"]);

/** "06:30, 16:00" or the cron expression, with the zone when it is not the station's. */
export function whenText(s) {
  const when = s.times?.length ? s.times.join(", ") : s.cron ? t("schedule.cron_text", { cron: s.cron }) : "";
  const parts = [when];
  if (s.months?.length) parts.push(t("schedule.months", { months: s.months.join(",") }));
  if (s.start_date || s.end_date) parts.push(`${s.start_date ?? "…"} – ${s.end_date ?? "…"}`);
  if (s.timezone && s.timezone !== "Asia/Shanghai") parts.push(s.timezone);
  return parts.filter(Boolean).join(" · ");
}

export class SchedulesTab {
  /** `reports`: {has(patrolId), open(patrolId)} for the runs that flew a reported patrol. */
  constructor(store, api, reports = null) {
    this.store = store;
    this.api = api;
    this.reports = reports;
    this.schedules = [];
    this.runs = [];
    this.plans = new Map();
    this.loaded = false;
    this.error = null;
    this.list = document.getElementById("schedule-list");
    this.runList = document.getElementById("run-list");
    this.editor = store.canFly
      ? new ScheduleEditor(store, api, { plans: () => this.plans, saved: (s) => this.saved(s) })
      : null;
    if (this.editor && this.list) {
      this.newButton = h("button", {
        type: "button",
        class: "primary",
        dataset: { testid: "schedule-new" },
        onclick: () => this.editor.open(null),
      });
      this.list.before(h("div", { class: "button-row" }, this.newButton));
    }
    store.on("alert", (a) => {
      if (a && SCHEDULE_ALERTS.has(a.kind)) this.load();
    });
    store.on("vehicles", () => this.render());
    // A scheduled patrol starting: its run ("flown") and the next run time are new.
    store.on("patrols", (p) => {
      if (p && p.state === "preflight" && p.from_state !== "preflight") this.loadSoon();
    });
    // Others change schedules too (no live event for that): read again when the tab is opened.
    document.querySelector("[data-tab=schedules]")?.addEventListener("click", () => this.load());
    this.timer = setInterval(() => this.load(), REFRESH_MS);
  }

  loadSoon() {
    if (this.soon) return;
    this.soon = setTimeout(() => {
      this.soon = null;
      this.load();
    }, 1000);
  }

  async load() {
    try {
      const [schedules, runs, plans] = await Promise.all([
        this.api.get("/api/schedules"),
        this.api.get(`/api/schedules/runs?limit=${RUNS_SHOWN}`),
        this.api.get("/api/plans?limit=500"),
      ]);
      this.schedules = schedules;
      this.runs = runs;
      this.plans = new Map((plans.data ?? []).map((p) => [p.id, p]));
      this.error = null;
    } catch (err) {
      this.error = err.message;
    }
    this.loaded = true;
    this.render();
  }

  planName(id) {
    const p = this.plans.get(id);
    return p ? `#${id} ${p.name}` : `#${id}`;
  }

  poolText(pool) {
    if (!pool || pool.length === 0) return t("schedule.any_drone");
    return pool.map((id) => this.store.vehicleById(id)?.name ?? `#${id}`).join(", ");
  }

  render() {
    if (!this.list) return;
    const list = clear(this.list);
    if (this.newButton) this.newButton.textContent = t("schedule.new");
    if (this.error) list.append(h("li", { class: "error" }, t("error.generic", { detail: this.error })));
    if (!this.loaded) list.append(h("li", { class: "muted" }, "…"));
    else if (this.schedules.length === 0) list.append(h("li", { class: "muted" }, t("schedule.none")));
    for (const s of [...this.schedules].sort((a, b) => a.id - b.id)) list.append(this.item(s));
    this.renderRuns();
  }

  item(s) {
    const next =
      s.enabled && s.next_run_at ? t("schedule.next", { time: formatTime(s.next_run_at) }) : t("schedule.no_next");
    const toggle = this.store.canFly
      ? h(
          "button",
          {
            type: "button",
            dataset: { testid: "schedule-toggle" },
            onclick: (e) => {
              e.stopPropagation();
              this.setEnabled(s, !s.enabled);
            },
          },
          t(s.enabled ? "schedule.disable" : "schedule.enable"),
        )
      : null;
    return h(
      "li",
      {
        class: `item schedule-${s.enabled ? "on" : "off"}`,
        dataset: { testid: "schedule-item", id: s.id, enabled: String(s.enabled) },
      },
      h("strong", {}, s.name || t("schedule.label", { id: s.id })),
      " ",
      h(
        "span",
        { class: `badge ${s.enabled ? "state-flying" : ""}` },
        t(s.enabled ? "schedule.enabled" : "schedule.disabled"),
      ),
      h(
        "div",
        { class: "muted" },
        `${t("patrol.plan")} ${this.planName(s.plan_id)}${s.replan ? ` (${t("schedule.replan")})` : ""}`,
      ),
      h("div", { class: "muted" }, `${t("schedule.when")}: ${whenText(s)}`),
      h("div", { class: "muted" }, `${t("schedule.pool")}: ${this.poolText(s.vehicle_pool)}`),
      h("div", { dataset: { testid: "schedule-next" } }, next),
      toggle
        ? h(
            "div",
            { class: "button-row" },
            toggle,
            h(
              "button",
              { type: "button", dataset: { testid: "schedule-edit" }, onclick: () => this.editor.open(s) },
              t("schedule.edit"),
            ),
          )
        : null,
    );
  }

  renderRuns() {
    const list = clear(this.runList);
    if (this.loaded && this.runs.length === 0) list.append(h("li", { class: "muted" }, t("schedule.no_runs")));
    const names = new Map(this.schedules.map((s) => [s.id, s.name || t("schedule.label", { id: s.id })]));
    for (const r of this.runs) {
      const status = hasText(`schedule.run.${r.status}`) ? t(`schedule.run.${r.status}`) : r.status;
      list.append(
        h(
          "li",
          {
            class: `item run-${r.status}`,
            dataset: { testid: "run-item", id: r.id, status: r.status },
          },
          h("span", { class: `badge run-badge-${r.status}` }, status),
          " ",
          h("strong", {}, names.get(r.schedule_id) ?? t("schedule.label", { id: r.schedule_id })),
          h(
            "div",
            { class: "muted" },
            [
              t("schedule.due", { time: formatTime(r.due_at) }),
              r.attempts > 1 ? t("schedule.attempts", { n: r.attempts }) : null,
              r.patrol_id ? t("patrol.label", { id: r.patrol_id }) : null,
            ]
              .filter(Boolean)
              .join(" · "),
          ),
          runReason(r) ? h("div", { class: "description" }, runReason(r)) : null,
          r.patrol_id && this.reports?.has(r.patrol_id)
            ? h(
                "div",
                { class: "button-row" },
                h(
                  "button",
                  {
                    type: "button",
                    dataset: { testid: "run-report" },
                    onclick: () => this.reports.open(r.patrol_id),
                  },
                  t("report.open"),
                ),
              )
            : null,
        ),
      );
    }
  }

  /** A schedule the editor stored: shown at once, then everything read again. */
  saved(s) {
    const others = this.schedules.filter((x) => x.id !== s.id);
    this.schedules = [...others, s];
    toast(t("schedule.saved", { name: s.name || `#${s.id}` }));
    this.render();
    this.load();
  }

  async setEnabled(s, enabled) {
    try {
      const updated = await this.api.patch(`/api/schedules/${s.id}`, { enabled });
      this.schedules = this.schedules.map((x) => (x.id === updated.id ? updated : x));
      toast(
        t(enabled ? "schedule.enabled_done" : "schedule.disabled_done", { name: updated.name || `#${updated.id}` }),
      );
      this.render();
    } catch (err) {
      toast(t("error.generic", { detail: err.message }), "error");
    }
  }
}
