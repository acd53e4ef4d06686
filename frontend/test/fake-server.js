// A WebSocket double for the client's unit tests: the test plays the server, frame by frame.
import { Client, memoryStorage } from "../src/client/parley-client.js";

export class FakeSocket {
  /** @type {FakeSocket[]} */
  static opened = [];

  constructor(url) {
    this.url = url;
    this.readyState = 0;
    /** @type {any[]} */
    this.sent = [];
    this.onopen = () => {};
    this.onmessage = (/** @type {any} */ event) => event;
    this.onclose = (/** @type {any} */ event) => event;
    FakeSocket.opened.push(this);
  }

  send(text) {
    this.sent.push(JSON.parse(text));
  }

  close(code = 1000, reason = "") {
    this.drop(code, reason);
  }

  /** The server accepts the TCP/WebSocket handshake. */
  accept() {
    this.readyState = 1;
    this.onopen();
  }

  /** A frame from the server. */
  push(type, data, id) {
    this.onmessage({ data: JSON.stringify(id ? { type, id, data } : { type, data }) });
  }

  /** The last frame the client sent of this type. */
  last(type) {
    return [...this.sent].reverse().find((frame) => frame.type === type);
  }

  drop(code, reason = "") {
    this.readyState = 3;
    this.onclose({ code, reason });
  }
}

/** Lets the client's promise chains (token, then socket) run. */
export function settle() {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A client logged in as a visitor (a stored session), talking to FakeSockets. */
export function visitorClient(storage = memoryStorage()) {
  globalThis.WebSocket = /** @type {any} */ (FakeSocket);
  const client = new Client({ baseUrl: "http://parley.test", storage });
  client.session = {
    uid: "v1",
    uname: "visitor",
    role: "visitor",
    token: "token-1",
    refreshToken: "refresh-1",
    expiresAt: Date.now() + 3600_000,
    refreshExpiresAt: Date.now() + 7200_000,
  };
  return client;
}

/** connect() up to auth.ok on a new socket; returns that socket. */
export async function goOnline(client) {
  const before = FakeSocket.opened.length;
  const connected = client.connect();
  await settle();
  const socket = FakeSocket.opened[before];
  socket.accept();
  const auth = socket.last("auth");
  socket.push("auth.ok", { uid: "v1", uname: "visitor", role: "visitor", heartbeat_timeout_seconds: 60 }, auth.id);
  await connected;
  return socket;
}

export function message(conversationId, seq, body = `m${seq}`) {
  return {
    conversation_id: conversationId,
    seq,
    message: { id: `id${seq}`, conversation_id: conversationId, seq, body },
  };
}
