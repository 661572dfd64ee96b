// The planner's list of stored plans: each with its kind, length, time and sorties, and the
// buttons to show it on the map and (pilots) to fly, edit or delete it.
import { t } from "./i18n.js";
import { h } from "./dom.js";
import { formatDuration, km } from "./plan_summary.js";

/** The list of `planner.plans`; the buttons call the planner's show, fly, edit and remove. */
export function planList(planner) {
  if (planner.plans.length === 0) return h("p", { class: "hint" }, t("plan.none"));
  return h(
    "ul",
    { class: "list", dataset: { testid: "plan-list" } },
    planner.plans.map((p) => {
      const time = (p.sorties ?? []).reduce((sum, s) => sum + s.duration_s, 0);
      const length = (p.sorties ?? []).reduce((sum, s) => sum + s.length_m, 0);
      const shown = planner.result?.planId === p.id;
      return h(
        "li",
        { class: `item${shown ? " selected" : ""}`, dataset: { testid: "plan-item", id: p.id } },
        h("strong", {}, `#${p.id} ${p.name}`),
        " ",
        h("span", { class: "badge" }, t(`plan.kind.${p.kind}`)),
        h(
          "div",
          { class: "muted" },
          t("plan.summary", {
            km: km(length),
            time: formatDuration(time),
            sorties: (p.sorties ?? []).length,
          }),
        ),
        h(
          "div",
          { class: "button-row" },
          h(
            "button",
            { type: "button", dataset: { testid: "plan-show" }, onclick: () => planner.show(p.id) },
            t("plan.show"),
          ),
          planner.store.canFly
            ? [
                h(
                  "button",
                  { type: "button", class: "primary", dataset: { testid: "plan-fly" }, onclick: () => planner.fly(p) },
                  t("plan.fly"),
                ),
                h(
                  "button",
                  { type: "button", dataset: { testid: "plan-edit" }, onclick: () => planner.edit(p.id) },
                  t("plan.edit"),
                ),
                h(
                  "button",
                  {
                    type: "button",
                    class: "danger",
                    dataset: { testid: "plan-delete" },
                    onclick: () => planner.remove(p),
                  },
                  t("plan.delete"),
                ),
              ]
            : null,
        ),
      );
    }),
  );
}
