// Starts Swagger UI on /api/docs/ from a static file, so that the strict CSP
// (script-src 'self') needs no inline script, nonce or hash. The schema URL and
// SPECTACULAR_SETTINGS["SWAGGER_UI_SETTINGS"] come from data attributes.
"use strict";

(function () {
  var root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  var settings = {};
  try {
    settings = JSON.parse(root.dataset.settings || "{}");
  } catch (error) {
    console.error("Swagger UI settings are not valid JSON", error);
  }
  // Each operation's header is a button that holds a link to the same operation: a control
  // inside a control, which keyboard and screen-reader users cannot reach on its own (WCAG
  // 4.1.2, axe "nested-interactive"). The button already opens the operation, so the inner
  // link loses its href (an <a> without href is plain text), whenever Swagger UI renders one.
  // Two more gaps of its markup, filled the same way: the scrolling code examples take the
  // keyboard focus (so that they can be scrolled without a mouse), and a parameter's value
  // list is named after its parameter.
  var repair = function () {
    root.querySelectorAll(".opblock-summary-control a[href]").forEach(function (link) {
      link.removeAttribute("href");
    });
    root.querySelectorAll(".highlight-code pre:not([tabindex]), pre.microlight:not([tabindex])").forEach(function (code) {
      code.setAttribute("tabindex", "0");
    });
    root.querySelectorAll("tr[data-param-name] select:not([aria-label])").forEach(function (select) {
      select.setAttribute("aria-label", select.closest("tr").dataset.paramName);
    });
  };
  new MutationObserver(repair).observe(root, { childList: true, subtree: true });
  window.ui = window.SwaggerUIBundle(
    Object.assign(
      {
        url: root.dataset.schemaUrl,
        domNode: root,
        presets: [window.SwaggerUIBundle.presets.apis],
        layout: "BaseLayout",
        validatorUrl: null,
      },
      settings
    )
  );
})();
