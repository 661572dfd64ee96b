// /ws/live with authentication by first message, pings, and reconnection with back-off.
// What the page shows is kept while the socket is down; the next snapshot refreshes it.

const PING_MS = 20000;
const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 10000;
const CLOSE_POLICY = 1008;

export class LiveSocket {
  /**
   * @param {() => string|null} token  the current bearer token
   * @param {object} handlers  onMessage(msg), onState(state, info), onAuthRefused()
   * @param {string} path  the stream's path (a centre's page may add ?station=)
   */
  constructor(token, handlers, path = "/ws/live") {
    this.token = token;
    this.handlers = handlers;
    this.path = path;
    this.ws = null;
    this.stopped = true;
    this.attempt = 0;
    this.timer = null;
    this.pinger = null;
  }

  start() {
    this.stopped = false;
    this.attempt = 0;
    this._open();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.pinger);
    if (this.ws) this.ws.close(1000, "logout");
    this.ws = null;
  }

  _url() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${location.host}${this.path}`;
  }

  _open() {
    this.handlers.onState(this.attempt === 0 ? "connecting" : "reconnecting", {});
    let ws;
    try {
      ws = new WebSocket(this._url());
    } catch (_err) {
      this._retry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      ws.send(JSON.stringify({ type: "auth", token: this.token() }));
    };
    ws.onmessage = (event) => {
      let msg;
      try {
        msg = JSON.parse(event.data);
      } catch {
        return;
      }
      if (msg.type === "snapshot") {
        this.attempt = 0;
        this.handlers.onState("live", {});
        clearInterval(this.pinger);
        this.pinger = setInterval(() => {
          if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "ping" }));
        }, PING_MS);
      }
      this.handlers.onMessage(msg);
    };
    ws.onclose = (event) => {
      clearInterval(this.pinger);
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stopped) return;
      if (event.code === CLOSE_POLICY) {
        this.stopped = true;
        this.handlers.onState("offline", {});
        this.handlers.onAuthRefused();
        return;
      }
      this._retry();
    };
  }

  _retry() {
    const base = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** this.attempt);
    const delay = Math.round(base * (0.75 + Math.random() * 0.5));
    this.attempt += 1;
    this.handlers.onState("reconnecting", { delayMs: delay });
    this.timer = setTimeout(() => {
      if (!this.stopped) this._open();
    }, delay);
  }
}
