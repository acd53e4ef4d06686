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
        const table = tables[current];
        const words2 = table && table[text] || text;
        return words2.replace(/\{(\w+)\}/g, (whole, name) => name in vars ? String(vars[name]) : whole);
      }
    };
  }

  // src/widget/i18n.js
  var TRANSLATIONS = {
    "zh-CN": {
      "Your message contains a word that is not allowed, so it was not sent.": "您的消息包含不允许的词语，未能发送。",
      "The chat is down for maintenance. It will reconnect by itself when it is over.": "聊天正在维护中，维护结束后会自动重新连接。",
      "You are sending messages too quickly. Please wait a moment and try again.": "您发送消息太快了，请稍等片刻再试。",
      "That message is too long. Please shorten it.": "消息太长，请缩短后再发送。",
      "This conversation has ended.": "此对话已结束。",
      "This conversation is no longer available.": "此对话已不可用。",
      "This chat is not set up correctly (unknown channel).": "此聊天未正确配置（未知渠道）。",
      "Something went wrong on our side. Please try again.": "我们这边出了点问题，请重试。",
      "The chat service is busy or unreachable. Please try again in a moment.": "聊天服务繁忙或无法访问，请稍后再试。",
      "You opened the chat in another window or tab, so it is paused here.": "您在另一个窗口或标签页中打开了聊天，此处已暂停。",
      "The chat was disconnected. Reload the page to start again.": "聊天已断开，请刷新页面重新开始。",
      "You are offline. The chat will reconnect when the connection is back.": "您已离线。网络恢复后聊天会自动重新连接。",
      "Chat with us": "在线咨询",
      "Assistant online": "智能助手在线",
      "Leave a message": "留言",
      Chat: "聊天",
      Conversation: "对话",
      "Write a message…": "输入消息…",
      Message: "消息",
      Send: "发送",
      "End chat": "结束对话",
      "Notify me of replies": "有回复时通知我",
      "We will notify you of replies on this device.": "有回复时，我们会在此设备上通知您。",
      "Notifications are blocked for this site in your browser.": "您的浏览器已阻止此网站的通知。",
      "Notifications could not be turned on. Try again later.": "无法开启通知，请稍后再试。",
      "Close the chat window": "关闭聊天窗口",
      "Nobody is available right now. Leave a message and we will get back to you.": "目前没有客服在线。请留言，我们会尽快回复您。",
      "Rate this conversation": "为本次对话评分",
      "{n} out of 5": "{n} 星（满分 5 星）",
      "Anything to add? (optional)": "还有什么想补充的吗？（可选）",
      Comment: "评论",
      "Send rating": "提交评分",
      "Thank you for your feedback!": "感谢您的反馈！",
      "Download the transcript": "下载聊天记录",
      "The chat has ended. How did we do?": "对话已结束。您对我们的服务满意吗？",
      "Start a new conversation": "开始新的对话",
      "The transcript is not available.": "聊天记录暂不可用。",
      Seen: "已读",
      Sent: "已发送",
      Bot: "机器人",
      Support: "客服",
      "{name} · bot": "{name} · 机器人",
      "Connection lost. Reconnecting…": "连接已断开，正在重新连接…",
      "Connecting…": "正在连接…",
      "Disconnected.": "已断开连接。",
      "You are number {position} in the queue.": "您在队列中排第 {position} 位。",
      "You are number {position} in the queue, about {minutes} min.": "您在队列中排第 {position} 位，预计等待约 {minutes} 分钟。",
      "{name} is typing…": "{name} 正在输入…",
      "Continue here": "在此继续",
      "{label} ({count} unread)": "{label}（{count} 条未读）",
      "This chat is not set up for this website.": "此聊天未为本网站配置。",
      "That file is too large for this chat.": "文件太大，无法在此聊天中发送。",
      "This chat does not accept that kind of file.": "此聊天不接受这种类型的文件。",
      "That file could not be accepted (it is damaged or was refused by the virus scanner).": "无法接受该文件（文件已损坏或被病毒扫描拒绝）。",
      "You have sent as many files as you can today.": "您今天发送的文件已达上限。",
      "The file is still being checked. Please try again in a moment.": "文件仍在检查中，请稍后再试。",
      "Attach a file": "添加附件",
      Retry: "重试",
      Uploading: "正在上传",
      "This file is not available.": "此文件不可用。",
      "Message removed": "消息已删除",
      "Send message": "发送留言",
      "Your name": "您的姓名",
      "Your e-mail": "您的电子邮箱",
      "Your message": "您的留言",
      "Please enter a valid e-mail address, like name@example.com.": "请输入有效的电子邮箱地址，例如 name@example.com。",
      "Thank you, {name}. We will answer you at {email}.": "谢谢您，{name}。我们会通过 {email} 回复您。"
    }
  };
  var words = translator(TRANSLATIONS);
  var setLocale = words.setLocale;
  var locale = words.locale;
  var t = words.t;

  // src/widget/offline-form.js
  var EMAIL = /^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$/;
  function offlineForm(Widget, channelId) {
    var h = Widget.helpers;
    var el = h.el;
    var ui = Widget.ui;
    var field = function(id, label, input, hint) {
      input.id = id;
      return el("div", { class: "field" }, [el("label", { for: id, text: label }), input, hint || null]);
    };
    var name = el("input", { type: "text", name: "name", autocomplete: "name", maxlength: "100", required: "" });
    var email = el("input", { type: "email", name: "email", autocomplete: "email", maxlength: "254", required: "" });
    var emailError = el("small", { class: "field-error", id: "parley-offline-email-error", hidden: "" });
    var message = el("textarea", { name: "message", rows: "4", maxlength: "4000", required: "" });
    var error = el("p", { class: "form-error", role: "alert", hidden: "" });
    var submit = el("button", { type: "submit", class: "send", text: t("Send message") });
    var intro = el("p", { class: "offline-intro" });
    var form = el("form", { class: "offline-form", novalidate: "", onsubmit: onSubmit }, [
      intro,
      field("parley-offline-name", t("Your name"), name),
      field("parley-offline-email", t("Your e-mail"), email, emailError),
      field("parley-offline-message", t("Your message"), message),
      error,
      submit
    ]);
    var thanks = el("p", { class: "offline-thanks", role: "status", hidden: "", tabindex: "-1" });
    var section = el("div", { class: "offline", hidden: "" }, [form, thanks]);
    ui.panel.insertBefore(section, ui.form);
    ui.offline = section;
    function showError(node, text) {
      node.textContent = text;
      node.hidden = !text;
    }
    function emailProblem() {
      var value = email.value.trim();
      var bad = !EMAIL.test(value);
      email.setAttribute("aria-invalid", String(bad));
      if (bad) email.setAttribute("aria-describedby", emailError.id);
      else email.removeAttribute("aria-describedby");
      showError(emailError, bad ? t("Please enter a valid e-mail address, like name@example.com.") : "");
      return bad;
    }
    email.addEventListener("blur", function() {
      if (email.value) emailProblem();
    });
    email.addEventListener("input", function() {
      if (email.getAttribute("aria-invalid") === "true") emailProblem();
    });
    function onSubmit(event) {
      event.preventDefault();
      showError(error, "");
      if (!name.value.trim()) return name.focus();
      if (emailProblem()) return email.focus();
      if (!message.value.trim()) return message.focus();
      submit.disabled = true;
      var client = Widget.client;
      var body = {
        name: name.value.trim(),
        email: email.value.trim(),
        message: message.value.trim(),
        page_url: /^https?:\/\//.test(location.href) ? location.href.slice(0, 2e3) : ""
      };
      (client.restoreSession() ? Promise.resolve() : client.loginVisitor()).then(function() {
        return client.authedFetch("/channels/" + encodeURIComponent(channelId) + "/offline-requests", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(body)
        });
      }).then(function(response) {
        if (response.ok) return sent(body);
        return response.json().catch(function() {
          return {};
        }).then(function(answer) {
          throw answer.error || { code: 9500 };
        });
      }).catch(function(problem) {
        showError(error, h.plain(problem && problem.code ? problem : null));
      }).then(function() {
        submit.disabled = false;
      });
    }
    function sent(body) {
      form.hidden = true;
      thanks.textContent = t("Thank you, {name}. We will answer you at {email}.", { name: body.name, email: body.email });
      thanks.hidden = false;
      thanks.focus();
    }
    return {
      /** Show the form in place of the chat, with the channel's own offline words when it has them. */
      show: function(offlineMessage) {
        intro.textContent = offlineMessage || t("Nobody is available right now. Leave a message and we will get back to you.");
        section.hidden = false;
        [ui.log, ui.answers, ui.chips, ui.form, ui.status].forEach(function(node) {
          node.hidden = true;
        });
        if (form.hidden) thanks.focus();
        else name.focus();
      },
      shown: function() {
        return !section.hidden;
      }
    };
  }

  // src/push/push-notice.js
  function keyBytes(base64url) {
    const padded = base64url.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((base64url.length + 3) % 4);
    const raw = atob(padded);
    const bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }
  function pushDeviceId(deviceId) {
    return ("web-" + deviceId.replace(/[^A-Za-z0-9_.:-]/g, "")).slice(0, 64);
  }

  // src/widget/push-optin.js
  function pushOffered(client, workerPath) {
    const browser = (
      /** @type {any} */
      window
    );
    if (!workerPath || !("serviceWorker" in navigator) || !browser.PushManager || !browser.Notification)
      return Promise.resolve(false);
    if (browser.Notification.permission === "denied") return Promise.resolve(false);
    return serverKey(client).then(
      (key) => Boolean(key),
      () => false
    );
  }
  function serverKey(client) {
    return fetch(client.baseUrl + "/push/vapid-public-key").then(
      (response) => response.ok ? response.json().then((body) => body.public_key) : null
    );
  }
  function subscribeToReplies(client, workerPath) {
    const browser = (
      /** @type {any} */
      window
    );
    return Promise.resolve(browser.Notification.requestPermission()).then((permission) => {
      if (permission !== "granted") throw new Error("notifications-refused");
      return Promise.all([navigator.serviceWorker.register(workerPath), serverKey(client)]);
    }).then(([registration, key]) => {
      if (!key) throw new Error("push-unavailable");
      return registration.pushManager.getSubscription().then(
        (existing) => existing || registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) })
      );
    }).then(
      (subscription) => client.authedFetch("/push/subscriptions", {
        method: "PUT",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ device_id: pushDeviceId(client.deviceId()), subscription: subscription.toJSON() })
      })
    ).then((response) => {
      if (!response.ok) throw new Error("push-refused");
    });
  }

  // src/widget/robot-status.js
  var ONLINE = 1;
  function robotStatus(Widget) {
    var line = Widget.ui.robot;
    Widget.client.on("robot.status", function(data) {
      if (!data || data.conversation_id !== Widget.conversationId) return;
      line.hidden = data.status !== ONLINE;
      line.textContent = t("Assistant online");
      line.setAttribute("data-status", String(data.status));
    });
  }

  // src/widget/theme.js
  function launcherText(theme, ownText, offline) {
    return !offline && theme && theme.launcher_text ? theme.launcher_text : ownText;
  }
  function applyTheme(ui, theme) {
    if (!theme) return;
    ui.frame.style.setProperty("--accent", theme.accent);
    ui.frame.classList.toggle("left", theme.position === "left");
    if (theme.avatar_url) {
      ui.avatar.src = theme.avatar_url;
      ui.avatar.hidden = false;
    }
  }

  // src/widget/agent-render.js
  var RICH_TAGS = [
    "P",
    "BR",
    "B",
    "STRONG",
    "I",
    "EM",
    "U",
    "UL",
    "OL",
    "LI",
    "A",
    "BLOCKQUOTE",
    "CODE",
    "PRE",
    "H3",
    "H4"
  ];
  var LINK_SCHEMES = ["http:", "https:", "mailto:"];
  function agentContent(body, el, sendText) {
    switch (body.kind) {
      case "list":
        return el("div", { class: "list" }, [
          body.text ? el("p", { text: body.text }) : null,
          el(
            body.ordered ? "ol" : "ul",
            {},
            body.items.map(function(item) {
              var title = item.url ? el("a", { href: item.url, target: "_blank", rel: "noopener", text: item.title }) : el("strong", { text: item.title });
              return el("li", {}, [title, item.text ? el("span", { text: " " + item.text }) : null]);
            })
          )
        ]);
      case "site_info":
        return el("div", { class: "site-info" }, [
          el("strong", { text: body.name }),
          body.address ? el("span", { text: body.address }) : null,
          body.phone ? el("a", { href: "tel:" + body.phone, text: body.phone }) : null,
          el("a", {
            href: "https://www.openstreetmap.org/?mlat=" + body.latitude + "&mlon=" + body.longitude,
            target: "_blank",
            rel: "noopener",
            text: "Map"
          })
        ]);
      case "rich_text":
        return richText(body.html, el);
      case "related":
      case "everyone_asking":
        return el(
          "div",
          { class: "choices " + body.kind },
          [body.text ? el("p", { text: body.text }) : null].concat(
            body.questions.map(function(question) {
              return el("button", {
                type: "button",
                class: "choice",
                text: question,
                onclick: function() {
                  sendText(question);
                }
              });
            })
          )
        );
      default:
        return null;
    }
  }
  function richText(html, el) {
    var box = el("div", { class: "rich-text" });
    var parsed = new DOMParser().parseFromString(html, "text/html").body;
    Array.prototype.forEach.call(parsed.childNodes, function(node) {
      var kept = keep(node, el);
      if (kept) box.appendChild(kept);
    });
    return box;
  }
  function keep(node, el) {
    if (node.nodeType === 3) return document.createTextNode(node.textContent || "");
    if (node.nodeType !== 1 || RICH_TAGS.indexOf(node.tagName) < 0) return null;
    var attrs = {};
    if (node.tagName === "A") {
      var href = node.getAttribute("href") || "";
      try {
        if (LINK_SCHEMES.indexOf(new URL(href, location.href).protocol) >= 0) attrs.href = href;
      } catch (e) {
      }
      attrs.target = "_blank";
      attrs.rel = "noopener noreferrer nofollow";
    }
    var copy = el(node.tagName.toLowerCase(), attrs);
    Array.prototype.forEach.call(node.childNodes, function(child) {
      var kept = keep(child, el);
      if (kept) copy.appendChild(kept);
    });
    return copy;
  }
  function draftBubbles(el, log, scrollDown) {
    var texts = {};
    return function onDelta(data) {
      var bubble = log.querySelector('[data-client-msg-id="' + CSS.escape(data.draft_id) + '"]');
      var known = texts[data.draft_id] || "";
      if (data.offset > known.length) return;
      known = known.slice(0, data.offset) + data.text;
      texts[data.draft_id] = known;
      if (!bubble) {
        bubble = el("li", { class: "msg bot draft", "data-client-msg-id": data.draft_id, "aria-busy": "true" }, [
          el("span", { class: "author", text: data.author_name || "Bot" }),
          el("p", { class: "draft-text" })
        ]);
        log.appendChild(bubble);
      }
      bubble.querySelector(".draft-text").textContent = known;
      scrollDown();
    };
  }
  function noticeExpression(client, message) {
    if (message.kind !== "bot" || message.body.kind !== "expression") return;
    client.request("expression.notice", { conversation_id: message.conversation_id, seq: message.seq, status: 1 }).catch(function() {
    });
  }

  // src/widget/widget-render.js
  function widgetEvents(Widget) {
    var h = Widget.helpers;
    var el = h.el;
    var ui = Widget.ui;
    var client = Widget.client;
    var mine = function(message) {
      return client.user && message.author_id === client.user.uid;
    };
    var ours = function(data) {
      return data && data.conversation_id === Widget.conversationId;
    };
    client.onMessage(function(message) {
      if (message.conversation_id !== Widget.conversationId) return;
      h.markStored();
      if (!mine(message) && ["operator", "admin", "bot"].indexOf(message.author_role) !== -1) partnerSeen(message.seq);
      if (message.kind === "notice") dropLiveNotice(String(message.body));
      var pending = message.client_msg_id && ui.log.querySelector('[data-client-msg-id="' + CSS.escape(message.client_msg_id) + '"]');
      if (pending) pending.remove();
      if (message.kind !== "bot") clearChoices();
      if (message.kind === "bot" && message.body.kind === "quick_replies") {
        showChips(message.body);
        ui.log.appendChild(el("li", { class: "msg meta", "data-seq": String(message.seq), hidden: "" }));
      } else ui.log.appendChild(messageItem(message));
      if (!mine(message)) noticeExpression(client, message);
      h.scrollDown();
      if (!mine(message) && message.kind !== "notice" && message.kind !== "erased") noteUnread(message);
      h.reportRead();
    });
    Widget.readSeq = 0;
    Widget.unread = [];
    var PREVIEW_CHARS = 90;
    function noteUnread(message) {
      if (!ui.panel.hidden && !document.hidden) return;
      if (message.seq <= Widget.readSeq || message.body.kind === "quick_replies") return;
      Widget.unread.push({ seq: message.seq, who: message.author_name, text: previewText(message) });
      showUnread();
    }
    function previewText(message) {
      var body = message.body;
      var text = typeof body === "string" ? body : body.text || body.title || body.name || body.meaning || "";
      if (!text && message.kind === "file")
        text = body.files.map(function(file) {
          return file.name;
        }).join(", ");
      return text.length > PREVIEW_CHARS ? text.slice(0, PREVIEW_CHARS - 1) + "…" : text;
    }
    function readUpTo(seq) {
      Widget.readSeq = Math.max(Widget.readSeq, seq);
      Widget.unread = Widget.unread.filter(function(item) {
        return item.seq > Widget.readSeq;
      });
      showUnread();
    }
    function clearUnread() {
      Widget.unread = [];
      showUnread();
    }
    function showUnread() {
      var count = Widget.unread.length;
      var minimised = ui.panel.hidden;
      ui.badge.hidden = !count || !minimised;
      ui.badge.textContent = count > 9 ? "9+" : String(count);
      ui.launcher.setAttribute("data-unread", String(count));
      if (count && minimised)
        ui.launcher.setAttribute(
          "aria-label",
          t("{label} ({count} unread)", { label: ui.launcher.textContent, count })
        );
      else ui.launcher.removeAttribute("aria-label");
      var last = Widget.unread[count - 1];
      ui.preview.hidden = !last || !minimised;
      ui.preview.textContent = "";
      if (last && minimised) {
        if (last.who) ui.preview.appendChild(el("strong", { text: last.who }));
        ui.preview.appendChild(el("span", { text: last.text }));
        ui.unreadLive.textContent = (last.who ? last.who + ": " : "") + last.text;
      }
    }
    Widget.render.readUpTo = readUpTo;
    Widget.render.clearUnread = clearUnread;
    Widget.partnerSeenSeq = 0;
    function partnerSeen(seq) {
      Widget.partnerSeenSeq = Math.max(Widget.partnerSeenSeq, seq);
      ui.log.querySelectorAll(".msg.mine[data-seq]").forEach(function(item) {
        if (Number(item.getAttribute("data-seq")) <= Widget.partnerSeenSeq) showTick(item, true);
      });
    }
    Widget.render.partnerSeen = partnerSeen;
    function showTick(item, seen) {
      var tick = item.querySelector(".tick");
      if (!tick) return;
      item.classList.toggle("seen", seen);
      tick.textContent = seen ? "✓✓" : "✓";
      tick.setAttribute("aria-label", seen ? "seen" : "sent");
      tick.setAttribute("title", seen ? t("Seen") : t("Sent"));
    }
    function messageItem(message) {
      var system = message.kind === "notice" || message.kind === "erased";
      var who = system ? "system" : mine(message) ? "mine" : message.author_role;
      var item = el("li", { class: "msg " + who, "data-seq": String(message.seq) });
      if (system) {
        item.textContent = message.kind === "erased" ? t("Message removed") : message.body;
        return item;
      }
      if (!mine(message)) {
        var name = message.author_name || (message.author_role === "bot" ? t("Bot") : t("Support"));
        item.appendChild(
          el("span", {
            class: "avatar",
            "aria-hidden": "true",
            text: initial(name)
          })
        );
        item.appendChild(
          el("span", { class: "author", text: message.author_role === "bot" ? t("{name} · bot", { name }) : name })
        );
      }
      if (message.kind === "bot") item.appendChild(botContent(message.body));
      else if (message.kind === "action") item.appendChild(el("p", { text: "[" + message.body.meaning + "]" }));
      else if (message.kind === "file") item.appendChild(filesContent(message));
      else item.appendChild(el("p", { text: String(message.body) }));
      var meta = el("span", { class: "meta" }, [clock(message.created_at)]);
      item.appendChild(meta);
      if (mine(message)) {
        meta.appendChild(el("span", { class: "tick" }));
        showTick(item, message.seq <= Widget.partnerSeenSeq);
      }
      return item;
    }
    function filesContent(message) {
      var box = el("div", { class: "files" });
      if (message.body.text) box.appendChild(el("p", { text: message.body.text }));
      message.body.files.forEach(function(file) {
        var link = el("a", { target: "_blank", rel: "noopener noreferrer", "data-file-id": file.file_id }, [
          file.thumbnail ? el("img", { alt: file.name }) : el("span", { text: "⬇ " + file.name })
        ]);
        function fresh() {
          client.fileLink(message.conversation_id, file.file_id).then(
            function(links) {
              link.href = links.url;
              var img = link.querySelector("img");
              if (img && img.getAttribute("src") !== links.thumbnail_url) img.src = links.thumbnail_url;
            },
            function() {
              link.title = t("This file is not available.");
            }
          );
        }
        link.addEventListener("mouseenter", fresh);
        link.addEventListener("focus", fresh);
        fresh();
        box.appendChild(link);
      });
      return box;
    }
    function initial(name) {
      return (name.trim().charAt(0) || "?").toUpperCase();
    }
    function clock(iso) {
      var date = new Date(iso);
      if (isNaN(date.getTime())) return null;
      return el("time", {
        datetime: iso,
        text: date.toLocaleTimeString(locale(), { hour: "2-digit", minute: "2-digit" })
      });
    }
    function botContent(body) {
      switch (body.kind) {
        case "text":
          return el("p", { text: body.text });
        case "article":
          return el("a", { class: "article", href: body.url, target: "_blank", rel: "noopener" }, [
            el("strong", { text: body.title }),
            body.summary ? el("span", { text: body.summary }) : null
          ]);
        case "image":
          return el("img", { src: body.url, alt: body.alt || "" });
        case "video":
          return el("video", { src: body.url, controls: "", poster: body.poster || "" });
        case "file":
          return el("a", {
            href: body.url,
            download: body.name,
            target: "_blank",
            rel: "noopener",
            text: "⬇ " + body.name
          });
        case "cards":
          return el(
            "div",
            { class: "cards" },
            body.cards.map(function(card) {
              return el(
                card.url ? "a" : "div",
                card.url ? { class: "card", href: card.url, target: "_blank", rel: "noopener" } : { class: "card" },
                [el("strong", { text: card.title }), card.text ? el("span", { text: card.text }) : null]
              );
            })
          );
        case "menu":
          return choiceList(body.text, body.options);
        case "suggestions":
          return choiceList(body.text, body.suggestions);
        default:
          return agentContent(body, el, h.sendText) || el("p", { class: "aside", text: body.text || body.code || body.mood || body.attitude || "" });
      }
    }
    function choiceList(text, options) {
      return el(
        "div",
        { class: "choices" },
        [el("p", { text })].concat(
          options.map(function(option) {
            return el("button", {
              type: "button",
              class: "choice",
              text: option.label,
              onclick: function() {
                h.sendText(option.reply);
              }
            });
          })
        )
      );
    }
    function clearChoices() {
      ui.answers.textContent = "";
      ui.chips.textContent = "";
    }
    function answerLabels() {
      return Array.prototype.map.call(ui.answers.querySelectorAll(".answer"), function(button) {
        return button.textContent;
      });
    }
    function dropChipsLikeAnswers() {
      var labels = answerLabels();
      ui.chips.querySelectorAll(".chip").forEach(function(chip) {
        if (labels.indexOf(chip.textContent) >= 0) chip.remove();
      });
    }
    function showChips(content) {
      ui.chips.textContent = "";
      if (content.action !== "show") return;
      var labels = answerLabels();
      content.replies.forEach(function(reply) {
        if (labels.indexOf(reply) >= 0) return;
        ui.chips.appendChild(
          el("button", {
            type: "button",
            class: "chip",
            text: reply,
            onclick: function() {
              ui.chips.textContent = "";
              h.sendText(reply);
            }
          })
        );
      });
    }
    var onDelta = draftBubbles(el, ui.log, h.scrollDown);
    client.on("message.delta", function(data) {
      if (ours(data)) onDelta(data);
    });
    client.on("bot.step", function(step) {
      if (!ours(step)) return;
      ui.answers.textContent = "";
      (step.answers || []).forEach(function(answer) {
        ui.answers.appendChild(
          el("button", {
            type: "button",
            class: "answer",
            "data-answer": answer.id,
            text: answer.label,
            // The pick is said as the visitor's message (the bot matches an answer by its label),
            // so it shows in the chat, the operator's history and the transcript like anything typed.
            onclick: function() {
              clearChoices();
              h.sendText(answer.label);
            }
          })
        );
      });
      if (step.quick_replies) showChips({ action: "show", replies: step.quick_replies });
      else dropChipsLikeAnswers();
      h.scrollDown();
    });
    client.on("typing", function(data) {
      if (!ours(data) || mine({ author_id: data.user_id })) return;
      clearTimeout(Widget.typingTimer);
      ui.status.textContent = data.active ? t("{name} is typing…", { name: data.name }) : statusText();
      if (data.active)
        Widget.typingTimer = setTimeout(
          function() {
            ui.status.textContent = statusText();
          },
          // A bot's typing says how long it lasts (docs/bots.md): a slow bot renews it.
          data.ttl_seconds ? data.ttl_seconds * 1e3 : h.TYPING_SHOWN_MS
        );
    });
    client.on("member.seen", function(data) {
      if (!ours(data) || mine({ author_id: data.user_id })) return;
      partnerSeen(data.seq);
    });
    client.on("queue.position", function(data) {
      if (!ours(data)) return;
      Widget.queue = data.position > 0 ? data : null;
      ui.status.textContent = statusText();
    });
    client.on("notice", function(notice) {
      if (notice.code === 1002) return h.showBanner(h.PLAIN[1002] + (notice.text ? " (" + notice.text + ")" : ""));
      if (notice.level === "info" && notice.code === null && /maintenance/i.test(notice.text)) h.hideBanner();
      if (storedNoticeShown(notice.text)) return;
      h.systemLine(notice.text).classList.add("live-notice");
    });
    function storedNoticeShown(text) {
      return Array.prototype.some.call(ui.log.querySelectorAll(".msg.system[data-seq]"), function(item) {
        return item.textContent === text;
      });
    }
    function dropLiveNotice(text) {
      ui.log.querySelectorAll(".live-notice").forEach(function(item) {
        if (item.textContent === text) item.remove();
      });
    }
    client.on("conversation.updated", function(data) {
      if (ours(data) && data.status === "closed") h.showClosing();
    });
    client.on("error", function(error) {
      if (error.code === 9003 || error.code === 1002) h.showBanner(h.plain(error));
    });
    client.on("kickoff", function() {
      kickedOff();
    });
    function showConnection() {
      var status = Widget.connection;
      var offline = typeof navigator !== "undefined" && navigator.onLine === false;
      var trouble = Widget.started && (status === "reconnecting" || offline);
      ui.connection.hidden = !trouble;
      ui.status.hidden = trouble;
      ui.connection.setAttribute("data-state", offline ? "offline" : "reconnecting");
      ui.connection.textContent = offline ? h.PLAIN.offline : t("Connection lost. Reconnecting…");
    }
    window.addEventListener("offline", showConnection);
    window.addEventListener("online", showConnection);
    client.onStatusChange(function(status, detail) {
      Widget.connection = status;
      ui.status.textContent = statusText();
      showConnection();
      if (status === "online") return h.hideBanner();
      var code = detail && detail.error && detail.error.code;
      if (status === "reconnecting" && code === 1002) h.showBanner(h.PLAIN[1002]);
      else if (status === "offline" && detail && detail.code === 4003) kickedOff();
      else if (status === "offline" && detail && detail.code === 1008) h.showBanner(h.PLAIN[1008]);
      else if (status === "offline" && detail && detail.code === 4011) h.showBanner(h.PLAIN[9114]);
    });
    function statusText() {
      if (Widget.connection === "reconnecting") return t("Connection lost. Reconnecting…");
      if (Widget.connection === "connecting") return t("Connecting…");
      if (Widget.connection === "offline") return t("Disconnected.");
      if (Widget.queue) {
        var position = Widget.queue.position;
        if (!Widget.queue.estimated_wait_seconds)
          return t("You are number {position} in the queue.", { position });
        var minutes = Math.max(1, Math.round(Widget.queue.estimated_wait_seconds / 60));
        return t("You are number {position} in the queue, about {minutes} min.", {
          position,
          minutes
        });
      }
      return "";
    }
    function kickedOff() {
      if (ui.banner.querySelector(".take-back")) return;
      h.showBanner(h.PLAIN.kickoff);
      ui.banner.appendChild(
        el("button", {
          type: "button",
          class: "take-back",
          text: t("Continue here"),
          onclick: function() {
            h.hideBanner();
            Widget.started = false;
            client.loginVisitor().then(
              function() {
                h.start();
              },
              function(error) {
                h.showBanner(h.plain(error));
              }
            );
          }
        })
      );
    }
  }

  // src/widget/widget.js
  function mountWidget() {
    var script = (
      /** @type {any} */
      document.currentScript || document.querySelector("script[data-channel][src*='widget.js']")
    );
    if (!script || !window.Parley || window.Parley.widget) return;
    var BASE = new URL(script.src, location.href).origin;
    var CHANNEL = script.getAttribute("data-channel");
    var HIDE_WHEN_OFFLINE = script.getAttribute("data-hide-when-offline") === "true";
    var IDENTITY_URL = script.getAttribute("data-identity-url");
    var PUSH_WORKER = script.getAttribute("data-push-worker");
    setLocale(pickLocale(script.getAttribute("data-locale"), navigator.languages || [navigator.language]));
    var STATE_KEY = "parley.widget." + CHANNEL;
    var TYPING_EVERY_MS = 3e3;
    var TYPING_SHOWN_MS = 6e3;
    var READ_REPORT_DELAY_MS = 300;
    var READ_RETRY_MS = 1e3;
    var PLAIN = {
      8001: t("Your message contains a word that is not allowed, so it was not sent."),
      1002: t("The chat is down for maintenance. It will reconnect by itself when it is over."),
      9003: t("You are sending messages too quickly. Please wait a moment and try again."),
      9002: t("That message is too long. Please shorten it."),
      9104: t("This conversation has ended."),
      9102: t("This conversation is no longer available."),
      9103: t("This chat is not set up correctly (unknown channel)."),
      9114: t("This chat is not set up for this website."),
      9500: t("Something went wrong on our side. Please try again."),
      9503: t("The chat service is busy or unreachable. Please try again in a moment."),
      9106: t("That file is too large for this chat."),
      9107: t("This chat does not accept that kind of file."),
      9108: t("That file could not be accepted (it is damaged or was refused by the virus scanner)."),
      9109: t("You have sent as many files as you can today."),
      9112: t("The file is still being checked. Please try again in a moment."),
      kickoff: t("You opened the chat in another window or tab, so it is paused here."),
      1008: t("The chat was disconnected. Reload the page to start again."),
      offline: t("You are offline. The chat will reconnect when the connection is back.")
    };
    function plain(error) {
      if (!error) return PLAIN[9500];
      return PLAIN[error.code] || error.message || PLAIN[9500];
    }
    function el(tag, attrs, children) {
      var node = document.createElement(tag);
      Object.keys(attrs || {}).forEach(function(key) {
        if (key === "text") node.textContent = attrs[key];
        else if (key.slice(0, 2) === "on") node.addEventListener(key.slice(2), attrs[key]);
        else node.setAttribute(key, attrs[key]);
      });
      (children || []).forEach(function(child) {
        if (child) node.appendChild(child);
      });
      return node;
    }
    function loadState() {
      try {
        return JSON.parse(localStorage.getItem(STATE_KEY) || "{}");
      } catch (e) {
        return {};
      }
    }
    function saveState(state) {
      try {
        localStorage.setItem(STATE_KEY, JSON.stringify(state));
      } catch (e) {
      }
    }
    var Widget = {
      client: new Client({
        baseUrl: BASE,
        clientKind: "web",
        channelId: CHANNEL,
        identity: IDENTITY_URL ? function() {
          return fetch(IDENTITY_URL, { credentials: "same-origin" }).then(function(r) {
            return r.ok ? r.text() : null;
          });
        } : null
      }),
      state: loadState(),
      conversationId: null,
      lastOwnSeq: 0,
      started: false
    };
    window.Parley.widget = Widget;
    function build() {
      var host = el("div", { id: "parley-widget", style: "display:none" });
      var root = host.attachShadow({ mode: "open" });
      var css = el("link", { rel: "stylesheet", href: BASE + "/widget/widget.css" });
      css.addEventListener("load", function() {
        host.style.display = "";
      });
      var ui = Widget.ui = {};
      ui.launcher = el("button", {
        class: "launcher",
        type: "button",
        "aria-expanded": "false",
        onclick: toggle,
        text: t("Chat with us"),
        hidden: ""
      });
      ui.title = el("span", { class: "title", text: t("Chat") });
      ui.robot = el("span", { class: "robot", hidden: "" });
      ui.avatar = el("img", { class: "avatar-image", alt: "", hidden: "" });
      ui.status = el("div", { class: "status", role: "status", "aria-live": "polite" });
      ui.connection = el("div", { class: "connection", role: "status", "aria-live": "polite", hidden: "" });
      ui.banner = el("div", { class: "banner", role: "alert", hidden: "" });
      ui.notify = el("button", {
        type: "button",
        class: "notify",
        text: t("Notify me of replies"),
        onclick: enablePush,
        hidden: ""
      });
      ui.log = el("ol", { class: "log", "aria-live": "polite", "aria-label": t("Conversation") });
      ui.answers = el("div", { class: "answers" });
      ui.chips = el("div", { class: "chips" });
      ui.input = el("textarea", {
        rows: "1",
        placeholder: t("Write a message…"),
        "aria-label": t("Message"),
        maxlength: "4000"
      });
      ui.input.addEventListener("keydown", onKey);
      ui.input.addEventListener("input", onTyping);
      ui.input.addEventListener("paste", onPaste);
      ui.file = el("input", { type: "file", hidden: "", accept: "image/*,application/pdf,text/plain" });
      ui.file.addEventListener("change", function() {
        Array.prototype.forEach.call(ui.file.files, function(file) {
          sendFile(file, file.name);
        });
        ui.file.value = "";
      });
      ui.attach = el("button", {
        type: "button",
        class: "attach",
        "aria-label": t("Attach a file"),
        title: t("Attach a file"),
        text: "+",
        onclick: function() {
          ui.file.click();
        }
      });
      ui.form = el("form", { class: "compose", onsubmit: onSubmit }, [
        ui.attach,
        ui.file,
        ui.input,
        el("button", { type: "submit", class: "send", text: t("Send") })
      ]);
      ui.end = el("button", { type: "button", class: "end", text: t("End chat"), onclick: endChat, hidden: "" });
      ui.closing = el("div", { class: "closing", hidden: "" });
      ui.panel = el("section", { class: "panel", role: "dialog", "aria-label": t("Chat"), hidden: "" }, [
        el("header", {}, [
          ui.avatar,
          el("div", { class: "heading" }, [ui.title, ui.robot]),
          ui.end,
          el("button", {
            type: "button",
            class: "minimize",
            "aria-label": t("Close the chat window"),
            text: "✕",
            onclick: toggle
          })
        ]),
        ui.connection,
        ui.status,
        ui.notify,
        ui.banner,
        ui.log,
        ui.answers,
        ui.closing,
        ui.chips,
        ui.form
      ]);
      ui.panel.addEventListener("keydown", function(event) {
        if (event.key === "Escape") toggle();
      });
      ui.panel.addEventListener("dragover", function(event) {
        if (!hasFiles(event)) return;
        event.preventDefault();
        ui.panel.classList.add("dropping");
      });
      ui.panel.addEventListener("dragleave", function(event) {
        if (event.target === ui.panel) ui.panel.classList.remove("dropping");
      });
      ui.panel.addEventListener("drop", function(event) {
        ui.panel.classList.remove("dropping");
        if (!hasFiles(event)) return;
        event.preventDefault();
        Array.prototype.forEach.call(event.dataTransfer.files, function(file) {
          sendFile(file, file.name);
        });
      });
      root.appendChild(css);
      ui.preview = el("button", { type: "button", class: "preview", hidden: "", onclick: toggle });
      ui.badge = el("span", { class: "badge", hidden: "", "aria-hidden": "true" });
      ui.unreadLive = el("span", { class: "visually-hidden", role: "status", "aria-live": "polite" });
      ui.frame = el("div", { class: "parley", lang: locale() }, [
        ui.panel,
        ui.preview,
        el("div", { class: "dock" }, [ui.launcher, ui.badge]),
        ui.unreadLive
      ]);
      root.appendChild(ui.frame);
      document.body.appendChild(host);
    }
    function checkAvailability() {
      return fetch(BASE + "/channels/" + encodeURIComponent(CHANNEL) + "/availability").then(function(response) {
        if (!response.ok) throw new Error("availability " + response.status);
        return response.json();
      }).then(function(view) {
        Widget.availability = view;
        Widget.ui.title.textContent = view.name;
        var offline = !view.available;
        applyTheme(Widget.ui, view.theme);
        Widget.ui.launcher.textContent = launcherText(
          view.theme,
          offline ? t("Leave a message") : t("Chat with us"),
          offline
        );
        Widget.ui.launcher.setAttribute("data-availability", view.availability);
        Widget.ui.launcher.hidden = offline && HIDE_WHEN_OFFLINE || !Widget.ui.panel.hidden;
      }).catch(function(error) {
        Widget.ui.launcher.hidden = true;
        if (window.console) console.warn("Parley widget: channel " + CHANNEL + " is not available", error);
      });
    }
    function toggle() {
      var opening = Widget.ui.panel.hidden;
      Widget.ui.panel.hidden = !opening;
      Widget.ui.launcher.setAttribute("aria-expanded", String(opening));
      Widget.ui.launcher.hidden = opening;
      Widget.state.open = opening;
      saveState(Widget.state);
      if (opening && offlineFormApplies()) {
        Widget.offlineForm.show(Widget.availability.offline_message);
      } else if (opening) {
        Widget.ui.input.focus();
        start();
        Widget.render.clearUnread();
        reportRead();
      } else Widget.ui.launcher.focus();
    }
    function offlineFormApplies() {
      if (Widget.offlineForm.shown()) return true;
      var stored = Widget.state.conversationId && Widget.state.stored;
      return !stored && !!Widget.availability && Widget.availability.availability === "offline_form";
    }
    function reportRead(delay) {
      clearTimeout(Widget.readTimer);
      Widget.readTimer = setTimeout(
        function() {
          var id = Widget.conversationId;
          if (!id || !Widget.state.stored || Widget.client.status !== "online") return;
          var seq = Widget.client.lastSeq(id);
          if (seq > (Widget.ackedSeq || 0)) {
            Widget.ackedSeq = seq;
            Widget.client.request("ack", { conversation_id: id, seq }).then(readReported, function(error) {
              if (Widget.ackedSeq === seq) Widget.ackedSeq = 0;
              readNotReported(id, error);
            });
          }
          if (Widget.ui.panel.hidden || document.hidden || seq <= (Widget.seenSent || 0)) return;
          Widget.seenSent = seq;
          Widget.render.readUpTo(seq);
          Widget.client.request("seen", { conversation_id: id, seq }).then(readReported, function(error) {
            if (Widget.seenSent === seq) Widget.seenSent = 0;
            readNotReported(id, error);
          });
        },
        typeof delay === "number" ? delay : READ_REPORT_DELAY_MS
      );
    }
    function readReported() {
      Widget.readRetries = 0;
    }
    var PASSING = [ErrorCode.UNAVAILABLE, ErrorCode.INTERNAL, ErrorCode.RATE_LIMITED];
    function readNotReported(conversationId, error) {
      if (conversationId !== Widget.conversationId || PASSING.indexOf(error && error.code) === -1) return;
      Widget.readRetries = Math.min((Widget.readRetries || 0) + 1, 5);
      reportRead(READ_RETRY_MS * Math.pow(2, Widget.readRetries - 1));
    }
    function loadPartnerSeen(conversationId) {
      Widget.client.authedFetch("/conversations/" + encodeURIComponent(conversationId)).then(function(response) {
        return response.ok ? response.json() : null;
      }).then(function(detail) {
        if (!detail || conversationId !== Widget.conversationId) return;
        var me = Widget.client.user && Widget.client.user.uid;
        detail.members.forEach(function(member) {
          if (member.user_id !== me) Widget.render.partnerSeen(member.last_seen_seq);
          else Widget.render.readUpTo(member.last_seen_seq);
        });
      }).catch(function() {
      });
    }
    function start() {
      if (Widget.started) return;
      Widget.started = true;
      var client = Widget.client;
      if (Widget.state.conversationId && Widget.state.stored) {
        Widget.conversationId = Widget.state.conversationId;
        client.track(Widget.conversationId, 0);
      }
      var login = client.restoreSession() ? Promise.resolve() : client.loginVisitor();
      Widget.opening = login.then(function() {
        return client.connect();
      }).then(openSession);
      Widget.opening.catch(function(error) {
        Widget.started = false;
        showBanner(plain(error));
      });
    }
    function openSession() {
      return Widget.client.request("session.open", sessionOpenData()).then(function(opened) {
        if (Widget.conversationId && Widget.conversationId !== opened.conversation_id) resetLog();
        Widget.conversationId = opened.conversation_id;
        if (opened.conversation_id !== Widget.state.conversationId)
          Widget.state = { conversationId: opened.conversation_id, open: true, stored: false };
        if (opened.last_seq > 0) markStored();
        saveState(Widget.state);
        Widget.client.track(opened.conversation_id, Widget.state.stored ? void 0 : 0);
        showWelcome(opened.welcome || Widget.availability && Widget.availability.welcome);
        if (opened.availability === "offline_form")
          systemLine(
            Widget.availability && Widget.availability.offline_message || t("Nobody is available right now. Leave a message and we will get back to you.")
          );
        if (Widget.state.stored) {
          Widget.client.request("status", { status: "online", conversation_id: opened.conversation_id }).catch(function() {
          });
          loadPartnerSeen(opened.conversation_id);
          reportRead();
        }
      });
    }
    function sessionOpenData() {
      var data = { channel_id: CHANNEL, user_agent: navigator.userAgent.slice(0, 512) };
      if (/^https?:\/\//.test(location.href)) data.page_url = location.href.slice(0, 2e3);
      if (/^https?:\/\//.test(document.referrer)) data.referrer = document.referrer.slice(0, 2e3);
      return data;
    }
    function markStored() {
      if (Widget.ui.closing.hidden) Widget.ui.end.hidden = false;
      offerPush();
      if (Widget.state.stored) return;
      Widget.state.stored = true;
      saveState(Widget.state);
    }
    function offerPush() {
      if (Widget.pushOffered || Widget.state.push) return;
      Widget.pushOffered = true;
      pushOffered(Widget.client, PUSH_WORKER).then(function(offered) {
        Widget.ui.notify.hidden = !offered;
      });
    }
    function enablePush() {
      var button = Widget.ui.notify;
      button.disabled = true;
      subscribeToReplies(Widget.client, PUSH_WORKER).then(
        function() {
          button.hidden = true;
          Widget.state.push = true;
          saveState(Widget.state);
          systemLine(t("We will notify you of replies on this device."));
        },
        function(error) {
          button.disabled = false;
          if (error && error.message === "notifications-refused") {
            button.hidden = true;
            systemLine(t("Notifications are blocked for this site in your browser."));
          } else showBanner(t("Notifications could not be turned on. Try again later."));
        }
      );
    }
    function onKey(event) {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        onSubmit(event);
      }
    }
    function onSubmit(event) {
      event.preventDefault();
      var text = Widget.ui.input.value.trim();
      if (!text) return;
      Widget.ui.input.value = "";
      sendText(text);
    }
    function sendText(text) {
      if (!Widget.conversationId) {
        if (Widget.opening)
          Widget.opening.then(function() {
            sendText(text);
          });
        return;
      }
      var clientMsgId = "web-" + Date.now() + "-" + Math.random().toString(36).slice(2, 8);
      var pending = el("li", { class: "msg mine pending", "data-client-msg-id": clientMsgId }, [el("p", { text })]);
      Widget.ui.log.appendChild(pending);
      scrollDown();
      hideBanner();
      Widget.typingSent = 0;
      Widget.client.send(Widget.conversationId, text, { clientMsgId }).then(function(accepted) {
        markStored();
        if (accepted.message === null && accepted.command) systemLine(accepted.command.text);
        if (accepted.message === null) pending.remove();
      }).catch(function(error) {
        pending.classList.add("failed");
        pending.appendChild(el("small", { class: "error", text: plain(error) }));
        showBanner(plain(error));
      });
    }
    function hasFiles(event) {
      var types = event.dataTransfer ? Array.prototype.slice.call(event.dataTransfer.types) : [];
      return types.indexOf("Files") !== -1;
    }
    function onPaste(event) {
      var files = event.clipboardData && event.clipboardData.files;
      if (!files || !files.length) return;
      event.preventDefault();
      Array.prototype.forEach.call(files, function(file) {
        sendFile(file, file.name || "screenshot.png");
      });
    }
    function sendFile(blob, name, pending) {
      if (!Widget.conversationId) {
        if (Widget.opening)
          Widget.opening.then(function() {
            sendFile(blob, name, pending);
          });
        return;
      }
      var clientMsgId = "web-" + Date.now() + "-" + Math.random().toString(36).slice(2, 8);
      if (pending) {
        pending.className = "msg mine pending";
        pending.querySelectorAll(".error, .retry").forEach(function(node) {
          node.remove();
        });
      } else {
        var isImage = /^image\//.test(blob.type || "");
        pending = el("li", { class: "msg mine pending" }, [
          isImage ? el("img", { class: "upload-preview", alt: name, src: URL.createObjectURL(blob) }) : el("p", { text: name })
        ]);
        Widget.ui.log.appendChild(pending);
        scrollDown();
      }
      var item = pending;
      item.setAttribute("data-client-msg-id", clientMsgId);
      var progress = el("progress", { class: "upload-progress", max: "1", value: "0", "aria-label": t("Uploading") });
      item.appendChild(progress);
      hideBanner();
      var client = Widget.client;
      client.upload(Widget.conversationId, blob, name, {
        onProgress: function(sent, total) {
          progress.value = total ? sent / total : 0;
        }
      }).then(function(uploaded) {
        progress.remove();
        return client.sendFiles(Widget.conversationId, [uploaded.file.file_id], { clientMsgId });
      }).then(function() {
        markStored();
      }).catch(function(error) {
        progress.remove();
        item.classList.add("failed");
        item.appendChild(el("small", { class: "error", text: plain(error) }));
        item.appendChild(
          el("button", {
            type: "button",
            class: "retry",
            text: t("Retry"),
            onclick: function() {
              sendFile(blob, name, item);
            }
          })
        );
      });
    }
    function onTyping() {
      var now = Date.now();
      if (!Widget.state.stored || now - (Widget.typingSent || 0) < TYPING_EVERY_MS) return;
      Widget.typingSent = now;
      Widget.client.request("typing", { conversation_id: Widget.conversationId, active: true }).catch(function() {
      });
    }
    function endChat() {
      if (!Widget.conversationId || !Widget.state.stored) return toggle();
      Widget.client.request("conversation.close", { conversation_id: Widget.conversationId }).then(showClosing, function(error) {
        if (error.code === 9104) showClosing();
        else showBanner(plain(error));
      });
    }
    function showClosing() {
      var ui = Widget.ui;
      if (!ui.closing.hidden) return;
      var id = Widget.conversationId;
      ui.form.hidden = true;
      ui.end.hidden = true;
      ui.answers.textContent = "";
      ui.chips.textContent = "";
      var picked = 0;
      var stars = el("div", { class: "stars", role: "radiogroup", "aria-label": t("Rate this conversation") });
      var starButtons = [1, 2, 3, 4, 5].map(function(n) {
        var star = el("button", {
          type: "button",
          role: "radio",
          "aria-checked": "false",
          "data-rating": String(n),
          "aria-label": t("{n} out of 5", { n }),
          text: "★",
          onclick: function() {
            picked = n;
            send.disabled = false;
            light(n);
          },
          onmouseenter: function() {
            light(n);
          },
          onfocus: function() {
            light(n);
          }
        });
        stars.appendChild(star);
        return star;
      });
      stars.addEventListener("mouseleave", function() {
        light(picked);
      });
      function light(upTo) {
        starButtons.forEach(function(star, i) {
          star.classList.toggle("lit", i < upTo);
          star.setAttribute("aria-checked", String(i + 1 === picked));
        });
      }
      var comment = el("textarea", {
        class: "comment",
        rows: "2",
        placeholder: t("Anything to add? (optional)"),
        "aria-label": t("Comment"),
        maxlength: "1000"
      });
      var send = el("button", { type: "button", class: "rate-send", text: t("Send rating"), disabled: "" });
      send.addEventListener("click", function() {
        if (!picked) return;
        send.disabled = true;
        Widget.client.request("conversation.rate", { conversation_id: id, rating: picked, comment: comment.value.trim() }).then(
          function() {
            stars.remove();
            comment.remove();
            send.remove();
            ui.closing.querySelector(".ask").textContent = t("Thank you for your feedback!");
          },
          function(error) {
            send.disabled = false;
            showBanner(plain(error));
          }
        );
      });
      var link = el("a", {
        class: "transcript",
        href: "#",
        text: t("Download the transcript"),
        download: "transcript-" + id + ".html"
      });
      link.addEventListener("click", function(event) {
        if (link.getAttribute("href") === "#") {
          event.preventDefault();
          downloadTranscript(id, link);
        }
      });
      ui.closing.textContent = "";
      ui.closing.appendChild(el("p", { class: "ask", text: t("The chat has ended. How did we do?") }));
      [
        stars,
        comment,
        send,
        link,
        el("button", { type: "button", class: "again", text: t("Start a new conversation"), onclick: startAgain })
      ].forEach(function(n) {
        ui.closing.appendChild(n);
      });
      ui.closing.hidden = false;
      prepareTranscript(id, link);
    }
    function prepareTranscript(id, link) {
      Widget.client.authedFetch("/conversations/" + encodeURIComponent(id) + "/transcript.html").then(function(response) {
        if (!response.ok) throw new Error("transcript " + response.status);
        return response.blob();
      }).then(function(blob) {
        link.href = URL.createObjectURL(blob);
        link.setAttribute("data-ready", "true");
      }).catch(function() {
        link.textContent = t("The transcript is not available.");
      });
    }
    function downloadTranscript(id, link) {
      var once = new MutationObserver(function() {
        if (link.getAttribute("data-ready")) {
          once.disconnect();
          link.click();
        }
      });
      once.observe(link, { attributes: true });
    }
    function startAgain() {
      Widget.client.untrack(Widget.conversationId);
      Widget.state = { open: true };
      saveState(Widget.state);
      resetLog();
      openSession().catch(function(error) {
        showBanner(plain(error));
      });
    }
    function resetLog() {
      var ui = Widget.ui;
      ui.log.textContent = "";
      ui.answers.textContent = "";
      ui.chips.textContent = "";
      ui.closing.textContent = "";
      ui.closing.hidden = true;
      ui.form.hidden = false;
      ui.end.hidden = true;
      Widget.conversationId = null;
    }
    function scrollDown() {
      Widget.ui.log.scrollTop = Widget.ui.log.scrollHeight;
    }
    function showBanner(text) {
      Widget.ui.banner.textContent = text;
      Widget.ui.banner.hidden = false;
    }
    function hideBanner() {
      Widget.ui.banner.hidden = true;
    }
    function systemLine(text) {
      var line = el("li", { class: "msg system", text });
      Widget.ui.log.appendChild(line);
      scrollDown();
      return line;
    }
    function showWelcome(text) {
      if (!text || Widget.ui.log.querySelector(".welcome")) return;
      Widget.ui.log.insertBefore(el("li", { class: "msg welcome", text }), Widget.ui.log.firstChild);
    }
    Widget.render = {};
    Widget.helpers = {
      el,
      plain,
      PLAIN,
      sendText,
      showBanner,
      hideBanner,
      systemLine,
      scrollDown,
      showClosing,
      markStored,
      start,
      TYPING_SHOWN_MS,
      reportRead,
      toggle
    };
    function boot() {
      build();
      widgetEvents(Widget);
      Widget.offlineForm = offlineForm(Widget, CHANNEL);
      robotStatus(Widget);
      document.addEventListener("visibilitychange", reportRead);
      Widget.client.onStatusChange(function(status) {
        if (status === "online") reportRead();
      });
      var reopen = Widget.state.open;
      checkAvailability().then(function() {
        if (reopen && Widget.ui.panel.hidden && !Widget.ui.launcher.hidden) toggle();
      });
    }
    if (document.body) boot();
    else document.addEventListener("DOMContentLoaded", boot);
  }

  // src/widget/main.js
  exposeClient();
  mountWidget();
})();
