/* Parley web widget: the bot's status (`robot.status` frames) under the chat's title. While the
 * bot answers, "Assistant online"; once it goes quiet (a person took the chat over, or the visitor
 * was away) or never was, nothing: a line saying the assistant is away beside a person who
 * answers would only confuse. Its own module, so the widget's other parts stay apart. */
import { t } from "./i18n.js";

var ONLINE = 1; // docs/protocol.md robot.status: 1 online, 2 offline, 3 unknown (never online)

/** Shows the widget's conversation's robot.status frames in ui.robot. */
export function robotStatus(Widget) {
  var line = Widget.ui.robot;
  Widget.client.on("robot.status", function (data) {
    if (!data || data.conversation_id !== Widget.conversationId) return;
    line.hidden = data.status !== ONLINE;
    line.textContent = t("Assistant online");
    line.setAttribute("data-status", String(data.status));
  });
}
