/* The one translation mechanism of the widget and the console. The English text is the key, so
 * the code reads as English; each front-end keeps its own table of translations
 * (widget/i18n.js, console/console-i18n.js) and anything missing from a table stays English.
 * test/i18n.test.js fails when a t("…") of either has no Simplified Chinese. */

/** The locales a table may have besides English. */
export const LOCALES = ["en", "zh-CN"];

/** The locale to use: the one asked for (embed tag, console choice), else the first of the
 * browser's languages we have, else English. */
export function pickLocale(
  /** @type {string | null | undefined} */ explicit,
  /** @type {readonly string[]} */ browser,
) {
  for (const tag of [explicit, ...browser]) {
    if (!tag) continue;
    const lower = tag.toLowerCase();
    if (lower.startsWith("zh")) return "zh-CN";
    if (lower.startsWith("en")) return "en";
  }
  return "en";
}

/** Words in one locale at a time, from ``tables`` (locale -> English text -> translation). */
export function translator(/** @type {Record<string, Record<string, string>>} */ tables) {
  let current = "en";
  return {
    setLocale(/** @type {string} */ wanted) {
      current = tables[wanted] ? wanted : "en";
    },
    locale() {
      return current;
    },
    /** The text in the current locale, with {name} placeholders filled from vars. */
    t(/** @type {string} */ text, /** @type {Record<string, string | number>} */ vars = {}) {
      const table = tables[current];
      const words = (table && table[text]) || text;
      return words.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
    },
  };
}

/** Translate a page's static words: an element's text (data-i18n), placeholder
 * (data-i18n-placeholder), aria-label (data-i18n-label) and title (data-i18n-title), each
 * holding the English text; the page's lang follows the locale. */
export function translatePage(
  /** @type {ParentNode} */ root,
  /** @type {(text: string) => string} */ t,
  /** @type {string} */ locale,
) {
  const attributes = {
    "data-i18n-placeholder": "placeholder",
    "data-i18n-label": "aria-label",
    "data-i18n-title": "title",
  };
  root.querySelectorAll("[data-i18n]").forEach((node) => {
    node.textContent = t(node.getAttribute("data-i18n") || "");
  });
  for (const [marker, attribute] of Object.entries(attributes)) {
    root.querySelectorAll("[" + marker + "]").forEach((node) => {
      node.setAttribute(attribute, t(node.getAttribute(marker) || ""));
    });
  }
  if (typeof document !== "undefined") document.documentElement.lang = locale;
}
