/* The console's words in the operator's language, through the shared mechanism (../i18n.js).
 * The locale is the one chosen in the console's top bar (kept in this browser), else the
 * browser's languages. test/i18n.test.js fails when a t(...) of the console has no Chinese. */
import { pickLocale, translatePage, translator } from "../i18n.js";
import { CONSOLE_ZH_CN } from "./console-zh-cn.js";

// Where the operator's choice of language is kept (this browser only; a choice, not a secret).
const CHOSEN_LOCALE_KEY = "parley-console-locale";

/** @type {Record<string, Record<string, string>>} */
export const TRANSLATIONS = { "zh-CN": CONSOLE_ZH_CN };

const words = translator(TRANSLATIONS);
export const t = words.t;
export const locale = words.locale;

/** The chosen locale, else the browser's: set it and translate the page's static words. */
export function startLocale() {
  let chosen = null;
  try {
    chosen = window.localStorage.getItem(CHOSEN_LOCALE_KEY);
  } catch (_blocked) {
    // storage refused (private mode): the browser's languages decide
  }
  words.setLocale(pickLocale(chosen, navigator.languages || [navigator.language]));
  translatePage(document, t, words.locale());
}

/** Remember the operator's choice (the page reloads to draw everything in it). */
export function chooseLocale(/** @type {string} */ wanted) {
  try {
    window.localStorage.setItem(CHOSEN_LOCALE_KEY, wanted);
  } catch (_blocked) {
    // not kept: this page still switches
  }
}
