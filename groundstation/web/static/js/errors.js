// Errors in plain words, in the page's language: what the station answered (its error class,
// HTTP status and, for a failed preflight, which checks failed), never the autopilot's raw
// text. The raw detail stays available to a curious pilot as the toast's tooltip.
import { t, hasText } from "./i18n.js";

/** [pattern in the station's detail, text key], first match wins (the autopilot's own words). */
const DETAIL_PATTERNS = [
  [/not armable/i, "err.not_armable"],
  [/PreArm|Arm:|arming (check|refused)|below minimum arming/i, "err.prearm"],
  [/already armed|someone is flying|is flying patrol/i, "err.busy"],
  [/nothing to resume/i, "err.nothing_to_resume"],
  [/already running/i, "err.already_running"],
  [/not planned/i, "err.wrong_state"],
  [/no MAVLink link/i, "err.no_link"],
  [/link lost|not been heard|never heard/i, "err.link_lost"],
  [/no drone|no vehicle can|no free/i, "err.no_drone"],
  [/does not command vehicle|already being handed over/i, "err.not_commanding"],
];

/** The station's error class (``error`` of its JSON answer) -> text key. */
const ERROR_CLASSES = {
  CommandTimeout: "err.timeout",
  LinkTimeout: "err.timeout",
  MissionTimeout: "err.timeout",
  CommandRejected: "err.rejected",
  CommandDenied: "err.rejected",
  CommandUnsupported: "err.unsupported",
  UnknownMode: "err.unsupported",
  VehicleHeld: "err.held",
  FederationOff: "err.federation_off",
  UnknownVehicle: "err.link_lost",
  MissionUploadError: "err.upload",
  MissionVerifyError: "err.upload",
  PermissionDenied: "err.forbidden",
  PasswordChangeRequired: "err.password_change",
  NotAuthenticated: "err.session",
  NotFound: "err.not_found",
  InvalidRequest: "err.invalid",
  TooManyRequests: "err.too_many",
};

const STATUS = {
  401: "err.session",
  403: "err.forbidden",
  404: "err.not_found",
  422: "err.invalid",
  429: "err.too_many",
};

/** The names of the failed preflight checks, in words ("电量, 风"). */
function failedChecks(body) {
  const checks = body?.fields?.checks ?? body?.checks;
  if (!Array.isArray(checks)) return "";
  return checks
    .filter((c) => c && c.ok === false)
    .map((c) => (hasText(`check.${c.name}`) ? t(`check.${c.name}`) : t("check.other")))
    .join(t("list.sep"));
}

/** A plain sentence for an error of the station's API (an ApiError) or of the network. */
export function explainError(err) {
  if (err?.status === undefined) return t("err.network");
  const detail = typeof err.detail === "string" ? err.detail : "";
  if (/preflight failed/i.test(detail)) {
    const names = failedChecks(err.body);
    return names ? t("err.preflight", { checks: names }) : t("err.preflight_any");
  }
  for (const [pattern, key] of DETAIL_PATTERNS) if (pattern.test(detail)) return t(key);
  const cls = err.body?.error;
  if (cls && ERROR_CLASSES[cls]) return t(ERROR_CLASSES[cls]);
  if (STATUS[err.status]) return t(STATUS[err.status]);
  if (err.status === 409) return t("err.conflict");
  if (err.status >= 500) return t("err.server");
  return t("err.status", { status: err.status });
}

/**
 * Why a sign-in failed, chosen by the error's class (a wrong password, a back-off, a lockout)
 * rather than the server's English detail; anything else as {@link explainError}.
 */
export function explainLoginError(err) {
  const cls = err?.body?.error;
  const fields = err?.body?.fields ?? {};
  if (cls === "NotAuthenticated") return t("login.wrong");
  if (cls === "TooManyRequests") {
    const s = Math.max(1, Number(fields.retry_after_s) || 1);
    return fields.locked ? t("login.locked", { min: Math.ceil(s / 60) }) : t("login.wait", { s });
  }
  return explainError(err);
}
