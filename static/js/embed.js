// The embedded sign form, in both of its places (one small file, no dependency, no cookie):
// - inside the frame (/campaigns/<slug>/embed/), it tells the page around it how tall it is,
//   each time that changes (the form's errors, "check your e-mail");
// - on the host page, loaded by the second of the two lines the dashboard gives, it sets the
//   height of each <iframe data-idei-embed> from the messages of that frame's own window.
// Without it the frame keeps the height the host page gave it, and scrolls.
"use strict";

(function () {
  var MESSAGE = "idei-embed-height";

  if (window.parent !== window && document.querySelector("body.embed") !== null) {
    var last = 0;
    var report = function () {
      var height = Math.ceil(document.documentElement.scrollHeight);
      if (height !== last) {
        last = height;
        // Only a height goes out: nothing the signer typed. Any host may read it.
        window.parent.postMessage({ type: MESSAGE, height: height }, "*");
      }
    };
    if (window.ResizeObserver) {
      new ResizeObserver(report).observe(document.body);
    }
    window.addEventListener("load", report);
    document.addEventListener("toggle", report, true); // the folded letter
    report();
    return;
  }

  window.addEventListener("message", function (event) {
    var data = event.data;
    if (!data || data.type !== MESSAGE || typeof data.height !== "number") {
      return;
    }
    var frames = document.querySelectorAll("iframe[data-idei-embed]");
    for (var i = 0; i < frames.length; i += 1) {
      // The message must come from this frame's own window: another frame cannot resize it.
      if (frames[i].contentWindow === event.source) {
        var height = Math.max(200, Math.min(Math.round(data.height), 5000));
        frames[i].style.height = height + "px";
      }
    }
  });
})();
