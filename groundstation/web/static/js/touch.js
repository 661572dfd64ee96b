// The map on a phone: popups sized to the map they open in (so a tall incident popup scrolls
// inside the map instead of being cut off under the top bar), and a layer switcher that stays
// open on a tap (Leaflet closes it on the mouseleave a touch browser fires after a tap).
import { L } from "./map.js";

const POPUP_MARGIN_PX = 16;
const CONTROLS_PX = 56;

/** Is this a touch device with a coarse pointer (a phone, a tablet)? */
export function coarsePointer() {
  return window.matchMedia?.("(pointer: coarse)").matches ?? false;
}

/** Fit every popup into the map: its height at most the map's, its top never above it. */
export function fitPopups(map) {
  map.on("popupopen", (e) => {
    const size = map.getSize();
    const popup = e.popup;
    // clear of the map's corner controls (zoom, layers: 44 px on a phone) left and right
    const side = size.x < 600 ? CONTROLS_PX + POPUP_MARGIN_PX : POPUP_MARGIN_PX;
    popup.options.maxHeight = Math.max(120, size.y - 4 * POPUP_MARGIN_PX);
    popup.options.maxWidth = Math.max(160, Math.min(320, size.x - 2 * side - 2 * POPUP_MARGIN_PX));
    popup.options.autoPanPaddingTopLeft = L.point(side, POPUP_MARGIN_PX);
    popup.options.autoPanPaddingBottomRight = L.point(side, POPUP_MARGIN_PX);
    popup.update();
  });
}

/** On a touch device, the layer switcher opens on a tap and closes on a tap on the map only. */
export function keepLayersOpenOnTap(control) {
  if (!coarsePointer()) return;
  const container = control.getContainer();
  if (!container) return;
  L.DomEvent.off(container, "mouseleave", control.collapse, control);
}
