/* window.Parley for classic <script> users: the client module's exports under one global. */
import { Client, Emitter, ParleyError, memoryStorage, randomId } from "./parley-client.js";

/** Defines window.Parley (keeping a copy loaded earlier: the widget and a page's own client). */
export function exposeClient() {
  /** @type {any} */
  const global = window;
  if (global.Parley && global.Parley.Client) return;
  global.Parley = Object.assign(global.Parley || {}, {
    Client: Client,
    ParleyError: ParleyError,
    Emitter: Emitter,
    randomId: randomId, // hex of n random bytes (client_msg_id suffixes)
    _internal: { randomId: randomId, memoryStorage: memoryStorage },
  });
}
