// A plan's route on the map (a preview or a stored plan): the area, and each sortie's legs in
// the sortie's colour (transits dashed, a tour's stops as dots).
import { L } from "./map.js";
import { sortieColour } from "./colours.js";

/** Draw a plan's route: its area, and each sortie's legs in the sortie's colour. */
export function drawRoute(planner, route, { fit = false } = {}) {
  planner.preview.clearLayers();
  if (!route) return;
  const layer = L.geoJSON(route, {
    filter: (f) => f.geometry && (f.properties?.role === "area" || f.properties?.sortie !== undefined),
    style: (f) =>
      f.properties?.role === "area"
        ? { color: "#0d47a1", weight: 1, dashArray: "3 4", fill: false }
        : {
            color: sortieColour(f.properties.sortie),
            weight: f.properties.kind === "transit" ? 2 : 3,
            opacity: 0.9,
            dashArray: f.properties.kind === "transit" ? "4 6" : null,
          },
    pointToLayer: (_f, latlng) => L.circleMarker(latlng, { radius: 3 }),
    interactive: false,
  }).addTo(planner.preview);
  const el = document.getElementById("map");
  if (el) el.dataset.planPreview = String(layer.getLayers().length);
  if (fit && layer.getBounds().isValid()) planner.map.fitBounds(layer.getBounds(), { padding: [30, 30], maxZoom: 17 });
}

/** Take the route off the map and forget the shown result. */
export function clearPreview(planner) {
  planner.preview.clearLayers();
  planner.result = null;
  const el = document.getElementById("map");
  if (el) delete el.dataset.planPreview;
}
