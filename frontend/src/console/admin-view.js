/* Parley console, admin screens: the tabs an admin switches between (a tablist: arrow keys move,
 * the chosen tab's panel is drawn fresh from the APIs each time it is opened). */
import { el } from "./admin-forms.js";
import { channelsScreen } from "./admin-channels.js";
import { auditScreen, staffScreen } from "./admin-staff.js";
import { scriptsScreen } from "./admin-bots.js";
import { integrationsScreen } from "./admin-integrations.js";
import { satisfactionScreen } from "./console-satisfaction.js";
import { t } from "./console-i18n.js";

const SCREENS = [
  { id: "channels", label: "Channels", draw: (root, ctx) => channelsScreen(root, ctx.client) },
  { id: "staff", label: "Staff", draw: (root, ctx) => staffScreen(root, ctx.client, ctx.me) },
  { id: "scripts", label: "Chatbot scripts", draw: (root, ctx) => scriptsScreen(root, ctx.client) },
  { id: "satisfaction", label: "Satisfaction", draw: (root, ctx) => satisfactionScreen(root, ctx.client) },
  { id: "audit", label: "Audit log", draw: (root, ctx) => auditScreen(root, ctx.client) },
  { id: "integrations", label: "Bots and webhooks", draw: (root, ctx) => integrationsScreen(root, ctx.client) },
];

/** Draw the admin view into ``root`` and open its first screen. */
export function adminView(/** @type {HTMLElement} */ root, /** @type {{client: any, me: any}} */ ctx) {
  const panel = el("section", { id: "admin-panel", role: "tabpanel", tabindex: "-1" });
  const tabs = SCREENS.map((screen) =>
    el("button", {
      type: "button",
      role: "tab",
      id: "admin-tab-" + screen.id,
      "aria-controls": "admin-panel",
      text: t(screen.label),
      onclick: () => open(screen),
      onkeydown: onTabKey,
    }),
  );

  function open(screen) {
    tabs.forEach((tab, index) => {
      const chosen = SCREENS[index] === screen;
      tab.setAttribute("aria-selected", String(chosen));
      tab.tabIndex = chosen ? 0 : -1;
    });
    panel.setAttribute("aria-labelledby", "admin-tab-" + screen.id);
    screen.draw(panel, ctx);
  }

  function onTabKey(/** @type {KeyboardEvent} */ event) {
    if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
    const index = tabs.indexOf(/** @type {any} */ (event.currentTarget));
    const next = tabs[(index + (event.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
    next.focus();
    next.click();
  }

  root.replaceChildren(el("div", { role: "tablist", "aria-label": t("Administration") }, tabs), panel);
  open(SCREENS[0]);
}
