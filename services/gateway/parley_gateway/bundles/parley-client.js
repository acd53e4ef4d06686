/* Built by frontend/build.mjs from frontend/src: edit those, then run `make frontend`. */
(() => {
  // src/protocol.js
  var ErrorCode = Object.freeze({
    MAINTENANCE: 1002,
    TOKEN_INVALID: 7001,
    IDENTITY_FORGED: 7101,
    IDENTITY_OTHER_CHANNEL: 7102,
    IDENTITY_EXPIRED: 7103,
    IDENTITY_REPLAYED: 7104,
    IDENTITY_MALFORMED: 7105,
    ACCOUNT_DISABLED: 7110,
    SENSITIVE_WORD: 8001,
    INVALID_FRAME: 9001,
    FRAME_TOO_LARGE: 9002,
    RATE_LIMITED: 9003,
    NOT_AUTHENTICATED: 9004,
    NOT_A_MEMBER: 9101,
    UNKNOWN_CONVERSATION: 9102,
    UNKNOWN_CHANNEL: 9103,
    CONVERSATION_CLOSED: 9104,
    BAD_ARGUMENT: 9105,
    FILE_TOO_LARGE: 9106,
    FILE_TYPE_REFUSED: 9107,
    FILE_REFUSED: 9108,
    FILE_QUOTA_EXCEEDED: 9109,
    LINK_INVALID: 9110,
    LINK_EXPIRED: 9111,
    FILE_PENDING: 9112,
    UNKNOWN_FILE: 9113,
    ORIGIN_NOT_ALLOWED: 9114,
    BOT_NOT_A_MEMBER: 9201,
    BOT_NOT_IN_CONTROL: 9202,
    UNKNOWN_DRAFT: 9203,
    DRAFT_OUT_OF_ORDER: 9204,
    DRAFT_TOO_LONG: 9205,
    DRAFT_FINISHED: 9206,
    TOO_MANY_DRAFTS: 9207,
    IDEMPOTENCY_KEY_REUSED: 9208,
    HELD_BY_HUMAN: 9209,
    UNKNOWN_ACTION: 9210,
    ENDPOINT_REFUSED: 9301,
    UNKNOWN_BOT: 9302,
    UNKNOWN_WEBHOOK: 9303,
    UNKNOWN_DELIVERY: 9304,
    DELIVERY_PENDING: 9305,
    INTERNAL: 9500,
    UNAVAILABLE: 9503
  });
  var CloseCode = Object.freeze({
    SERVER_RESTARTING: 1012,
    TRY_AGAIN_LATER: 1013,
    POLICY: 1008,
    MESSAGE_TOO_BIG: 1009,
    UNAUTHENTICATED: 4001,
    TOKEN_EXPIRED: 4002,
    KICKED_OFF: 4003,
    HEARTBEAT_TIMEOUT: 4008,
    UNSUPPORTED_PROTOCOL: 4010,
    ORIGIN_NOT_ALLOWED: 4011
  });
  var CLIENT_FRAME_TYPES = Object.freeze([
    "auth",
    "ping",
    "session.open",
    "message.send",
    "ack",
    "seen",
    "typing",
    "status",
    "resume",
    "history.get",
    "chatbot.answer",
    "timers",
    "conversation.close",
    "conversation.rate",
    "operator.availability",
    "program.result",
    "expression.notice",
    "location"
  ]);
  var SERVER_FRAME_TYPES = Object.freeze([
    "auth.ok",
    "pong",
    "error",
    "session.opened",
    "message.accepted",
    "message.new",
    "conversation.updated",
    "member.seen",
    "typing",
    "history",
    "resume.done",
    "message.delta",
    "queue.position",
    "queue.changed",
    "robot.status",
    "bot.step",
    "kickoff",
    "notice",
    "presence",
    "ok"
  ]);
  var MESSAGE_KINDS = Object.freeze([
    "text",
    "action",
    "notice",
    "bot",
    "file",
    "erased"
  ]);
  var WEBHOOK_EVENT_TYPES = Object.freeze([
    "conversation.created",
    "conversation.assigned",
    "conversation.transferred",
    "conversation.closed",
    "message.created",
    "rating.created",
    "visitor.identified",
    "bot.handoff",
    "offline_request.created"
  ]);
  var BOT_FAILURE_POLICIES = Object.freeze([
    "handoff",
    "apologise",
    "wait"
  ]);

  // src/client/parley-client.js
  var global = globalThis;
  var FIRST_RETRY_MS = 2e3;
  var MAX_RETRY_MS = 3e4;
  var BUSY_RETRY_MS = 5e3;
  var PING_EVERY_MS = 2e4;
  var REFRESH_MARGIN_MS = 6e4;
  var REQUEST_TIMEOUT_MS = 15e3;
  var MAX_RESUME = 100;
  var NO_RECONNECT = {
    [CloseCode.POLICY]: "policy",
    [CloseCode.KICKED_OFF]: "kickoff",
    [CloseCode.ORIGIN_NOT_ALLOWED]: "origin"
  };
  function ParleyError(code, message, extra) {
    var error = (
      /** @type {any} */
      new Error(message)
    );
    error.name = "ParleyError";
    error.code = code;
    if (extra) for (var key in extra) error[key] = extra[key];
    return error;
  }
  function Emitter() {
    this.handlers = {};
  }
  Emitter.prototype.on = function(type, cb) {
    var list = this.handlers[type] || (this.handlers[type] = []);
    list.push(cb);
    return function off() {
      var i = list.indexOf(cb);
      if (i >= 0) list.splice(i, 1);
    };
  };
  Emitter.prototype.emit = function(type, a, b) {
    var list = (this.handlers[type] || []).slice();
    for (var i = 0; i < list.length; i++) {
      try {
        list[i](a, b);
      } catch (error) {
        if (global.console) console.error("parley handler", error);
      }
    }
  };
  function randomId(bytes) {
    var values = new Uint8Array(bytes);
    (global.crypto || global.msCrypto).getRandomValues(values);
    return Array.prototype.map.call(values, function(v) {
      return ("0" + v.toString(16)).slice(-2);
    }).join("");
  }
  function memoryStorage() {
    var data = {};
    return {
      getItem: function(k) {
        return Object.prototype.hasOwnProperty.call(data, k) ? data[k] : null;
      },
      setItem: function(k, v) {
        data[k] = String(v);
      },
      removeItem: function(k) {
        delete data[k];
      }
    };
  }
  function defaultStorage() {
    try {
      global.localStorage.setItem("parley.probe", "1");
      global.localStorage.removeItem("parley.probe");
      return global.localStorage;
    } catch (e) {
      return memoryStorage();
    }
  }
  function Client(options) {
    options = options || {};
    this.baseUrl = (options.baseUrl || global.location.origin).replace(/\/+$/, "");
    this.clientKind = options.clientKind || "web";
    this.storage = options.storage || defaultStorage();
    this.storageKey = options.storageKey || "parley";
    this.identity = options.identity || null;
    this.channelId = options.channelId || null;
    this.status = "offline";
    this.user = null;
    this.events = new Emitter();
    this.pending = {};
    this.nextId = 1;
    this.ws = null;
    this.wanted = false;
    this.attempt = 0;
    this.timers = {};
    this.streams = {};
    this.serverTimeoutMs = 6e4;
    this.session = this._read("session");
    this._loadTracked();
    this._watchVisibility();
  }
  Client.prototype._key = function(name) {
    return name === "device" ? this.storageKey + ".device" : this.storageKey + "." + this.clientKind + "." + name;
  };
  Client.prototype._read = function(name) {
    try {
      return JSON.parse(this.storage.getItem(this._key(name)) || "null");
    } catch (e) {
      return null;
    }
  };
  Client.prototype._write = function(name, value) {
    try {
      if (value === null) this.storage.removeItem(this._key(name));
      else this.storage.setItem(this._key(name), JSON.stringify(value));
    } catch (e) {
    }
  };
  Client.prototype._loadTracked = function() {
    var saved = this._read("seq") || {};
    this.savedSeq = saved;
  };
  Client.prototype._saveSeq = function(conversationId, seq) {
    this.savedSeq[conversationId] = seq;
    this._write("seq", this.savedSeq);
  };
  Client.prototype.deviceId = function() {
    var id = this._read("device");
    if (!id) {
      id = "web-" + randomId(16);
      this._write("device", id);
    }
    return id;
  };
  Client.prototype.loginVisitor = function() {
    var self = this;
    var body = { device_id: this.deviceId(), client_kind: this.clientKind };
    if (!this.identity || !this.channelId) return this._login(body);
    return Promise.resolve(this.identity()).then(function(token) {
      if (token) {
        body.identity = token;
        body.channel_id = self.channelId;
      }
      return self._login(body);
    });
  };
  Client.prototype.loginUser = function(username, password) {
    return this._login({ username, password, client_kind: this.clientKind });
  };
  Client.prototype._login = function(body) {
    var self = this;
    return this._postJson("/auth/login", body).then(function(answer) {
      return self._keep(answer);
    });
  };
  Client.prototype._keep = function(answer) {
    var now = Date.now();
    this.session = {
      uid: answer.uid,
      uname: answer.uname,
      role: answer.role,
      token: answer.token,
      refreshToken: answer.refresh_token,
      sessionCode: answer.sessionCode,
      expiresAt: now + answer.expires_in * 1e3,
      refreshExpiresAt: now + answer.refresh_expires_in * 1e3
    };
    this._write("session", this.session);
    this.user = { uid: answer.uid, uname: answer.uname, role: answer.role };
    this._scheduleRefresh();
    return this.user;
  };
  Client.prototype.restoreSession = function() {
    var stored = this._read("session");
    if (!stored || !stored.refreshExpiresAt || stored.refreshExpiresAt <= Date.now()) return false;
    this.session = stored;
    this.user = { uid: stored.uid, uname: stored.uname, role: stored.role };
    this._scheduleRefresh();
    return true;
  };
  Client.prototype.logout = function() {
    var self = this;
    var done = this.session ? this.authedFetch("/auth/logout", { method: "POST" }).catch(function() {
    }) : Promise.resolve();
    return done.then(function() {
      self.close();
      self.session = null;
      self.user = null;
      self._write("session", null);
    });
  };
  Client.prototype._postJson = function(path, body, headers) {
    var init = {
      method: "POST",
      body: JSON.stringify(body),
      headers: Object.assign({ "Content-Type": "application/json" }, headers || {})
    };
    return global.fetch(this.baseUrl + path, init).then(function(response) {
      return response.json().catch(function() {
        return {};
      }).then(function(json) {
        if (response.ok) return json;
        var error = json.error || { code: response.status, message: response.statusText || "request failed" };
        throw ParleyError(error.code, error.message, {
          status: response.status,
          retryAfter: Number(response.headers.get("Retry-After")) || null
        });
      });
    });
  };
  Client.prototype.token = function() {
    var stored = this._read("session");
    if (stored && this.session && stored.uid === this.session.uid && stored.expiresAt > this.session.expiresAt)
      this.session = stored;
    if (!this.session) return Promise.reject(ParleyError(ErrorCode.NOT_AUTHENTICATED, "not logged in"));
    if (this.session.expiresAt - Date.now() > REFRESH_MARGIN_MS) return Promise.resolve(this.session.token);
    return this.refresh().then(function(session) {
      return session.token;
    });
  };
  Client.prototype.refresh = function() {
    var self = this;
    if (this.refreshing) return this.refreshing;
    this.refreshing = this._postJson("/auth/refresh", { refresh_token: this.session.refreshToken }).then(function(answer) {
      self._keep(answer);
      return self.session;
    }).finally(function() {
      self.refreshing = null;
    });
    return this.refreshing;
  };
  Client.prototype._scheduleRefresh = function() {
    var self = this;
    clearTimeout(this.timers.refresh);
    if (!this.session) return;
    var due = Math.max(1e3, this.session.expiresAt - Date.now() - REFRESH_MARGIN_MS);
    this.timers.refresh = setTimeout(
      function() {
        self._refreshLive();
      },
      Math.min(due, 2147483e3)
    );
  };
  Client.prototype._refreshLive = function() {
    var self = this;
    this.refresh().then(function(session) {
      if (self.status === "online") return self.request("auth", { token: session.token });
    }).catch(function(error) {
      if (error && error.code === ErrorCode.TOKEN_INVALID && self.user && self.user.role === "visitor")
        return self.loginVisitor();
      self.events.emit("error", error);
    });
  };
  Client.prototype.authedFetch = function(path, init) {
    var self = this;
    function go(token) {
      var options = Object.assign({}, init || {});
      options.headers = Object.assign({}, options.headers || {}, { Authorization: "Bearer " + token });
      return global.fetch(self.baseUrl + path, options);
    }
    return this.token().then(go).then(function(response) {
      if (response.status !== 401) return response;
      return self.refresh().then(function(session) {
        return go(session.token);
      });
    });
  };
  Client.prototype._setStatus = function(status, detail) {
    if (this.status === status && detail === void 0) return;
    this.status = status;
    this.events.emit("status", status, detail);
  };
  Client.prototype.connect = function() {
    var self = this;
    this.wanted = true;
    if (this.status === "online") return Promise.resolve(this.user);
    if (!this.connecting) {
      this.connecting = new Promise(function(resolve, reject) {
        self._connected = resolve;
        self._failed = reject;
      });
      this.connecting.catch(function() {
      });
      this._open();
    }
    return this.connecting;
  };
  Client.prototype._wsUrl = function() {
    return this.baseUrl.replace(/^http/, "ws") + "/ws";
  };
  Client.prototype._open = function() {
    var self = this;
    clearTimeout(this.timers.retry);
    if (this.ws && this.ws.readyState <= 1) return;
    this._setStatus(this.attempt ? "reconnecting" : "connecting");
    this.token().then(function(token) {
      if (!self.wanted) return;
      var ws = new global.WebSocket(self._wsUrl());
      self.ws = ws;
      ws.onopen = function() {
        self._authenticate(ws, token);
      };
      ws.onmessage = function(event) {
        if (ws === self.ws) self._receive(event.data);
      };
      ws.onclose = function(event) {
        if (ws === self.ws) self._closed(event.code, event.reason);
      };
    }).catch(function(error) {
      self._loginLost(error);
    });
  };
  Client.prototype._authenticate = function(ws, token) {
    var self = this;
    var resume = Object.keys(this.streams).slice(0, MAX_RESUME).map(function(id) {
      return { conversation_id: id, after_seq: self.streams[id].last };
    });
    var data = { token, client_kind: this.clientKind };
    if (resume.length) data.resume = resume;
    this._call("auth", data, ws).then(function(ok) {
      self.attempt = 0;
      self.user = { uid: ok.uid, uname: ok.uname, role: ok.role };
      self.serverTimeoutMs = (ok.heartbeat_timeout_seconds || 60) * 1e3;
      self._startPings();
      self._setStatus("online");
      self._sendVisibility();
      if (self._connected) {
        self._connected(self.user);
        self._connected = self._failed = null;
        self.connecting = null;
      }
    }).catch(function(error) {
      self.lastError = error;
    });
  };
  Client.prototype._startPings = function() {
    var self = this;
    clearInterval(this.timers.ping);
    var every = Math.min(PING_EVERY_MS, this.serverTimeoutMs / 3);
    this.timers.ping = setInterval(function() {
      self._call("ping", {}).catch(function() {
      });
    }, every);
  };
  Client.prototype._closed = function(code, reason) {
    clearInterval(this.timers.ping);
    this.ws = null;
    this._failPending(ParleyError(ErrorCode.UNAVAILABLE, "connection lost"));
    var detail = { code, reason, error: this.lastError || null };
    this.lastError = null;
    if (!this.wanted) return this._setStatus("closed", detail);
    if (NO_RECONNECT[code]) return this._giveUp(detail);
    if (code === CloseCode.UNAUTHENTICATED) return this._relogin(detail);
    if (code === CloseCode.TOKEN_EXPIRED)
      return this.refresh().then(this._retry.bind(this, detail, 0), this._loginLost.bind(this));
    this.attempt += 1;
    this._retry(detail, this._delay(code));
  };
  Client.prototype._delay = function(code) {
    var base = code === CloseCode.TRY_AGAIN_LATER ? BUSY_RETRY_MS : FIRST_RETRY_MS;
    var grown = Math.min(MAX_RETRY_MS, base * Math.pow(2, Math.max(0, this.attempt - 1)));
    return grown / 2 + Math.random() * grown / 2;
  };
  Client.prototype._retry = function(detail, delayMs) {
    var self = this;
    this._setStatus("reconnecting", detail);
    clearTimeout(this.timers.retry);
    this.timers.retry = setTimeout(function() {
      if (self._hidden()) {
        self.waitingForVisible = true;
        return;
      }
      self._open();
    }, delayMs);
  };
  Client.prototype._giveUp = function(detail) {
    this.wanted = false;
    this._setStatus("offline", detail);
    if (this._failed) {
      this._failed(ParleyError(detail.code, detail.reason || "disconnected"));
      this._connected = this._failed = null;
      this.connecting = null;
    }
  };
  Client.prototype._relogin = function(detail) {
    var self = this;
    this.session = null;
    this._write("session", null);
    if (this.clientKind !== "console" && this.user && this.user.role === "visitor") {
      this.loginVisitor().then(
        function() {
          self._retry(detail, 0);
        },
        function(error) {
          self._loginLost(error);
        }
      );
    } else {
      this._giveUp(Object.assign({}, detail, { loginRequired: true }));
    }
  };
  Client.prototype._loginLost = function(error) {
    if (error && error.code === ErrorCode.NOT_AUTHENTICATED)
      return this._giveUp({ code: CloseCode.UNAUTHENTICATED, reason: "not logged in", loginRequired: true });
    if (error && error.code === ErrorCode.TOKEN_INVALID)
      return this._relogin({ code: CloseCode.UNAUTHENTICATED, reason: error.message, error });
    this.attempt += 1;
    this._retry({ code: 0, reason: "login failed", error }, this._delay(0));
  };
  Client.prototype.close = function() {
    this.wanted = false;
    clearTimeout(this.timers.retry);
    clearTimeout(this.timers.refresh);
    clearInterval(this.timers.ping);
    if (this.ws) this.ws.close(1e3, "closed by the client");
    else this._setStatus("closed");
    if (this._failed) {
      this._failed(ParleyError(1e3, "closed"));
      this._connected = this._failed = null;
      this.connecting = null;
    }
  };
  Client.prototype._hidden = function() {
    return typeof document !== "undefined" && document.hidden;
  };
  Client.prototype._watchVisibility = function() {
    if (typeof document === "undefined") return;
    var self = this;
    function shown() {
      self._sendVisibility();
      if (!self._hidden() && self.waitingForVisible && self.wanted) {
        self.waitingForVisible = false;
        self._open();
      }
    }
    document.addEventListener("visibilitychange", shown);
    global.addEventListener("focus", shown);
    global.addEventListener("online", function() {
      if (self.status === "reconnecting" && !self._hidden()) self._open();
    });
  };
  Client.prototype._sendVisibility = function() {
    if (this.status !== "online") return;
    var status = this._hidden() ? "hidden" : "visible";
    if (status === this.sentVisibility) return;
    this.sentVisibility = status;
    this._call("status", { status }).catch(function() {
    });
  };
  Client.prototype._call = function(type, data, ws) {
    var self = this;
    var socket = ws || this.ws;
    var id = "c" + this.nextId++;
    return new Promise(function(resolve, reject) {
      if (!socket || socket.readyState !== 1) return reject(ParleyError(ErrorCode.UNAVAILABLE, "not connected"));
      var timer = setTimeout(function() {
        delete self.pending[id];
        reject(ParleyError(ErrorCode.UNAVAILABLE, type + ": no answer in time"));
      }, REQUEST_TIMEOUT_MS);
      self.pending[id] = { resolve, reject, timer };
      socket.send(JSON.stringify({ type, id, data }));
    });
  };
  Client.prototype.request = function(type, data) {
    var self = this;
    if (this.status === "online") return this._call(type, data || {});
    if (!this.wanted) return Promise.reject(ParleyError(ErrorCode.UNAVAILABLE, "not connected"));
    return this._whenOnline().then(function() {
      return self._call(type, data || {});
    });
  };
  Client.prototype._whenOnline = function() {
    var self = this;
    return new Promise(
      /** @param {(value?: unknown) => void} resolve */
      function(resolve, reject) {
        var timer = setTimeout(function() {
          off();
          reject(ParleyError(ErrorCode.UNAVAILABLE, "not connected"));
        }, REQUEST_TIMEOUT_MS);
        var off = self.events.on("status", function(status) {
          if (status === "online") {
            clearTimeout(timer);
            off();
            resolve();
          }
          if (status === "offline" || status === "closed") {
            clearTimeout(timer);
            off();
            reject(ParleyError(ErrorCode.UNAVAILABLE, "not connected"));
          }
        });
      }
    );
  };
  Client.prototype._failPending = function(error) {
    var pending = this.pending;
    this.pending = {};
    Object.keys(pending).forEach(function(id) {
      clearTimeout(pending[id].timer);
      pending[id].reject(error);
    });
  };
  Client.prototype._receive = function(text) {
    var frame;
    try {
      frame = JSON.parse(text);
    } catch (e) {
      return;
    }
    var waiting = frame.id && this.pending[frame.id];
    if (waiting) {
      delete this.pending[frame.id];
      clearTimeout(waiting.timer);
      if (frame.type === "error") waiting.reject(ParleyError(frame.data.code, frame.data.message));
      else waiting.resolve(frame.data);
      if (frame.type !== "resume.done") return;
    }
    if (frame.type === "message.new") return this._message(frame.data);
    if (frame.type === "kickoff")
      this.lastError = ParleyError(CloseCode.KICKED_OFF, frame.data.reason, { kickoff: true });
    if (frame.type === "error") this.lastError = ParleyError(frame.data.code, frame.data.message);
    if (frame.type === "pong") return;
    this.events.emit(frame.type, frame.data, frame);
  };
  Client.prototype.track = function(conversationId, lastSeq) {
    if (lastSeq === void 0 || lastSeq === null) lastSeq = this.savedSeq[conversationId] || 0;
    var stream = this.streams[conversationId];
    if (!stream) this.streams[conversationId] = { last: lastSeq, held: {} };
    else if (lastSeq > stream.last) stream.last = lastSeq;
    this._saveSeq(conversationId, this.streams[conversationId].last);
  };
  Client.prototype.untrack = function(conversationId) {
    delete this.streams[conversationId];
    delete this.savedSeq[conversationId];
    this._write("seq", this.savedSeq);
  };
  Client.prototype.lastSeq = function(conversationId) {
    var stream = this.streams[conversationId];
    return stream ? stream.last : this.savedSeq[conversationId] || 0;
  };
  Client.prototype._message = function(data) {
    var stream = this.streams[data.conversation_id];
    if (!stream) {
      stream = this.streams[data.conversation_id] = { last: data.seq - 1, held: {} };
    }
    if (data.seq <= stream.last) return;
    stream.held[data.seq] = data.message;
    this._drain(data.conversation_id, stream);
    if (Object.keys(stream.held).length) this._fillGap(data.conversation_id, stream);
  };
  Client.prototype._drain = function(conversationId, stream) {
    while (stream.held[stream.last + 1] !== void 0) {
      var message = stream.held[stream.last + 1];
      delete stream.held[stream.last + 1];
      stream.last += 1;
      this.events.emit("message", message);
    }
    this._saveSeq(conversationId, stream.last);
  };
  Client.prototype._fillGap = function(conversationId, stream) {
    var self = this;
    if (stream.filling) return;
    stream.filling = true;
    this.request("history.get", { conversation_id: conversationId, after_seq: stream.last, limit: 200 }).then(function(page) {
      page.messages.forEach(function(message) {
        if (message.seq > stream.last) stream.held[message.seq] = message;
      });
      self._drain(conversationId, stream);
    }).catch(function() {
    }).finally(function() {
      stream.filling = false;
    });
  };
  Client.prototype.send = function(conversationId, text, options) {
    options = options || {};
    var data = {
      conversation_id: conversationId,
      kind: options.kind || "text",
      body: text,
      client_msg_id: options.clientMsgId || this.clientKind + "-" + Date.now() + "-" + randomId(4)
    };
    return this.request("message.send", data);
  };
  Client.prototype.upload = function(conversationId, blob, name, options) {
    var path = "/files/" + encodeURIComponent(conversationId) + "?name=" + encodeURIComponent(name || blob.name || "file");
    var onProgress = options && options.onProgress;
    if (!onProgress || !global.XMLHttpRequest) {
      return this.authedFetch(path, { method: "POST", body: blob }).then(answerOf);
    }
    var self = this;
    var url = this.baseUrl + path;
    return this.token().then(function(token) {
      return postWithProgress(url, token, blob, onProgress);
    }).then(function(response) {
      if (response.status !== 401) return response;
      return self.refresh().then(function(session) {
        return postWithProgress(url, session.token, blob, onProgress);
      });
    }).then(answerOf);
  };
  function postWithProgress(url, token, blob, onProgress) {
    return new Promise(function(resolve, reject) {
      var xhr = new global.XMLHttpRequest();
      xhr.open("POST", url);
      xhr.setRequestHeader("Authorization", "Bearer " + token);
      xhr.upload.onprogress = function(event) {
        onProgress(event.loaded, event.lengthComputable ? event.total : blob.size);
      };
      xhr.onload = function() {
        var text = xhr.responseText;
        resolve({
          status: xhr.status,
          ok: xhr.status >= 200 && xhr.status < 300,
          json: function() {
            return Promise.resolve().then(function() {
              return JSON.parse(text);
            });
          }
        });
      };
      xhr.onerror = function() {
        reject(ParleyError(ErrorCode.UNAVAILABLE, "the upload did not reach the server"));
      };
      xhr.send(blob);
    });
  }
  Client.prototype.sendFiles = function(conversationId, fileIds, options) {
    options = options || {};
    return this.send(
      conversationId,
      { file_ids: fileIds, text: options.text || "" },
      { kind: "file", clientMsgId: options.clientMsgId }
    );
  };
  var LINK_MARGIN_MS = 3e4;
  Client.prototype.fileLink = function(conversationId, fileId) {
    var self = this;
    var cache = this._links || (this._links = {});
    var kept = cache[fileId];
    if (kept && kept.until - LINK_MARGIN_MS > Date.now()) return kept.promise;
    var path = "/files/" + encodeURIComponent(conversationId) + "/" + encodeURIComponent(fileId) + "/link";
    var promise = this.authedFetch(path).then(answerOf).then(function(links) {
      var base = self.baseUrl || global.location.href;
      return {
        url: new URL(links.url, base).href,
        expires_at: links.expires_at,
        thumbnail_url: links.thumbnail_url ? new URL(links.thumbnail_url, base).href : null
      };
    });
    cache[fileId] = { promise, until: Date.now() + 6e4 };
    promise.then(
      function(links) {
        cache[fileId].until = Date.parse(links.expires_at);
      },
      function() {
        delete cache[fileId];
      }
    );
    return promise;
  };
  function answerOf(response) {
    return response.json().catch(function() {
      return {};
    }).then(function(answer) {
      if (response.ok) return answer;
      var error = answer.error || { code: ErrorCode.INTERNAL, message: "HTTP " + response.status };
      throw ParleyError(error.code, error.message, { status: response.status });
    });
  }
  Client.prototype.onMessage = function(cb) {
    return this.events.on("message", cb);
  };
  Client.prototype.onStatusChange = function(cb) {
    return this.events.on("status", cb);
  };
  Client.prototype.on = function(type, cb) {
    return this.events.on(type, cb);
  };

  // src/client/global.js
  function exposeClient() {
    const global2 = window;
    if (global2.Parley && global2.Parley.Client) return;
    global2.Parley = Object.assign(global2.Parley || {}, {
      Client,
      ParleyError,
      Emitter,
      randomId,
      // hex of n random bytes (client_msg_id suffixes)
      _internal: { randomId, memoryStorage }
    });
  }

  // src/client/main.js
  exposeClient();
})();
