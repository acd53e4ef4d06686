/* Parley operator console: what the operator does to a conversation. Replies go through an
 * outbox: each has its client_msg_id from the start, so a reply sent again after a dropped
 * connection is stored once (the server deduplicates by it) and shown once (by seq). */
import { ParleyError, randomId } from "../client/parley-client.js";
import { t } from "./console-i18n.js";

/** @type {any} */
const global = window;

// Errors after which a reply is sent again once the connection is back: nothing was refused.
var RETRY_WHEN_ONLINE = { 9503: true, 9500: true, 1002: true };
var RATE_LIMITED = 9003;
// The reconnect delay of the client: a retry sooner would meet the same trouble.
var RETRY_DELAY_MS = 2000;

function newClientMsgId() {
  return "console-" + Date.now() + "-" + randomId(4);
}

/** Error codes in the words an operator needs (docs/protocol.md, "Error codes"). */
function plainError(error) {
  if (!error) return t("Something went wrong.");
  if (error.code === 8001) return t("Refused: the message contains a word this channel does not allow.");
  if (error.code === 9104) return t("This conversation is closed.");
  if (error.code === 9101) return t("You are no longer in this conversation.");
  if (error.code === 9503) return t("The service did not answer in time. Try again.");
  if (error.code === 1002) return t("Parley is under maintenance:") + " " + error.message;
  return error.message || t("Something went wrong.");
}

function Actions(client, state, redraw) {
  this.client = client;
  this.state = state;
  this.redraw = redraw;
}

Actions.prototype.note = function (conversation, text, isError) {
  conversation.notes.push({ text: text, error: !!isError, afterSeq: conversation.lastSeq() });
  this.redraw();
};

/** The operator's text: a command ("/..."), a canned expansion (":name") or a reply. */
Actions.prototype.submit = function (conversation, text) {
  if (text[0] === "/" && text[1] !== "/") return this.command(conversation, text);
  var clientMsgId = newClientMsgId();
  conversation.outbox.set(clientMsgId, { text: text, state: "sending", error: null });
  this.redraw();
  this.deliver(conversation, clientMsgId);
};

/** Files the operator attached: each uploaded (the server sniffs and checks it), then all sent in
 * one message of kind file; a refusal is a note in the conversation, in plain words. */
Actions.prototype.sendFiles = function (conversation, files) {
  var self = this;
  if (!conversation) return Promise.resolve();
  self.note(conversation, t("Uploading {names}…", { names: files.map((file) => file.name || "file").join(", ") }));
  return Promise.all(
    files.map(function (file) {
      return self.client.upload(conversation.id, file, file.name || "file");
    }),
  )
    .then(function (uploaded) {
      var ids = uploaded.map(function (answer) {
        return answer.file.file_id;
      });
      return self.client.sendFiles(conversation.id, ids, { clientMsgId: newClientMsgId() });
    })
    .then(function (accepted) {
      if (accepted.message) conversation.add(accepted.message, self.state.me.uid);
      self.redraw();
    })
    .catch(function (error) {
      self.note(conversation, t("Not sent:") + " " + plainError(error), true);
    });
};

Actions.prototype.deliver = function (conversation, clientMsgId) {
  var self = this;
  var entry = conversation.outbox.get(clientMsgId);
  if (!entry) return;
  entry.state = "sending";
  this.client.send(conversation.id, entry.text, { clientMsgId: clientMsgId }).then(
    function (accepted) {
      if (accepted.message) conversation.add(accepted.message, self.state.me.uid);
      else conversation.outbox.delete(clientMsgId);
      if (accepted.command) self.note(conversation, accepted.command.text);
      self.redraw();
    },
    function (error) {
      if (!conversation.outbox.has(clientMsgId)) return; // it came back as message.new meanwhile
      if (error.code === RATE_LIMITED || RETRY_WHEN_ONLINE[error.code]) {
        entry.state = "waiting";
        // Still online (a slow service, a rate limit): again shortly; else flushOutbox when back.
        if (self.client.status === "online")
          setTimeout(function () {
            self.deliver(conversation, clientMsgId);
          }, RETRY_DELAY_MS);
      } else {
        entry.state = "failed";
        entry.error = plainError(error);
      }
      self.redraw();
    },
  );
};

/** The connection is back: send every reply still waiting, with its first client_msg_id. */
Actions.prototype.flushOutbox = function () {
  var self = this;
  this.state.conversations.forEach(function (conversation) {
    conversation.outbox.forEach(function (entry, clientMsgId) {
      if (entry.state === "waiting") self.deliver(conversation, clientMsgId);
    });
  });
};

/** /help, /leave, /transfer, /close: answered to the operator only, never stored. */
Actions.prototype.command = function (conversation, text) {
  var self = this;
  return this.client.send(conversation.id, text, { clientMsgId: newClientMsgId() }).then(
    function (accepted) {
      var answer = accepted.command ? accepted.command.text : t("Done.");
      self.note(conversation, answer);
      return answer;
    },
    function (error) {
      self.note(conversation, text.split(/\s/)[0] + ": " + plainError(error), true);
      throw error;
    },
  );
};

/** Canned responses whose shortcut starts with ``prefix`` (the server answers ":prefix"). */
Actions.prototype.cannedLike = function (conversation, prefix) {
  return this.client.send(conversation.id, ":" + prefix, { clientMsgId: newClientMsgId() }).then(function (accepted) {
    return (accepted.command && accepted.command.suggestions) || [];
  });
};

Actions.prototype.typing = function (conversation, active) {
  if (!conversation || !conversation.isOpen() || this.client.status !== "online") return;
  this.client.request("typing", { conversation_id: conversation.id, active: active }).catch(function () {});
};

/** Tell the server the operator has read everything shown (the other consoles follow). */
Actions.prototype.markSeen = function (conversation) {
  var last = conversation.lastSeq();
  if (!conversation.isOpen() || last <= conversation.seenSeq || !last) return;
  conversation.seenSeq = last;
  this.redraw();
  this.client.request("seen", { conversation_id: conversation.id, seq: last }).catch(function () {
    conversation.seenSeq = Math.min(conversation.seenSeq, last - 1); // unread again: retried next time it is shown
  });
};

Actions.prototype.close = function (conversation) {
  var self = this;
  return this.client.request("conversation.close", { conversation_id: conversation.id }).then(
    function () {
      conversation.summary.status = "closed";
      self.client.untrack(conversation.id);
      self.redraw();
    },
    function (error) {
      self.note(conversation, t("Close:") + " " + plainError(error), true);
    },
  );
};

Actions.prototype.transfer = function (conversation, operatorId) {
  return this.command(conversation, "/transfer " + operatorId);
};

/** The transcript needs the operator's token: fetch it, then show it in a new tab. */
Actions.prototype.openTranscript = function (conversation) {
  var self = this;
  var tab = global.open("", "_blank"); // opened in the click, before any wait, so no popup blocker objects
  var path = "/conversations/" + encodeURIComponent(conversation.id) + "/transcript.html";
  return this.client
    .authedFetch(path)
    .then(function (response) {
      if (!response.ok) throw ParleyError(response.status, "the transcript could not be read");
      return response.blob();
    })
    .then(function (blob) {
      var url = URL.createObjectURL(blob);
      if (tab) tab.location.href = url;
      else global.location.assign(url);
    })
    .catch(function (error) {
      if (tab) tab.close();
      self.note(conversation, t("Transcript:") + " " + plainError(error), true);
    });
};

export { Actions, plainError };
