// leaflet-geoman (npm @geoman-io/leaflet-geoman-free, served by the station like Leaflet) for
// drawing areas and lines. It is a classic script that extends a global `L`, so it gets one: a
// plain copy of Leaflet's ES module namespace (which is frozen), sharing its classes, so the
// maps the page makes from that module get geoman's `map.pm` too. Import this module before any
// map is made: its top-level await holds the importers until geoman is loaded.
import * as Leaflet from "/static/vendor/leaflet/leaflet-src.esm.js";

const GEOMAN = "/static/vendor/geoman/leaflet-geoman";

function load(tag, attrs) {
  return new Promise((resolve, reject) => {
    const el = Object.assign(document.createElement(tag), attrs);
    el.onload = resolve;
    el.onerror = () => reject(new Error(`could not load ${attrs.src ?? attrs.href}`));
    document.head.append(el);
  });
}

if (!globalThis.L?.PM) {
  globalThis.L = { ...Leaflet };
  try {
    await Promise.all([
      load("link", { rel: "stylesheet", href: `${GEOMAN}.css` }),
      load("script", { src: `${GEOMAN}.min.js` }),
    ]);
  } catch (err) {
    // the map and everything else still work; the planner's draw buttons stay disabled
    console.error(err);
  }
}

/** True when the drawing tools loaded (the planner draws with them). */
export const drawingReady = Boolean(globalThis.L?.PM);
