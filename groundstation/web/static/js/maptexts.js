// Leaflet's own words (the zoom buttons' and layer switcher's titles, a popup's close button)
// in the page's language: a screen reader, or a long press, must not read English on the
// Chinese page.
import { t } from "./i18n.js";

function label(el, text) {
  if (!el) return;
  el.title = text;
  el.setAttribute("aria-label", text);
}

/** Name the map's controls in the page's language (call again after a language change). */
export function localizeMapControls(map) {
  const box = map.getContainer();
  label(box.querySelector(".leaflet-control-zoom-in"), t("map.zoom_in"));
  label(box.querySelector(".leaflet-control-zoom-out"), t("map.zoom_out"));
  label(box.querySelector(".leaflet-control-layers-toggle"), t("map.layers"));
}

/** Every popup's close button named in the page's language. */
export function localizePopups(map) {
  map.on("popupopen", (e) => {
    const close = e.popup.getElement()?.querySelector(".leaflet-popup-close-button");
    if (close) close.setAttribute("aria-label", t("map.close"));
  });
}
