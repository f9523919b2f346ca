/* Wall screen (?screen=1): fetch the same page every data-refresh seconds and swap in the
   new figures. No inline code (strict CSP); if a fetch fails (network, expired login) the
   last figures stay and the next round tries again. */
(function () {
  "use strict";
  var main = document.getElementById("main");
  if (!main || !window.fetch || !window.DOMParser) { return; }
  var seconds = parseInt(main.dataset.refresh, 10);
  if (!(seconds > 0)) { return; }

  function refresh() {
    if (document.hidden) { return; }
    fetch(window.location.href, { credentials: "same-origin", redirect: "follow" })
      .then(function (response) {
        // A redirect (to the login page) or an error page is not the dashboard.
        if (!response.ok || response.redirected) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("main");
        if (!fresh) { throw new Error("no #main"); }
        main.innerHTML = fresh.innerHTML;
        main.dataset.refreshedAt = String(Date.now());
        main.classList.remove("tallies-stale");
      })
      .catch(function () { main.classList.add("tallies-stale"); });
  }

  window.setInterval(refresh, seconds * 1000);
})();
