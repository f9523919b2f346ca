// Triage view: every decision on a key. A static file because admin runs under a CSP
// without 'unsafe-inline'. The server decides (workflow.py); keys only press buttons.
//   S shortlist · X set aside (then 1–9 for a preset, or type and Enter) · E excellent
//   J next · K previous · U undo (while offered) · P save marks only
//   1–5 (reviewers, outside the reason box) fill the next empty mark; Backspace clears the last.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  const root = document.getElementById("triage");
  if (!root) return;
  const form = document.getElementById("triage-form");
  const reasons = document.getElementById("triage-reasons");
  const reasonInput = document.getElementById("triage-reason");
  const scores = document.getElementById("triage-scores");
  let busy = false;
  let choosingReason = false;

  function press(selector) {
    const el = root.querySelector(selector);
    if (!el || busy) return false;
    busy = true;
    if (el.tagName === "A") {
      window.location.assign(el.href);
    } else if (el.form && el.form.requestSubmit) {
      el.form.requestSubmit(el);
    } else {
      el.click();
    }
    return true;
  }

  function setAsideButton() {
    return root.querySelector("button[data-key=x]");
  }

  function startReason() {
    if (!reasons || !setAsideButton()) return;
    choosingReason = true;
    reasons.classList.add("active");
  }

  function stopReason() {
    choosingReason = false;
    if (reasons) reasons.classList.remove("active");
  }

  function fillMark(value) {
    if (!scores) return false;
    const selects = Array.from(scores.querySelectorAll("select"));
    const next = selects.find(function (s) { return !s.value; });
    if (!next) return false;
    next.value = String(value);
    return true;
  }

  function clearMark() {
    if (!scores) return;
    const filled = Array.from(scores.querySelectorAll("select")).filter(function (s) { return s.value; });
    if (filled.length) filled[filled.length - 1].value = "";
  }

  if (reasonInput) {
    reasonInput.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        if (reasonInput.value.trim() && !busy) {
          busy = true;
          form.requestSubmit(setAsideButton());
        }
      } else if (event.key === "Escape") {
        reasonInput.blur();
        stopReason();
      }
    });
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target && (target.tagName === "TEXTAREA" || target.tagName === "SELECT" ||
        (target.tagName === "INPUT" && target.type === "text"))) return;
    const key = event.key.toLowerCase();
    if (choosingReason) {
      if (/^[1-9]$/.test(key)) {
        const radio = reasons.querySelector("input[data-preset='" + key + "']");
        if (radio && !busy) {
          radio.checked = true;
          busy = true;
          form.requestSubmit(setAsideButton());
        }
        event.preventDefault();
        return;
      }
      if (key === "escape") { stopReason(); return; }
      if (key.length === 1 && key !== "x") {
        // Anything else typed starts a reason of one's own.
        reasonInput.focus();
        return;
      }
    }
    let handled = true;
    if (key === "s") handled = press("button[data-key=s]");
    else if (key === "e") handled = press("button[data-key=e]");
    else if (key === "x") { startReason(); }
    else if (key === "j") handled = press("#triage-next");
    else if (key === "k") handled = press("#triage-prev");
    else if (key === "u") handled = press("button[data-key=u]");
    else if (key === "p") handled = press("button[data-key=p]");
    else if (/^[1-5]$/.test(key)) handled = fillMark(key);
    else if (key === "backspace") clearMark();
    else handled = false;
    if (handled) event.preventDefault();
  });

  // The undo offer disappears when its seconds are up (the server checks again anyway).
  const undo = document.getElementById("triage-undo");
  if (undo) {
    let left = parseInt(root.dataset.undoLeft || "0", 10);
    const counter = undo.querySelector("[data-countdown]");
    const timer = window.setInterval(function () {
      left -= 1;
      if (counter) counter.textContent = String(Math.max(left, 0));
      if (left <= 0) {
        window.clearInterval(timer);
        undo.remove();
      }
    }, 1000);
  }
});
