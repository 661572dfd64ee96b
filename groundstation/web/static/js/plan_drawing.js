// Drawing a plan's area or a corridor's centre line on the map (leaflet-geoman, ./geoman.js):
// the drawn shape becomes the open plan form's area.
import { t } from "./i18n.js";
import { toast } from "./dom.js";
import { drawingReady } from "./geoman.js";

export const AREA_STYLE = { color: "#0d47a1", weight: 2, dashArray: "5 4", fillColor: "#64b5f6", fillOpacity: 0.15 };

/** Start drawing the plan's area (or a corridor's centre `line`) with leaflet-geoman. */
export function startDrawing(planner, line) {
  if (!drawingReady) return;
  clearDrawing(planner);
  planner.map.pm.enableDraw(line ? "Line" : "Polygon", {
    snappable: false,
    continueDrawing: false,
    templineStyle: { color: "#0d47a1" },
    hintlineStyle: { color: "#0d47a1", dashArray: "5 5" },
    pathOptions: AREA_STYLE,
  });
  document.getElementById("map")?.classList.add("drawing");
  toast(t(line ? "plan.drawing_line" : "plan.drawing"));
}

export function stopDrawing(planner) {
  if (drawingReady && planner.map.pm.globalDrawModeEnabled()) planner.map.pm.disableDraw();
  document.getElementById("map")?.classList.remove("drawing");
}

/** True while a shape is being drawn (and just after): the map's click menu stays away. */
export function isDrawing(planner) {
  return (drawingReady && planner.map.pm.globalDrawModeEnabled()) || Date.now() - planner.drawnAt < 600;
}

/** A shape was drawn: it becomes the open form's area (and follows its edits). */
export function onDrawn(planner, layer) {
  planner.drawnAt = Date.now();
  stopDrawing(planner);
  if (!planner.values) {
    layer.remove();
    return;
  }
  clearDrawing(planner);
  planner.drawn = layer;
  planner.shape = layer.toGeoJSON().geometry;
  layer.on("pm:edit", () => {
    planner.shape = layer.toGeoJSON().geometry;
  });
  planner.render();
}

export function clearDrawing(planner) {
  if (planner.drawn) planner.drawn.remove();
  planner.drawn = null;
  planner.shape = null;
}
