// Times for people: always in the station's zone (Asia/Shanghai), in the page's language.
import { lang } from "./i18n.js";

let zone = "Asia/Shanghai";

export function setTimeZone(name) {
  if (name) zone = name;
}

/** "2026-05-01 16:00:00"-style local time of an ISO timestamp (UTC from the station). */
export function formatTime(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return new Intl.DateTimeFormat(lang(), {
    timeZone: zone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hour12: false,
  }).format(date);
}

/** A short age such as "45 s", "3 min", "2 h". */
export function formatAge(seconds) {
  const s = Math.max(0, Math.round(seconds));
  if (s < 90) return `${s} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 3600)} h`;
}
