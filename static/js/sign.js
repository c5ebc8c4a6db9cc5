// The sign form without a page reload: posts with fetch, asks for JSON, and puts the
// server's answer (the form again with its errors, or "check your e-mail") in place of the
// panel. A static file, no inline script (strict CSP). Without JavaScript, or when anything
// here fails, the form posts the ordinary way and the server answers with a page.
"use strict";

(function () {
  if (!window.fetch || !window.FormData) {
    return;
  }

  function focusResult(panel) {
    var target =
      panel.querySelector("#sign-errors") ||
      panel.querySelector("#sign-notice") ||
      panel.querySelector("#sign-heading");
    if (target) {
      if (!target.hasAttribute("tabindex")) {
        target.setAttribute("tabindex", "-1");
      }
      target.focus();
    }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-sign-form]") || form.dataset.plainSubmit) {
      return;
    }
    var panel = form.closest("[data-sign-panel]");
    if (!panel) {
      return;
    }
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    if (button) {
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
    }
    fetch(form.action, {
      method: "POST",
      body: new FormData(form), // carries the CSRF token field
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (type.indexOf("application/json") === -1) {
          throw new Error("not JSON: " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        var holder = document.createElement("div");
        holder.innerHTML = data.html;
        var fresh = holder.querySelector("[data-sign-panel]");
        if (!fresh) {
          throw new Error("no panel in the answer");
        }
        panel.replaceWith(fresh);
        focusResult(fresh);
      })
      .catch(function () {
        // A refused CSRF token, a server error or no network: let the browser post the form
        // itself, so that the person sees the server's own page (with their input kept).
        form.dataset.plainSubmit = "1";
        if (button) {
          button.disabled = false;
          button.removeAttribute("aria-busy");
        }
        HTMLFormElement.prototype.submit.call(form);
      });
  });

  // The letter shown as sent follows the form: signed with the name only while "Share my
  // name" is ticked (the server renders both variants), with the personal message at its end.
  function syncLetters() {
    var box = document.querySelector("input[name=consent_share_name]");
    if (!box) {
      return;
    }
    var wanted = box.checked ? "named" : "anonymous";
    document.querySelectorAll("[data-letter-variant]").forEach(function (variant) {
      var name = variant.getAttribute("data-letter-variant");
      if (name === "named" || name === "anonymous") {
        variant.hidden = name !== wanted;
      }
    });
    var field = document.querySelector("textarea[name=message]");
    var message = field ? field.value.trim() : "";
    document.querySelectorAll(".letter-sent .letter-text[data-message-label]").forEach(function (text) {
      text.querySelectorAll("[data-live-message]").forEach(function (node) {
        node.remove();
      });
      if (!message) {
        return;
      }
      var part = document.createElement("span");
      part.setAttribute("data-live-message", "");
      part.textContent = "\n\n" + text.getAttribute("data-message-label") + "\n" + message;
      text.appendChild(part);
    });
  }

  document.addEventListener("change", syncLetters);
  document.addEventListener("input", function (event) {
    if (event.target && event.target.name === "message") {
      syncLetters();
    }
  });
  syncLetters();
})();
