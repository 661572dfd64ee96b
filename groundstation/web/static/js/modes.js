// Flight modes in words: the pilot reads 自动航线 / 返航, not AUTO / RTL.
import { t, hasText } from "./i18n.js";

/** A flight mode in the page's language (ArduPilot/PX4 names); an unknown one as sent. */
export function modeLabel(mode) {
  if (!mode) return "";
  const key = `mode.${mode}`;
  return hasText(key) ? t(key) : mode;
}
