// One colour per drone, shared by its marker, its planned route and its track; and one per
// sortie in a plan's preview. Chosen to stay apart from the site layers' own colours (water
// blue, zone green, no-fly red) and from each other for the first eight.
const PALETTE = ["#e65100", "#1565c0", "#ad1457", "#00897b", "#6d4c41", "#5e35b1", "#c0ca33", "#37474f"];

/** The colour of the drone with MAVLink system id `sysid` (stable across pages and reloads). */
export function droneColour(sysid) {
  const n = Number(sysid);
  return PALETTE[(Number.isFinite(n) ? Math.abs(n) - 1 : 0) % PALETTE.length] ?? PALETTE[0];
}

/** The colour of a plan's drone `drone` (counting from 1) in a preview. */
export function sortieColour(drone) {
  return droneColour(drone);
}
