// Live video: a pane per selected vehicle with a camera (several on a desktop, one on a phone),
// and the photos its camera took, on the map where they were taken.
//
// The station passes the camera's H.264 through untouched, two ways:
// - WebRTC by WHEP (the default): an SDP offer POSTed to /api/video/{sysid}/whep, the answer
//   played from an RTCPeerConnection (no library); DELETE of the session's URL on close. The
//   browser's jitter buffer is asked for JITTER_TARGET_MS: with 0 Chromium dropped 7-14 % of a
//   720p stream's frames on loopback (bench/video_browsers.py), which a short buffer absorbs.
// - Media Source Extensions (the fallback when WebRTC fails: no H.264 receiver, no ICE path, no
//   viewer place left): fragmented MP4 over a websocket (/ws/video/{sysid}): a JSON
//   {"type": "init", "mime": ...} first, then binary MP4 pieces that go straight into a
//   SourceBuffer. The player keeps to the live edge: when more than LAG_S is buffered ahead of
//   what is shown it jumps forward, so a stall (a busy tab, a slow network) costs picture, never
//   delay.
// "?video=mse" or "?video=webrtc" in the page's address picks one without fallback (benches).
import { h, toast } from "./dom.js";
import { t } from "./i18n.js";
import { L } from "./map.js";
import { formatTime } from "./time.js";

const LAG_S = 0.5;
const KEEP_S = 10;
const MAX_PANES_WIDE = 4;
const NARROW = "(max-width: 700px)";

export class VideoPlayer {
  /** @param {HTMLVideoElement} video  @param {string} url  websocket URL */
  constructor(video, url) {
    this.video = video;
    this.url = url;
    this.ws = null;
    this.source = null;
    this.buffer = null;
    this.pending = [];
    this.frames = 0;
    this.bytes = 0;
    this.mime = null;
    this.onState = () => {};
  }

  start() {
    this.ws = new WebSocket(this.url);
    this.ws.binaryType = "arraybuffer";
    this.ws.onmessage = (ev) => this._message(ev.data);
    this.ws.onclose = (ev) => this.onState(ev.code === 1000 ? "ended" : "error", ev.reason);
    this.onState("connecting");
  }

  stop() {
    if (this.ws) this.ws.close(1000, "closed");
    this.ws = null;
    if (this.video.src) URL.revokeObjectURL(this.video.src);
    this.video.removeAttribute("src");
  }

  _message(data) {
    if (typeof data === "string") {
      const msg = JSON.parse(data);
      if (msg.type === "init") this._open(msg.mime);
      else if (msg.type === "error") this.onState("error", msg.detail);
      return;
    }
    this.frames += 1;
    this.bytes += data.byteLength;
    this.pending.push(data);
    this._pump();
  }

  _open(mime) {
    if (!window.MediaSource || !MediaSource.isTypeSupported(mime)) {
      this.onState("error", t("video.unsupported", { mime }));
      return;
    }
    this.mime = mime;
    this.source = new MediaSource();
    this.video.src = URL.createObjectURL(this.source);
    this.source.addEventListener(
      "sourceopen",
      () => {
        this.buffer = this.source.addSourceBuffer(mime);
        this.buffer.mode = "segments";
        this.buffer.addEventListener("updateend", () => this._pump());
        this._pump();
      },
      { once: true },
    );
    this.video.play().catch(() => {});
    this.onState("playing");
  }

  _pump() {
    const sb = this.buffer;
    if (!sb || sb.updating || this.pending.length === 0) return;
    const ranges = sb.buffered;
    if (ranges.length) {
      const end = ranges.end(ranges.length - 1);
      if (end - this.video.currentTime > LAG_S) this.video.currentTime = Math.max(0, end - 0.05);
      if (this.video.currentTime - ranges.start(0) > KEEP_S * 2) {
        sb.remove(0, this.video.currentTime - KEEP_S);
        return;
      }
    }
    try {
      sb.appendBuffer(this.pending.shift());
    } catch (err) {
      this.pending = []; // quota or a decode error: drop the backlog, the next key frame recovers
      this.onState("error", err.message);
    }
  }
}

const ICE_GATHER_MS = 2000;
const JITTER_TARGET_MS = 80;
const FIRST_FRAME_MS = 8000;

/** Wait until `pc` has gathered its ICE candidates (host only: no STUN), at most `ms`. */
function iceGathered(pc, ms) {
  return new Promise((resolve) => {
    if (pc.iceGatheringState === "complete") resolve();
    const timer = setTimeout(resolve, ms);
    pc.addEventListener("icegatheringstatechange", () => {
      if (pc.iceGatheringState === "complete") {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

/** WebRTC by WHEP: the camera's H.264 in an RTCPeerConnection. start() rejects if it fails. */
export class WhepPlayer {
  /** @param {HTMLVideoElement} video  @param {string} url  the WHEP endpoint  @param {string} token */
  constructor(video, url, token) {
    this.video = video;
    this.url = url;
    this.token = token;
    this.pc = null;
    this.session = null;
    this.stopped = false;
    this.onState = () => {};
    this.onFailed = () => {};
  }

  async start() {
    this.onState("connecting");
    const caps = window.RTCRtpReceiver?.getCapabilities?.("video")?.codecs ?? [];
    const h264 = caps.filter((c) => c.mimeType === "video/H264" && /packetization-mode=1/.test(c.sdpFmtpLine ?? ""));
    if (h264.length === 0) throw new Error("no H.264 over WebRTC in this browser");
    const pc = new RTCPeerConnection({ iceServers: [] });
    this.pc = pc;
    const transceiver = pc.addTransceiver("video", { direction: "recvonly" });
    transceiver.setCodecPreferences([...h264, ...caps.filter((c) => c.mimeType === "video/rtx")]);
    if ("jitterBufferTarget" in transceiver.receiver) transceiver.receiver.jitterBufferTarget = JITTER_TARGET_MS;
    const track = new Promise((resolve) => {
      pc.ontrack = (ev) => resolve(ev.track);
    });
    await pc.setLocalDescription(await pc.createOffer());
    await iceGathered(pc, ICE_GATHER_MS);
    const response = await fetch(this.url, {
      method: "POST",
      headers: { "Content-Type": "application/sdp", Authorization: `Bearer ${this.token}` },
      body: pc.localDescription.sdp,
    });
    if (response.status !== 201) {
      const body = await response.json().catch(() => ({}));
      throw new Error(body.detail ?? `WHEP ${response.status}`);
    }
    this.session = new URL(response.headers.get("Location"), location.href).href;
    if (this.stopped) {
      this.stop(); // closed while the offer was on its way: leave the station's session at once
      return;
    }
    await pc.setRemoteDescription({ type: "answer", sdp: await response.text() });
    this.video.srcObject = new MediaStream([await track]);
    this.video.play().catch(() => {});
    await this._firstFrame();
    pc.addEventListener("connectionstatechange", () => {
      if (pc.connectionState === "failed") this.onFailed(new Error("WebRTC connection failed"));
    });
    this.onState("playing");
  }

  _firstFrame() {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no WebRTC picture in time")), FIRST_FRAME_MS);
      this.video.requestVideoFrameCallback(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  stop() {
    this.stopped = true;
    if (this.session) {
      fetch(this.session, {
        method: "DELETE",
        headers: { Authorization: `Bearer ${this.token}` },
        keepalive: true,
      }).catch(() => {});
    }
    this.session = null;
    this.pc?.close();
    this.pc = null;
    this.video.srcObject = null;
  }
}

/** The line under a pane's header: recording or not, and whose say it is. */
export function recordingLine(s) {
  switch (s.reason) {
    case "disk_full":
      return t("video.rec_disk_full");
    case "offline":
      return t("video.rec_offline");
    case "pilot":
      return t(s.recording ? "video.rec_on_pilot" : "video.rec_off_pilot", {
        by: s.chosen_by ?? "",
        at: formatTime(s.chosen_at),
      });
    case "settings":
      return t(s.recording ? "video.rec_on_settings" : "video.rec_off_settings");
    default:
      return "";
  }
}

/** The panes of live video, opened by selecting a vehicle that has a camera. */
export class VideoPanes {
  constructor(store, api, siteMap, container) {
    this.store = store;
    this.api = api;
    this.siteMap = siteMap;
    this.container = container;
    this.cameras = new Map(); // sysid -> camera
    this.panes = new Map(); // sysid -> {el, player, recording}
    this.recordButtons = new Map(); // sysid -> the open pane's record button
    this.shown = new Map(); // sysid -> the recording state a pane last showed
    this.autoOpened = false;
    store.on("selected", () => this.openSelected());
    store.on("vehicles", () => this.retitle());
    store.on("recording", (state) => this.recordingChanged(state));
  }

  /** Learn the cameras; with none selected, open the first drone's video (no extra step). */
  async load() {
    const cams = await this.api.get("/api/video/cameras");
    this.cameras = new Map(cams.data.map((c) => [c.sysid, c]));
    for (const c of cams.data) if (c.recording_state) this.store.applyRecording(c.recording_state);
    this.openSelected();
    const first = cams.data.find((c) => c.has_video);
    if (!this.autoOpened && this.panes.size === 0 && first) {
      this.autoOpened = true;
      this.open(first.sysid);
    }
  }

  openSelected() {
    const sysid = this.store.selected;
    if (sysid === null || !this.cameras.get(sysid)?.has_video || this.panes.has(sysid)) return;
    const max = window.matchMedia(NARROW).matches ? 1 : MAX_PANES_WIDE;
    while (this.panes.size >= max) this.close(this.panes.keys().next().value);
    this.open(sysid);
  }

  open(sysid) {
    const cam = this.cameras.get(sysid);
    const v = this.store.vehicles.get(sysid);
    const video = h("video", { muted: true, autoplay: true, playsinline: true, dataset: { testid: "video" } });
    video.muted = true;
    const state = h("span", { class: "video-state", dataset: { testid: "video-state" } });
    const title = h("strong", { class: "video-title" }, v?.name ?? `#${sysid}`);
    const buttons = [
      h(
        "button",
        {
          type: "button",
          dataset: { testid: "video-still" },
          title: t("video.still_hint"),
          onclick: () => this.still(sysid),
        },
        t("video.still"),
      ),
      cam.can_capture && this.store.canFly
        ? h(
            "button",
            {
              type: "button",
              dataset: { testid: "video-photo" },
              onclick: () => this.command(sysid, "capture", {}),
            },
            t("video.photo"),
          )
        : null,
      this.store.canFly
        ? h(
            "button",
            {
              type: "button",
              dataset: { testid: "gimbal-down" },
              onclick: () => this.command(sysid, "gimbal", { pitch_deg: -90, yaw_deg: 0 }),
            },
            t("video.look_down"),
          )
        : null,
      this.store.canFly
        ? h(
            "button",
            {
              type: "button",
              dataset: { testid: "gimbal-ahead" },
              onclick: () => this.command(sysid, "gimbal", { pitch_deg: -20, yaw_deg: 0 }),
            },
            t("video.look_ahead"),
          )
        : null,
      this.store.canFly ? this.recordButton(sysid) : null,
      h(
        "button",
        { type: "button", class: "link", "aria-label": t("video.close"), onclick: () => this.close(sysid) },
        "×",
      ),
    ];
    const recordingText = h("span", { dataset: { testid: "video-recording-text" } });
    const byDefault = this.store.canFly
      ? h(
          "button",
          {
            type: "button",
            class: "link",
            dataset: { testid: "video-record-default" },
            title: t("video.record_default_hint"),
            onclick: () => this.recordBySettings(sysid),
          },
          t("video.record_default"),
        )
      : null;
    const recording = h(
      "div",
      { class: "video-recording", dataset: { testid: "video-recording" } },
      recordingText,
      byDefault,
    );
    const el = h(
      "section",
      { class: "video-pane", dataset: { testid: "video-pane", sysid } },
      h("header", {}, title, state, ...buttons),
      recording,
      video,
    );
    this.container.append(el);
    this.container.hidden = false;
    const pane = { el, player: null, recording, recordingText, byDefault };
    this.panes.set(sysid, pane);
    this.showRecording(sysid);
    const onState = (s, detail) => {
      state.dataset.state = s;
      state.textContent = t(`video.${s}`) + (detail ? ` (${detail})` : "");
    };
    const mode = new URLSearchParams(location.search).get("video");
    if (mode === "mse" || !window.RTCPeerConnection) this.playMse(sysid, pane, video, onState);
    else this.playWebRtc(sysid, pane, video, onState, mode !== "webrtc");
  }

  /** WebRTC by WHEP; on failure (now or later) the MSE websocket if `fallback`. */
  playWebRtc(sysid, pane, video, onState, fallback) {
    const player = new WhepPlayer(video, `/api/video/${sysid}/whep`, this.api.token ?? "");
    player.onState = onState;
    pane.player = player;
    pane.el.dataset.transport = "webrtc";
    const failed = (err) => {
      if (pane.player !== player) return;
      player.stop();
      pane.el.dataset.fallback = err.message;
      if (fallback) this.playMse(sysid, pane, video, onState);
      else onState("error", err.message);
    };
    player.onFailed = failed;
    player.start().catch(failed);
  }

  playMse(sysid, pane, video, onState) {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const token = encodeURIComponent(this.api.token ?? "");
    const player = new VideoPlayer(video, `${scheme}//${location.host}/ws/video/${sysid}?token=${token}`);
    player.onState = onState;
    pane.player = player;
    pane.el.dataset.transport = "mse";
    player.start();
  }

  retitle() {
    for (const [sysid, pane] of this.panes) {
      const name = this.store.vehicles.get(sysid)?.name;
      const title = pane.el.querySelector(".video-title");
      if (name && title && title.textContent !== name) title.textContent = name;
    }
  }

  close(sysid) {
    const pane = this.panes.get(sysid);
    if (!pane) return;
    const player = pane.player;
    pane.player = null;
    player?.stop();
    pane.el.remove();
    this.panes.delete(sysid);
    this.container.hidden = this.panes.size === 0;
  }

  async command(sysid, what, body) {
    try {
      await this.api.request("POST", `/api/video/${sysid}/${what}`, { json: body });
      toast(t(`video.done_${what}`));
    } catch (err) {
      toast(t("error.generic", { detail: err.message }), "error");
    }
  }

  /** The station's word on drone `sysid`'s recording (the stream's, else the camera list's). */
  recordingOf(sysid) {
    return this.store.recordings.get(sysid) ?? { sysid, recording: Boolean(this.cameras.get(sysid)?.recording) };
  }

  /** A pilot's button that starts or stops recording the drone's stream (stored, audited);
   * it follows the station (video.recording), not the last click. */
  recordButton(sysid) {
    const button = h("button", { type: "button", dataset: { testid: "video-record" } });
    button.onclick = async () => {
      const on = !this.recordingOf(sysid).recording;
      try {
        await this.api.request("POST", `/api/video/${sysid}/recording`, { json: { on } });
        const by = this.store.user?.full_name || this.store.user?.username || "";
        const mine = { sysid, recording: on, reason: "pilot", chosen_by: by, chosen_at: new Date().toISOString() };
        this.store.applyRecording(mine); // the station's video.recording confirms it
        toast(t(on ? "video.done_record_start" : "video.done_record_stop"));
      } catch (err) {
        toast(t("error.generic", { detail: err.message }), "error");
      }
    };
    this.recordButtons.set(sysid, button);
    return button;
  }

  /** Drop the pilots' choice: the drone records as the station's settings say (audited). */
  async recordBySettings(sysid) {
    try {
      await this.api.request("DELETE", `/api/video/${sysid}/recording`);
      toast(t("video.done_record_default")); // the station's video.recording says what it does now
    } catch (err) {
      toast(t("error.generic", { detail: err.message }), "error");
    }
  }

  /** A start or stop the station told: the open pane's button and line follow it. */
  recordingChanged(state) {
    const before = this.shown.get(state.sysid);
    this.showRecording(state.sysid);
    if (state.reason === "disk_full" && before?.recording && !state.recording) {
      const name = this.store.vehicles.get(state.sysid)?.name ?? `#${state.sysid}`;
      toast(t("video.done_record_disk_full", { name }), "error");
    }
  }

  showRecording(sysid) {
    const pane = this.panes.get(sysid);
    const s = this.recordingOf(sysid);
    this.shown.set(sysid, s);
    const button = this.recordButtons.get(sysid);
    if (button && pane?.el.contains(button)) {
      button.textContent = t(s.recording ? "video.record_stop" : "video.record_start");
      button.setAttribute("aria-pressed", String(Boolean(s.recording)));
    }
    if (!pane) return;
    pane.recordingText.textContent = recordingLine(s);
    if (pane.byDefault) pane.byDefault.hidden = s.reason !== "pilot";
    pane.recording.dataset.reason = s.reason ?? "";
    pane.recording.dataset.recording = String(Boolean(s.recording));
    pane.recording.title = s.error ?? "";
  }

  /** The live picture, stamped, into a new incident at the drone's position. */
  async still(sysid) {
    try {
      const r = await this.api.request("POST", `/api/video/${sysid}/still`, { json: {} });
      toast(t("video.done_still", { id: r.incident.id }));
    } catch (err) {
      toast(t("error.generic", { detail: err.message }), "error");
    }
  }

  /** Point vehicle `sysid`'s camera at a place on the map (DO_SET_ROI_LOCATION). */
  lookAt(sysid, latlng) {
    return this.command(sysid, "roi", { lat_deg: latlng.lat, lon_deg: latlng.lng });
  }

  hasCamera(sysid) {
    return Boolean(this.cameras.get(sysid));
  }
}

/** Photos from the cameras, on the map at their EXIF (else reported) position. */
export class PhotoLayer {
  constructor(siteMap, api) {
    this.api = api;
    this.layer = L.layerGroup().addTo(siteMap.map);
    this.ids = new Set();
    // above the drones (a photo is taken where a drone is), below tooltips and popups
    siteMap.map.createPane("photos").style.zIndex = 640;
  }

  async load() {
    const page = await this.api.get("/api/photos");
    for (const p of page.data) this.add(p);
  }

  add(p) {
    if (this.ids.has(p.id) || p.lat_deg === null) return;
    this.ids.add(p.id);
    const marker = L.circleMarker([p.lat_deg, p.lon_deg], {
      radius: 6,
      color: "#fff",
      weight: 2,
      fillColor: "#d9480f",
      fillOpacity: 0.9,
      className: "photo-marker",
      pane: "photos",
    });
    marker.bindPopup(() => {
      const box = h(
        "div",
        { class: "photo-popup", dataset: { testid: "photo-popup" } },
        h("div", {}, `#${p.sysid} · ${formatTime(p.taken_at)}`),
        h("code", { title: "SHA-256" }, `${p.sha256.slice(0, 16)}…`),
      );
      this.api
        .blobUrl(p.url)
        .then((url) => {
          box.prepend(h("img", { src: url, class: "photo", alt: "", dataset: { testid: "photo-image" } }));
        })
        .catch((err) => box.append(h("p", { class: "error" }, err.message)));
      return box;
    });
    marker.addTo(this.layer);
  }
}
