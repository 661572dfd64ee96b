// Create and edit a schedule from the page: plan, drone (or any), time rule (fixed times every
// day, or a 5-field cron rule), season (months, dates), what to do when no drone is free,
// replanning and the enabled flag. The station validates; its refusals are said in plain words.
import "./admin_texts.js";
import { h } from "./dom.js";
import { t } from "./i18n.js";
import { showForm } from "./dialog.js";
import { explainError } from "./errors.js";

const FIELD_TEXTS = {
  cron: "schedule.err.cron",
  times: "schedule.err.times",
  months: "schedule.err.months",
  start_date: "schedule.err.start_date",
  end_date: "schedule.err.end_date",
  timezone: "schedule.err.timezone",
  name: "schedule.err.name",
  plan_id: "schedule.err.plan",
};

/** A refusal of the schedules API in words: by what it says and the field it names. */
export function scheduleError(err) {
  const detail = typeof err?.detail === "string" ? err.detail : "";
  if (/give either a cron/.test(detail)) return t("schedule.err.rule");
  if (/season either/.test(detail)) return t("schedule.err.season");
  if (err?.status === 404 && /plan/i.test(detail)) return t("schedule.err.plan");
  if (err?.status === 404 && /vehicle/i.test(detail)) return t("schedule.err.vehicle");
  const locs = Array.isArray(err?.body?.detail) ? err.body.detail.flatMap((d) => d.loc ?? []) : [];
  const named = new Set([err?.body?.fields?.field, ...locs]);
  for (const [name, key] of Object.entries(FIELD_TEXTS)) if (named.has(name)) return t(key);
  return explainError(err);
}

/** "6,7,8" -> [6, 7, 8]; anything not a whole number is kept as NaN for the station to refuse. */
function parseMonths(text) {
  return text
    .split(/[,，\s]+/)
    .filter(Boolean)
    .map((m) => (/^\d+$/.test(m) ? Number(m) : Number.NaN));
}

function field(label, input, extra = {}) {
  return h("label", extra, h("span", {}, label), input);
}

export class ScheduleEditor {
  /** `plans()`: the plans (id -> plan); `saved(schedule)`: called after a save. */
  constructor(store, api, { plans, saved }) {
    this.store = store;
    this.api = api;
    this.plans = plans;
    this.saved = saved;
  }

  /** Open the form for `schedule`, or for a new one when null. */
  open(schedule = null) {
    const s = schedule ?? {
      name: "",
      plan_id: null,
      vehicle_pool: [],
      cron: "",
      times: ["06:30"],
      months: [],
      start_date: null,
      end_date: null,
      policy: "skip",
      enabled: true,
      replan: false,
    };
    const plans = [...this.plans().values()].sort((a, b) => a.id - b.id);
    const vehicles = [...this.store.vehicles.values()].filter((v) => v.vehicleId).sort((a, b) => a.sysid - b.sysid);
    const pool = s.vehicle_pool ?? [];
    const poolKey = pool.join(",");
    const vehicleOptions = [
      h("option", { value: "", selected: pool.length === 0 }, t("schedule.any_drone")),
      ...vehicles.map((v) =>
        h("option", { value: String(v.vehicleId), selected: poolKey === String(v.vehicleId) }, v.name ?? `#${v.sysid}`),
      ),
    ];
    const known = new Set(vehicles.map((v) => String(v.vehicleId)));
    if (pool.length > 1 || (pool.length === 1 && !known.has(poolKey))) {
      const names = pool.map((id) => this.store.vehicleById(id)?.name ?? `#${id}`).join(", ");
      vehicleOptions.push(h("option", { value: poolKey, selected: true }, t("schedule.current_pool", { names })));
    }
    const useCron = Boolean(s.cron);
    const rule = (value, checked) =>
      h(
        "label",
        { class: "inline" },
        h("input", { type: "radio", name: "rule", value, checked, dataset: { testid: `schedule-rule-${value}` } }),
        t(`schedule.rule.${value}`),
      );
    const times = h("input", {
      name: "times",
      value: (s.times ?? []).join(", "),
      inputmode: "numeric",
      dataset: { testid: "schedule-times" },
    });
    const cron = h("input", { name: "cron", value: s.cron ?? "", dataset: { testid: "schedule-cron" } });
    const timesField = field(t("schedule.times"), times, { hidden: useCron });
    const cronField = field(t("schedule.cron"), cron, { hidden: !useCron });
    const error = h("p", { class: "error", role: "alert", dataset: { testid: "schedule-error" }, hidden: true });
    const save = h(
      "button",
      { type: "submit", class: "primary", dataset: { testid: "schedule-save" } },
      t("schedule.save"),
    );
    const check = (name, checked, text) =>
      h(
        "label",
        { class: "inline" },
        h("input", { type: "checkbox", name, checked, dataset: { testid: `schedule-${name}` } }),
        text,
      );
    const form = h(
      "form",
      { class: "dialog-body schedule-form", dataset: { testid: "schedule-form" } },
      h("h2", {}, t(schedule ? "schedule.edit_title" : "schedule.new_title")),
      plans.length === 0 ? h("p", { class: "error" }, t("schedule.no_plans")) : null,
      field(
        t("schedule.name"),
        h("input", { name: "name", value: s.name ?? "", maxlength: 128, dataset: { testid: "schedule-name" } }),
      ),
      field(
        t("schedule.plan"),
        h(
          "select",
          { name: "plan", required: true, dataset: { testid: "schedule-plan" } },
          plans.map((p) => h("option", { value: String(p.id), selected: p.id === s.plan_id }, `#${p.id} ${p.name}`)),
        ),
      ),
      field(
        t("schedule.drone"),
        h("select", { name: "vehicle", dataset: { testid: "schedule-vehicle" } }, vehicleOptions),
      ),
      h(
        "fieldset",
        { class: "rule" },
        h("legend", {}, t("schedule.rule")),
        rule("times", !useCron),
        rule("cron", useCron),
      ),
      timesField,
      cronField,
      field(
        t("schedule.months_field"),
        h("input", { name: "months", value: (s.months ?? []).join(","), dataset: { testid: "schedule-months" } }),
      ),
      h(
        "div",
        { class: "date-row" },
        field(t("schedule.start_date"), h("input", { type: "date", name: "start_date", value: s.start_date ?? "" })),
        field(t("schedule.end_date"), h("input", { type: "date", name: "end_date", value: s.end_date ?? "" })),
      ),
      field(
        t("schedule.policy"),
        h(
          "select",
          { name: "policy", dataset: { testid: "schedule-policy" } },
          ["skip", "retry"].map((p) => h("option", { value: p, selected: p === s.policy }, t(`schedule.policy.${p}`))),
        ),
      ),
      check("replan", s.replan, t("schedule.replan_field")),
      check("enabled", s.enabled, t("schedule.enabled_field")),
      error,
      h(
        "div",
        { class: "dialog-actions" },
        h("button", { type: "button", onclick: () => close() }, t("schedule.cancel")),
        save,
      ),
    );
    form.addEventListener("change", () => {
      const cronRule = form.elements.rule.value === "cron";
      cronField.hidden = !cronRule;
      timesField.hidden = cronRule;
    });
    const close = showForm(form);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      error.hidden = true;
      save.disabled = true;
      try {
        const body = this.body(form);
        const answer = schedule
          ? await this.api.patch(`/api/schedules/${schedule.id}`, body)
          : await this.api.post("/api/schedules", body);
        close();
        this.saved(answer);
      } catch (err) {
        error.textContent = scheduleError(err);
        error.hidden = false;
      } finally {
        save.disabled = false;
      }
    });
  }

  /** The API body from the form (every field: the same for a new schedule and a change). */
  body(form) {
    const el = form.elements;
    const cronRule = el.rule.value === "cron";
    const vehicle = el.vehicle.value;
    return {
      name: el.name.value.trim(),
      plan_id: Number(el.plan.value),
      vehicle_pool: vehicle ? vehicle.split(",").map(Number) : [],
      cron: cronRule ? el.cron.value.trim() : "",
      times: cronRule
        ? []
        : el.times.value
            .split(/[,，\s]+/)
            .map((x) => x.trim())
            .filter(Boolean),
      months: parseMonths(el.months.value),
      start_date: el.start_date.value || null,
      end_date: el.end_date.value || null,
      policy: el.policy.value,
      replan: el.replan.checked,
      enabled: el.enabled.checked,
    };
  }
}
