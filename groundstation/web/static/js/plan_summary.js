// A plan's (or a preview's) numbers as the planner shows them: length, flight time and sorties,
// each sortie in its route's colour; durations in the page's words.
import { t } from "./i18n.js";
import { h } from "./dom.js";
import { sortieColour } from "./colours.js";

/** A duration in seconds as the page says it: "12分5秒", "1小时3分" (or in English). */
export function formatDuration(seconds) {
  const s = Math.max(0, Math.round(Number(seconds) || 0));
  if (s >= 3600) return t("plan.duration_h", { h: Math.floor(s / 3600), m: Math.round((s % 3600) / 60) });
  return t("plan.duration", { m: Math.floor(s / 60), s: s % 60 });
}

/** Kilometres with one decimal, from metres. */
export function km(metres) {
  return (Number(metres || 0) / 1000).toFixed(1);
}

/** Length, time and sorties of a preview or a plan, each sortie with its route's colour. */
export function summaryBox(r) {
  const sorties = r.sorties ?? [];
  const length = sorties.reduce((sum, s) => sum + s.length_m, 0);
  const time = sorties.reduce((sum, s) => sum + s.duration_s, 0);
  return h(
    "div",
    { class: "plan-summary", dataset: { testid: "plan-summary" } },
    h("div", {}, t("plan.summary", { km: km(length), time: formatDuration(time), sorties: sorties.length })),
    h(
      "ul",
      { class: "sortie-list" },
      sorties.map((s) =>
        h(
          "li",
          { dataset: { testid: "plan-sortie" } },
          h("span", { class: "swatch", style: `background:${sortieColour(s.sortie)}` }),
          t("plan.sortie", { n: s.sortie, drone: s.drone, km: km(s.length_m), time: formatDuration(s.duration_s) }),
        ),
      ),
    ),
  );
}
