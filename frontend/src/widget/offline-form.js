/* Parley web widget: the offline form (issue 22). When the channel has nobody to chat (its
 * availability is "offline_form": outside business hours, or no operator at work and no bot),
 * the open panel shows a form instead of a chat nobody would answer: name, e-mail and message,
 * sent to POST /channels/{id}/offline-requests for the channel's team (the console lists it,
 * webhooks get offline_request.created). A visitor who already has a conversation keeps it. */
import { t } from "./i18n.js";

// The server's rule (chat_session offline_requests.EMAIL_PATTERN): a local part, one @ and a
// dotted domain. Checked here first so the visitor is told at once, next to the field.
var EMAIL = /^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$/;

/** Builds the form into the panel (hidden until showOfflineForm) and returns its controls. */
export function offlineForm(Widget, channelId) {
  var h = Widget.helpers;
  var el = h.el;
  var ui = Widget.ui;
  var field = function (id, label, input, hint) {
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
    submit,
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
  // Told on leaving the field, and cleared as soon as it is right: clearing it on the blur of a
  // click on Send would move the button from under the pointer, and the click would be lost.
  email.addEventListener("blur", function () {
    if (email.value) emailProblem();
  });
  email.addEventListener("input", function () {
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
      page_url: /^https?:\/\//.test(location.href) ? location.href.slice(0, 2000) : "",
    };
    (client.restoreSession() ? Promise.resolve() : client.loginVisitor())
      .then(function () {
        return client.authedFetch("/channels/" + encodeURIComponent(channelId) + "/offline-requests", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(body),
        });
      })
      .then(function (response) {
        if (response.ok) return sent(body);
        return response
          .json()
          .catch(function () {
            return {};
          })
          .then(function (answer) {
            throw answer.error || { code: 9500 };
          });
      })
      .catch(function (problem) {
        showError(error, h.plain(problem && problem.code ? problem : null));
      })
      .then(function () {
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
    show: function (offlineMessage) {
      intro.textContent =
        offlineMessage || t("Nobody is available right now. Leave a message and we will get back to you.");
      section.hidden = false;
      [ui.log, ui.answers, ui.chips, ui.form, ui.status].forEach(function (node) {
        node.hidden = true;
      });
      if (form.hidden) thanks.focus();
      else name.focus();
    },
    shown: function () {
      return !section.hidden;
    },
  };
}
