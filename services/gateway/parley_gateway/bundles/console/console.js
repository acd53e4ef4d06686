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
  Client.prototype._postJson = function(path2, body, headers) {
    var init = {
      method: "POST",
      body: JSON.stringify(body),
      headers: Object.assign({ "Content-Type": "application/json" }, headers || {})
    };
    return global.fetch(this.baseUrl + path2, init).then(function(response) {
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
  Client.prototype.authedFetch = function(path2, init) {
    var self = this;
    function go(token) {
      var options = Object.assign({}, init || {});
      options.headers = Object.assign({}, options.headers || {}, { Authorization: "Bearer " + token });
      return global.fetch(self.baseUrl + path2, options);
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
    var path2 = "/files/" + encodeURIComponent(conversationId) + "?name=" + encodeURIComponent(name || blob.name || "file");
    var onProgress = options && options.onProgress;
    if (!onProgress || !global.XMLHttpRequest) {
      return this.authedFetch(path2, { method: "POST", body: blob }).then(answerOf);
    }
    var self = this;
    var url = this.baseUrl + path2;
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
    var path2 = "/files/" + encodeURIComponent(conversationId) + "/" + encodeURIComponent(fileId) + "/link";
    var promise = this.authedFetch(path2).then(answerOf).then(function(links) {
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

  // src/i18n.js
  function pickLocale(explicit, browser) {
    for (const tag of [explicit, ...browser]) {
      if (!tag) continue;
      const lower = tag.toLowerCase();
      if (lower.startsWith("zh")) return "zh-CN";
      if (lower.startsWith("en")) return "en";
    }
    return "en";
  }
  function translator(tables) {
    let current = "en";
    return {
      setLocale(wanted) {
        current = tables[wanted] ? wanted : "en";
      },
      locale() {
        return current;
      },
      /** The text in the current locale, with {name} placeholders filled from vars. */
      t(text, vars = {}) {
        const table2 = tables[current];
        const words2 = table2 && table2[text] || text;
        return words2.replace(/\{(\w+)\}/g, (whole, name) => name in vars ? String(vars[name]) : whole);
      }
    };
  }
  function translatePage(root, t2, locale2) {
    const attributes = {
      "data-i18n-placeholder": "placeholder",
      "data-i18n-label": "aria-label",
      "data-i18n-title": "title"
    };
    root.querySelectorAll("[data-i18n]").forEach((node) => {
      node.textContent = t2(node.getAttribute("data-i18n") || "");
    });
    for (const [marker, attribute] of Object.entries(attributes)) {
      root.querySelectorAll("[" + marker + "]").forEach((node) => {
        node.setAttribute(attribute, t2(node.getAttribute(marker) || ""));
      });
    }
    if (typeof document !== "undefined") document.documentElement.lang = locale2;
  }

  // src/console/console-zh-cn.js
  var CONSOLE_ZH_CN = {
    // sign-in, top bar, lists
    "Parley console": "Parley 客服控制台",
    Username: "用户名",
    Password: "密码",
    "Sign in": "登录",
    Language: "语言",
    "Sign out": "退出登录",
    Administration: "管理",
    Conversations: "对话",
    Waiting: "等待中",
    "My conversations": "我的对话",
    "No conversation yet.": "暂无对话。",
    Closed: "已关闭",
    "Find a closed conversation": "查找已关闭的对话",
    "Name, e-mail or text": "姓名、邮箱或内容",
    "Alt+↑ / Alt+↓: previous / next conversation": "Alt+↑ / Alt+↓：上一个 / 下一个对话",
    "Choose a conversation, or accept a waiting one.": "请选择一个对话，或接入一个等待中的对话。",
    "Wrong username or password.": "用户名或密码错误。",
    "Too many attempts. Wait a minute, then try again.": "尝试次数过多。请等一分钟后再试。",
    "Parley cannot be reached. Check your connection and try again.": "无法连接 Parley。请检查网络后重试。",
    "This account is not an operator's. Sign in with an operator account.": "此账号不是客服账号。请使用客服账号登录。",
    "Your session has ended. Sign in again.": "您的会话已结束，请重新登录。",
    "Could not load your conversations:": "无法加载您的对话：",
    "Connection lost. Reconnecting… Replies you write are sent when it is back.": "连接已断开，正在重新连接…恢复后会发送您写的回复。",
    "This console was disconnected: you signed in on another one. Reload to use this one again.": "此控制台已断开：您在另一个控制台登录了。刷新页面可在此处继续使用。",
    "Could not refresh:": "无法刷新：",
    "Could not accept:": "无法接入：",
    "Could not change your availability:": "无法更改您的在线状态：",
    "Connecting…": "正在连接…",
    Online: "在线",
    "Connection lost — reconnecting…": "连接已断开，正在重新连接…",
    Offline: "离线",
    "Signed out": "已退出",
    Available: "接待中",
    Busy: "忙碌",
    Accept: "接入",
    "Accept the conversation with {name}": "接入与 {name} 的对话",
    "waiting {since}": "已等待 {since}",
    "just now": "刚刚",
    "{minutes} min": "{minutes} 分钟",
    "Nobody is waiting.": "没有人在等待。",
    "{n} unread": "{n} 条未读",
    closed: "已关闭",
    "rated {n} out of 5": "评分 {n}（满分 5）",
    left: "已离开",
    // the conversation
    Visitor: "访客",
    "The visitor": "访客",
    "Identity signed by the site": "身份由网站签名确认",
    Verified: "已验证",
    Transcript: "聊天记录",
    "Transfer…": "转接…",
    "Close…": "关闭…",
    "About the visitor": "访客信息",
    Messages: "消息",
    "Load older messages": "加载更早的消息",
    Reply: "回复",
    "Write a reply. Enter sends, Shift+Enter adds a line; / for commands (/help), : for canned responses": "输入回复。Enter 发送，Shift+Enter 换行；/ 输入命令（/help），: 使用快捷回复",
    "Attach files": "添加附件",
    Send: "发送",
    Image: "图片",
    "Close the image": "关闭图片",
    "Transfer the conversation": "转接对话",
    To: "转给",
    Transfer: "转接",
    Cancel: "取消",
    "Close this conversation?": "关闭此对话？",
    "The visitor is told, and may rate it.": "访客会收到通知，并可以评分。",
    "Close conversation": "关闭对话",
    "Message removed": "消息已删除",
    Seen: "已读",
    Sent: "已发送",
    seen: "已读",
    sent: "已发送",
    You: "您",
    "This file is not available.": "此文件不可用。",
    "Sending…": "正在发送…",
    "Waiting for the connection…": "等待连接…",
    "Not sent": "未发送",
    "Visitor online": "访客在线",
    "Visitor away (chat not in view)": "访客暂离（聊天窗口不在视野内）",
    "Visitor left (closed the page or lost the connection)": "访客已离开（关闭了页面或网络断开）",
    "Rated {stars} {n}/5": "评分 {stars} {n}/5",
    "The visitor rated this conversation {n} out of 5": "访客为此对话评分 {n}（满分 5）",
    "E-mail": "邮箱",
    Identity: "身份",
    "Verified by the site": "已由网站验证",
    "Not verified": "未验证",
    Channel: "渠道",
    Started: "开始时间",
    "Visitor id": "访客 ID",
    "{name} is typing…": "{name} 正在输入…",
    "This conversation is no longer yours.": "此对话已不再由您负责。",
    "Something went wrong.": "出了点问题。",
    "Refused: the message contains a word this channel does not allow.": "已拒绝：消息包含此渠道不允许的词语。",
    "This conversation is closed.": "此对话已关闭。",
    "You are no longer in this conversation.": "您已不在此对话中。",
    "The service did not answer in time. Try again.": "服务未及时响应，请重试。",
    "Parley is under maintenance:": "Parley 正在维护：",
    "Uploading {names}…": "正在上传 {names}…",
    "Not sent:": "未发送：",
    "Done.": "完成。",
    "Close:": "关闭：",
    "Transcript:": "聊天记录：",
    "No canned response starts like this.": "没有以此开头的快捷回复。",
    "{name} (not available)": "{name}（不在线）",
    "No other operator of this channel is available right now.": "此渠道目前没有其他在线客服。",
    // admin screens
    Channels: "渠道",
    "New channel": "新建渠道",
    Operators: "客服",
    "Chatbot script": "机器人脚本",
    none: "无",
    Edit: "编辑",
    "Edit {name}": "编辑 {name}",
    Name: "名称",
    "Welcome message": "欢迎语",
    "Offline message": "离线留言提示",
    "Allowed origins": "允许的来源",
    "The sites the widget may be embedded on, one a line (https://www.example.com).": "可以嵌入聊天窗口的网站，每行一个（https://www.example.com）。",
    "Conversations per operator": "每位客服的对话数",
    Routing: "分配方式",
    "Least busy operator": "最空闲的客服",
    "Round robin": "轮流分配",
    "Answer within (seconds), else another operator": "应答时限（秒），超时转给其他客服",
    "Close after this many minutes of silence (0: never)": "无消息多少分钟后关闭（0：从不）",
    "Keep closed conversations (days)": "已关闭对话保留天数",
    "Blank: the service's default; 0: forever.": "留空：使用服务默认值；0：永久保留。",
    Attachments: "附件",
    "Largest file (MB)": "最大文件（MB）",
    "Blank: the service's default.": "留空：使用服务默认值。",
    "Files per message": "每条消息的文件数",
    "Accepted file types": "接受的文件类型",
    "Comma separated, e.g. image/png, application/pdf; blank: the service's default.": "以逗号分隔，例如 image/png, application/pdf；留空：使用服务默认值。",
    "Sensitive words": "敏感词",
    "Messages with one of these words are refused; one a line.": "包含这些词的消息会被拒绝；每行一个。",
    "No operator account yet: create one under Staff.": "还没有客服账号：请在“员工”中创建。",
    "Business hours": "营业时间",
    "Always open": "全天开放",
    "Time zone": "时区",
    "An IANA name, e.g. Europe/Paris.": "IANA 时区名，例如 Asia/Shanghai。",
    "Per day, ranges like 09:00-12:00, 13:00-17:00; a blank day is closed.": "每天的时间段，例如 09:00-12:00, 13:00-17:00；留空的日子不营业。",
    Monday: "星期一",
    Tuesday: "星期二",
    Wednesday: "星期三",
    Thursday: "星期四",
    Friday: "星期五",
    Saturday: "星期六",
    Sunday: "星期日",
    "Saved.": "已保存。",
    "Archive this channel? Its widget stops; its transcripts stay.": "归档此渠道？其聊天窗口将停止工作，聊天记录会保留。",
    "Channel id: {id} (the widget's data-channel)": "渠道 ID：{id}（聊天窗口的 data-channel）",
    "Save changes": "保存修改",
    "Create channel": "创建渠道",
    "Archive channel": "归档渠道",
    "Canned responses": "快捷回复",
    Shortcut: "快捷键",
    Text: "内容",
    Delete: "删除",
    "Delete :{shortcut}": "删除 :{shortcut}",
    "Save canned response": "保存快捷回复",
    "Only an admin may do this.": "只有管理员可以执行此操作。",
    "Not found: it may have been deleted meanwhile.": "未找到：它可能已被删除。",
    "That is too large.": "内容太大。",
    "Refused ({code}):": "已拒绝（{code}）：",
    Staff: "员工",
    "Display name": "显示名称",
    "At least 10 characters.": "至少 10 个字符。",
    Role: "角色",
    Operator: "客服",
    Admin: "管理员",
    Enable: "启用",
    "Enable {name}": "启用 {name}",
    Disable: "停用",
    "Disable {name}": "停用 {name}",
    "Delete {name}? They leave every channel; their name stays in transcripts.": "删除 {name}？其将退出所有渠道；聊天记录中保留其名字。",
    "Delete {name}": "删除 {name}",
    Disabled: "已停用",
    Active: "正常",
    State: "状态",
    "{name} can sign in now. Add them to a channel under Channels.": "{name} 现在可以登录了。请在“渠道”中将其加入渠道。",
    "New staff account": "新建员工账号",
    "Create account": "创建账号",
    "Audit log": "审计日志",
    "Audit log, newest first": "审计日志（最新在前）",
    "Target (an id)": "对象（ID）",
    "Action (e.g. user.create)": "操作（例如 user.create）",
    Filter: "筛选",
    "Filter the audit log": "筛选审计日志",
    When: "时间",
    Who: "操作人",
    Did: "操作",
    Details: "详情",
    "Nothing recorded.": "暂无记录。",
    "Chatbot scripts": "机器人脚本",
    "Script file (YAML or JSON)": "脚本文件（YAML 或 JSON）",
    Script: "脚本",
    "Paste a script, or choose a file above (YAML or JSON, like services/chatbot_engine/scripts/).": "粘贴脚本，或在上方选择文件（YAML 或 JSON，参见 services/chatbot_engine/scripts/）。",
    Id: "ID",
    Steps: "步骤",
    Open: "打开",
    "Open {name}": "打开 {name}",
    "Script {id} saved. Choose it for a channel under Channels.": "脚本 {id} 已保存。请在“渠道”中为渠道选择它。",
    "Upload a chatbot script": "上传机器人脚本",
    Check: "检查",
    "The script is valid.": "脚本有效。",
    "Save script": "保存脚本",
    "Bots and webhooks": "机器人与 Webhook",
    "Apologise to the visitor": "向访客致歉",
    Attempts: "尝试次数",
    "Avatar URL (optional)": "头像 URL（可选）",
    "Bot {name} registered.": "机器人 {name} 已注册。",
    "Channels (none: all)": "渠道（不选：全部）",
    "Channels it serves": "服务的渠道",
    "Dead letters": "死信",
    "Dead letters (every attempt failed)": "死信（每次尝试均失败）",
    "Description (optional)": "说明（可选）",
    Event: "事件",
    Events: "事件",
    "External bots": "外部机器人",
    Page: "页面",
    "E-mail offline messages to": "离线留言发送至邮箱",
    "The team's addresses, one a line: each message left with the offline form is e-mailed there.": "团队的邮箱地址，每行一个：访客通过离线表单留下的每条消息都会发送到这些地址。",
    "Came from": "来源页面",
    Device: "设备",
    "Registered bots": "已注册的机器人",
    Subscriptions: "订阅列表",
    "Hand the visitor to a person": "将访客转给人工",
    "If the bot cannot be reached": "机器人无法联系时",
    "If unreachable": "无法联系时",
    "Last answer": "最后一次回应",
    "New secret for {name}: the previous one keeps signing beside it for a day.": "{name} 的新密钥：旧密钥会在一天内同时继续签名。",
    "No channel yet.": "还没有渠道。",
    "No channel yet: create one first.": "还没有渠道：请先创建一个。",
    "No dead letter: every delivery arrived.": "没有死信：所有投递均已送达。",
    "No external bot yet.": "还没有外部机器人。",
    "No webhook subscription yet.": "还没有 Webhook 订阅。",
    "Parley sends the bot each event here, signed (public https).": "Parley 将每个事件签名后发送到这里（公网 https）。",
    "Public https; each request is signed.": "公网 https；每个请求都带签名。",
    Register: "注册",
    "Register a bot": "注册机器人",
    Remove: "移除",
    "Remove {name}": "移除 {name}",
    "Remove {name}? Its pending deliveries are dead-lettered.": "移除 {name}？其待投递的事件将转为死信。",
    "Rotate secret": "轮换密钥",
    "Rotate secret of {name}": "轮换密钥：{name}",
    "Send again": "重新发送",
    "Send every dead letter again": "重新发送所有死信",
    "Send again: {id}": "重新发送：{id}",
    "Signing secret of {name}. Copy it now: it is not shown again.": "{name} 的签名密钥。请立即复制：它不会再次显示。",
    Subscribe: "订阅",
    "Subscribe a webhook": "订阅 Webhook",
    "Subscription to {url} created.": "已创建到 {url} 的订阅。",
    URL: "URL",
    Wait: "等待",
    "Webhook URL": "Webhook URL",
    "Webhook subscriptions": "Webhook 订阅",
    "all channels": "全部渠道",
    inactive: "已停用",
    "{count} sent again, same webhook-id.": "已重新发送 {count} 个，webhook-id 不变。",
    "{name} removed.": "{name} 已移除。",
    Satisfaction: "满意度",
    "Offline messages": "离线留言",
    "Bot hand-off: {reason}": "机器人转人工：{reason}",
    "The bot is answering": "机器人正在回答",
    "Your message to {channel}": "关于您给 {channel} 的留言",
    "Reply by e-mail": "通过电子邮件回复",
    "No offline message.": "没有离线留言。",
    "Ratings and CSAT": "评分与满意度",
    "Last {days} days; CSAT: share of 4 and 5 stars.": "最近 {days} 天；满意度：4 星和 5 星所占比例。",
    "Whole channel": "整个渠道",
    "CSAT (ratings)": "满意度（评分数）",
    Average: "平均分",
    "Lower-case letters, digits, _ and -.": "小写字母、数字、_ 和 -。",
    "One-time code for {name}: {code} (until {until}). Give it to them in person.": "{name} 的一次性验证码：{code}（有效期至 {until}）。请当面交给对方。",
    "{name}: {n} sessions ended.": "{name}：已结束 {n} 个会话。",
    "Reset password": "重置密码",
    "Reset password of {name}": "重置密码：{name}",
    "End sessions": "结束会话",
    "End sessions of {name}": "结束会话：{name}"
  };

  // src/console/console-i18n.js
  var CHOSEN_LOCALE_KEY = "parley-console-locale";
  var TRANSLATIONS = { "zh-CN": CONSOLE_ZH_CN };
  var words = translator(TRANSLATIONS);
  var t = words.t;
  var locale = words.locale;
  function startLocale() {
    let chosen = null;
    try {
      chosen = window.localStorage.getItem(CHOSEN_LOCALE_KEY);
    } catch (_blocked) {
    }
    words.setLocale(pickLocale(chosen, navigator.languages || [navigator.language]));
    translatePage(document, t, words.locale());
  }
  function chooseLocale(wanted) {
    try {
      window.localStorage.setItem(CHOSEN_LOCALE_KEY, wanted);
    } catch (_blocked) {
    }
  }

  // src/console/console-actions.js
  var global2 = window;
  var RETRY_WHEN_ONLINE = { 9503: true, 9500: true, 1002: true };
  var RATE_LIMITED = 9003;
  var RETRY_DELAY_MS = 2e3;
  function newClientMsgId() {
    return "console-" + Date.now() + "-" + randomId(4);
  }
  function plainError(error) {
    if (!error) return t("Something went wrong.");
    if (error.code === 8001) return t("Refused: the message contains a word this channel does not allow.");
    if (error.code === 9104) return t("This conversation is closed.");
    if (error.code === 9101) return t("You are no longer in this conversation.");
    if (error.code === 9503) return t("The service did not answer in time. Try again.");
    if (error.code === 1002) return t("Parley is under maintenance:") + " " + error.message;
    return error.message || t("Something went wrong.");
  }
  function Actions(client2, state2, redraw2) {
    this.client = client2;
    this.state = state2;
    this.redraw = redraw2;
  }
  Actions.prototype.note = function(conversation, text, isError) {
    conversation.notes.push({ text, error: !!isError, afterSeq: conversation.lastSeq() });
    this.redraw();
  };
  Actions.prototype.submit = function(conversation, text) {
    if (text[0] === "/" && text[1] !== "/") return this.command(conversation, text);
    var clientMsgId = newClientMsgId();
    conversation.outbox.set(clientMsgId, { text, state: "sending", error: null });
    this.redraw();
    this.deliver(conversation, clientMsgId);
  };
  Actions.prototype.sendFiles = function(conversation, files) {
    var self = this;
    if (!conversation) return Promise.resolve();
    self.note(conversation, t("Uploading {names}…", { names: files.map((file) => file.name || "file").join(", ") }));
    return Promise.all(
      files.map(function(file) {
        return self.client.upload(conversation.id, file, file.name || "file");
      })
    ).then(function(uploaded) {
      var ids = uploaded.map(function(answer) {
        return answer.file.file_id;
      });
      return self.client.sendFiles(conversation.id, ids, { clientMsgId: newClientMsgId() });
    }).then(function(accepted) {
      if (accepted.message) conversation.add(accepted.message, self.state.me.uid);
      self.redraw();
    }).catch(function(error) {
      self.note(conversation, t("Not sent:") + " " + plainError(error), true);
    });
  };
  Actions.prototype.deliver = function(conversation, clientMsgId) {
    var self = this;
    var entry = conversation.outbox.get(clientMsgId);
    if (!entry) return;
    entry.state = "sending";
    this.client.send(conversation.id, entry.text, { clientMsgId }).then(
      function(accepted) {
        if (accepted.message) conversation.add(accepted.message, self.state.me.uid);
        else conversation.outbox.delete(clientMsgId);
        if (accepted.command) self.note(conversation, accepted.command.text);
        self.redraw();
      },
      function(error) {
        if (!conversation.outbox.has(clientMsgId)) return;
        if (error.code === RATE_LIMITED || RETRY_WHEN_ONLINE[error.code]) {
          entry.state = "waiting";
          if (self.client.status === "online")
            setTimeout(function() {
              self.deliver(conversation, clientMsgId);
            }, RETRY_DELAY_MS);
        } else {
          entry.state = "failed";
          entry.error = plainError(error);
        }
        self.redraw();
      }
    );
  };
  Actions.prototype.flushOutbox = function() {
    var self = this;
    this.state.conversations.forEach(function(conversation) {
      conversation.outbox.forEach(function(entry, clientMsgId) {
        if (entry.state === "waiting") self.deliver(conversation, clientMsgId);
      });
    });
  };
  Actions.prototype.command = function(conversation, text) {
    var self = this;
    return this.client.send(conversation.id, text, { clientMsgId: newClientMsgId() }).then(
      function(accepted) {
        var answer = accepted.command ? accepted.command.text : t("Done.");
        self.note(conversation, answer);
        return answer;
      },
      function(error) {
        self.note(conversation, text.split(/\s/)[0] + ": " + plainError(error), true);
        throw error;
      }
    );
  };
  Actions.prototype.cannedLike = function(conversation, prefix) {
    return this.client.send(conversation.id, ":" + prefix, { clientMsgId: newClientMsgId() }).then(function(accepted) {
      return accepted.command && accepted.command.suggestions || [];
    });
  };
  Actions.prototype.typing = function(conversation, active) {
    if (!conversation || !conversation.isOpen() || this.client.status !== "online") return;
    this.client.request("typing", { conversation_id: conversation.id, active }).catch(function() {
    });
  };
  Actions.prototype.markSeen = function(conversation) {
    var last = conversation.lastSeq();
    if (!conversation.isOpen() || last <= conversation.seenSeq || !last) return;
    conversation.seenSeq = last;
    this.redraw();
    this.client.request("seen", { conversation_id: conversation.id, seq: last }).catch(function() {
      conversation.seenSeq = Math.min(conversation.seenSeq, last - 1);
    });
  };
  Actions.prototype.close = function(conversation) {
    var self = this;
    return this.client.request("conversation.close", { conversation_id: conversation.id }).then(
      function() {
        conversation.summary.status = "closed";
        self.client.untrack(conversation.id);
        self.redraw();
      },
      function(error) {
        self.note(conversation, t("Close:") + " " + plainError(error), true);
      }
    );
  };
  Actions.prototype.transfer = function(conversation, operatorId) {
    return this.command(conversation, "/transfer " + operatorId);
  };
  Actions.prototype.openTranscript = function(conversation) {
    var self = this;
    var tab = global2.open("", "_blank");
    var path2 = "/conversations/" + encodeURIComponent(conversation.id) + "/transcript.html";
    return this.client.authedFetch(path2).then(function(response) {
      if (!response.ok) throw ParleyError(response.status, "the transcript could not be read");
      return response.blob();
    }).then(function(blob) {
      var url = URL.createObjectURL(blob);
      if (tab) tab.location.href = url;
      else global2.location.assign(url);
    }).catch(function(error) {
      if (tab) tab.close();
      self.note(conversation, t("Transcript:") + " " + plainError(error), true);
    });
  };

  // src/console/console-agents.js
  function agentText(body) {
    switch (body.kind) {
      case "list":
        return (body.text ? body.text + " " : "") + body.items.map(function(item) {
          return "• " + item.title;
        }).join(" ");
      case "site_info":
        return "📍 " + body.name + (body.address ? ", " + body.address : "");
      case "rich_text":
        return new DOMParser().parseFromString(body.html, "text/html").body.textContent || "";
      case "related":
      case "everyone_asking":
        return (body.text ? body.text + ": " : "") + body.questions.join(" · ");
      default:
        return null;
    }
  }
  function agentNote(summary) {
    var parts = [];
    var place2 = summary.visitor_location;
    if (place2) {
      var where = [place2.name, place2.street, place2.district, place2.city, place2.province, place2.country].filter(Boolean);
      parts.push("📍 " + (where.length ? where.join(", ") : place2.latitude + ", " + place2.longitude));
    }
    if (summary.handoff)
      parts.push(
        t("Bot hand-off: {reason}", { reason: summary.handoff.reason }) + (summary.handoff.summary ? " — " + summary.handoff.summary : "")
      );
    if (summary.controller === "bot") parts.push(t("The bot is answering"));
    return parts.join(" · ");
  }

  // src/console/console-render.js
  function connectionWords(status) {
    if (status === "connecting") return t("Connecting…");
    if (status === "online") return t("Online");
    if (status === "reconnecting") return t("Connection lost — reconnecting…");
    if (status === "offline") return t("Offline");
    if (status === "closed") return t("Signed out");
    return status;
  }
  var STICK_TO_BOTTOM_PX = 48;
  function el(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function(name) {
      var value = attributes[name];
      if (value === null || value === void 0 || value === false) return;
      if (name === "text") node.textContent = value;
      else if (name === "className") node.className = value;
      else if (name.slice(0, 2) === "on") node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : value);
    });
    (children || []).forEach(function(child) {
      if (child) node.appendChild(child);
    });
    return node;
  }
  function byId(id) {
    return document.getElementById(id);
  }
  function KeyedRows() {
    this.rows = /* @__PURE__ */ new Map();
  }
  KeyedRows.prototype.row = function(key, make) {
    var row = this.rows.get(key);
    if (!row) {
      row = make();
      this.rows.set(key, row);
    }
    return row;
  };
  KeyedRows.prototype.forgetAllBut = function(drawn) {
    var keep = new Set(drawn);
    this.rows.forEach(function(row, key, rows) {
      if (!keep.has(row)) rows.delete(key);
    });
  };
  function place(parent, nodes) {
    nodes.forEach(function(node, index) {
      if (parent.children[index] !== node) parent.insertBefore(node, parent.children[index] || null);
    });
    while (parent.children.length > nodes.length) parent.lastElementChild.remove();
  }
  var conversationRows = new KeyedRows();
  var rowParts = /* @__PURE__ */ new WeakMap();
  var waitingRows = new KeyedRows();
  var selectConversation = function() {
  };
  function messageText(message) {
    if (message.kind === "erased") return t("Message removed");
    var body = message.body;
    if (typeof body === "string") return body;
    if (!body || typeof body !== "object") return "";
    if (message.kind === "action") return "[action: " + body.meaning + "]";
    if (message.kind === "file")
      return (body.text ? body.text + " " : "") + "[" + body.files.map(function(file) {
        return file.name;
      }).join(", ") + "]";
    return agentText(body) || body.text || body.title || body.caption || body.name || body.alt || "[" + body.kind + "]";
  }
  function clock(iso) {
    var date = new Date(iso);
    return isNaN(date.getTime()) ? "" : date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }
  function since(iso, now) {
    var minutes = Math.floor((now - new Date(iso).getTime()) / 6e4);
    return minutes < 1 ? t("just now") : t("{minutes} min", { minutes });
  }
  function visitorName(summary) {
    if (summary.visitor_verified && summary.visitor_name) return summary.visitor_name;
    return summary.visitor_email || summary.visitor_name || t("Visitor");
  }
  function renderHeader(state2) {
    byId("me-name").textContent = state2.me ? state2.me.uname : "";
    byId("availability").checked = state2.available;
    byId("availability-label").textContent = state2.available ? t("Available") : t("Busy");
    var connection = byId("connection");
    connection.textContent = connectionWords(state2.connection);
    connection.dataset.status = state2.connection;
  }
  function renderQueues(state2, onTake) {
    var root = byId("queues");
    root.replaceChildren();
    var shown = [];
    byId("queue-count").textContent = String(state2.waitingCount());
    var now = Date.now();
    state2.channels.forEach(function(channel) {
      var waiting = state2.queues.get(channel.id) || [];
      var items = waiting.map(function(summary) {
        var row = waitingRows.row(summary.id, function() {
          var take3 = el("button", {
            type: "button",
            className: "take",
            text: t("Accept"),
            onclick: function() {
              onTake(summary.id, take3);
            }
          });
          return el("li", { className: "waiting", "data-conversation-id": summary.id }, [el("span"), take3]);
        });
        var take2 = row.lastChild;
        take2.setAttribute("aria-label", t("Accept the conversation with {name}", { name: visitorName(summary) }));
        row.firstChild.replaceChildren(
          ...[
            el("span", { className: "who", text: visitorName(summary) }),
            el("span", { className: "since", text: t("waiting {since}", { since: since(summary.created_at, now) }) }),
            summary.visitor_preview ? el("span", { className: "preview", text: summary.visitor_preview }) : null
          ].filter(Boolean)
        );
        return row;
      });
      var empty = waiting.length ? null : el("p", { className: "empty", text: t("Nobody is waiting.") });
      root.appendChild(
        el("section", { className: "queue", "data-channel-id": channel.id }, [
          el("h3", { text: channel.name + " (" + waiting.length + ")" }),
          empty,
          el("ul", {}, items)
        ])
      );
      shown = shown.concat(items);
    });
    waitingRows.forgetAllBut(shown);
  }
  function listItem(state2, conversation) {
    var last = conversation.lastMessage();
    var unread = conversation.unread();
    var rating = conversation.summary.rating;
    var row = conversationRows.row(conversation.id, function() {
      var id = conversation.id;
      var button3 = el("button", {
        type: "button",
        className: "select",
        onclick: function() {
          selectConversation(id);
        }
      });
      rowParts.set(button3, {
        who: el("span", { className: "who" }),
        unread: el("span", { className: "unread" }),
        closed: el("span", { className: "closed-tag", text: t("closed") }),
        rating: el("span", { className: "rating-tag" }),
        left: el("span", { className: "left-tag", text: t("left") }),
        preview: el("span", { className: "preview" })
      });
      return el("li", { className: "conversation", "data-conversation-id": id }, [button3]);
    });
    row.setAttribute("data-unread", String(unread));
    var button2 = (
      /** @type {HTMLElement} */
      row.firstChild
    );
    if (conversation.id === state2.selectedId) button2.setAttribute("aria-current", "true");
    else button2.removeAttribute("aria-current");
    var parts = rowParts.get(button2);
    setText(parts.who, visitorName(conversation.summary));
    setText(parts.unread, String(unread));
    parts.unread.setAttribute("aria-label", t("{n} unread", { n: unread }));
    if (rating) {
      setText(parts.rating, "★" + rating.rating);
      parts.rating.setAttribute("aria-label", t("rated {n} out of 5", { n: rating.rating }));
    }
    setText(parts.preview, last ? messageText(last) : conversation.summary.visitor_preview || "");
    place(
      button2,
      [
        parts.who,
        unread ? parts.unread : null,
        conversation.isOpen() ? null : parts.closed,
        rating ? parts.rating : null,
        conversation.isOpen() && conversation.visitorPresence === "offline" ? parts.left : null,
        parts.preview
      ].filter(Boolean)
    );
    return row;
  }
  function setText(node, text) {
    if (node.textContent !== text) node.textContent = text;
  }
  function matches(conversation, query) {
    if (!query) return true;
    var words2 = [conversation.summary.visitor_name, conversation.summary.visitor_email].concat(conversation.sorted().map(messageText)).join("\n").toLowerCase();
    return words2.indexOf(query.toLowerCase()) >= 0;
  }
  function renderList(state2, onSelect) {
    var list = byId("conversation-list");
    var closedList = byId("closed-list");
    var query = byId("closed-filter").value.trim();
    selectConversation = onSelect;
    var open = [];
    var closed = 0;
    var shownClosed = [];
    state2.ordered().forEach(function(conversation) {
      if (conversation.isOpen()) {
        open.push(listItem(state2, conversation));
        return;
      }
      closed += 1;
      if (matches(conversation, query)) shownClosed.push(listItem(state2, conversation));
    });
    place(list, open);
    place(closedList, shownClosed);
    conversationRows.forgetAllBut(open.concat(shownClosed));
    byId("no-conversations").hidden = open.length > 0;
    byId("closed-count").textContent = String(closed);
    byId("closed-section").hidden = closed === 0;
  }
  function messageItem(message, conversation, myId) {
    if (message.kind === "notice" || message.kind === "erased") {
      return el("li", { className: "system", "data-seq": String(message.seq) }, [
        el("span", { className: "body", text: messageText(message) }),
        el("time", { datetime: message.created_at, text: " · " + clock(message.created_at) })
      ]);
    }
    var mine = message.author_id === myId;
    var role = mine ? "me" : message.author_role;
    var tick = null;
    if (mine) {
      var seen = conversation.partnerSeenSeq >= message.seq;
      tick = el("span", {
        className: "tick" + (seen ? " seen" : ""),
        text: seen ? "✓✓" : "✓",
        title: seen ? t("Seen") : t("Sent"),
        "aria-label": seen ? t("seen") : t("sent")
      });
    }
    return el("li", { className: "message from-" + role, "data-seq": String(message.seq) }, [
      el("span", { className: "author", text: mine ? t("You") : message.author_name || message.author_role }),
      el("time", { datetime: message.created_at, text: clock(message.created_at) }),
      message.kind === "file" ? filesBody(message) : el("p", { className: "body", text: messageText(message) }),
      tick
    ]);
  }
  function filesBody(message) {
    var box = el("div", { className: "body files" });
    if (message.body.text) box.appendChild(el("p", { text: message.body.text }));
    message.body.files.forEach(function(file) {
      var link = el("a", { target: "_blank", rel: "noopener noreferrer", "data-file-id": file.file_id }, [
        file.thumbnail ? el("img", { alt: file.name, className: "thumbnail" }) : el("span", { text: "⬇ " + file.name + " (" + file.content_type + ")" })
      ]);
      function fresh() {
        var links = render.fileLink;
        if (!links) return;
        links(message.conversation_id, file.file_id).then(
          function(signed) {
            link.href = signed.url;
            var img = link.querySelector("img");
            if (img && img.getAttribute("src") !== signed.thumbnail_url) img.src = signed.thumbnail_url;
          },
          function() {
            link.title = t("This file is not available.");
          }
        );
      }
      link.addEventListener("mouseenter", fresh);
      link.addEventListener("focus", fresh);
      if (file.thumbnail) {
        link.addEventListener("click", function(event) {
          if (!render.showImage || !link.href || event.ctrlKey || event.metaKey || event.shiftKey) return;
          event.preventDefault();
          render.showImage(link.href, file.name);
        });
      }
      fresh();
      box.appendChild(link);
    });
    return box;
  }
  function outboxWords(state2) {
    if (state2 === "sending") return t("Sending…");
    if (state2 === "waiting") return t("Waiting for the connection…");
    return t("Not sent");
  }
  function outboxItem(clientMsgId, entry) {
    var words2 = outboxWords(entry.state) + (entry.error ? ": " + entry.error : "");
    return el("li", { className: "message from-me pending " + entry.state, "data-client-msg-id": clientMsgId }, [
      el("span", { className: "author", text: t("You") }),
      el("p", { className: "body", text: entry.text }),
      el("span", { className: "delivery", text: words2 })
    ]);
  }
  function renderMessages(conversation, myId) {
    var scroller = byId("messages");
    var atBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < STICK_TO_BOTTOM_PX;
    var fromBottom = scroller.scrollHeight - scroller.scrollTop;
    var list = byId("message-list");
    list.replaceChildren();
    var notes = conversation.notes.slice();
    conversation.sorted().forEach(function(message) {
      list.appendChild(messageItem(message, conversation, myId));
      while (notes.length && notes[0].afterSeq <= message.seq) list.appendChild(noteItem(notes.shift()));
    });
    notes.forEach(function(note) {
      list.appendChild(noteItem(note));
    });
    conversation.outbox.forEach(function(entry, id) {
      list.appendChild(outboxItem(id, entry));
    });
    byId("load-older").hidden = !conversation.hasOlder;
    scroller.scrollTop = atBottom ? scroller.scrollHeight : scroller.scrollHeight - fromBottom;
  }
  function noteItem(note) {
    return el("li", {
      className: "note" + (note.error ? " error" : ""),
      role: note.error ? "alert" : null,
      text: note.text
    });
  }
  function presenceWords(presence) {
    if (presence === "online") return t("Visitor online");
    if (presence === "away") return t("Visitor away (chat not in view)");
    if (presence === "offline") return t("Visitor left (closed the page or lost the connection)");
    return "";
  }
  function renderConversation(state2) {
    var conversation = state2.selected();
    byId("empty-hint").hidden = !!conversation;
    byId("conversation-pane").hidden = !conversation;
    byId("app-view").toggleAttribute("data-conversation-open", !!conversation);
    if (!conversation) return;
    var summary = conversation.summary;
    byId("conversation-title").textContent = visitorName(summary);
    byId("conversation-verified").hidden = !summary.visitor_verified;
    var note = agentNote(summary);
    byId("conversation-agent").hidden = !note;
    byId("conversation-agent").textContent = note;
    byId("conversation-status").textContent = conversation.isOpen() ? "" : t("Closed");
    var rating = summary.rating;
    var rated = byId("conversation-rating");
    rated.hidden = !rating;
    rated.textContent = rating ? t("Rated {stars} {n}/5", { stars: "★".repeat(rating.rating) + "☆".repeat(5 - rating.rating), n: rating.rating }) + (rating.comment ? " — “" + rating.comment + "”" : "") : "";
    rated.setAttribute(
      "aria-label",
      rating ? t("The visitor rated this conversation {n} out of 5", { n: rating.rating }) + (rating.comment ? ": " + rating.comment : "") : ""
    );
    var presence = byId("visitor-presence");
    presence.textContent = conversation.isOpen() ? presenceWords(conversation.visitorPresence) : "";
    presence.dataset.presence = conversation.visitorPresence || "";
    byId("transfer-button").disabled = !conversation.isOpen();
    byId("close-button").disabled = !conversation.isOpen();
    byId("composer-input").disabled = !conversation.isOpen();
    byId("send-button").disabled = !conversation.isOpen();
    renderMessages(conversation, state2.me && state2.me.uid);
    renderDetails(state2);
    renderTyping(state2);
  }
  function renderDetails(state2) {
    var conversation = state2.selected();
    var facts = byId("visitor-facts");
    facts.replaceChildren();
    if (!conversation) return;
    var summary = conversation.summary;
    var channel = state2.channels.get(summary.channel_id);
    var rows = [
      [t("Name"), summary.visitor_name],
      [t("E-mail"), summary.visitor_email],
      [t("Identity"), summary.visitor_verified ? t("Verified by the site") : t("Not verified")],
      [t("Channel"), channel ? channel.name : summary.channel_id],
      // Where they chat from, as their browser said (text, never a link: the visitor wrote it).
      [t("Page"), summary.visitor_page_url],
      [t("Came from"), summary.visitor_referrer],
      [t("Device"), summary.visitor_device],
      [t("Started"), summary.created_at ? new Date(summary.created_at).toLocaleString() : ""],
      [t("Visitor id"), summary.visitor_id]
    ];
    rows.forEach(function(row) {
      if (!row[1]) return;
      facts.appendChild(el("dt", { text: row[0] }));
      facts.appendChild(el("dd", { text: String(row[1]) }));
    });
  }
  function renderTyping(state2) {
    var conversation = state2.selected();
    var name = conversation ? conversation.typingName(Date.now()) : null;
    byId("typing-indicator").textContent = name ? t("{name} is typing…", { name }) : "";
  }
  function showBanner(text, level) {
    var banner = byId("banner");
    banner.textContent = text || "";
    banner.dataset.level = level || "info";
    banner.hidden = !text;
  }
  var render = {
    el,
    messageText,
    header: renderHeader,
    queues: renderQueues,
    list: renderList,
    conversation: renderConversation,
    typing: renderTyping,
    details: renderDetails,
    banner: showBanner,
    /** Signed links to a file ({url, thumbnail_url}); console-app sets it to its client's fileLink.
     * @type {((conversationId: string, fileId: string) => Promise<any>) | null} */
    fileLink: null,
    /** Show an image over the console (url, name); console-app sets it to its lightbox. */
    showImage: null
  };

  // src/console/console-composer.js
  var TYPING_REPEAT_MS = 3e3;
  var TYPING_IDLE_MS = 4e3;
  var CANNED_DEBOUNCE_MS = 150;
  var CANNED_PATTERN = /^:([A-Za-z0-9_-]*)$/;
  function Composer(options) {
    this.form = options.form;
    this.input = options.input;
    this.list = options.suggestions;
    this.onSubmit = options.onSubmit;
    this.onTyping = options.onTyping;
    this.lookupCanned = options.lookupCanned;
    this.onFiles = options.onFiles;
    this.attachButton = options.attachButton;
    this.fileInput = options.fileInput;
    this.typingSentAt = 0;
    this.typingActive = false;
    this.suggestions = [];
    this.highlighted = -1;
    this.lookupNumber = 0;
    this._listen();
  }
  Composer.prototype._listen = function() {
    var self = this;
    this.form.addEventListener("submit", function(event) {
      event.preventDefault();
      self.submit();
    });
    this.input.addEventListener("keydown", function(event) {
      self._key(event);
    });
    this.input.addEventListener("input", function() {
      self._changed();
    });
    this.input.addEventListener("blur", function() {
      self._stopTyping();
    });
    if (!this.onFiles) return;
    var files = function(list) {
      if (list && list.length && !self.input.disabled) self.onFiles(Array.prototype.slice.call(list));
    };
    this.attachButton.addEventListener("click", function() {
      self.fileInput.click();
    });
    this.fileInput.addEventListener("change", function() {
      files(self.fileInput.files);
      self.fileInput.value = "";
    });
    this.input.addEventListener("paste", function(event) {
      var pasted = event.clipboardData && event.clipboardData.files;
      if (!pasted || !pasted.length) return;
      event.preventDefault();
      files(pasted);
    });
    this.form.addEventListener("dragover", function(event) {
      if (event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types, "Files") !== -1) {
        event.preventDefault();
      }
    });
    this.form.addEventListener("drop", function(event) {
      if (!event.dataTransfer || !event.dataTransfer.files.length) return;
      event.preventDefault();
      files(event.dataTransfer.files);
    });
  };
  Composer.prototype._key = function(event) {
    var open = !this.list.hidden && this.suggestions.length > 0;
    if (open && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
      event.preventDefault();
      var step = event.key === "ArrowDown" ? 1 : -1;
      this._highlight((this.highlighted + step + this.suggestions.length) % this.suggestions.length);
    } else if (open && (event.key === "Enter" || event.key === "Tab") && !event.shiftKey) {
      event.preventDefault();
      this.pick(Math.max(0, this.highlighted));
    } else if (open && event.key === "Escape") {
      event.preventDefault();
      this.hideSuggestions();
    } else if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      this.submit();
    }
  };
  Composer.prototype.submit = function() {
    var text = this.input.value.trim();
    if (!text || this.input.disabled) return;
    this.input.value = "";
    this.hideSuggestions();
    this._stopTyping();
    this.onSubmit(text);
  };
  Composer.prototype._changed = function() {
    var text = this.input.value;
    var canned = CANNED_PATTERN.exec(text);
    if (canned) this._lookupSoon(canned[1]);
    else this.hideSuggestions();
    if (!text.trim() || text[0] === "/" || canned) return this._stopTyping();
    var now = Date.now();
    if (!this.typingActive || now - this.typingSentAt > TYPING_REPEAT_MS) {
      this.typingActive = true;
      this.typingSentAt = now;
      this.onTyping(true);
    }
    var self = this;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(function() {
      self._stopTyping();
    }, TYPING_IDLE_MS);
  };
  Composer.prototype._stopTyping = function() {
    clearTimeout(this.idleTimer);
    if (!this.typingActive) return;
    this.typingActive = false;
    this.onTyping(false);
  };
  Composer.prototype._lookupSoon = function(prefix) {
    var self = this;
    var number = ++this.lookupNumber;
    clearTimeout(this.lookupTimer);
    this.lookupTimer = setTimeout(function() {
      self.lookupCanned(prefix).then(
        function(found) {
          if (number === self.lookupNumber && CANNED_PATTERN.test(self.input.value)) self.showSuggestions(found);
        },
        function() {
          self.hideSuggestions();
        }
      );
    }, CANNED_DEBOUNCE_MS);
  };
  Composer.prototype.showSuggestions = function(found) {
    var self = this;
    var el3 = render.el;
    this.suggestions = found;
    this.list.replaceChildren();
    if (!found.length) {
      this.list.appendChild(el3("li", { className: "none", text: t("No canned response starts like this.") }));
    }
    found.forEach(function(item, index) {
      self.list.appendChild(
        el3(
          "li",
          {
            id: "suggestion-" + index,
            role: "option",
            "data-shortcut": item.shortcut,
            onmousedown: function(event) {
              event.preventDefault();
              self.pick(index);
            }
          },
          [el3("strong", { text: ":" + item.shortcut }), el3("span", { text: " " + item.text })]
        )
      );
    });
    this.list.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
    this._highlight(found.length ? 0 : -1);
  };
  Composer.prototype._highlight = function(index) {
    this.highlighted = index;
    var items = this.list.querySelectorAll("[role=option]");
    items.forEach(function(item, i) {
      item.setAttribute("aria-selected", i === index ? "true" : "false");
    });
    if (index >= 0) this.input.setAttribute("aria-activedescendant", "suggestion-" + index);
  };
  Composer.prototype.pick = function(index) {
    var item = this.suggestions[index];
    if (!item) return;
    this.input.value = item.text;
    this.hideSuggestions();
    this.input.focus();
  };
  Composer.prototype.hideSuggestions = function() {
    this.lookupNumber++;
    clearTimeout(this.lookupTimer);
    this.suggestions = [];
    this.highlighted = -1;
    this.list.hidden = true;
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
  };
  Composer.prototype.reset = function() {
    this.input.value = "";
    this.hideSuggestions();
    this._stopTyping();
  };

  // src/console/console-dialogs.js
  function byId2(id) {
    return document.getElementById(id);
  }
  function openTransfer(state2, sync2) {
    var conversation = state2.selected();
    if (!conversation) return;
    var select2 = byId2("transfer-target");
    var error = byId2("transfer-error");
    select2.replaceChildren();
    error.textContent = "";
    byId2("transfer-confirm").disabled = true;
    byId2("transfer-dialog").showModal();
    sync2.transferTargets(conversation).then(
      function(operators) {
        operators.forEach(function(op) {
          var label = op.available ? op.name : t("{name} (not available)", { name: op.name });
          select2.appendChild(render.el("option", { value: op.user_id, text: label, disabled: !op.available }));
        });
        var firstFree = operators.filter(function(op) {
          return op.available;
        })[0];
        if (firstFree) select2.value = firstFree.user_id;
        else error.textContent = t("No other operator of this channel is available right now.");
        byId2("transfer-confirm").disabled = !firstFree;
      },
      function(failure) {
        error.textContent = plainError(failure);
      }
    );
  }
  function confirmTransfer(event, state2, actions2) {
    event.preventDefault();
    var conversation = state2.selected();
    var target = byId2("transfer-target").value;
    if (!conversation || !target) return;
    byId2("transfer-confirm").disabled = true;
    actions2.transfer(conversation, target).then(
      function() {
        byId2("transfer-dialog").close();
      },
      function(failure) {
        byId2("transfer-error").textContent = plainError(failure);
        byId2("transfer-confirm").disabled = false;
      }
    );
  }
  function confirmClose(event, state2, actions2) {
    event.preventDefault();
    var conversation = state2.selected();
    byId2("close-dialog").close();
    if (conversation) actions2.close(conversation);
  }
  function wire(state2, actions2, sync2) {
    byId2("transfer-button").addEventListener("click", function() {
      openTransfer(state2, sync2);
    });
    byId2("transfer-form").addEventListener("submit", function(event) {
      confirmTransfer(event, state2, actions2);
    });
    byId2("transfer-cancel").addEventListener("click", function() {
      byId2("transfer-dialog").close();
    });
    byId2("close-button").addEventListener("click", function() {
      byId2("close-dialog").showModal();
    });
    byId2("close-form").addEventListener("submit", function(event) {
      confirmClose(event, state2, actions2);
    });
    byId2("close-cancel").addEventListener("click", function() {
      byId2("close-dialog").close();
    });
    byId2("transcript-button").addEventListener("click", function() {
      var conversation = state2.selected();
      if (conversation) actions2.openTranscript(conversation);
    });
  }
  var dialogs = { wire };

  // src/console/console-state.js
  var TYPING_FADE_MS = 6e3;
  function Conversation(summary) {
    this.id = summary.id;
    this.summary = summary;
    this.messages = /* @__PURE__ */ new Map();
    this.hasOlder = true;
    this.seenSeq = summary.unread === null || summary.unread === void 0 ? 0 : Math.max(0, (summary.last_seq || 0) - summary.unread);
    this.partnerSeenSeq = 0;
    this.visitorPresence = null;
    this.typing = null;
    this.outbox = /* @__PURE__ */ new Map();
    this.notes = [];
  }
  Conversation.prototype.lastSeq = function() {
    var last = this.summary.last_seq || 0;
    this.messages.forEach(function(_m, seq) {
      if (seq > last) last = seq;
    });
    return last;
  };
  Conversation.prototype.oldestSeq = function() {
    var oldest = null;
    this.messages.forEach(function(_m, seq) {
      if (oldest === null || seq < oldest) oldest = seq;
    });
    return oldest;
  };
  Conversation.prototype.unread = function() {
    return Math.max(0, this.lastSeq() - this.seenSeq);
  };
  Conversation.prototype.add = function(message, myId) {
    if (this.messages.has(message.seq)) return false;
    this.messages.set(message.seq, message);
    if (message.seq > (this.summary.last_seq || 0)) this.summary.last_seq = message.seq;
    if (message.author_id === myId) {
      this.seenSeq = Math.max(this.seenSeq, message.seq);
      this.outbox.delete(message.client_msg_id);
    }
    if (this.typing && message.author_id !== myId) this.typing = null;
    return true;
  };
  Conversation.prototype.sorted = function() {
    return Array.from(this.messages.values()).filter(function(message) {
      return !isQuickReplies(message);
    }).sort(function(a, b) {
      return a.seq - b.seq;
    });
  };
  Conversation.prototype.lastMessage = function() {
    var shown = this.sorted();
    return shown.length ? shown[shown.length - 1] : null;
  };
  function isQuickReplies(message) {
    return message.kind === "bot" && message.body && message.body.kind === "quick_replies";
  }
  Conversation.prototype.isOpen = function() {
    return this.summary.status !== "closed";
  };
  Conversation.prototype.setTyping = function(name, active, now) {
    this.typing = active ? { name, until: now + TYPING_FADE_MS } : null;
  };
  Conversation.prototype.typingName = function(now) {
    return this.typing && this.typing.until > now ? this.typing.name : null;
  };
  function ConsoleState() {
    this.me = null;
    this.channels = /* @__PURE__ */ new Map();
    this.queues = /* @__PURE__ */ new Map();
    this.conversations = /* @__PURE__ */ new Map();
    this.selectedId = null;
    this.available = true;
    this.availabilityToggles = 0;
    this.connection = "offline";
  }
  ConsoleState.prototype.upsert = function(summary) {
    var known = this.conversations.get(summary.id);
    if (!known) {
      known = new Conversation(summary);
      this.conversations.set(summary.id, known);
      return known;
    }
    var lastSeq = Math.max(known.lastSeq(), summary.last_seq || 0);
    known.summary = Object.assign({}, known.summary, summary, { last_seq: lastSeq });
    if (summary.unread !== void 0 && summary.unread !== null) {
      known.seenSeq = Math.max(known.seenSeq, (summary.last_seq || 0) - summary.unread);
    }
    return known;
  };
  ConsoleState.prototype.selected = function() {
    return this.selectedId ? this.conversations.get(this.selectedId) || null : null;
  };
  ConsoleState.prototype.ordered = function() {
    function activity(c) {
      var last = c.lastMessage();
      return last ? last.created_at : c.summary.last_activity_at || c.summary.created_at || "";
    }
    return Array.from(this.conversations.values()).sort(function(a, b) {
      if (a.isOpen() !== b.isOpen()) return a.isOpen() ? -1 : 1;
      return activity(a) < activity(b) ? 1 : activity(a) > activity(b) ? -1 : 0;
    });
  };
  ConsoleState.prototype.waitingCount = function() {
    var count = 0;
    this.queues.forEach(function(list) {
      count += list.length;
    });
    return count;
  };

  // src/console/console-http.js
  function callApi(client2, path2, options) {
    var opts = options || {};
    var init = { method: opts.method || "GET" };
    if (opts.body !== void 0) {
      var raw = opts.contentType && typeof opts.body === "string";
      init.body = raw ? opts.body : JSON.stringify(opts.body);
      init.headers = { "Content-Type": opts.contentType || "application/json" };
    }
    return client2.authedFetch(path2, init).then(function(response) {
      return response.json().catch(function() {
        return {};
      }).then(function(json) {
        if (response.ok) return json;
        var error = json.error || { code: response.status, message: response.statusText || "request failed" };
        throw ParleyError(error.code, error.message, { status: response.status, problems: json.problems });
      });
    });
  }
  function path(...parts) {
    return parts.map((part, index) => index % 2 ? encodeURIComponent(part) : part).join("");
  }

  // src/console/console-sync.js
  var PAGE_SIZE = 30;
  var QUEUE_RELOAD_DELAY_MS = 150;
  function Sync(client2, state2, redraw2) {
    this.client = client2;
    this.state = state2;
    this.redraw = redraw2;
    this.queueTimers = {};
  }
  Sync.prototype.getJson = function(path2, init) {
    return callApi(this.client, path2, init);
  };
  Sync.prototype.loadAll = function() {
    var self = this;
    return this.getJson("/channels").then(function(answer) {
      self.state.channels = new Map(
        answer.channels.map(function(channel) {
          return [channel.id, channel];
        })
      );
      return Promise.all([self.loadQueues(), self.loadMine(), self.loadAvailability()]);
    }).then(function() {
      self.redraw();
    });
  };
  Sync.prototype.loadQueues = function() {
    var self = this;
    return Promise.all(
      Array.from(this.state.channels.keys()).map(function(id) {
        return self.loadQueue(id);
      })
    );
  };
  Sync.prototype.loadQueue = function(channelId) {
    var self = this;
    return this.getJson("/channels/" + encodeURIComponent(channelId) + "/queue").then(function(answer) {
      self.state.queues.set(channelId, answer.conversations);
    });
  };
  Sync.prototype.queueChanged = function(channelId) {
    var self = this;
    clearTimeout(this.queueTimers[channelId]);
    this.queueTimers[channelId] = setTimeout(function() {
      self.loadQueue(channelId).then(self.redraw, function() {
      });
    }, QUEUE_RELOAD_DELAY_MS);
  };
  Sync.prototype.loadMine = function() {
    var self = this;
    return this.getJson("/me/conversations").then(function(answer) {
      var open = /* @__PURE__ */ new Set();
      answer.conversations.forEach(function(summary) {
        open.add(summary.id);
        var known = self.state.conversations.has(summary.id);
        self.state.upsert(summary);
        if (!known) self.loadConversation(summary.id);
      });
      self.state.conversations.forEach(function(conversation) {
        if (conversation.isOpen() && !open.has(conversation.id)) conversation.summary.status = "closed";
      });
    });
  };
  Sync.prototype.loadAvailability = function() {
    var self = this;
    var first = this.state.channels.keys().next();
    if (first.done) return Promise.resolve();
    var toggles = this.state.availabilityToggles;
    return this.getJson("/channels/" + encodeURIComponent(first.value) + "/operators").then(function(answer) {
      var me = answer.operators.filter(function(op) {
        return op.user_id === self.state.me.uid;
      })[0];
      if (toggles !== self.state.availabilityToggles) return;
      if (me) self.state.available = me.accepting_chats;
    });
  };
  Sync.prototype.loadRating = function(conversation) {
    var self = this;
    return this.getJson("/conversations/" + encodeURIComponent(conversation.id)).then(function(detail) {
      conversation.summary.rating = detail.rating;
      if (detail.status === "closed" && conversation.isOpen()) {
        conversation.summary.status = "closed";
        self.client.untrack(conversation.id);
      }
      self.redraw();
    });
  };
  Sync.prototype.loadConversation = function(conversationId) {
    var self = this;
    var path2 = "/conversations/" + encodeURIComponent(conversationId);
    return this.getJson(path2).then(function(detail) {
      var conversation = self.state.upsert(detail);
      detail.members.forEach(function(member) {
        if (member.role === "visitor") {
          conversation.partnerSeenSeq = Math.max(conversation.partnerSeenSeq, member.last_seen_seq);
          if (member.presence) conversation.visitorPresence = member.presence;
        }
        if (member.user_id === self.state.me.uid)
          conversation.seenSeq = Math.max(conversation.seenSeq, member.last_seen_seq);
      });
      return self.loadNewest(conversation);
    }).then(self.redraw, function(error) {
      self.redraw();
      throw error;
    });
  };
  Sync.prototype.loadNewest = function(conversation) {
    var self = this;
    var query = { conversation_id: conversation.id, limit: PAGE_SIZE };
    return this.client.request("history.get", query).then(function(page) {
      page.messages.forEach(function(message) {
        conversation.add(message, self.state.me.uid);
      });
      conversation.hasOlder = page.has_more;
      if (conversation.isOpen()) self.client.track(conversation.id, page.last_seq);
    });
  };
  Sync.prototype.loadOlder = function(conversation) {
    var self = this;
    var oldest = conversation.oldestSeq();
    if (!conversation.hasOlder || oldest === null || this.loadingOlder) return Promise.resolve();
    this.loadingOlder = true;
    var query = { conversation_id: conversation.id, before_seq: oldest, limit: PAGE_SIZE };
    return this.client.request("history.get", query).then(function(page) {
      page.messages.forEach(function(message) {
        conversation.add(message, self.state.me.uid);
      });
      conversation.hasOlder = page.has_more;
      self.redraw();
    }).finally(function() {
      self.loadingOlder = false;
    });
  };
  Sync.prototype.take = function(conversationId) {
    var self = this;
    var path2 = "/conversations/" + encodeURIComponent(conversationId) + "/take";
    return this.getJson(path2, { method: "POST" }).then(function(summary) {
      var known = self.state.conversations.has(summary.id);
      self.state.upsert(summary);
      self.state.queues.forEach(function(list, channelId) {
        self.state.queues.set(
          channelId,
          list.filter(function(waiting) {
            return waiting.id !== summary.id;
          })
        );
      });
      return known ? null : self.loadConversation(summary.id);
    });
  };
  Sync.prototype.transferTargets = function(conversation) {
    var self = this;
    var path2 = "/channels/" + encodeURIComponent(conversation.summary.channel_id) + "/operators";
    return this.getJson(path2).then(function(answer) {
      return answer.operators.filter(function(op) {
        return op.user_id !== self.state.me.uid;
      });
    });
  };

  // src/console/admin-forms.js
  var el2 = render.el;
  var fieldCount = 0;
  var boxCount = 0;
  function field(label, tag, attributes, hint) {
    const id = "admin-field-" + ++fieldCount;
    const input = el2(tag, Object.assign({ id }, attributes || {}));
    const hintNode = hint ? el2("small", { id: id + "-hint", className: "hint", text: hint }) : null;
    if (hintNode) input.setAttribute("aria-describedby", hintNode.id);
    return {
      row: el2("div", { className: "field" }, [el2("label", { for: id, text: label }), input, hintNode]),
      input
    };
  }
  function choice(label, options, value) {
    const made = field(label, "select");
    options.forEach(
      ([optionValue, optionLabel]) => made.input.appendChild(el2("option", { value: optionValue, text: optionLabel }))
    );
    made.input.value = value;
    return made;
  }
  function checkboxes(legend, options, empty, checked) {
    const ticked = new Set(checked || []);
    const boxes = options.map(([value, label]) => {
      const id = "admin-check-" + ++boxCount;
      const box = el2("input", { type: "checkbox", id, value, checked: ticked.has(value) });
      return { box, row: el2("div", { className: "check" }, [box, el2("label", { for: id, text: label })]) };
    });
    const rows = boxes.length ? boxes.map((b) => b.row) : [el2("p", { className: "empty", text: empty })];
    return {
      node: el2("fieldset", {}, [el2("legend", { text: legend })].concat(rows)),
      chosen: () => boxes.filter((b) => b.box.checked).map((b) => b.box.value)
    };
  }
  function button(text, onclick, attributes) {
    return el2("button", Object.assign({ type: "button", text, onclick }, attributes || {}));
  }
  function table(caption, headings, rows) {
    return el2("table", { className: "admin-table" }, [
      el2("caption", { text: caption }),
      el2("thead", {}, [
        el2(
          "tr",
          {},
          headings.map((heading) => el2("th", { scope: "col", text: heading }))
        )
      ]),
      el2(
        "tbody",
        {},
        rows.map(
          (cells) => el2(
            "tr",
            {},
            cells.map(
              (cell) => el2("td", {}, [typeof cell === "object" && cell ? cell : document.createTextNode(String(cell != null ? cell : ""))])
            )
          )
        )
      )
    ]);
  }
  function refusal(error) {
    if (!error) return t("Something went wrong.");
    if (error instanceof TypeError) return t("Parley cannot be reached. Check your connection and try again.");
    const code = error.code;
    if (error.status === 401) return t("Your session has ended. Sign in again.");
    if (error.status === 403) return t("Only an admin may do this.");
    if (error.status === 404) return t("Not found: it may have been deleted meanwhile.");
    if (error.status === 413) return t("That is too large.");
    const detail = error.message ? " " + error.message : "";
    return t("Refused ({code}):", { code }) + detail;
  }
  function outcome() {
    const node = el2("p", { className: "outcome", role: "status", "aria-live": "polite" });
    return {
      node,
      fail(error) {
        node.className = "outcome error";
        node.setAttribute("role", "alert");
        node.textContent = refusal(error);
      },
      done(text) {
        node.className = "outcome ok";
        node.setAttribute("role", "status");
        node.textContent = text;
      },
      clear() {
        node.textContent = "";
      }
    };
  }
  function lines(text) {
    return text.split("\n").map((line) => line.trim()).filter(Boolean);
  }
  function numberOrNull(text) {
    return text.trim() === "" ? null : Number(text);
  }

  // src/console/admin-channels.js
  var WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
  function weekdayName(day) {
    const names = {
      mon: t("Monday"),
      tue: t("Tuesday"),
      wed: t("Wednesday"),
      thu: t("Thursday"),
      fri: t("Friday"),
      sat: t("Saturday"),
      sun: t("Sunday")
    };
    return names[day];
  }
  var MEGABYTE = 1024 * 1024;
  function parseRanges(text) {
    return text.split(",").map((part) => part.trim()).filter(Boolean).map((part) => {
      const [start2, end] = part.split("-").map((clock2) => clock2.trim());
      return { start: start2 || "", end: end || "" };
    });
  }
  function formatRanges(ranges) {
    return (ranges || []).map((range) => range.start + "-" + range.end).join(", ");
  }
  function channelsScreen(root, client2) {
    const result = outcome();
    const listBox = el2("div");
    const editorBox = el2("div");
    root.replaceChildren(
      el2("h2", { text: t("Channels") }),
      button(t("New channel"), () => openEditor(null), { id: "admin-new-channel" }),
      result.node,
      listBox,
      editorBox
    );
    let staff = [];
    let scripts = [];
    function load() {
      return Promise.all([
        callApi(client2, "/channels"),
        callApi(client2, "/auth/users?role=operator&limit=200"),
        callApi(client2, "/chatbot/scripts").catch(() => ({ scripts: [] }))
      ]).then(([channels, users, scriptList]) => {
        staff = users.users.filter((user) => !user.disabled);
        scripts = scriptList.scripts;
        listBox.replaceChildren(
          table(
            t("Channels"),
            [t("Name"), t("Operators"), t("Chatbot script"), ""],
            channels.channels.map((channel) => [
              channel.name,
              String(channel.operator_ids.length),
              channel.chatbot_script_id || t("none"),
              button(t("Edit"), () => openEditor(channel), {
                "aria-label": t("Edit {name}", { name: channel.name }),
                "data-channel-id": channel.id
              })
            ])
          )
        );
      }, result.fail);
    }
    function openEditor(channel) {
      editorBox.replaceChildren(channelEditor(client2, channel, staff, scripts, saved));
      const first = editorBox.querySelector("input");
      if (first) first.focus();
    }
    function saved(channel) {
      load().then(() => openEditor(channel));
    }
    load();
  }
  function channelEditor(client2, channel, staff, scripts, onSaved) {
    var _a, _b, _c;
    const editing = !!channel;
    const c = channel || {};
    const result = outcome();
    const name = field(t("Name"), "input", { required: true, maxlength: "100", value: c.name || "" });
    const welcome = field(t("Welcome message"), "textarea", { rows: "2", maxlength: "1000" });
    welcome.input.value = c.welcome || "";
    const offline = field(t("Offline message"), "textarea", { rows: "2", maxlength: "1000" });
    offline.input.value = c.offline_message || "";
    const offlineEmails = field(
      t("E-mail offline messages to"),
      "textarea",
      { rows: "2" },
      t("The team's addresses, one a line: each message left with the offline form is e-mailed there.")
    );
    offlineEmails.input.value = (c.offline_emails || []).join("\n");
    const origins = field(
      t("Allowed origins"),
      "textarea",
      { rows: "2" },
      t("The sites the widget may be embedded on, one a line (https://www.example.com).")
    );
    origins.input.value = (c.allowed_origins || []).join("\n");
    const scriptOptions = [["", t("none")]].concat(scripts.map((s) => [s.id, s.name + " (" + s.id + ")"]));
    if (c.chatbot_script_id && !scripts.some((s) => s.id === c.chatbot_script_id))
      scriptOptions.push([c.chatbot_script_id, c.chatbot_script_id]);
    const script = choice(t("Chatbot script"), scriptOptions, c.chatbot_script_id || "");
    const capacity = field(t("Conversations per operator"), "input", {
      type: "number",
      min: "1",
      max: "100",
      value: String(c.operator_capacity || 4)
    });
    const routing = choice(
      t("Routing"),
      [
        ["least_busy", t("Least busy operator")],
        ["round_robin", t("Round robin")]
      ],
      c.routing || "least_busy"
    );
    const target = field(t("Answer within (seconds), else another operator"), "input", {
      type: "number",
      min: "1",
      value: String(c.response_target_seconds || 120)
    });
    const inactivity = field(t("Close after this many minutes of silence (0: never)"), "input", {
      type: "number",
      min: "0",
      value: String((_a = c.inactivity_timeout_minutes) != null ? _a : 30)
    });
    const retention = field(
      t("Keep closed conversations (days)"),
      "input",
      { type: "number", min: "0", value: (_b = c.retention_days) != null ? _b : "" },
      t("Blank: the service's default; 0: forever.")
    );
    const files = c.files || {};
    const maxMegabytes = field(
      t("Largest file (MB)"),
      "input",
      { type: "number", min: "1", value: files.max_bytes ? String(files.max_bytes / MEGABYTE) : "" },
      t("Blank: the service's default.")
    );
    const perMessage = field(t("Files per message"), "input", {
      type: "number",
      min: "1",
      max: "10",
      value: (_c = files.max_per_message) != null ? _c : ""
    });
    const types = field(
      t("Accepted file types"),
      "input",
      { value: (files.allowed_types || []).join(", ") },
      t("Comma separated, e.g. image/png, application/pdf; blank: the service's default.")
    );
    const words2 = field(
      t("Sensitive words"),
      "textarea",
      { rows: "3" },
      t("Messages with one of these words are refused; one a line.")
    );
    words2.input.value = (c.sensitive_words || []).join("\n");
    const operators = checkboxes(
      t("Operators"),
      staff.map((user) => [user.uid, user.name + " (" + user.username + ")"]),
      t("No operator account yet: create one under Staff."),
      c.operator_ids || []
    );
    const hours = c.business_hours;
    const alwaysOpenId = "admin-always-open";
    const alwaysOpen = el2("input", { type: "checkbox", id: alwaysOpenId, checked: !hours });
    const timezone = field(
      t("Time zone"),
      "input",
      { value: hours && hours.timezone || "UTC" },
      t("An IANA name, e.g. Europe/Paris.")
    );
    const days = WEEKDAYS.map((day) => {
      const made = field(weekdayName(day), "input", {
        value: formatRanges(hours && hours.weekly[day]),
        placeholder: "09:00-17:00"
      });
      made.input.dataset.day = day;
      return made;
    });
    const hoursSet = el2(
      "fieldset",
      {},
      [
        el2("legend", { text: t("Business hours") }),
        el2("div", { className: "check" }, [alwaysOpen, el2("label", { for: alwaysOpenId, text: t("Always open") })]),
        timezone.row,
        el2("p", { className: "hint", text: t("Per day, ranges like 09:00-12:00, 13:00-17:00; a blank day is closed.") })
      ].concat(days.map((d) => d.row))
    );
    function spec() {
      const fileTypes = types.input.value.split(",").map((s) => s.trim()).filter(Boolean);
      const maxBytes = numberOrNull(maxMegabytes.input.value);
      const filePolicy = {
        max_bytes: maxBytes === null ? null : Math.round(maxBytes * MEGABYTE),
        max_per_message: numberOrNull(perMessage.input.value),
        allowed_types: fileTypes.length ? fileTypes : null
      };
      const weekly = {};
      days.forEach((d) => {
        const ranges = parseRanges(d.input.value);
        if (ranges.length) weekly[d.input.dataset.day] = ranges;
      });
      return {
        name: name.input.value,
        welcome: welcome.input.value,
        offline_message: offline.input.value,
        offline_emails: lines(offlineEmails.input.value),
        allowed_origins: lines(origins.input.value),
        chatbot_script_id: script.input.value || null,
        operator_capacity: Number(capacity.input.value),
        routing: routing.input.value,
        response_target_seconds: Number(target.input.value),
        inactivity_timeout_minutes: Number(inactivity.input.value),
        retention_days: numberOrNull(retention.input.value),
        files: filePolicy.max_bytes || filePolicy.max_per_message || filePolicy.allowed_types ? filePolicy : null,
        sensitive_words: lines(words2.input.value),
        business_hours: alwaysOpen.checked ? null : { timezone: timezone.input.value.trim(), weekly }
      };
    }
    function syncOperators(saved) {
      const had = new Set(editing ? c.operator_ids : []);
      const chosen = new Set(operators.chosen());
      const calls = staff.map((user) => {
        const where = path("/channels/", saved.id, "/operators/", user.uid);
        if (chosen.has(user.uid) && (!had.has(user.uid) || !editing))
          return callApi(client2, where, { method: "PUT", body: { name: user.name } });
        if (!chosen.has(user.uid) && had.has(user.uid)) return callApi(client2, where, { method: "DELETE" });
        return null;
      });
      return Promise.all(calls).then(() => saved);
    }
    function onSubmit(event) {
      event.preventDefault();
      result.clear();
      const body = spec();
      const saving = editing ? callApi(client2, path("/channels/", c.id), { method: "PATCH", body }) : callApi(client2, "/channels", { method: "POST", body });
      saving.then(syncOperators).then((saved) => {
        result.done(t("Saved."));
        onSaved(saved);
      }, result.fail);
    }
    function onArchive() {
      if (!window.confirm(t("Archive this channel? Its widget stops; its transcripts stay."))) return;
      callApi(client2, path("/channels/", c.id), { method: "DELETE" }).then(() => onSaved(null), result.fail);
    }
    const form = el2(
      "form",
      {
        className: "admin-form",
        "aria-label": editing ? t("Edit {name}", { name: c.name }) : t("New channel"),
        onsubmit: onSubmit
      },
      [
        el2("h3", { text: editing ? c.name : t("New channel") }),
        editing ? el2("p", { className: "hint", text: t("Channel id: {id} (the widget's data-channel)", { id: c.id }) }) : null,
        name.row,
        welcome.row,
        offline.row,
        offlineEmails.row,
        origins.row,
        operators.node,
        script.row,
        capacity.row,
        routing.row,
        target.row,
        inactivity.row,
        retention.row,
        el2("fieldset", {}, [el2("legend", { text: t("Attachments") }), maxMegabytes.row, perMessage.row, types.row]),
        words2.row,
        hoursSet,
        result.node,
        el2("div", { className: "actions" }, [
          el2("button", {
            type: "submit",
            id: "admin-save-channel",
            text: editing ? t("Save changes") : t("Create channel")
          }),
          editing ? button(t("Archive channel"), onArchive, { className: "danger" }) : null
        ])
      ]
    );
    return el2("div", {}, [form, editing ? cannedEditor(client2, c) : null]);
  }
  function cannedEditor(client2, channel) {
    const result = outcome();
    const listBox = el2("div");
    const shortcut = field(
      t("Shortcut"),
      "input",
      { required: true, maxlength: "32", pattern: "[a-z0-9_\\-]+" },
      t("Lower-case letters, digits, _ and -.")
    );
    const text = field(t("Text"), "textarea", { required: true, rows: "2", maxlength: "2000" });
    const where = (name) => path("/channels/", channel.id, "/canned-responses/", name);
    function load() {
      callApi(client2, path("/channels/", channel.id, "/canned-responses")).then((answer) => {
        listBox.replaceChildren(
          table(
            t("Canned responses"),
            [t("Shortcut"), t("Text"), ""],
            answer.canned_responses.map((canned) => [
              ":" + canned.shortcut,
              canned.text,
              button(
                t("Delete"),
                () => callApi(client2, where(canned.shortcut), { method: "DELETE" }).then(load, result.fail),
                {
                  "aria-label": t("Delete :{shortcut}", { shortcut: canned.shortcut })
                }
              )
            ])
          )
        );
      }, result.fail);
    }
    function onSubmit(event) {
      event.preventDefault();
      callApi(client2, where(shortcut.input.value.trim()), { method: "PUT", body: { text: text.input.value } }).then(
        () => {
          result.done(t("Saved."));
          shortcut.input.value = "";
          text.input.value = "";
          load();
        },
        result.fail
      );
    }
    load();
    return el2("section", { className: "admin-form", "aria-label": t("Canned responses") }, [
      el2("h3", { text: t("Canned responses") }),
      listBox,
      el2("form", { onsubmit: onSubmit }, [
        shortcut.row,
        text.row,
        result.node,
        el2("button", { type: "submit", text: t("Save canned response") })
      ])
    ]);
  }

  // src/console/admin-staff.js
  var AUDIT_PAGE = 100;
  function staffScreen(root, client2, me) {
    const result = outcome();
    const listBox = el2("div");
    const username = field(t("Username"), "input", { required: true, autocomplete: "off", maxlength: "64" });
    const name = field(t("Display name"), "input", { required: true, maxlength: "100" });
    const password = field(
      t("Password"),
      "input",
      { type: "password", required: true, minlength: "10", autocomplete: "new-password" },
      t("At least 10 characters.")
    );
    const role = choice(
      t("Role"),
      [
        ["operator", t("Operator")],
        ["admin", t("Admin")]
      ],
      "operator"
    );
    const rowResult = outcome();
    function act(user, suffix, method) {
      rowResult.clear();
      return callApi(client2, path("/auth/users/", user.uid) + suffix, { method });
    }
    function resetPassword(user, label) {
      act(user, "/password-reset", "POST").then((issued) => {
        const until = new Date(issued.expires_at).toLocaleTimeString();
        rowResult.done(
          t("One-time code for {name}: {code} (until {until}). Give it to them in person.", {
            ...label,
            code: issued.code,
            until
          })
        );
      }, rowResult.fail);
    }
    function endSessions(user, label) {
      act(user, "/sessions/end", "POST").then(
        (ended) => rowResult.done(t("{name}: {n} sessions ended.", { ...label, n: ended.ended })),
        rowResult.fail
      );
    }
    function rowOf(user) {
      const self = me && user.uid === me.uid;
      const label = { name: user.name || user.username };
      const toggle = user.disabled ? button(t("Enable"), () => act(user, "/enable", "POST").then(load, rowResult.fail), {
        "aria-label": t("Enable {name}", label)
      }) : button(t("Disable"), () => act(user, "/disable", "POST").then(load, rowResult.fail), {
        "aria-label": t("Disable {name}", label),
        disabled: self
      });
      const remove = button(
        t("Delete"),
        () => {
          if (window.confirm(t("Delete {name}? They leave every channel; their name stays in transcripts.", label)))
            act(user, "", "DELETE").then(load, rowResult.fail);
        },
        { className: "danger", "aria-label": t("Delete {name}", label), disabled: self }
      );
      return [
        user.name,
        user.username,
        user.role === "admin" ? t("Admin") : t("Operator"),
        user.disabled ? t("Disabled") : t("Active"),
        el2("span", { className: "actions" }, [
          toggle,
          button(t("Reset password"), () => resetPassword(user, label), {
            "aria-label": t("Reset password of {name}", label)
          }),
          button(t("End sessions"), () => endSessions(user, label), {
            "aria-label": t("End sessions of {name}", label),
            disabled: self
          }),
          remove
        ])
      ];
    }
    function load() {
      return callApi(client2, "/auth/users?limit=200").then((answer) => {
        listBox.replaceChildren(
          table(t("Staff"), [t("Name"), t("Username"), t("Role"), t("State"), ""], answer.users.map(rowOf))
        );
      }, result.fail);
    }
    function onSubmit(event) {
      event.preventDefault();
      const body = {
        username: username.input.value.trim(),
        name: name.input.value.trim(),
        password: password.input.value,
        role: role.input.value
      };
      callApi(client2, "/auth/users", { method: "POST", body }).then(() => {
        result.done(t("{name} can sign in now. Add them to a channel under Channels.", { name: body.name }));
        username.input.value = name.input.value = password.input.value = "";
        load();
      }, result.fail);
    }
    root.replaceChildren(
      el2("h2", { text: t("Staff") }),
      listBox,
      rowResult.node,
      el2("form", { className: "admin-form", "aria-label": t("New staff account"), onsubmit: onSubmit }, [
        el2("h3", { text: t("New staff account") }),
        username.row,
        name.row,
        password.row,
        role.row,
        result.node,
        el2("button", { type: "submit", id: "admin-create-user", text: t("Create account") })
      ])
    );
    load();
  }
  function auditScreen(root, client2) {
    const result = outcome();
    const listBox = el2("div");
    const target = field(t("Target (an id)"), "input", { maxlength: "200" });
    const action = field(t("Action (e.g. user.create)"), "input", { maxlength: "64" });
    function load(event) {
      if (event) event.preventDefault();
      const query = new URLSearchParams({ limit: String(AUDIT_PAGE) });
      if (target.input.value.trim()) query.set("target", target.input.value.trim());
      if (action.input.value.trim()) query.set("action", action.input.value.trim());
      Promise.all([callApi(client2, "/auth/audit?" + query), callApi(client2, "/auth/users?limit=200")]).then(
        ([answer, staff]) => {
          const names = new Map(staff.users.map((user) => [user.uid, user.name || user.username]));
          const who = (id) => names.get(id) || id;
          result.clear();
          listBox.replaceChildren(
            answer.entries.length ? table(
              t("Audit log, newest first"),
              [t("When"), t("Who"), t("Did"), t("To"), t("Details")],
              answer.entries.map((entry) => [
                new Date(entry.at).toLocaleString(),
                who(entry.actor),
                entry.action,
                who(entry.target),
                JSON.stringify(entry.details)
              ])
            ) : el2("p", { className: "empty", text: t("Nothing recorded.") })
          );
        },
        result.fail
      );
    }
    root.replaceChildren(
      el2("h2", { text: t("Audit log") }),
      el2("form", { className: "admin-form inline", "aria-label": t("Filter the audit log"), onsubmit: load }, [
        target.row,
        action.row,
        el2("button", { type: "submit", text: t("Filter") })
      ]),
      result.node,
      listBox
    );
    load(null);
  }

  // src/console/admin-bots.js
  function scriptType(text) {
    return text.trim().charAt(0) === "{" ? "application/json" : "application/yaml";
  }
  function problems(error) {
    const listed = error && error.problems;
    return Array.isArray(listed) ? listed.map((problem) => problem.path + ": " + problem.message).join("\n") : "";
  }
  function scriptsScreen(root, client2) {
    const result = outcome();
    const listBox = el2("div");
    const upload = field(t("Script file (YAML or JSON)"), "input", {
      type: "file",
      accept: ".yaml,.yml,.json,application/json,application/yaml"
    });
    const source = field(
      t("Script"),
      "textarea",
      { rows: "12", spellcheck: "false", className: "code" },
      t("Paste a script, or choose a file above (YAML or JSON, like services/chatbot_engine/scripts/).")
    );
    const details = el2("pre", { className: "problems", hidden: true });
    upload.input.addEventListener("change", () => {
      const file = upload.input.files && upload.input.files[0];
      if (file) file.text().then((text) => source.input.value = text);
    });
    function send(where, successWords) {
      details.hidden = true;
      const text = source.input.value;
      return callApi(client2, where, { method: "POST", body: text, contentType: scriptType(text) }).then(
        (answer) => {
          result.done(successWords(answer));
          return answer;
        },
        (error) => {
          result.fail(error);
          details.textContent = problems(error);
          details.hidden = !details.textContent;
          throw error;
        }
      );
    }
    function load() {
      callApi(client2, "/chatbot/scripts").then((answer) => {
        listBox.replaceChildren(
          table(
            t("Chatbot scripts"),
            [t("Id"), t("Name"), t("Steps"), ""],
            answer.scripts.map((script) => [
              script.id,
              script.name,
              String(script.steps),
              button(t("Open"), () => openScript(script.id), { "aria-label": t("Open {name}", { name: script.name }) })
            ])
          )
        );
      }, result.fail);
    }
    function openScript(id) {
      callApi(client2, path("/chatbot/scripts/", id)).then((script) => {
        source.input.value = JSON.stringify(script, null, 2);
        source.input.focus();
      }, result.fail);
    }
    function onSubmit(event) {
      event.preventDefault();
      send(
        "/chatbot/scripts",
        (script) => t("Script {id} saved. Choose it for a channel under Channels.", { id: script.id })
      ).then(load, () => {
      });
    }
    root.replaceChildren(
      el2("h2", { text: t("Chatbot scripts") }),
      listBox,
      el2("form", { className: "admin-form", "aria-label": t("Upload a chatbot script"), onsubmit: onSubmit }, [
        el2("h3", { text: t("Upload a chatbot script") }),
        upload.row,
        source.row,
        result.node,
        details,
        el2("div", { className: "actions" }, [
          button(t("Check"), () => send("/chatbot/scripts/validate", () => t("The script is valid.")).catch(() => {
          }), {
            id: "admin-check-script"
          }),
          el2("button", { type: "submit", id: "admin-save-script", text: t("Save script") })
        ])
      ])
    );
    load();
  }

  // src/console/admin-integrations.js
  var POLICY_WORDS = {
    handoff: "Hand the visitor to a person",
    apologise: "Apologise to the visitor",
    wait: "Wait"
  };
  function secretNote(box, whose, secret) {
    box.replaceChildren(
      el2("p", { text: t("Signing secret of {name}. Copy it now: it is not shown again.", { name: whose }) }),
      el2("code", { className: "secret", text: secret })
    );
    box.hidden = false;
  }
  function integrationsScreen(root, client2) {
    const result = outcome();
    const secretBox = el2("div", { className: "secret-note", role: "status", hidden: true });
    const botsBox = el2("div");
    const hooksBox = el2("div");
    const deadBox = el2("div");
    const botFormBox = el2("div");
    const hookFormBox = el2("div");
    let channelNames = /* @__PURE__ */ new Map();
    function channelsOf(ids) {
      return ids.length ? ids.map((id) => channelNames.get(id) || id).join(", ") : t("all channels");
    }
    function rotate(where, name) {
      callApi(client2, where, { method: "POST" }).then((answer) => {
        secretNote(secretBox, name, answer.secret);
        result.done(t("New secret for {name}: the previous one keeps signing beside it for a day.", { name }));
        load();
      }, result.fail);
    }
    function remove(where, name) {
      if (!window.confirm(t("Remove {name}? Its pending deliveries are dead-lettered.", { name }))) return;
      callApi(client2, where, { method: "DELETE" }).then(() => {
        result.done(t("{name} removed.", { name }));
        load();
      }, result.fail);
    }
    function redeliver(where, body) {
      callApi(client2, where, { method: "POST", body }).then((answer) => {
        const count = answer.count === void 0 ? 1 : answer.count;
        result.done(t("{count} sent again, same webhook-id.", { count }));
        load();
      }, result.fail);
    }
    function drawBots(bots) {
      botsBox.replaceChildren(
        bots.length ? table(
          t("Registered bots"),
          [t("Name"), t("Webhook URL"), t("Channels"), t("If unreachable"), ""],
          bots.map((bot) => [
            bot.name + (bot.active ? "" : " (" + t("inactive") + ")"),
            bot.webhook_url,
            channelsOf(bot.channel_ids),
            t(POLICY_WORDS[bot.failure_policy] || bot.failure_policy),
            el2("span", { className: "actions" }, [
              button(t("Rotate secret"), () => rotate(path("/integrations/bots/", bot.id, "/secret"), bot.name), {
                "aria-label": t("Rotate secret of {name}", { name: bot.name })
              }),
              button(t("Remove"), () => remove(path("/integrations/bots/", bot.id), bot.name), {
                "aria-label": t("Remove {name}", { name: bot.name })
              })
            ])
          ])
        ) : el2("p", { className: "empty", text: t("No external bot yet.") })
      );
    }
    function drawWebhooks(hooks) {
      hooksBox.replaceChildren(
        hooks.length ? table(
          t("Subscriptions"),
          [t("URL"), t("Events"), t("Channels"), ""],
          hooks.map((hook) => [
            hook.url + (hook.description ? " — " + hook.description : ""),
            hook.event_types.join(", "),
            channelsOf(hook.channel_ids),
            el2("span", { className: "actions" }, [
              button(
                t("Rotate secret"),
                () => rotate(path("/integrations/webhooks/", hook.id, "/secret"), hook.url),
                {
                  "aria-label": t("Rotate secret of {name}", { name: hook.url })
                }
              ),
              button(t("Remove"), () => remove(path("/integrations/webhooks/", hook.id), hook.url), {
                "aria-label": t("Remove {name}", { name: hook.url })
              })
            ])
          ])
        ) : el2("p", { className: "empty", text: t("No webhook subscription yet.") })
      );
    }
    function drawDead(dead) {
      if (!dead.length) {
        deadBox.replaceChildren(el2("p", { className: "empty", text: t("No dead letter: every delivery arrived.") }));
        return;
      }
      deadBox.replaceChildren(
        table(
          t("Dead letters (every attempt failed)"),
          [t("Event"), t("To"), t("Attempts"), t("Last answer"), ""],
          dead.map((delivery) => {
            const last = delivery.log[delivery.log.length - 1];
            return [
              delivery.event_type,
              delivery.endpoint_id,
              String(delivery.attempts),
              last ? last.error || String(last.status) : "",
              button(t("Send again"), () => redeliver(path("/integrations/deliveries/", delivery.id, "/redeliver")), {
                "aria-label": t("Send again: {id}", { id: delivery.id })
              })
            ];
          })
        ),
        button(t("Send every dead letter again"), () => redeliver("/integrations/deliveries/redeliver", {}), {
          id: "admin-redeliver-all"
        })
      );
    }
    function botForm(channelOptions) {
      const name = field(t("Name"), "input", { required: true, maxlength: "80", autocomplete: "off" });
      const url = field(
        t("Webhook URL"),
        "input",
        { type: "url", required: true },
        t("Parley sends the bot each event here, signed (public https).")
      );
      const avatar = field(t("Avatar URL (optional)"), "input", { type: "url" });
      const channels = checkboxes(t("Channels it serves"), channelOptions, t("No channel yet: create one first."));
      const policy = choice(
        t("If the bot cannot be reached"),
        BOT_FAILURE_POLICIES.map((p) => [p, t(POLICY_WORDS[p] || p)]),
        "handoff"
      );
      function onSubmit(event) {
        event.preventDefault();
        const body = {
          name: name.input.value.trim(),
          webhook_url: url.input.value.trim(),
          avatar_url: avatar.input.value.trim(),
          channel_ids: channels.chosen(),
          failure_policy: policy.input.value
        };
        callApi(client2, "/integrations/bots", { method: "POST", body }).then((bot) => {
          secretNote(secretBox, bot.name, bot.secret);
          result.done(t("Bot {name} registered.", { name: bot.name }));
          load();
        }, result.fail);
      }
      return el2("form", { className: "admin-form", "aria-label": t("Register a bot"), onsubmit: onSubmit }, [
        el2("h3", { text: t("Register a bot") }),
        name.row,
        url.row,
        avatar.row,
        channels.node,
        policy.row,
        el2("div", { className: "actions" }, [
          el2("button", { type: "submit", id: "admin-save-bot", text: t("Register") })
        ])
      ]);
    }
    function webhookForm(channelOptions) {
      const url = field(t("URL"), "input", { type: "url", required: true }, t("Public https; each request is signed."));
      const description = field(t("Description (optional)"), "input", { maxlength: "500" });
      const events = checkboxes(
        t("Events"),
        WEBHOOK_EVENT_TYPES.map((type) => [type, type]),
        ""
      );
      const channels = checkboxes(t("Channels (none: all)"), channelOptions, t("No channel yet."));
      function onSubmit(event) {
        event.preventDefault();
        const body = {
          url: url.input.value.trim(),
          description: description.input.value.trim(),
          event_types: events.chosen(),
          channel_ids: channels.chosen()
        };
        callApi(client2, "/integrations/webhooks", { method: "POST", body }).then((hook) => {
          secretNote(secretBox, hook.url, hook.secret);
          result.done(t("Subscription to {url} created.", { url: hook.url }));
          load();
        }, result.fail);
      }
      return el2("form", { className: "admin-form", "aria-label": t("Subscribe a webhook"), onsubmit: onSubmit }, [
        el2("h3", { text: t("Subscribe a webhook") }),
        url.row,
        description.row,
        events.node,
        channels.node,
        el2("div", { className: "actions" }, [
          el2("button", { type: "submit", id: "admin-save-webhook", text: t("Subscribe") })
        ])
      ]);
    }
    function load() {
      return Promise.all([
        callApi(client2, "/channels"),
        callApi(client2, "/integrations/bots"),
        callApi(client2, "/integrations/webhooks"),
        callApi(client2, "/integrations/deliveries?state=dead&limit=50")
      ]).then(([channels, bots, hooks, dead]) => {
        channelNames = new Map(channels.channels.map((channel) => [channel.id, channel.name]));
        drawBots(bots.bots);
        drawWebhooks(hooks.webhooks);
        drawDead(dead.deliveries);
      }, result.fail);
    }
    root.replaceChildren(
      el2("h2", { text: t("Bots and webhooks") }),
      result.node,
      secretBox,
      el2("h3", { text: t("External bots") }),
      botsBox,
      botFormBox,
      el2("h3", { text: t("Webhook subscriptions") }),
      hooksBox,
      hookFormBox,
      el2("h3", { text: t("Dead letters") }),
      deadBox
    );
    load().then(() => {
      const options = [...channelNames].map(([id, name]) => [id, name]);
      botFormBox.replaceChildren(botForm(options));
      hookFormBox.replaceChildren(webhookForm(options));
    });
  }

  // src/console/console-satisfaction.js
  var WINDOW_DAYS = 30;
  function csatText(figures) {
    return figures.count ? figures.csat_percent + "% (" + figures.count + ")" : "—";
  }
  function averageText(figures) {
    return figures.average === null ? "—" : "★ " + figures.average.toFixed(1);
  }
  function drawSatisfaction(root, client2, channels) {
    const result = outcome();
    root.replaceChildren(
      el2("p", { className: "hint", text: t("Last {days} days; CSAT: share of 4 and 5 stars.", { days: WINDOW_DAYS }) }),
      result.node
    );
    channels.forEach((channel) => {
      const box = el2("div", { "data-channel-id": channel.id });
      root.appendChild(box);
      callApi(client2, path("/channels/", channel.id, "/ratings") + "?days=" + WINDOW_DAYS).then((ratings) => {
        const rows = [[t("Whole channel"), csatText(ratings.channel), averageText(ratings.channel)]].concat(
          ratings.operators.map((op) => [op.name, csatText(op), averageText(op)])
        );
        box.replaceChildren(table(channel.name, [t("Who"), t("CSAT (ratings)"), t("Average")], rows));
      }, result.fail);
    });
  }
  function satisfactionScreen(root, client2) {
    const body = el2("div");
    root.replaceChildren(el2("h2", { text: t("Satisfaction") }), body);
    callApi(client2, "/channels").then(
      (answer) => drawSatisfaction(body, client2, answer.channels),
      (error) => {
        const failed = outcome();
        body.replaceChildren(failed.node);
        failed.fail(error);
      }
    );
  }

  // src/console/admin-view.js
  var SCREENS = [
    { id: "channels", label: "Channels", draw: (root, ctx) => channelsScreen(root, ctx.client) },
    { id: "staff", label: "Staff", draw: (root, ctx) => staffScreen(root, ctx.client, ctx.me) },
    { id: "scripts", label: "Chatbot scripts", draw: (root, ctx) => scriptsScreen(root, ctx.client) },
    { id: "satisfaction", label: "Satisfaction", draw: (root, ctx) => satisfactionScreen(root, ctx.client) },
    { id: "audit", label: "Audit log", draw: (root, ctx) => auditScreen(root, ctx.client) },
    { id: "integrations", label: "Bots and webhooks", draw: (root, ctx) => integrationsScreen(root, ctx.client) }
  ];
  function adminView(root, ctx) {
    const panel = el2("section", { id: "admin-panel", role: "tabpanel", tabindex: "-1" });
    const tabs = SCREENS.map(
      (screen) => el2("button", {
        type: "button",
        role: "tab",
        id: "admin-tab-" + screen.id,
        "aria-controls": "admin-panel",
        text: t(screen.label),
        onclick: () => open(screen),
        onkeydown: onTabKey
      })
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
    function onTabKey(event) {
      if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
      const index = tabs.indexOf(
        /** @type {any} */
        event.currentTarget
      );
      const next = tabs[(index + (event.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
      next.focus();
      next.click();
    }
    root.replaceChildren(el2("div", { role: "tablist", "aria-label": t("Administration") }, tabs), panel);
    open(SCREENS[0]);
  }

  // src/console/console-offline.js
  function replyLink(request) {
    const subject = t("Your message to {channel}", { channel: request.channel_name });
    const quoted = request.message.split("\n").map((line) => "> " + line).join("\n");
    return "mailto:" + encodeURIComponent(request.email) + "?subject=" + encodeURIComponent(subject) + "&body=" + encodeURIComponent("\n\n" + quoted);
  }
  function requestItem(request, channelName) {
    const when = new Date(request.created_at).toLocaleString();
    return el2("li", { className: "offline-request", "data-request-id": request.id }, [
      el2("p", { className: "offline-who" }, [
        el2("strong", { text: request.name }),
        el2("span", { text: " <" + request.email + ">" }),
        request.verified ? el2("span", { className: "verified", text: t("Verified") }) : null
      ]),
      el2("p", { className: "offline-message", text: request.message }),
      el2("p", { className: "hint" }, [
        el2("time", { dateTime: request.created_at, text: when }),
        request.page_url ? el2("span", { text: " · " + request.page_url }) : null
      ]),
      el2("a", {
        className: "offline-reply",
        href: replyLink({ email: request.email, message: request.message, channel_name: channelName }),
        text: t("Reply by e-mail")
      })
    ]);
  }
  function drawOfflineRequests(root, counter, client2, channels) {
    const result = outcome();
    root.querySelectorAll(".outcome").forEach((node) => node.remove());
    const say = (fill) => {
      if (!result.node.isConnected) root.prepend(result.node);
      fill();
    };
    const boxes = channels.map((channel) => {
      const kept = Array.from(root.children).find(
        (node) => node instanceof HTMLElement && node.dataset.channelId === channel.id
      );
      return kept || el2("div", { "data-channel-id": channel.id });
    });
    root.replaceChildren(...boxes);
    let total = 0;
    channels.forEach((channel, index) => {
      const box = (
        /** @type {HTMLElement} */
        boxes[index]
      );
      callApi(client2, path("/channels/", channel.id, "/offline-requests")).then(
        (answer) => {
          const requests = answer.offline_requests;
          total += requests.length;
          counter.textContent = String(total);
          const shown = requests.map((request) => request.id).join(" ");
          if (box.dataset.shown === shown) return;
          box.dataset.shown = shown;
          if (!requests.length) return box.replaceChildren();
          box.replaceChildren(
            el2("h3", { text: channel.name }),
            el2(
              "ul",
              { className: "offline-list" },
              requests.map((request) => requestItem(request, channel.name))
            )
          );
        },
        (error) => say(() => result.fail(error))
      );
    });
    if (!channels.length) say(() => result.done(t("No offline message.")));
  }

  // src/console/console-app.js
  var global3 = window;
  var STAFF_ROLES = { operator: true, admin: true };
  var NOTICE_SHOWN_MS = 8e3;
  function byId3(id) {
    return document.getElementById(id);
  }
  var client = new Client({ clientKind: "console", storageKey: "parley-console" });
  var state = new ConsoleState();
  render.fileLink = function(conversationId, fileId) {
    return client.fileLink(conversationId, fileId);
  };
  render.showImage = function(url, name) {
    var box = byId3("lightbox");
    var image = byId3("lightbox-image");
    image.setAttribute("src", url);
    image.setAttribute("alt", name);
    box.showModal();
  };
  byId3("lightbox-close").addEventListener("click", function() {
    byId3("lightbox").close();
  });
  var drawPending = false;
  var sync = new Sync(client, state, redraw);
  var actions = new Actions(client, state, redraw);
  var composer;
  var everOnline = false;
  function redraw() {
    if (drawPending) return;
    drawPending = true;
    global3.requestAnimationFrame(function() {
      if (drawPending) drawNow();
    });
  }
  function drawNow() {
    drawPending = false;
    render.header(state);
    render.queues(state, take);
    render.list(state, select);
    render.conversation(state);
  }
  function pageIsRead() {
    return document.visibilityState === "visible" && document.hasFocus();
  }
  function markSelectedSeen() {
    var conversation = state.selected();
    if (conversation && pageIsRead()) actions.markSeen(conversation);
  }
  function loginWords(error) {
    if (error && error.status === 401) return t("Wrong username or password.");
    if (error && error.status === 429) return t("Too many attempts. Wait a minute, then try again.");
    if (error instanceof TypeError) return t("Parley cannot be reached. Check your connection and try again.");
    return plainError(error);
  }
  function showLogin(message) {
    byId3("app-view").hidden = true;
    byId3("login-view").hidden = false;
    byId3("login-error").textContent = message || "";
    byId3("login-username").focus();
  }
  function onLoginSubmit(event) {
    event.preventDefault();
    var button2 = byId3("login-submit");
    button2.disabled = true;
    byId3("login-error").textContent = "";
    client.loginUser(byId3("login-username").value.trim(), byId3("login-password").value).then(enter, function(error) {
      showLogin(loginWords(error));
    }).finally(function() {
      button2.disabled = false;
      byId3("login-password").value = "";
    });
  }
  function enter(user) {
    if (!STAFF_ROLES[user.role]) {
      client.logout();
      return showLogin(t("This account is not an operator's. Sign in with an operator account."));
    }
    state.me = user;
    byId3("login-view").hidden = true;
    byId3("app-view").hidden = false;
    byId3("admin-toggle").hidden = user.role !== "admin";
    redraw();
    return client.connect().then(function() {
      return sync.loadAll();
    }).then(drawOffline).catch(function(error) {
      if (error && error.code === 4001) return showLogin(t("Your session has ended. Sign in again."));
      render.banner(t("Could not load your conversations:") + " " + plainError(error), "warning");
    });
  }
  function drawOffline() {
    drawOfflineRequests(byId3("offline-requests"), byId3("offline-count"), client, Array.from(state.channels.values()));
  }
  function signOut() {
    client.logout().then(function() {
      global3.location.reload();
    });
  }
  function onStatus(status, detail) {
    state.connection = status;
    if (status === "online") {
      render.banner("");
      if (everOnline) resynchronise();
      everOnline = true;
    } else if (status === "reconnecting") {
      render.banner(t("Connection lost. Reconnecting… Replies you write are sent when it is back."), "warning");
    } else if (status === "offline" && detail && detail.loginRequired) {
      showLogin(t("Your session has ended. Sign in again."));
    } else if (status === "offline" && detail && detail.code === 4003) {
      render.banner(
        t("This console was disconnected: you signed in on another one. Reload to use this one again."),
        "warning"
      );
    }
    redraw();
  }
  function resynchronise() {
    actions.flushOutbox();
    sync.loadAll().catch(function(error) {
      render.banner(t("Could not refresh:") + " " + plainError(error), "warning");
    });
  }
  function onMessage(message) {
    var conversation = state.conversations.get(message.conversation_id);
    if (!conversation) {
      sync.loadConversation(message.conversation_id).catch(function() {
      });
      return;
    }
    conversation.add(message, state.me.uid);
    if (conversation.id === state.selectedId) markSelectedSeen();
    redraw();
  }
  function onConversationUpdated(data) {
    var mine = data.member_ids.indexOf(state.me.uid) >= 0;
    var conversation = state.conversations.get(data.conversation_id);
    if (data.reason === "rated") {
      if (conversation) sync.loadRating(conversation).catch(function() {
      });
      return;
    }
    if (conversation && data.controller) conversation.summary.controller = data.controller;
    if (data.reason === "visitor_location" || data.reason === "bot_handoff") {
      if (conversation) sync.loadConversation(conversation.id).catch(function() {
      });
      return;
    }
    if (mine && data.status !== "closed" && !conversation) {
      sync.loadConversation(data.conversation_id).catch(function() {
      });
      return;
    }
    if (!conversation) return;
    var wasOpen = conversation.isOpen();
    conversation.summary.status = mine ? data.status : "closed";
    if (wasOpen && !conversation.isOpen()) {
      client.untrack(conversation.id);
      if (!mine) actions.note(conversation, t("This conversation is no longer yours."));
    }
    redraw();
  }
  function onSeen(data) {
    var conversation = state.conversations.get(data.conversation_id);
    if (!conversation) return;
    if (data.user_id === state.me.uid) conversation.seenSeq = Math.max(conversation.seenSeq, data.seq);
    else conversation.partnerSeenSeq = Math.max(conversation.partnerSeenSeq, data.seq);
    redraw();
  }
  function onTyping(data) {
    var conversation = state.conversations.get(data.conversation_id);
    if (!conversation || data.user_id === state.me.uid) return;
    conversation.setTyping(data.name || t("The visitor"), data.active, Date.now());
    render.typing(state);
    setTimeout(function() {
      render.typing(state);
    }, 6500);
  }
  function onNotice(data) {
    render.banner(data.text, data.level);
    var shown = data.text;
    setTimeout(function() {
      if (byId3("banner").textContent === shown) render.banner("");
    }, NOTICE_SHOWN_MS);
  }
  function listen() {
    client.onStatusChange(onStatus);
    client.onMessage(onMessage);
    client.on("conversation.updated", onConversationUpdated);
    client.on("member.seen", onSeen);
    client.on("typing", onTyping);
    client.on("notice", onNotice);
    client.on("queue.changed", function(data) {
      sync.queueChanged(data.channel_id);
    });
    client.on("presence", function(data) {
      if (data.user_id === state.me.uid && data.available !== null) {
        state.available = data.available;
        redraw();
        return;
      }
      state.conversations.forEach(function(conversation) {
        if (conversation.summary.visitor_id === data.user_id) conversation.visitorPresence = data.status;
      });
      redraw();
    });
  }
  function select(conversationId) {
    if (conversationId === state.selectedId) {
      byId3("composer-input").focus();
      return;
    }
    composer.reset();
    state.selectedId = conversationId;
    drawNow();
    markSelectedSeen();
    byId3("composer-input").focus();
  }
  function backToLists() {
    composer.reset();
    state.selectedId = null;
    redraw();
    var row = (
      /** @type {HTMLElement | null} */
      document.querySelector("#conversation-list button, #queues button")
    );
    if (row) row.focus();
  }
  function take(conversationId, button2) {
    button2.disabled = true;
    sync.take(conversationId).then(
      function() {
        select(conversationId);
      },
      function(error) {
        button2.disabled = false;
        render.banner(t("Could not accept:") + " " + plainError(error), "warning");
        sync.queueChanged(findChannelOf(conversationId));
      }
    ).finally(redraw);
  }
  function findChannelOf(conversationId) {
    var found = null;
    state.queues.forEach(function(list, channelId) {
      if (list.some(function(waiting) {
        return waiting.id === conversationId;
      }))
        found = channelId;
    });
    return found;
  }
  function toggleAvailability() {
    var wanted = byId3("availability").checked;
    var was = state.available;
    state.available = wanted;
    state.availabilityToggles += 1;
    client.request("operator.availability", { available: wanted }).catch(function(error) {
      if (state.available === wanted) state.available = was;
      render.banner(t("Could not change your availability:") + " " + plainError(error), "warning");
    }).finally(redraw);
  }
  function onMessagesScroll() {
    var conversation = state.selected();
    if (conversation && byId3("messages").scrollTop < 40) sync.loadOlder(conversation).catch(function() {
    });
  }
  function onKey(event) {
    if (!event.altKey || event.key !== "ArrowUp" && event.key !== "ArrowDown") return;
    var ids = state.ordered().map(function(conversation) {
      return conversation.id;
    });
    if (!ids.length) return;
    event.preventDefault();
    var index = ids.indexOf(state.selectedId);
    var next = event.key === "ArrowDown" ? index + 1 : index - 1;
    select(ids[(next + ids.length) % ids.length]);
  }
  function toggleAdmin() {
    var button2 = byId3("admin-toggle");
    var showAdmin = button2.getAttribute("aria-pressed") !== "true";
    button2.setAttribute("aria-pressed", String(showAdmin));
    byId3("app-view").classList.toggle("admin-mode", showAdmin);
    byId3("sidebar").hidden = showAdmin;
    byId3("conversation-view").hidden = showAdmin;
    byId3("admin-view").hidden = !showAdmin;
    if (showAdmin) adminView(byId3("admin-view"), { client, me: state.me });
    else byId3("admin-view").replaceChildren();
  }
  function toggleDetails() {
    var button2 = byId3("details-button");
    var shown = button2.getAttribute("aria-expanded") !== "true";
    button2.setAttribute("aria-expanded", String(shown));
    byId3("visitor-details").hidden = !shown;
  }
  function onLocaleChange(event) {
    chooseLocale(event.target.value);
    global3.location.reload();
  }
  function wire2() {
    byId3("login-form").addEventListener("submit", onLoginSubmit);
    byId3("admin-toggle").addEventListener("click", toggleAdmin);
    byId3("details-button").addEventListener("click", toggleDetails);
    byId3("back-to-lists").addEventListener("click", backToLists);
    byId3("closed-filter").addEventListener("input", redraw);
    byId3("satisfaction-section").addEventListener("toggle", function(event) {
      if (event.target.open) drawSatisfaction(byId3("satisfaction"), client, Array.from(state.channels.values()));
    });
    byId3("offline-section").addEventListener("toggle", function(event) {
      if (event.target.open) drawOffline();
    });
    ["locale", "login-locale"].forEach(function(id) {
      byId3(id).value = locale();
      byId3(id).addEventListener("change", onLocaleChange);
    });
    byId3("logout").addEventListener("click", signOut);
    byId3("availability").addEventListener("change", toggleAvailability);
    byId3("messages").addEventListener("scroll", onMessagesScroll);
    byId3("load-older").addEventListener("click", function() {
      sync.loadOlder(state.selected()).catch(function() {
      });
    });
    document.addEventListener("keydown", onKey);
    document.addEventListener("visibilitychange", markSelectedSeen);
    global3.addEventListener("focus", markSelectedSeen);
    dialogs.wire(state, actions, sync);
    composer = new Composer({
      form: byId3("composer"),
      input: byId3("composer-input"),
      suggestions: byId3("suggestions"),
      onSubmit: function(text) {
        actions.submit(state.selected(), text);
      },
      onTyping: function(active) {
        actions.typing(state.selected(), active);
      },
      lookupCanned: function(prefix) {
        return actions.cannedLike(state.selected(), prefix);
      },
      onFiles: function(files) {
        actions.sendFiles(state.selected(), files);
      },
      attachButton: byId3("attach-button"),
      fileInput: byId3("attach-input")
    });
  }
  function start() {
    startLocale();
    wire2();
    listen();
    if (client.restoreSession()) enter(client.user);
    else showLogin("");
  }
  start();
})();
