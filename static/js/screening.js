// Screening desk: reveal a submitter's contact in place (the server logs each reveal).
// A static file because the admin runs under a CSP without 'unsafe-inline'.
"use strict";
// Delegated: the triage view swaps the idea (and this form) in without a page load.
document.addEventListener("DOMContentLoaded", function () {
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (!form || form.id !== "reveal-contact-form") return;
    event.preventDefault();
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        if (!response.ok) throw new Error(response.statusText);
        return response.json();
      })
      .then(function (contact) {
        const box = document.getElementById("revealed-contact");
        box.querySelector("[data-contact=revealed-name]").textContent = contact.name || "-";
        box.querySelector("[data-contact=revealed-phone]").textContent = contact.phone || "-";
        box.hidden = false;
        form.hidden = true;
      })
      .catch(function () {
        form.submit(); // fall back to the plain page
      });
  });
});
