/* Parley web widget: the channel's look (its `theme` in GET /channels/{id}/availability): the
 * accent colour, the launcher's words, the corner it sits in, and an avatar beside the title.
 * chat_session refuses an accent white text is not readable on (WCAG AA), so the widget takes it
 * as it is. Its own module, so the widget's other parts stay apart. */

/** The launcher's words: the channel's, else the widget's own (already in the visitor's language). */
export function launcherText(theme, ownText, offline) {
  return !offline && theme && theme.launcher_text ? theme.launcher_text : ownText;
}

/** Apply the channel's theme (or nothing: the widget's own look) to the widget's frame. */
export function applyTheme(ui, theme) {
  if (!theme) return;
  ui.frame.style.setProperty("--accent", theme.accent);
  ui.frame.classList.toggle("left", theme.position === "left");
  if (theme.avatar_url) {
    ui.avatar.src = theme.avatar_url;
    ui.avatar.hidden = false;
  }
}
