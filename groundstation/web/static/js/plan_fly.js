// Flying a stored plan from the planner: a dialog picks the drone for each of its drones (the
// selected drone first), then the station starts every sortie (POST /api/plans/{id}/fly).
import { t } from "./i18n.js";
import { h, toast } from "./dom.js";
import { showForm } from "./dialog.js";
import { vehicleName } from "./vehicles.js";

/** Fly every sortie of a plan: its drone k on the k-th drone picked here. */
export async function flyPlan(planner, plan) {
  const vehicles = [...planner.store.vehicles.values()].filter((v) => v.vehicleId);
  if (vehicles.length === 0) {
    toast(t("plan.no_vehicles"), "error");
    return;
  }
  const drones = Math.max(1, ...(plan.sorties ?? []).map((s) => s.drone));
  const chosen = [];
  const picks = [];
  for (let k = 0; k < drones; k++) {
    const first =
      planner.store.selected !== null && k === 0 ? planner.store.selected : vehicles[k % vehicles.length].sysid;
    const select = h(
      "select",
      { dataset: { testid: `plan-fly-vehicle-${k + 1}` } },
      vehicles.map((v) => h("option", { value: v.vehicleId, selected: v.sysid === first }, vehicleName(v))),
    );
    picks.push(select);
    chosen.push(h("label", {}, t("plan.fly_drone", { n: k + 1 }), select));
  }
  const close = showForm(
    h(
      "form",
      { method: "dialog", class: "dialog-body", dataset: { testid: "plan-fly-dialog" } },
      h("h3", {}, t("plan.fly_title", { name: plan.name })),
      chosen,
      h(
        "div",
        { class: "dialog-actions" },
        h("button", { type: "button", onclick: () => close() }, t("plan.cancel")),
        h(
          "button",
          {
            type: "button",
            class: "primary",
            dataset: { testid: "plan-fly-ok" },
            onclick: async () => {
              close();
              try {
                const ids = picks.map((s) => Number(s.value));
                const started = await planner.api.post(`/api/plans/${plan.id}/fly`, { vehicle_ids: ids });
                toast(t("plan.flying", { id: plan.id, count: started.count }));
                planner.clearPreview();
                planner.render();
              } catch (err) {
                toast(t("plan.failed", { what: t("plan.fly"), detail: err.message }), "error");
              }
            },
          },
          t("plan.fly"),
        ),
      ),
    ),
  );
}
