// Why a patrol changed state or an alert was raised, in the page's language: the station sends
// a code and its parameters (groundstation/reasons.py), never a sentence for the page to parse.
// Parameters that hold what a person typed or the vehicle sent (`note`, `detail`) are shown on
// the English page only; the Chinese page says the same thing in its own words.
import { addTexts, hasText, lang, t } from "./i18n.js";
import { modeLabel } from "./modes.js";

addTexts({
  "zh-CN": {
    "reason.start": "开始巡逻",
    "reason.resume": "从第 {item} 个航点续飞",
    "reason.preflight_failed": "飞行前检查未通过：{checks}",
    "reason.uploading": "正在上传 {items} 个航点",
    "reason.launching": "解锁并起飞至 {alt_m} 米",
    "reason.mission_started": "开始执行航线",
    "reason.mission_resumed": "从第 {item} 个航点继续执行航线",
    "reason.route_complete": "航线已完成，返航中",
    "reason.returning": "在第 {item} 个航点{mode}（{why}）",
    "reason.mission_continued": "恢复自动航线，继续巡逻",
    "reason.landed_complete": "已降落，航线完成",
    "reason.landed_early": "{why}；最后到达第 {item} 个航点，可续飞",
    "reason.reported": "巡逻记录已保存",
    "reason.failed": "出错：{error}",
    "reason.aborted": "{note}{rtl}",
    "reason.station_restarted": "地面站重启时巡逻处于“{state}”",
    "reason.not_heard_after_restart": "地面站重启后未收到无人机（系统号 {sysid}）的信号",
    "reason.schedule_not_started": "定时任务未能起飞：{error}",
    "reason.mode_changed": "飞行模式由{from_mode}改为{to_mode}（{who}）",
    "reason.outside_fence": "越出电子围栏或进入禁飞区",
    "reason.battery_low": "电量 {pct}%",
    "reason.battery_return": "电量 {pct}%：返航需 {need_pct}%，另留 {reserve_pct}% 余量，已自动返航",
    "reason.rtl_failed": "返航指令失败",
    "reason.vehicle_text": "飞控报告",
    "reason.reattached": "地面站重启后重新接管（{mode}）",
    "reason.fence_refit": "电子围栏已按无人机容量简化（{items} 个点）",
    "reason.sequence_stopped": "后续架次未能开始",
    "reason.sequence_dropped": "后续架次 {patrols} 未开始",
    "reason.station_down": "地面站停机期间有 {runs} 次任务到期（自世界时 {since} 起）",
    "reason.plan_gone": "巡逻方案 #{plan_id} 已删除",
    "reason.no_drone": "没有可用的无人机",
    "reason.no_go": "起飞条件不满足：{checks}",
    "reason.replan_failed": "重新规划航线失败",
    "reason.start_failed": "{drone} 未能起飞：{error}",
    "reason.run_started": "{drone} 执行巡逻 #{patrol_id}",
    "reason.by.command": "{user} 下达{command}指令",
    "reason.by.low_battery": "电量低",
    "reason.by.failsafe": "非巡逻指令（失效保护或其他地面站）",
    "reason.by.nobody": "非巡逻指令",
    "reason.source.shore_margin": "返航余量告急，地面站自动返航",
    "reason.source.battery": "电量只够返航，巡逻自动返航",
    "reason.before_end": "未完成航线即降落",
    "reason.note.default": "飞手中止",
    "reason.rtl.sent": "，已命令返航",
    "reason.rtl.failed": "，返航指令失败",
    "reason.error.LinkTimeout": "无人机无应答",
    "reason.error.CommandRejected": "无人机拒绝了指令",
    "reason.error.CommandUnsupported": "无人机不支持该指令",
    "reason.error.MissionUploadError": "航线上传失败",
    "reason.error.LinkError": "与无人机的链路出错",
    "reason.error.Conflict": "当前状态下无法执行",
    "reason.error.other": "地面站内部错误",
    "reason.error.CommandTimeout": "无人机无应答",
    "reason.error.CommandDenied": "无人机拒绝了指令",
    "reason.error.MissionTimeout": "航线传输超时",
    "reason.error.MissionDownloadError": "航线回读失败",
    "reason.error.MissionVerifyError": "航线回读与上传不一致",
    "reason.error.VehicleHeld": "指令被暂停：无人机地址变化或未登记签名",
    "reason.error.UnknownVehicle": "地面站未收到这架无人机的信号",
    "check.daylight": "白天时段",
    "reason.command.rtl": "返航",
    "reason.command.land": "降落",
    "reason.command.goto": "指点飞行",
    "reason.command.set_mode": "切换模式",
    "reason.command.pause": "暂停",
    "reason.command.continue": "继续",
    "reason.command.RTL": "返航",
    "alerts.failure.why": "巡逻 #{id} 失败：{reason}",
    "alerts.fence_breach.why": "巡逻 #{id}（{name}）越出电子围栏：{reason}",
    "alerts.failsafe.why": "巡逻 #{id}（{name}）失效保护：{reason}",
    "alerts.rtl.why": "巡逻 #{id}（{name}）返航：{reason}",
    "alerts.mode_changed.why": "巡逻 #{id}（{name}）：{reason}",
    "alerts.battery_low.why": "巡逻 #{id}（{name}）电量低：{reason}",
    "alerts.battery_return.why": "巡逻 #{id}（{name}）{reason}",
    "alerts.reattached.why": "巡逻 #{id}（{name}）{reason}",
    "alerts.fence_refit.why": "巡逻 #{id}：{reason}",
    "alerts.sequence.why": "巡逻方案的后续架次：{reason}",
    "alerts.patrol_skipped.why": "定时巡逻「{schedule}」已跳过：{reason}",
    "alerts.patrol_delayed.why": "定时巡逻「{schedule}」已推迟：{reason}",
  },
  en: {
    "reason.start": "start",
    "reason.resume": "resume from waypoint {item}",
    "reason.preflight_failed": "preflight failed: {checks}",
    "reason.uploading": "uploading {items} mission items",
    "reason.launching": "arming and taking off to {alt_m} m",
    "reason.mission_started": "mission started",
    "reason.mission_resumed": "mission resumed at waypoint {item}",
    "reason.route_complete": "route complete; returning to launch",
    "reason.returning": "{mode} at waypoint {item} ({why})",
    "reason.mission_continued": "back in AUTO: mission continued",
    "reason.landed_complete": "landed; route complete",
    "reason.landed_early": "{why}; last waypoint reached {item}, resume possible",
    "reason.reported": "facts stored",
    "reason.failed": "failed: {error}",
    "reason.aborted": "{note}{rtl}",
    "reason.station_restarted": "station restarted while {state}",
    "reason.not_heard_after_restart": "drone (system {sysid}) not heard after the station restart",
    "reason.schedule_not_started": "scheduled run did not start: {error}",
    "reason.mode_changed": "flight mode changed from {from_mode} to {to_mode} ({who})",
    "reason.outside_fence": "outside the geofence or in a no-fly zone",
    "reason.battery_low": "battery {pct} %",
    "reason.battery_return": "battery {pct} %: the way home needs {need_pct} % plus {reserve_pct} % reserve; returning",
    "reason.rtl_failed": "the return command failed",
    "reason.vehicle_text": "reported by the autopilot",
    "reason.reattached": "taken over again after a station restart ({mode})",
    "reason.fence_refit": "geofence simplified to what the drone holds ({items} points)",
    "reason.sequence_stopped": "the next sortie did not start",
    "reason.sequence_dropped": "sorties {patrols} not started",
    "reason.station_down": "{runs} run(s) fell due while the station was down (since {since} UTC)",
    "reason.plan_gone": "plan #{plan_id} no longer exists",
    "reason.no_drone": "{detail}",
    "reason.no_go": "no-go: {checks}",
    "reason.replan_failed": "re-planning failed",
    "reason.start_failed": "{drone} did not start: {error}",
    "reason.run_started": "{drone} flying patrol #{patrol_id}",
    "reason.by.command": "{command} by {user}",
    "reason.by.low_battery": "low battery",
    "reason.by.failsafe": "not by the patrol: failsafe or another station",
    "reason.by.nobody": "not by the patrol",
    "reason.source.shore_margin": "the station sent it home: shore margin critical",
    "reason.source.battery": "the patrol sent it home: battery just enough for the way back",
    "reason.before_end": "landed before the end of the route",
    "reason.note.default": "aborted by the pilot",
    "reason.rtl.sent": "; drone sent home (RTL)",
    "reason.rtl.failed": "; the return command failed",
    "reason.error.LinkTimeout": "the drone did not answer",
    "reason.error.CommandRejected": "the drone refused the command",
    "reason.error.CommandUnsupported": "the drone does not support the command",
    "reason.error.MissionUploadError": "the mission upload failed",
    "reason.error.LinkError": "link error",
    "reason.error.Conflict": "not possible in the present state",
    "reason.error.other": "station error",
    "reason.error.CommandTimeout": "the drone did not answer",
    "reason.error.CommandDenied": "the drone refused the command",
    "reason.error.MissionTimeout": "the mission transfer timed out",
    "reason.error.MissionDownloadError": "the mission read-back failed",
    "reason.error.MissionVerifyError": "the mission read back differs from the one sent",
    "reason.error.VehicleHeld": "commands held: the drone's address changed or it is not enrolled for signing",
    "reason.error.UnknownVehicle": "the station has not heard this drone",
    "check.daylight": "daylight",
    "reason.command.rtl": "RTL",
    "reason.command.land": "land",
    "reason.command.goto": "go-to",
    "reason.command.set_mode": "mode change",
    "reason.command.pause": "pause",
    "reason.command.continue": "continue",
    "reason.command.RTL": "RTL",
    "alerts.failure.why": "Patrol #{id} failed: {reason}",
    "alerts.fence_breach.why": "Patrol #{id} ({name}) left the geofence: {reason}",
    "alerts.failsafe.why": "Patrol #{id} ({name}) failsafe: {reason}",
    "alerts.rtl.why": "Patrol #{id} ({name}) returning: {reason}",
    "alerts.mode_changed.why": "Patrol #{id} ({name}): {reason}",
    "alerts.battery_low.why": "Patrol #{id} ({name}) battery low: {reason}",
    "alerts.battery_return.why": "Patrol #{id} ({name}): {reason}",
    "alerts.reattached.why": "Patrol #{id} ({name}): {reason}",
    "alerts.fence_refit.why": "Patrol #{id}: {reason}",
    "alerts.sequence.why": "Plan's next sorties: {reason}",
    "alerts.patrol_skipped.why": 'Scheduled patrol "{schedule}" skipped: {reason}',
    "alerts.patrol_delayed.why": 'Scheduled patrol "{schedule}" delayed: {reason}',
  },
});

const zh = () => lang().startsWith("zh");

function label(prefix, value, fallback) {
  const key = `${prefix}.${value}`;
  return hasText(key) ? t(key) : fallback;
}

function checkNames(names) {
  const list = Array.isArray(names) ? names : [];
  return list.map((n) => label("check", n, t("check.other"))).join(zh() ? "、" : ", ");
}

function errorLabel(p) {
  const known = label("reason.error", p.error, null);
  if (known) return known;
  // an unknown error class: the station's own English words on the English page only
  return zh() ? t("reason.error.other") : (p.detail ?? t("reason.error.other"));
}

function who(p) {
  // the station itself (the shore margin, the patrol's battery watch), in words
  if (p.source && hasText(`reason.source.${p.source}`)) return t(`reason.source.${p.source}`);
  if (p.by === "command" || p.command) {
    const command = label("reason.command", p.command, p.command ?? "");
    // a pilot by full name (as the top bar shows them), else by user name
    return t("reason.by.command", { command, user: p.name || p.user || "" });
  }
  return label("reason.by", p.by, t("reason.by.nobody"));
}

/** The parameters of `code` as the page shows them (labels instead of raw names). */
function shown(code, p) {
  const out = { ...p };
  if ("alt_m" in p) out.alt_m = Math.round(p.alt_m);
  if ("mode" in p) out.mode = modeLabel(p.mode);
  if ("from_mode" in p) out.from_mode = modeLabel(p.from_mode);
  if ("to_mode" in p) out.to_mode = modeLabel(p.to_mode);
  if ("state" in p) out.state = label("patrol.state", p.state, p.state);
  if ("checks" in p) out.checks = checkNames(p.checks);
  if ("error" in p) out.error = errorLabel(p);
  if (Array.isArray(p.patrols)) out.patrols = p.patrols.map((id) => `#${id}`).join(zh() ? "、" : ", ");
  if (code === "returning") out.why = who(p);
  if (code === "mode_changed") out.who = who(p);
  if (code === "landed_early") {
    const { at_item: item, ...rest } = p;
    out.why = p.mode ? reasonText("returning", { ...rest, item }) : t("reason.before_end");
  }
  if (code === "aborted") {
    // the pilot's note is shown as typed (a user's own words, like a drone's name)
    out.note = p.note || t("reason.note.default");
    out.rtl = p.rtl ? label("reason.rtl", p.rtl, "") : "";
  }
  return out;
}

/** A reason in the page's language, or null when the code is not known to the page. */
export function reasonText(code, params = {}) {
  if (!code) return null;
  const key = `reason.${code}`;
  if (!hasText(key)) return null;
  const text = t(key, shown(code, params ?? {}));
  // the vehicle's own words (STATUSTEXT) after ours, on the English page
  return code === "vehicle_text" && !zh() && params?.detail ? `${text}: ${params.detail}` : text;
}

/** A patrol's (or a schedule run's) reason from its `reason_code`, falling back to the English
 * text off the Chinese page for rows stored before reasons had codes. */
export function patrolReason(p) {
  const text = reasonText(p.reason_code, p.reason_params);
  if (text) return text;
  return zh() ? null : p.reason || null;
}
