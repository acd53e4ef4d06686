/* Parley operator console: the conversation's header buttons. Transfer and close ask first in a
 * <dialog> (Escape cancels); the transcript opens in a new tab. */
import { render } from "./console-render.js";
import { plainError } from "./console-actions.js";
import { t } from "./console-i18n.js";

/** @returns {any} the page's element (an input, a dialog...) */
function byId(id) {
  return document.getElementById(id);
}

function openTransfer(state, sync) {
  var conversation = state.selected();
  if (!conversation) return;
  var select = byId("transfer-target");
  var error = byId("transfer-error");
  select.replaceChildren();
  error.textContent = "";
  byId("transfer-confirm").disabled = true;
  byId("transfer-dialog").showModal();
  sync.transferTargets(conversation).then(
    function (operators) {
      operators.forEach(function (op) {
        var label = op.available ? op.name : t("{name} (not available)", { name: op.name });
        select.appendChild(render.el("option", { value: op.user_id, text: label, disabled: !op.available }));
      });
      var firstFree = operators.filter(function (op) {
        return op.available;
      })[0];
      if (firstFree) select.value = firstFree.user_id;
      else error.textContent = t("No other operator of this channel is available right now.");
      byId("transfer-confirm").disabled = !firstFree;
    },
    function (failure) {
      error.textContent = plainError(failure);
    },
  );
}

function confirmTransfer(event, state, actions) {
  event.preventDefault();
  var conversation = state.selected();
  var target = byId("transfer-target").value;
  if (!conversation || !target) return;
  byId("transfer-confirm").disabled = true;
  actions.transfer(conversation, target).then(
    function () {
      byId("transfer-dialog").close();
    },
    function (failure) {
      byId("transfer-error").textContent = plainError(failure);
      byId("transfer-confirm").disabled = false;
    },
  );
}

function confirmClose(event, state, actions) {
  event.preventDefault();
  var conversation = state.selected();
  byId("close-dialog").close();
  if (conversation) actions.close(conversation);
}

function wire(state, actions, sync) {
  byId("transfer-button").addEventListener("click", function () {
    openTransfer(state, sync);
  });
  byId("transfer-form").addEventListener("submit", function (event) {
    confirmTransfer(event, state, actions);
  });
  byId("transfer-cancel").addEventListener("click", function () {
    byId("transfer-dialog").close();
  });
  byId("close-button").addEventListener("click", function () {
    byId("close-dialog").showModal();
  });
  byId("close-form").addEventListener("submit", function (event) {
    confirmClose(event, state, actions);
  });
  byId("close-cancel").addEventListener("click", function () {
    byId("close-dialog").close();
  });
  byId("transcript-button").addEventListener("click", function () {
    var conversation = state.selected();
    if (conversation) actions.openTranscript(conversation);
  });
}

export const dialogs = { wire: wire };
