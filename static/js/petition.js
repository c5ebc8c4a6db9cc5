// The petition page while its PDF is being made: every few seconds, the page as it is now
// (the status and progress of the worker) replaces this one's content, until the file is
// ready. A static file, no inline script (strict CSP). Without JavaScript, "Check again".
"use strict";

(function () {
  var holder = document.querySelector("[data-petition-preparing]");
  if (!holder || !window.fetch || !window.DOMParser) {
    return;
  }
  var url = holder.getAttribute("data-petition-preparing");
  var rounds = 0;

  function poll() {
    rounds += 1;
    if (rounds > 400) {
      return; // about 20 minutes: the person can still press "Check again"
    }
    fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        return response.ok ? response.text() : Promise.reject(response.status);
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-petition]");
        if (!fresh) {
          return;
        }
        var current = document.querySelector("[data-petition]");
        current.innerHTML = fresh.innerHTML;
        if (fresh.hasAttribute("data-petition-preparing")) {
          window.setTimeout(poll, 3000);
        } else {
          current.removeAttribute("data-petition-preparing");
        }
      })
      .catch(function () {
        window.setTimeout(poll, 6000);
      });
  }

  window.setTimeout(poll, 3000);
})();
