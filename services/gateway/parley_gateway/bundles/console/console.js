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

  // src/console/console-actions.js
  var global2 = window;
  var RETRY_WHEN_ONLINE = { 9503: true, 9500: true, 1002: true };
  var RATE_LIMITED = 9003;
  var RETRY_DELAY_MS = 2e3;
  function newClientMsgId() {
    return "console-" + Date.now() + "-" + randomId(4);
  }
  function plainError(error) {
    if (!error) return "Something went wrong.";
    if (error.code === 8001) return "Refused: the message contains a word this channel does not allow.";
    if (error.code === 9104) return "This conversation is closed.";
    if (error.code === 9101) return "You are no longer in this conversation.";
    if (error.code === 9503) return "The service did not answer in time. Try again.";
    if (error.code === 1002) return "Parley is under maintenance: " + error.message;
    return error.message || "Something went wrong.";
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
    self.note(conversation, "Uploading " + files.map((file) => file.name || "file").join(", ") + "…");
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
      self.note(conversation, "Not sent: " + plainError(error), true);
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
        var answer = accepted.command ? accepted.command.text : "Done.";
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
        self.note(conversation, "Close: " + plainError(error), true);
      }
    );
  };
  Actions.prototype.transfer = function(conversation, operatorId) {
    return this.command(conversation, "/transfer " + operatorId);
  };
  Actions.prototype.openTranscript = function(conversation) {
    var self = this;
    var tab = global2.open("", "_blank");
    var path = "/conversations/" + encodeURIComponent(conversation.id) + "/transcript.html";
    return this.client.authedFetch(path).then(function(response) {
      if (!response.ok) throw ParleyError(response.status, "the transcript could not be read");
      return response.blob();
    }).then(function(blob) {
      var url = URL.createObjectURL(blob);
      if (tab) tab.location.href = url;
      else global2.location.assign(url);
    }).catch(function(error) {
      if (tab) tab.close();
      self.note(conversation, "Transcript: " + plainError(error), true);
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
    var place = summary.visitor_location;
    if (place) {
      var where = [place.name, place.street, place.district, place.city, place.province, place.country].filter(Boolean);
      parts.push("📍 " + (where.length ? where.join(", ") : place.latitude + ", " + place.longitude));
    }
    if (summary.handoff)
      parts.push(
        "Bot hand-off: " + summary.handoff.reason + (summary.handoff.summary ? " — " + summary.handoff.summary : "")
      );
    if (summary.controller === "bot") parts.push("The bot is answering");
    return parts.join(" · ");
  }

  // src/console/console-render.js
  var CONNECTION_WORDS = {
    connecting: "Connecting…",
    online: "Online",
    reconnecting: "Connection lost — reconnecting…",
    offline: "Offline",
    closed: "Signed out"
  };
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
  function messageText(message) {
    if (message.kind === "erased") return "Message removed";
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
    return minutes < 1 ? "just now" : minutes + " min";
  }
  function visitorName(summary) {
    return summary.visitor_name || "Visitor";
  }
  function renderHeader(state2) {
    byId("me-name").textContent = state2.me ? state2.me.uname : "";
    byId("availability").checked = state2.available;
    byId("availability-label").textContent = state2.available ? "Available" : "Busy";
    var connection = byId("connection");
    connection.textContent = CONNECTION_WORDS[state2.connection] || state2.connection;
    connection.dataset.status = state2.connection;
  }
  function renderQueues(state2, onTake) {
    var root = byId("queues");
    root.replaceChildren();
    byId("queue-count").textContent = String(state2.waitingCount());
    var now = Date.now();
    state2.channels.forEach(function(channel) {
      var waiting = state2.queues.get(channel.id) || [];
      var items = waiting.map(function(summary) {
        var take2 = el("button", {
          type: "button",
          className: "take",
          text: "Accept",
          "aria-label": "Accept the conversation with " + visitorName(summary),
          onclick: function() {
            onTake(summary.id, take2);
          }
        });
        return el("li", { className: "waiting", "data-conversation-id": summary.id }, [
          el("span", { className: "who", text: visitorName(summary) }),
          el("span", { className: "since", text: "waiting " + since(summary.created_at, now) }),
          take2
        ]);
      });
      var empty = waiting.length ? null : el("p", { className: "empty", text: "Nobody is waiting." });
      root.appendChild(
        el("section", { className: "queue", "data-channel-id": channel.id }, [
          el("h3", { text: channel.name + " (" + waiting.length + ")" }),
          empty,
          el("ul", {}, items)
        ])
      );
    });
  }
  function renderList(state2, onSelect) {
    var list = byId("conversation-list");
    list.replaceChildren();
    state2.ordered().forEach(function(conversation) {
      var last = conversation.lastMessage();
      var unread = conversation.unread();
      var button = el(
        "button",
        {
          type: "button",
          className: "select",
          onclick: function() {
            onSelect(conversation.id);
          }
        },
        [
          el("span", { className: "who", text: visitorName(conversation.summary) }),
          unread ? el("span", { className: "unread", text: String(unread), "aria-label": unread + " unread" }) : null,
          conversation.isOpen() ? null : el("span", { className: "closed-tag", text: "closed" }),
          conversation.summary.rating ? el("span", {
            className: "rating-tag",
            text: "★" + conversation.summary.rating.rating,
            "aria-label": "rated " + conversation.summary.rating.rating + " out of 5"
          }) : null,
          conversation.isOpen() && conversation.visitorPresence === "offline" ? el("span", { className: "left-tag", text: "left" }) : null,
          el("span", { className: "preview", text: last ? messageText(last) : "" })
        ]
      );
      if (conversation.id === state2.selectedId) button.setAttribute("aria-current", "true");
      list.appendChild(
        el("li", { className: "conversation", "data-conversation-id": conversation.id, "data-unread": String(unread) }, [
          button
        ])
      );
    });
    byId("no-conversations").hidden = state2.conversations.size > 0;
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
        title: seen ? "Seen" : "Sent",
        "aria-label": seen ? "seen" : "sent"
      });
    }
    return el("li", { className: "message from-" + role, "data-seq": String(message.seq) }, [
      el("span", { className: "author", text: mine ? "You" : message.author_name || message.author_role }),
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
            link.title = "This file is not available.";
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
  var OUTBOX_WORDS = { sending: "Sending…", waiting: "Waiting for the connection…", failed: "Not sent" };
  function outboxItem(clientMsgId, entry) {
    var words = OUTBOX_WORDS[entry.state] + (entry.error ? ": " + entry.error : "");
    return el("li", { className: "message from-me pending " + entry.state, "data-client-msg-id": clientMsgId }, [
      el("span", { className: "author", text: "You" }),
      el("p", { className: "body", text: entry.text }),
      el("span", { className: "delivery", text: words })
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
  var PRESENCE_WORDS = {
    online: "Visitor online",
    away: "Visitor away (chat not in view)",
    offline: "Visitor left (closed the page or lost the connection)"
  };
  function renderConversation(state2) {
    var conversation = state2.selected();
    byId("empty-hint").hidden = !!conversation;
    byId("conversation-pane").hidden = !conversation;
    if (!conversation) return;
    var summary = conversation.summary;
    byId("conversation-title").textContent = visitorName(summary);
    byId("conversation-verified").hidden = !summary.visitor_verified;
    var note = agentNote(summary);
    byId("conversation-agent").hidden = !note;
    byId("conversation-agent").textContent = note;
    byId("conversation-status").textContent = conversation.isOpen() ? "" : "Closed";
    var rating = summary.rating;
    var rated = byId("conversation-rating");
    rated.hidden = !rating;
    rated.textContent = rating ? "Rated " + "★".repeat(rating.rating) + "☆".repeat(5 - rating.rating) + " " + rating.rating + "/5" + (rating.comment ? " — “" + rating.comment + "”" : "") : "";
    rated.setAttribute(
      "aria-label",
      rating ? "The visitor rated this conversation " + rating.rating + " out of 5" + (rating.comment ? ": " + rating.comment : "") : ""
    );
    var presence = byId("visitor-presence");
    presence.textContent = conversation.isOpen() ? PRESENCE_WORDS[conversation.visitorPresence] || "" : "";
    presence.dataset.presence = conversation.visitorPresence || "";
    byId("transfer-button").disabled = !conversation.isOpen();
    byId("close-button").disabled = !conversation.isOpen();
    byId("composer-input").disabled = !conversation.isOpen();
    byId("send-button").disabled = !conversation.isOpen();
    renderMessages(conversation, state2.me && state2.me.uid);
    renderTyping(state2);
  }
  function renderTyping(state2) {
    var conversation = state2.selected();
    var name = conversation ? conversation.typingName(Date.now()) : null;
    byId("typing-indicator").textContent = name ? name + " is typing…" : "";
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
    var el2 = render.el;
    this.suggestions = found;
    this.list.replaceChildren();
    if (!found.length) {
      this.list.appendChild(el2("li", { className: "none", text: "No canned response starts like this." }));
    }
    found.forEach(function(item, index) {
      self.list.appendChild(
        el2(
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
          [el2("strong", { text: ":" + item.shortcut }), el2("span", { text: " " + item.text })]
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
          var label = op.name + (op.available ? "" : " (not available)");
          select2.appendChild(render.el("option", { value: op.user_id, text: label, disabled: !op.available }));
        });
        var firstFree = operators.filter(function(op) {
          return op.available;
        })[0];
        if (firstFree) select2.value = firstFree.user_id;
        else error.textContent = "No other operator of this channel is available right now.";
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

  // src/console/console-sync.js
  var PAGE_SIZE = 30;
  var QUEUE_RELOAD_DELAY_MS = 150;
  function Sync(client2, state2, redraw2) {
    this.client = client2;
    this.state = state2;
    this.redraw = redraw2;
    this.queueTimers = {};
  }
  Sync.prototype.getJson = function(path, init) {
    return this.client.authedFetch(path, init).then(function(response) {
      return response.json().catch(function() {
        return {};
      }).then(function(json) {
        if (response.ok) return json;
        var error = json.error || { code: response.status, message: response.statusText || "request failed" };
        throw ParleyError(error.code, error.message, { status: response.status });
      });
    });
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
      self.redraw();
    });
  };
  Sync.prototype.loadConversation = function(conversationId) {
    var self = this;
    var path = "/conversations/" + encodeURIComponent(conversationId);
    return this.getJson(path).then(function(detail) {
      var conversation = self.state.upsert(detail);
      detail.members.forEach(function(member) {
        if (member.role === "visitor")
          conversation.partnerSeenSeq = Math.max(conversation.partnerSeenSeq, member.last_seen_seq);
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
    var path = "/conversations/" + encodeURIComponent(conversationId) + "/take";
    return this.getJson(path, { method: "POST" }).then(function(summary) {
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
    var path = "/channels/" + encodeURIComponent(conversation.summary.channel_id) + "/operators";
    return this.getJson(path).then(function(answer) {
      return answer.operators.filter(function(op) {
        return op.user_id !== self.state.me.uid;
      });
    });
  };

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
      drawPending = false;
      render.header(state);
      render.queues(state, take);
      render.list(state, select);
      render.conversation(state);
    });
  }
  function pageIsRead() {
    return document.visibilityState === "visible" && document.hasFocus();
  }
  function markSelectedSeen() {
    var conversation = state.selected();
    if (conversation && pageIsRead()) actions.markSeen(conversation);
  }
  function loginWords(error) {
    if (error && error.status === 401) return "Wrong username or password.";
    if (error && error.status === 429) return "Too many attempts. Wait a minute, then try again.";
    if (error instanceof TypeError) return "Parley cannot be reached. Check your connection and try again.";
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
    var button = byId3("login-submit");
    button.disabled = true;
    byId3("login-error").textContent = "";
    client.loginUser(byId3("login-username").value.trim(), byId3("login-password").value).then(enter, function(error) {
      showLogin(loginWords(error));
    }).finally(function() {
      button.disabled = false;
      byId3("login-password").value = "";
    });
  }
  function enter(user) {
    if (!STAFF_ROLES[user.role]) {
      client.logout();
      return showLogin("This account is not an operator's. Sign in with an operator account.");
    }
    state.me = user;
    byId3("login-view").hidden = true;
    byId3("app-view").hidden = false;
    redraw();
    return client.connect().then(function() {
      return sync.loadAll();
    }).catch(function(error) {
      if (error && error.code === 4001) return showLogin("Your session has ended. Sign in again.");
      render.banner("Could not load your conversations: " + plainError(error), "warning");
    });
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
      render.banner("Connection lost. Reconnecting… Replies you write are sent when it is back.", "warning");
    } else if (status === "offline" && detail && detail.loginRequired) {
      showLogin("Your session has ended. Sign in again.");
    } else if (status === "offline" && detail && detail.code === 4003) {
      render.banner(
        "This console was disconnected: you signed in on another one. Reload to use this one again.",
        "warning"
      );
    }
    redraw();
  }
  function resynchronise() {
    actions.flushOutbox();
    sync.loadAll().catch(function(error) {
      render.banner("Could not refresh: " + plainError(error), "warning");
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
      if (!mine) actions.note(conversation, "This conversation is no longer yours.");
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
    conversation.setTyping(data.name || "The visitor", data.active, Date.now());
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
    if (conversationId === state.selectedId) return;
    composer.reset();
    state.selectedId = conversationId;
    redraw();
    markSelectedSeen();
    global3.requestAnimationFrame(function() {
      byId3("composer-input").focus();
    });
  }
  function take(conversationId, button) {
    button.disabled = true;
    sync.take(conversationId).then(
      function() {
        select(conversationId);
      },
      function(error) {
        render.banner("Could not accept: " + plainError(error), "warning");
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
      render.banner("Could not change your availability: " + plainError(error), "warning");
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
  function wire2() {
    byId3("login-form").addEventListener("submit", onLoginSubmit);
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
    wire2();
    listen();
    if (client.restoreSession()) enter(client.user);
    else showLogin("");
  }
  start();
})();
