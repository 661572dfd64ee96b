// Chinese (default) and English texts, and the language switch.
// Static elements carry data-i18n="key"; dynamic ones call t(key, params) when they render.

const TEXTS = {
  "zh-CN": {
    "app.title": "生态巡护无人机地面站",
    "app.subtitle": "龙游湖 · 天巡实时地图",
    "login.username": "用户名",
    "login.password": "密码",
    "login.submit": "登录",
    "login.logout": "退出",
    "login.failed": "登录失败：{detail}",
    "lang.other": "English",
    "conn.connecting": "连接中…",
    "conn.live": "实时",
    "conn.reconnecting": "重新连接中（{s} 秒后）",
    "conn.offline": "已断开",
    "role.admin": "管理员",
    "role.pilot": "飞手",
    "role.officer": "民警",
    "tab.vehicles": "无人机",
    "tab.patrols": "巡逻",
    "tab.incidents": "事件",
    "tab.alerts": "告警",
    "vehicle.none": "暂无无人机",
    "vehicle.no_position": "无位置",
    "vehicle.link.ok": "链路正常",
    "vehicle.link.degraded": "链路不稳",
    "vehicle.link.lost": "链路丢失",
    "vehicle.lost_for": "失联 {age}",
    "vehicle.armed": "已解锁",
    "vehicle.disarmed": "未解锁",
    "vehicle.battery": "电量",
    "vehicle.alt": "高度",
    "vehicle.speed": "速度",
    "vehicle.mode": "模式",
    "vehicle.next_wp": "下一航点 {n}",
    "controls.title": "飞行控制：{name}",
    "controls.select": "在地图或列表中选择一架无人机以进行控制",
    "controls.rtl": "返航",
    "controls.land": "降落",
    "controls.pause": "暂停",
    "controls.continue": "继续",
    "controls.goto": "飞往地图点…",
    "controls.goto_hint": "请在地图上点击目标点",
    "controls.dispatch": "派往事件…",
    "controls.confirm_goto": "确认让 {name} 飞往 {lat}, {lon}（高度 {alt} 米）？",
    "controls.confirm_cmd": "确认对 {name} 执行「{cmd}」？",
    "controls.confirm_dispatch": "确认派 {name} 前往事件 #{id}（{type}）？",
    "controls.sent": "{cmd}：已执行",
    "controls.failed": "{cmd} 失败：{detail}",
    "controls.unavailable": "地面站尚未提供此指令",
    "controls.choose_incident": "选择事件",
    "patrol.none": "暂无进行中的巡逻",
    "patrol.start": "开始巡逻",
    "patrol.plan": "航线规划",
    "patrol.sortie": "架次",
    "patrol.vehicle": "无人机",
    "patrol.no_plans": "暂无航线规划（可用 ecopatrol plan 或接口创建）",
    "patrol.started": "巡逻 #{id} 已开始",
    "patrol.label": "巡逻 #{id}",
    "patrol.state.planned": "已计划",
    "patrol.state.preflight": "飞行前检查",
    "patrol.state.uploading": "上传航线",
    "patrol.state.launching": "起飞中",
    "patrol.state.flying": "巡逻中",
    "patrol.state.returning": "返航中",
    "patrol.state.landed": "已降落",
    "patrol.state.reported": "已出报告",
    "patrol.state.aborted": "已中止",
    "patrol.state.failed": "失败",
    "patrol.abort": "中止",
    "incident.hint": "点击地图上报事件",
    "incident.none": "暂无未结事件",
    "incident.report_here": "在此上报事件",
    "incident.send_here": "派 {name} 飞往此处…",
    "incident.new": "上报事件",
    "incident.type": "类型",
    "incident.description": "描述",
    "incident.photos": "照片",
    "incident.position": "位置",
    "incident.use_vehicle": "使用 {name} 的当前位置",
    "incident.submit": "提交",
    "incident.cancel": "取消",
    "incident.created": "事件 #{id} 已上报",
    "incident.reported_at": "上报时间",
    "incident.status": "状态",
    "incident.assignee": "负责人",
    "incident.unassigned": "未指派",
    "incident.assign": "指派",
    "incident.resolve": "结案",
    "incident.reopen": "重新打开",
    "incident.no_photos": "无照片",
    "incident.status.open": "待处理",
    "incident.status.assigned": "已指派",
    "incident.status.resolved": "已结案",
    "incident.type.illegal_fishing": "非法捕捞",
    "incident.type.illegal_sand_mining": "非法采砂",
    "incident.type.pollution_discharge": "污染排放",
    "incident.type.fire_or_smoke": "火情烟雾",
    "incident.type.drowning_risk": "溺水风险",
    "incident.type.illegal_dumping": "非法倾倒",
    "incident.type.poaching": "偷猎",
    "incident.type.theft": "盗窃",
    "incident.type.other": "其他",
    "alerts.none": "暂无告警",
    "alerts.dismiss": "关闭",
    "alerts.link_lost": "{name} 链路丢失",
    "alerts.link_regained": "{name} 链路恢复",
    "alerts.failure": "巡逻 #{id} 失败：{reason}",
    "alerts.fence_breach": "巡逻 #{id}（{name}）越出电子围栏：{reason}",
    "alerts.failsafe": "巡逻 #{id}（{name}）失效保护：{reason}",
    "alerts.rtl": "巡逻 #{id}（{name}）返航：{reason}",
    "alerts.mode_changed": "巡逻 #{id}（{name}）飞行模式被更改：{reason}",
    "alerts.report_ready": "巡逻报告已生成：{reason}",
    "alerts.patrol_skipped": "计划巡逻已跳过：{reason}",
    "alerts.patrol_delayed": "计划巡逻已推迟：{reason}",
    "layer.patrol_area": "巡逻区",
    "layer.no_fly": "禁飞区",
    "layer.hotspot": "重点区域",
    "layer.poi": "兴趣点",
    "layer.stations": "无人机站",
    "layer.tracks": "航迹",
    "layer.tiles": "底图",
    "map.tiles_error": "底图不可用：{detail}",
    "error.generic": "出错了：{detail}",
    "confirm.ok": "确认",
    "confirm.cancel": "取消",
  },
  en: {
    "app.title": "ecopatrol ground station",
    "app.subtitle": "Longyou Lake · sky watch live map",
    "login.username": "Username",
    "login.password": "Password",
    "login.submit": "Log in",
    "login.logout": "Log out",
    "login.failed": "Login failed: {detail}",
    "lang.other": "中文",
    "conn.connecting": "connecting…",
    "conn.live": "live",
    "conn.reconnecting": "reconnecting (in {s} s)",
    "conn.offline": "offline",
    "role.admin": "admin",
    "role.pilot": "pilot",
    "role.officer": "officer",
    "tab.vehicles": "Drones",
    "tab.patrols": "Patrols",
    "tab.incidents": "Incidents",
    "tab.alerts": "Alerts",
    "vehicle.none": "No drones yet",
    "vehicle.no_position": "no position",
    "vehicle.link.ok": "link ok",
    "vehicle.link.degraded": "link degraded",
    "vehicle.link.lost": "link lost",
    "vehicle.lost_for": "lost {age}",
    "vehicle.armed": "armed",
    "vehicle.disarmed": "disarmed",
    "vehicle.battery": "battery",
    "vehicle.alt": "alt",
    "vehicle.speed": "speed",
    "vehicle.mode": "mode",
    "vehicle.next_wp": "next waypoint {n}",
    "controls.title": "Flight controls: {name}",
    "controls.select": "Select a drone on the map or in the list to control it",
    "controls.rtl": "Return home",
    "controls.land": "Land",
    "controls.pause": "Pause",
    "controls.continue": "Continue",
    "controls.goto": "Go to map point…",
    "controls.goto_hint": "Click the target point on the map",
    "controls.dispatch": "Dispatch to incident…",
    "controls.confirm_goto": "Send {name} to {lat}, {lon} (altitude {alt} m)?",
    "controls.confirm_cmd": "Send \"{cmd}\" to {name}?",
    "controls.confirm_dispatch": "Dispatch {name} to incident #{id} ({type})?",
    "controls.sent": "{cmd}: done",
    "controls.failed": "{cmd} failed: {detail}",
    "controls.unavailable": "the station does not offer this command yet",
    "controls.choose_incident": "Choose an incident",
    "patrol.none": "No patrols in progress",
    "patrol.start": "Start patrol",
    "patrol.plan": "Plan",
    "patrol.sortie": "Sortie",
    "patrol.vehicle": "Drone",
    "patrol.no_plans": "No plans yet (create one with ecopatrol plan or the API)",
    "patrol.started": "Patrol #{id} started",
    "patrol.label": "Patrol #{id}",
    "patrol.state.planned": "planned",
    "patrol.state.preflight": "preflight",
    "patrol.state.uploading": "uploading",
    "patrol.state.launching": "launching",
    "patrol.state.flying": "flying",
    "patrol.state.returning": "returning",
    "patrol.state.landed": "landed",
    "patrol.state.reported": "reported",
    "patrol.state.aborted": "aborted",
    "patrol.state.failed": "failed",
    "patrol.abort": "Abort",
    "incident.hint": "Click the map to report an incident",
    "incident.none": "No open incidents",
    "incident.report_here": "Report an incident here",
    "incident.send_here": "Send {name} here…",
    "incident.new": "Report an incident",
    "incident.type": "Type",
    "incident.description": "Description",
    "incident.photos": "Photos",
    "incident.position": "Position",
    "incident.use_vehicle": "Use {name}'s current position",
    "incident.submit": "Submit",
    "incident.cancel": "Cancel",
    "incident.created": "Incident #{id} reported",
    "incident.reported_at": "Reported",
    "incident.status": "Status",
    "incident.assignee": "Assigned to",
    "incident.unassigned": "nobody",
    "incident.assign": "Assign",
    "incident.resolve": "Resolve",
    "incident.reopen": "Reopen",
    "incident.no_photos": "no photos",
    "incident.status.open": "open",
    "incident.status.assigned": "assigned",
    "incident.status.resolved": "resolved",
    "incident.type.illegal_fishing": "illegal fishing",
    "incident.type.illegal_sand_mining": "illegal sand mining",
    "incident.type.pollution_discharge": "pollution discharge",
    "incident.type.fire_or_smoke": "fire or smoke",
    "incident.type.drowning_risk": "drowning risk",
    "incident.type.illegal_dumping": "illegal dumping",
    "incident.type.poaching": "poaching",
    "incident.type.theft": "theft",
    "incident.type.other": "other",
    "alerts.none": "No alerts",
    "alerts.dismiss": "Dismiss",
    "alerts.link_lost": "{name}: link lost",
    "alerts.link_regained": "{name}: link regained",
    "alerts.failure": "Patrol #{id} failed: {reason}",
    "alerts.fence_breach": "Patrol #{id} ({name}) left the geofence: {reason}",
    "alerts.failsafe": "Patrol #{id} ({name}) failsafe: {reason}",
    "alerts.rtl": "Patrol #{id} ({name}) returning: {reason}",
    "alerts.mode_changed": "Patrol #{id} ({name}) flight mode changed: {reason}",
    "alerts.report_ready": "Patrol report ready: {reason}",
    "alerts.patrol_skipped": "Scheduled patrol skipped: {reason}",
    "alerts.patrol_delayed": "Scheduled patrol delayed: {reason}",
    "layer.patrol_area": "Patrol area",
    "layer.no_fly": "No-fly zones",
    "layer.hotspot": "Hotspots",
    "layer.poi": "Points of interest",
    "layer.stations": "Drone station",
    "layer.tracks": "Tracks",
    "layer.tiles": "Base tiles",
    "map.tiles_error": "Base tiles unavailable: {detail}",
    "error.generic": "Something went wrong: {detail}",
    "confirm.ok": "Confirm",
    "confirm.cancel": "Cancel",
  },
};

export const LANGS = Object.keys(TEXTS);
const STORAGE_KEY = "ecopatrol.lang";
const listeners = new Set();
let current = "zh-CN";

/** Pick the stored language, else `fallback` (the station's default, zh-CN). */
export function initLang(fallback = "zh-CN") {
  const stored = localStorage.getItem(STORAGE_KEY);
  current = TEXTS[stored] ? stored : TEXTS[fallback] ? fallback : "zh-CN";
  applyStatic();
}

export function lang() {
  return current;
}

export function setLang(name) {
  if (!TEXTS[name] || name === current) return;
  current = name;
  localStorage.setItem(STORAGE_KEY, name);
  applyStatic();
  for (const fn of listeners) fn(name);
}

export function toggleLang() {
  setLang(current === "zh-CN" ? "en" : "zh-CN");
}

/** Call `fn` after every language change (to re-render dynamic text). */
export function onLangChange(fn) {
  listeners.add(fn);
}

/** The text for `key` in the current language, with {name} placeholders filled from `params`. */
export function t(key, params = {}) {
  const text = TEXTS[current][key] ?? TEXTS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

/** `key` if it has a text, else null (for codes the station may or may not send). */
export function hasText(key) {
  return key in TEXTS[current];
}

function applyStatic() {
  document.documentElement.lang = current;
  document.title = t("app.title");
  for (const el of document.querySelectorAll("[data-i18n]")) {
    el.textContent = t(el.dataset.i18n);
  }
  for (const el of document.querySelectorAll(".lang-switch")) {
    el.textContent = t("lang.other");
  }
}
