/* Parley operator console: the reply box. Enter sends (Shift+Enter: a new line); typing is told
 * to the visitor; ":" followed by the start of a shortcut suggests the channel's canned
 * responses (the server answers ":prefix"), picked with the arrow keys and Enter or Tab. */
import { t } from "./console-i18n.js";
import { render } from "./console-render.js";

// Typing "on" again at most this often while the operator keeps typing (one frame per burst).
var TYPING_REPEAT_MS = 3000;
// No keystroke for this long: the operator stopped typing.
var TYPING_IDLE_MS = 4000;
// Wait for a pause in typing before asking the server for canned responses.
var CANNED_DEBOUNCE_MS = 150;
var CANNED_PATTERN = /^:([A-Za-z0-9_-]*)$/;

function Composer(options) {
  this.form = options.form;
  this.input = options.input;
  this.list = options.suggestions;
  this.onSubmit = options.onSubmit; // (text) -> void
  this.onTyping = options.onTyping; // (active) -> void
  this.lookupCanned = options.lookupCanned; // (prefix) -> Promise<[{shortcut, text}]>
  this.onFiles = options.onFiles; // ([File]) -> void: attached, pasted or dropped
  this.attachButton = options.attachButton;
  this.fileInput = options.fileInput;
  this.typingSentAt = 0;
  this.typingActive = false;
  this.suggestions = [];
  this.highlighted = -1;
  this.lookupNumber = 0;
  this._listen();
}

Composer.prototype._listen = function () {
  var self = this;
  this.form.addEventListener("submit", function (event) {
    event.preventDefault();
    self.submit();
  });
  this.input.addEventListener("keydown", function (event) {
    self._key(event);
  });
  this.input.addEventListener("input", function () {
    self._changed();
  });
  this.input.addEventListener("blur", function () {
    self._stopTyping();
  });
  if (!this.onFiles) return;
  var files = function (list) {
    if (list && list.length && !self.input.disabled) self.onFiles(Array.prototype.slice.call(list));
  };
  this.attachButton.addEventListener("click", function () {
    self.fileInput.click();
  });
  this.fileInput.addEventListener("change", function () {
    files(self.fileInput.files);
    self.fileInput.value = "";
  });
  // A pasted screenshot is sent as a file; pasted text stays text.
  this.input.addEventListener("paste", function (event) {
    var pasted = event.clipboardData && event.clipboardData.files;
    if (!pasted || !pasted.length) return;
    event.preventDefault();
    files(pasted);
  });
  this.form.addEventListener("dragover", function (event) {
    if (event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types, "Files") !== -1) {
      event.preventDefault();
    }
  });
  this.form.addEventListener("drop", function (event) {
    if (!event.dataTransfer || !event.dataTransfer.files.length) return;
    event.preventDefault();
    files(event.dataTransfer.files);
  });
};

Composer.prototype._key = function (event) {
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

Composer.prototype.submit = function () {
  var text = this.input.value.trim();
  if (!text || this.input.disabled) return;
  this.input.value = "";
  this.hideSuggestions();
  this._stopTyping();
  this.onSubmit(text);
};

Composer.prototype._changed = function () {
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
  this.idleTimer = setTimeout(function () {
    self._stopTyping();
  }, TYPING_IDLE_MS);
};

Composer.prototype._stopTyping = function () {
  clearTimeout(this.idleTimer);
  if (!this.typingActive) return;
  this.typingActive = false;
  this.onTyping(false);
};

Composer.prototype._lookupSoon = function (prefix) {
  var self = this;
  var number = ++this.lookupNumber;
  clearTimeout(this.lookupTimer);
  this.lookupTimer = setTimeout(function () {
    self.lookupCanned(prefix).then(
      function (found) {
        if (number === self.lookupNumber && CANNED_PATTERN.test(self.input.value)) self.showSuggestions(found);
      },
      function () {
        self.hideSuggestions();
      },
    );
  }, CANNED_DEBOUNCE_MS);
};

Composer.prototype.showSuggestions = function (found) {
  var self = this;
  var el = render.el;
  this.suggestions = found;
  this.list.replaceChildren();
  if (!found.length) {
    this.list.appendChild(el("li", { className: "none", text: t("No canned response starts like this.") }));
  }
  found.forEach(function (item, index) {
    self.list.appendChild(
      el(
        "li",
        {
          id: "suggestion-" + index,
          role: "option",
          "data-shortcut": item.shortcut,
          onmousedown: function (event) {
            event.preventDefault();
            self.pick(index);
          },
        },
        [el("strong", { text: ":" + item.shortcut }), el("span", { text: " " + item.text })],
      ),
    );
  });
  this.list.hidden = false;
  this.input.setAttribute("aria-expanded", "true");
  this._highlight(found.length ? 0 : -1);
};

Composer.prototype._highlight = function (index) {
  this.highlighted = index;
  var items = this.list.querySelectorAll("[role=option]");
  items.forEach(function (item, i) {
    item.setAttribute("aria-selected", i === index ? "true" : "false");
  });
  if (index >= 0) this.input.setAttribute("aria-activedescendant", "suggestion-" + index);
};

Composer.prototype.pick = function (index) {
  var item = this.suggestions[index];
  if (!item) return;
  this.input.value = item.text;
  this.hideSuggestions();
  this.input.focus();
};

Composer.prototype.hideSuggestions = function () {
  this.lookupNumber++;
  clearTimeout(this.lookupTimer);
  this.suggestions = [];
  this.highlighted = -1;
  this.list.hidden = true;
  this.input.setAttribute("aria-expanded", "false");
  this.input.removeAttribute("aria-activedescendant");
};

Composer.prototype.reset = function () {
  this.input.value = "";
  this.hideSuggestions();
  this._stopTyping();
};

export { Composer };
