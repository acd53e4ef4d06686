/* The /widget.js bundle's entry: window.Parley (the client, for pages that script the chat
 * themselves) and the widget for the script tag that loaded it. */
import { exposeClient } from "../client/global.js";
import { mountWidget } from "./widget.js";

exposeClient();
mountWidget();
