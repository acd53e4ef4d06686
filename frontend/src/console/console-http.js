/* Parley operator console: the HTTP APIs with the signed-in user's token. One place turns an
 * answer into JSON and a refusal into a ParleyError carrying the documented code and the HTTP
 * status (docs/protocol.md), and a refused script's list of problems, so every screen shows
 * refusals the same way. */
import { ParleyError } from "../client/parley-client.js";

/**
 * Call an API: ``body`` is sent as JSON unless ``contentType`` says otherwise (a YAML script).
 * @param {any} client the shared Parley client (its authedFetch refreshes the token)
 * @param {string} path
 * @param {{method?: string, body?: any, contentType?: string}} [options]
 * @returns {Promise<any>} the answer's JSON ({} for an empty one)
 */
export function callApi(client, path, options) {
  var opts = options || {};
  /** @type {any} */
  var init = { method: opts.method || "GET" };
  if (opts.body !== undefined) {
    var raw = opts.contentType && typeof opts.body === "string";
    init.body = raw ? opts.body : JSON.stringify(opts.body);
    init.headers = { "Content-Type": opts.contentType || "application/json" };
  }
  return client.authedFetch(path, init).then(function (response) {
    return response
      .json()
      .catch(function () {
        return {};
      })
      .then(function (json) {
        if (response.ok) return json;
        var error = json.error || { code: response.status, message: response.statusText || "request failed" };
        throw ParleyError(error.code, error.message, { status: response.status, problems: json.problems });
      });
  });
}

/** A path with its parts escaped: path("/channels/", id, "/operators/", uid). */
export function path(/** @type {string[]} */ ...parts) {
  return parts.map((part, index) => (index % 2 ? encodeURIComponent(part) : part)).join("");
}
