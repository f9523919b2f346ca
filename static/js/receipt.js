// The receipt page's copy button (a static file: no inline script under the CSP).
(function () {
  "use strict";
  var button = document.getElementById("copy-receipt");
  if (!button || !navigator.clipboard) { return; }  // no clipboard API: the number stays selectable
  var status = document.getElementById("copy-status");
  button.hidden = false;
  button.addEventListener("click", function () {
    var text = document.getElementById(button.getAttribute("data-copy-target")).textContent.trim();
    navigator.clipboard.writeText(text).then(function () {
      status.textContent = button.getAttribute("data-copied") + "：" + text;
    }, function () {
      status.textContent = button.getAttribute("data-copy-failed");
    });
  });
})();
