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
