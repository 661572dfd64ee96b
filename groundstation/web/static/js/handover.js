// Hand the selected drone to a neighbouring station by hand (docs/federation.md, "By hand"):
// a station picker and a button in the pilot's flight controls, shown only when the station is
// federated, has neighbours and commands the drone; the outcome (handed over, refused and why,
// no answer) in plain words. A drone another station commands says which one instead, read
// from its live frame's ``commanded_by``.
import { h, clear, toast } from "./dom.js";
import { t } from "./i18n.js";
import { confirmDialog } from "./dialog.js";
import { vehicleName } from "./vehicles.js";
import { explainError } from "./errors.js";

export const HANDOVER_ENDPOINTS = {
  neighbours: () => "/api/federation/neighbours",
  offer: (id) => `/api/vehicles/${id}/handover`,
  status: (id, handoverId) => `/api/vehicles/${id}/handover/${handoverId}`,
};

const POLL_MS = 1000;
const POLL_MAX = 60; // the station's deadline is 10 s by default: a minute is plenty
const CODES = new Set(["no_pilot", "expired", "not_heard", "conflict"]);

/** The station that commands drone `v` when it is not this one: its id, "" when not known
 * which, or null when this station commands it (the frame's ``commanded_by``). */
export function commandedBy(v) {
  const by = v?.commandedBy;
  if (!by) return null;
  return typeof by.station === "string" ? by.station : "";
}

/** What the control shows for drone `v`: "hidden", "commanded" (by another station: a line),
 * "pending" (an offer waits for its answer: the button is off) or "ready". */
export function handoverState(v, federation, pending = false) {
  if (!v || !federation?.enabled) return "hidden";
  if (commandedBy(v) !== null) return "commanded";
  if (!federation.neighbours?.length) return "hidden";
  return pending ? "pending" : "ready";
}

/** The outcome of an offer (the station's ``HandoverPublic``) in plain words. */
export function outcomeText(result) {
  const station = result.to;
  if (result.state === "released") return t("handover.released", { station });
  if (result.state !== "refused") return t("handover.timeout", { station }); // or still waiting
  const code = CODES.has(result.code) ? result.code : "other";
  return t("handover.refused", { station, why: t(`handover.code.${code}`) });
}

export class HandoverControl {
  constructor(store, api) {
    this.store = store;
    this.api = api;
    this.federation = null; // {enabled, station, neighbours} once read
    this.pending = new Set(); // sysids with an offer waiting for its answer
    this.el = h("div", { class: "handover", dataset: { testid: "handover" } });
    this.shown = null; // "state|sysid|commander" last drawn, to keep the picker's choice
    this.api
      .get(HANDOVER_ENDPOINTS.neighbours())
      .then((fed) => {
        this.federation = fed;
        this.update(this.selected());
      })
      .catch(() => {}); // an older station: no federation, no control
  }

  selected() {
    return this.store.selected === null ? null : (this.store.vehicles.get(this.store.selected) ?? null);
  }

  /** Draw the control for drone `v` (again only when what it shows changed). */
  update(v) {
    const state = handoverState(v, this.federation, v ? this.pending.has(v.sysid) : false);
    const key = `${state}|${v?.sysid}|${commandedBy(v)}`;
    if (key === this.shown) return this.el;
    this.shown = key;
    clear(this.el);
    if (state === "commanded") {
      const by = commandedBy(v);
      const text = by ? t("handover.commanded_by", { station: by }) : t("handover.commanded_other");
      this.el.append(h("p", { class: "hint", dataset: { testid: "commanded-by" } }, text));
    } else if (state !== "hidden") {
      const picker = h(
        "select",
        { dataset: { testid: "handover-select" }, "aria-label": t("handover.choose") },
        this.federation.neighbours.map((s) => h("option", { value: s }, s)),
      );
      const button = h(
        "button",
        {
          type: "button",
          dataset: { testid: "cmd-handover" },
          disabled: state === "pending",
          title: state === "pending" ? t("handover.waiting") : null,
          onclick: () => this.offer(this.selected(), picker.value),
        },
        t("handover.button"),
      );
      this.el.append(h("div", { class: "button-row" }, picker, button));
    }
    return this.el;
  }

  async offer(v, to) {
    if (!v || !to) return;
    if (!(await confirmDialog(t("handover.confirm", { name: vehicleName(v), station: to })))) return;
    let offer;
    try {
      offer = await this.api.post(HANDOVER_ENDPOINTS.offer(v.vehicleId), { to });
    } catch (err) {
      toast(t("handover.failed", { detail: explainError(err) }), "error");
      return;
    }
    this.pending.add(v.sysid);
    this.update(this.selected());
    toast(t("handover.offered", { name: vehicleName(v), station: to }));
    try {
      const result = await this.waitFor(v.vehicleId, offer.id);
      toast(outcomeText(result), result.state === "released" ? "info" : "error");
    } catch (err) {
      toast(t("handover.failed", { detail: explainError(err) }), "error");
    } finally {
      this.pending.delete(v.sysid);
      this.update(this.selected());
    }
  }

  async waitFor(vehicleId, handoverId) {
    let result = { state: "offered" };
    for (let i = 0; i < POLL_MAX && result.state === "offered"; i++) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      result = await this.api.get(HANDOVER_ENDPOINTS.status(vehicleId, handoverId));
    }
    return result;
  }
}
