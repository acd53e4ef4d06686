// The JS client's pure logic, no browser: messages shown in seq order and once, gaps filled from
// history, resume positions kept across reloads and sent on reconnect, and the reconnect policy.
import { test } from "node:test";
import assert from "node:assert/strict";

import { Client, memoryStorage } from "../src/client/parley-client.js";
import { CloseCode } from "../src/protocol.js";
import { FakeSocket, goOnline, message, settle, visitorClient } from "./fake-server.js";

function shownBodies(client) {
  const shown = [];
  client.onMessage((m) => shown.push(m.body));
  return shown;
}

test("messages are shown in seq order, each once, whatever order they arrive in", async () => {
  const client = visitorClient();
  const socket = await goOnline(client);
  const shown = shownBodies(client);
  client.track("c1", 0);
  for (const seq of [1, 1, 2, 4, 3, 2, 5]) socket.push("message.new", message("c1", seq));
  assert.deepEqual(shown, ["m1", "m2", "m3", "m4", "m5"]);
  assert.equal(client.lastSeq("c1"), 5);
  client.close();
});

test("a gap is filled from the history, then what was held is shown after it", async () => {
  const client = visitorClient();
  const socket = await goOnline(client);
  const shown = shownBodies(client);
  client.track("c1", 0);
  socket.push("message.new", message("c1", 1));
  socket.push("message.new", message("c1", 4));
  await settle();
  const ask = socket.last("history.get");
  assert.deepEqual(ask.data, { conversation_id: "c1", after_seq: 1, limit: 200 });
  assert.deepEqual(shown, ["m1"], "nothing above the gap is shown before it is filled");
  socket.push("history", { messages: [message("c1", 2).message, message("c1", 3).message] }, ask.id);
  await settle();
  assert.deepEqual(shown, ["m1", "m2", "m3", "m4"]);
  client.close();
});

test("the read position survives a reload and is resumed from on the next connection", async () => {
  const storage = memoryStorage();
  const first = visitorClient(storage);
  const socket = await goOnline(first);
  first.track("c1", 0);
  for (const seq of [1, 2, 3]) socket.push("message.new", message("c1", seq));
  first.close();

  const reloaded = visitorClient(storage);
  reloaded.track("c1");
  assert.equal(reloaded.lastSeq("c1"), 3);
  const before = FakeSocket.opened.length;
  reloaded.connect();
  await settle();
  const next = FakeSocket.opened[before];
  next.accept();
  assert.deepEqual(next.last("auth").data.resume, [{ conversation_id: "c1", after_seq: 3 }]);
  reloaded.close();
});

test("after a drop the client reconnects by itself and resumes from the last message shown", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "setInterval"] });
  const client = visitorClient();
  const statuses = [];
  client.onStatusChange((status) => statuses.push(status));
  const socket = await goOnline(client);
  client.track("c1", 0);
  socket.push("message.new", message("c1", 1));
  socket.push("message.new", message("c1", 2));
  const opened = FakeSocket.opened.length;
  socket.drop(1006);
  assert.equal(client.status, "reconnecting");
  t.mock.timers.tick(999); // the first retry waits 1-2 s (2 s, halved by jitter at most)
  await settle();
  assert.equal(FakeSocket.opened.length, opened, "no retry before a second");
  t.mock.timers.tick(1001);
  await settle();
  const again = FakeSocket.opened[opened];
  assert.ok(again, "reconnected within 2 s");
  again.accept();
  assert.deepEqual(again.last("auth").data.resume, [{ conversation_id: "c1", after_seq: 2 }]);
  again.push("auth.ok", { uid: "v1", uname: "visitor", role: "visitor" }, again.last("auth").id);
  await settle();
  assert.equal(client.status, "online");
  assert.deepEqual(statuses.slice(-2), ["reconnecting", "online"]);
  client.close();
});

test("a request made while reconnecting waits for the connection and is then sent", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "setInterval"] });
  const client = visitorClient();
  const socket = await goOnline(client);
  socket.drop(1006);
  const sent = client.send("c1", "hello", { clientMsgId: "web-1" });
  t.mock.timers.tick(2000);
  await settle();
  const again = FakeSocket.opened.at(-1);
  again.accept();
  again.push("auth.ok", { uid: "v1", uname: "visitor", role: "visitor" }, again.last("auth").id);
  await settle();
  const frame = again.last("message.send");
  assert.deepEqual(frame.data, { conversation_id: "c1", kind: "text", body: "hello", client_msg_id: "web-1" });
  again.push("message.accepted", { message: { seq: 1 } }, frame.id);
  assert.deepEqual(await sent, { message: { seq: 1 } });
  client.close();
});

test("kicked off, refused by policy or from a disallowed origin: no reconnect, the status says offline", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "setInterval"] });
  for (const code of [CloseCode.KICKED_OFF, CloseCode.POLICY, CloseCode.ORIGIN_NOT_ALLOWED]) {
    const client = visitorClient();
    const socket = await goOnline(client);
    const opened = FakeSocket.opened.length;
    socket.drop(code);
    t.mock.timers.tick(120_000);
    await settle();
    assert.equal(client.status, "offline", String(code));
    assert.equal(FakeSocket.opened.length, opened, `no reconnect after ${code}`);
  }
});

test("retry delays double with jitter, start later after 'try again later', and are capped", () => {
  const client = visitorClient();
  const delays = (code, attempts) =>
    attempts.map((attempt) => {
      client.attempt = attempt;
      return client._delay(code);
    });
  for (let round = 0; round < 20; round++) {
    const [first, second, third, late] = delays(1006, [1, 2, 3, 20]);
    assert.ok(first >= 1000 && first <= 2000, `first ${first}`);
    assert.ok(second >= 2000 && second <= 4000, `second ${second}`);
    assert.ok(third >= 4000 && third <= 8000, `third ${third}`);
    assert.ok(late >= 15000 && late <= 30000, `capped ${late}`);
    const [busy] = delays(CloseCode.TRY_AGAIN_LATER, [1]);
    assert.ok(busy >= 2500 && busy <= 5000, `busy ${busy}`);
  }
});

/** Plays the HTTP server: answers each fetch with answer(url, init) -> [status, json]. */
function fakeFetch(answer) {
  const calls = [];
  globalThis.fetch = /** @type {any} */ (
    async (url, init = {}) => {
      calls.push({ url: String(url), init });
      const [status, json] = answer(String(url), init);
      return new Response(JSON.stringify(json), { status, headers: { "Content-Type": "application/json" } });
    }
  );
  return calls;
}

test("a site that signs its customer: the visitor login carries a fresh identity token and the channel", async () => {
  const calls = fakeFetch(() => [200, { uid: "v1", uname: "Ann", role: "visitor", token: "t", expires_in: 900 }]);
  const tokens = ["jwt-1", null];
  const client = new Client({ baseUrl: "http://parley.test", storage: memoryStorage(), channelId: "ch_1" });
  client.identity = () => Promise.resolve(tokens.shift());
  await client.loginVisitor();
  await client.loginVisitor(); // the site has no customer logged in: an anonymous visitor
  const bodies = calls.map((call) => JSON.parse(call.init.body));
  assert.equal(bodies[0].identity, "jwt-1");
  assert.equal(bodies[0].channel_id, "ch_1");
  assert.equal(bodies[1].identity, undefined);
  assert.equal(bodies[1].channel_id, undefined);
  client.close();
});

test("attachments: a refused upload is a ParleyError with its code; file links are absolute and reused", async () => {
  const expires = new Date(Date.now() + 300_000).toISOString();
  const calls = fakeFetch((url) =>
    url.includes("/link")
      ? [200, { url: "/files/c1/f1?sig=x", thumbnail_url: "/files/c1/f1/thumbnail?sig=y", expires_at: expires }]
      : [413, { error: { code: 9106, message: "file too large" } }],
  );
  const client = visitorClient();
  await assert.rejects(client.upload("c1", new Blob(["x"]), "big.png"), { name: "ParleyError", code: 9106 });
  assert.equal(calls[0].url, "http://parley.test/files/c1?name=big.png");
  const links = await client.fileLink("c1", "f1");
  assert.equal(links.url, "http://parley.test/files/c1/f1?sig=x");
  assert.equal(links.thumbnail_url, "http://parley.test/files/c1/f1/thumbnail?sig=y");
  await client.fileLink("c1", "f1");
  assert.equal(calls.filter((call) => call.url.includes("/link")).length, 1, "a live link is not asked for again");
  client.close();
});
