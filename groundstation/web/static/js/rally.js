// Rally points: where a drone may land besides the station (the safety settings' points on land,
// from the site summary), drawn as "R" marks with their own entry in the layer switch.
import { L } from "./map.js";
import { addTexts, t } from "./i18n.js";

addTexts({
  "zh-CN": { "layer.rally": "备降点", "rally.name": "备降点 {n}" },
  en: { "layer.rally": "Rally points", "rally.name": "Rally point {n}" },
});

/** Draw the site's rally points ([lon, lat] pairs); returns how many. */
export function drawRallyPoints(siteMap, site) {
  const points = site?.rally_points ?? [];
  if (points.length === 0) return 0;
  const group = L.layerGroup();
  points.forEach(([lon, lat], i) => {
    const icon = L.divIcon({
      className: "rally-icon",
      html: `<span class="rally-marker" data-testid="rally-point">R</span>`,
      iconSize: [18, 18],
      iconAnchor: [9, 9],
    });
    L.marker([lat, lon], { icon, keyboard: false, interactive: true })
      .bindPopup(() => t("rally.name", { n: i + 1 }))
      .addTo(group);
  });
  group.addTo(siteMap.map);
  siteMap.addOverlay(group, "layer.rally");
  return points.length;
}
