// Follow mode: the map keeps the selected drone in view as it flies, until the pilot drags the
// map or turns it off. A button under the zoom buttons switches it.
import { L } from "./map.js";
import { addTexts, t } from "./i18n.js";

addTexts({
  "zh-CN": { "follow.on": "跟随所选无人机", "follow.off": "停止跟随" },
  en: { "follow.on": "Follow the selected drone", "follow.off": "Stop following" },
});

export class FollowMode {
  constructor(siteMap, store) {
    this.map = siteMap.map;
    this.store = store;
    this.on = false;
    this.control = L.control({ position: "topleft" });
    this.control.onAdd = () => {
      this.button = L.DomUtil.create("button", "follow-toggle");
      this.button.type = "button";
      this.button.dataset.testid = "follow-toggle";
      L.DomEvent.disableClickPropagation(this.button);
      this.button.addEventListener("click", () => this.set(!this.on));
      this.render();
      return this.button;
    };
    this.control.addTo(this.map);
    this.map.on("dragstart", () => this.set(false));
    store.on("vehicle", (v) => {
      if (this.on && v.sysid === store.selected) this.follow(v);
    });
    store.on("selected", () => {
      if (this.on) this.follow(store.vehicles.get(store.selected));
    });
  }

  set(on) {
    if (on && this.store.selected === null) {
      const first = [...this.store.vehicles.values()].find((v) => v.lat !== null && v.lat !== undefined);
      if (!first) return;
      this.store.select(first.sysid);
    }
    this.on = on;
    this.render();
    if (on) this.follow(this.store.vehicles.get(this.store.selected));
  }

  follow(v) {
    if (!v || v.lat === null || v.lat === undefined) return;
    const here = L.latLng(v.lat, v.lon);
    const bounds = this.map.getBounds().pad(-0.25);
    if (!bounds.contains(here)) this.map.panTo(here, { animate: true, duration: 0.5 });
  }

  render() {
    if (!this.button) return;
    this.button.textContent = t(this.on ? "follow.off" : "follow.on");
    this.button.setAttribute("aria-pressed", String(this.on));
    this.button.classList.toggle("active", this.on);
  }
}
