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
  // English too in ISO order (2026-12-06 13:18:02), never 12/06/2026, which reads two ways
  return new Intl.DateTimeFormat("sv-SE", {
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

/** A short age such as "45 s", "3 min", "2 h" (45秒, 3分钟, 2小时 in Chinese). */
export function formatAge(seconds) {
  const s = Math.max(0, Math.round(seconds));
  const zh = lang().startsWith("zh");
  if (s < 90) return zh ? `${s}秒` : `${s} s`;
  if (s < 5400) return zh ? `${Math.round(s / 60)}分钟` : `${Math.round(s / 60)} min`;
  return zh ? `${Math.round(s / 3600)}小时` : `${Math.round(s / 3600)} h`;
}

/** A duration to the second: "1分13秒", "1小时2分" in Chinese; "1 min 13 s", "1 h 2 min" in English. */
export function formatDuration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  const [hours, minutes, secs] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  const zh = lang().startsWith("zh");
  if (hours > 0) return zh ? `${hours}小时${minutes}分` : `${hours} h ${minutes} min`;
  if (minutes > 0) return zh ? `${minutes}分${secs}秒` : `${minutes} min ${secs} s`;
  return zh ? `${secs}秒` : `${secs} s`;
}

/** The UTC instant (ISO) of a wall-clock "YYYY-MM-DDTHH:MM" in the station's zone. */
export function zonedToUtc(local) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(local ?? "");
  if (!m) return null;
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] ?? 0));
  const offsetAt = (ms) => {
    const parts = Object.fromEntries(
      new Intl.DateTimeFormat("en-US", {
        timeZone: zone,
        hourCycle: "h23",
        year: "numeric",
        month: "2-digit",
        day: "2-digit",
        hour: "2-digit",
        minute: "2-digit",
        second: "2-digit",
      })
        .formatToParts(new Date(ms))
        .map((p) => [p.type, p.value]),
    );
    const seen = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second);
    return seen - ms;
  };
  // twice: the offset at the guess, then at the corrected instant (across a DST change)
  const first = wall - offsetAt(wall);
  return new Date(wall - offsetAt(first)).toISOString();
}

/** The station's zone (for an export's local times). */
export function timeZone() {
  return zone;
}
