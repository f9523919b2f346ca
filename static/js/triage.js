// Triage view: every decision on a key. A static file because admin runs under a CSP
// without 'unsafe-inline'. The server decides (workflow.py); keys only press buttons.
//   S shortlist · X set aside (then 1–9 for a preset, or type and Enter) · E excellent
//   J next · K previous · U undo (while offered) · P save marks only
//   1–5 (reviewers, outside the reason box) fill the next empty mark, the arrow keys move
//   within a row of marks, Backspace clears the last mark.
//
// Look-ahead: the page fetches the next idea of its queue (data-next, the idea's part of
// the page only, leased to this screener) while the current one is read. A decision
// shows that idea at once and posts in the background (header X-Triage: fetch); the
// answer brings the idea after it, rendered. Without this script the forms post and
// redirect as plain HTML forms.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  const root = document.getElementById("triage");
  if (!root) return;
  const body = document.getElementById("triage-body");
  const flash = document.getElementById("triage-flash");
  const undoForm = document.getElementById("triage-undo");
  const undoText = document.getElementById("triage-undo-text");
  const queueLeft = root.querySelector("[data-queue-left]");
  const queueStatus = root.dataset.queueStatus || "";
  const csrf = function () {
    const input = root.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  };
  let busy = false;        // a navigation or a decision without look-ahead is under way
  let posting = Promise.resolve();  // decisions are sent one after another
  let ahead = null;        // {id, html} of the next idea, or {id: null} at the queue's end
  let aheadLoading = null; // the look-ahead request under way
  let choosingReason = false;
  let undoTimer = null;
  let pending = 0;  // decisions sent and not yet answered (data-pending, for the tests)
  root.dataset.pending = "0";

  function q(selector) { return body.querySelector(selector); }
  function shownId() {
    const article = q(".triage-idea");
    return article ? article.dataset.idea : null;
  }

  // -- the look-ahead ------------------------------------------------------------
  function lookAhead() {
    const article = q(".triage-idea");
    ahead = null;
    if (!article || !article.dataset.next) return;
    const from = article.dataset.idea;
    const request = fetch(article.dataset.next, {
      credentials: "same-origin",
      headers: { "X-Triage": "fetch" },
    }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.text();
    }).then(function (html) {
      if (aheadLoading !== request || shownId() !== from) return;
      ahead = fromHtml(html);
    }).catch(function () {
      if (aheadLoading === request) ahead = null;
    });
    aheadLoading = request;
  }

  function fromHtml(html) {
    const holder = document.createElement("div");
    holder.innerHTML = html;  // the server's own rendering of the idea (escaped by Django)
    const article = holder.querySelector(".triage-idea");
    return { id: article ? article.dataset.idea : null, html: html };
  }

  function show(next) {
    body.innerHTML = next.html;
    stopReason();
    const url = new URL(root.dataset.triageUrl, window.location.href);
    const queue = new URLSearchParams(root.dataset.queue || "");
    queue.forEach(function (value, key) { url.searchParams.append(key, value); });
    if (next.id) url.searchParams.set("idea", next.id);
    else url.searchParams.set("after", shownBefore || "");
    window.history.replaceState(null, "", url.toString());
    window.scrollTo(0, 0);
  }
  let shownBefore = null;

  function say(text, ok) {
    if (!flash) return;
    flash.textContent = text || "";
    flash.hidden = !text;
    flash.classList.toggle("errornote", !ok);
  }

  function offerUndo(undo) {
    if (!undoForm || !undo) return;
    undoForm.querySelector("input[name=idea]").value = undo.idea;
    const text = undoText ? undoText.innerHTML : "";
    const holder = document.createElement("span");
    holder.textContent = text.replace("{receipt}", undo.receipt).replace("{status}", undo.status);
    undoForm.querySelector("[data-undo-text]").textContent = holder.textContent;
    undoForm.hidden = false;
    countdown(undo.left);
  }

  function countdown(seconds) {
    if (!undoForm) return;
    let left = seconds;
    const counter = undoForm.querySelector("[data-countdown]");
    if (counter) counter.textContent = String(left);
    if (undoTimer) window.clearInterval(undoTimer);
    undoTimer = window.setInterval(function () {
      left -= 1;
      if (counter) counter.textContent = String(Math.max(left, 0));
      if (left <= 0) {
        window.clearInterval(undoTimer);
        undoTimer = null;
        undoForm.hidden = true;
      }
    }, 1000);
  }

  // -- decisions -----------------------------------------------------------------
  function decide(form, submitter) {
    // All five marks or none: a partial set is refused here, before the next idea is shown.
    const rows = markRows();
    const marked = rows.filter(function (r) { return r.querySelector("input:checked"); });
    if (marked.length && marked.length < rows.length) {
      say(q("#triage-scores").dataset.partial, false);
      return;
    }
    const data = new FormData(form);
    if (submitter && submitter.name) data.set(submitter.name, submitter.value);
    const toStatus = data.get("to_status");
    const seen = data.get("seen_status");
    const next = ahead;
    data.set("next", next && next.id ? next.id : "");
    busy = true;
    if (next) {
      shownBefore = data.get("idea");
      show(next);  // at once: the decision is sent behind it
      busy = false;
    }
    ahead = null;
    aheadLoading = null;
    say("", true);
    pending += 1;
    root.dataset.pending = String(pending);
    posting = posting.then(function () {
      return fetch(form.action || window.location.pathname, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-Triage": "fetch", "X-CSRFToken": csrf() },
        body: data,
      });
    }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    }).then(function (answer) {
      if (answer.message) say(answer.message, answer.ok);
      if (answer.ok) {
        offerUndo(answer.undo);
        if (queueLeft && queueStatus && queueStatus === seen && toStatus !== seen) {
          queueLeft.textContent = String(Math.max(0, parseInt(queueLeft.textContent, 10) - 1));
        }
      }
      const after = { id: answer.idea ? String(answer.idea) : null, html: answer.html || "" };
      if (next) {
        ahead = after;  // the one after what is on the screen now
      } else if (!answer.ok && !next) {
        busy = false;
        return;  // nothing was swapped: stay on the idea the message is about
      } else {
        shownBefore = data.get("idea");
        show(after);
        busy = false;
        lookAhead();
      }
    }).catch(function () {
      // The connection or the server failed: a plain navigation shows where things stand.
      window.location.assign(window.location.href);
    }).finally(function () {
      pending -= 1;
      root.dataset.pending = String(pending);
    });
  }

  body.addEventListener("submit", function (event) {
    const form = event.target;
    if (form.id !== "triage-form") return;
    const submitter = event.submitter;
    if (submitter && submitter.name === "score_only") return;  // a plain post
    event.preventDefault();
    if (busy) return;
    decide(form, submitter);
  });

  function press(selector) {
    const el = root.querySelector(selector);
    if (!el || busy) return false;
    if (el.tagName === "A") {
      busy = true;
      window.location.assign(el.href);
    } else if (el.form && el.form.requestSubmit) {
      el.form.requestSubmit(el);
    } else {
      el.click();
    }
    return true;
  }

  function next() {
    if (busy) return true;
    if (ahead) {
      const from = shownId();
      const target = ahead;
      shownBefore = from;
      show(target);
      // The idea left behind is given up, the new one's successor fetched.
      const article = q(".triage-idea");
      if (article && article.dataset.next && from) {
        article.dataset.next += "&release=" + encodeURIComponent(from);
      }
      lookAhead();
      return true;
    }
    return press("#triage-next");
  }

  // Going back also gives up the idea looked ahead, so nobody else waits for its lease.
  function releaseAhead(link) {
    if (link && ahead && ahead.id && link.href.indexOf("release=") < 0) {
      link.href += "&release=" + encodeURIComponent(ahead.id);
    }
  }

  function previous() {
    releaseAhead(q("#triage-prev"));
    return press("#triage-prev");
  }

  body.addEventListener("click", function (event) {
    const link = event.target.closest && event.target.closest("#triage-prev");
    if (link) releaseAhead(link);
  });

  function setAsideButton() { return q("button[data-key=x]"); }

  function startReason() {
    const reasons = q("#triage-reasons");
    if (!reasons || !setAsideButton()) return;
    choosingReason = true;
    reasons.classList.add("active");
  }

  function stopReason() {
    choosingReason = false;
    const reasons = q("#triage-reasons");
    if (reasons) reasons.classList.remove("active");
  }

  // Marks: five rows of radios 1–5; a digit fills the first row without a mark.
  function markRows() {
    const scores = q("#triage-scores");
    return scores ? Array.from(scores.querySelectorAll(".mark-radios")) : [];
  }

  function fillMark(value) {
    const row = markRows().find(function (r) { return !r.querySelector("input:checked"); });
    if (!row) return false;
    const radio = row.querySelector("input[value='" + value + "']");
    if (!radio) return false;
    radio.checked = true;
    radio.focus();
    return true;
  }

  function clearMark() {
    const filled = markRows().filter(function (r) { return r.querySelector("input:checked"); });
    if (filled.length) filled[filled.length - 1].querySelector("input:checked").checked = false;
  }

  body.addEventListener("keydown", function (event) {
    const input = event.target;
    if (input.id !== "triage-reason") return;
    if (event.key === "Enter") {
      event.preventDefault();
      if (input.value.trim() && !busy) input.form.requestSubmit(setAsideButton());
    } else if (event.key === "Escape") {
      input.blur();
      stopReason();
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target && (target.tagName === "TEXTAREA" || target.tagName === "SELECT" ||
        (target.tagName === "INPUT" && target.type === "text"))) return;
    const key = event.key.toLowerCase();
    if (choosingReason) {
      const reasons = q("#triage-reasons");
      if (/^[1-9]$/.test(key)) {
        const radio = reasons.querySelector("input[data-preset='" + key + "']");
        if (radio && !busy) {
          radio.checked = true;
          radio.form.requestSubmit(setAsideButton());
        }
        event.preventDefault();
        return;
      }
      if (key === "escape") { stopReason(); return; }
      if (key.length === 1 && key !== "x") {
        // Anything else typed starts a reason of one's own.
        q("#triage-reason").focus();
        return;
      }
    }
    let handled = true;
    if (key === "s") handled = press("#triage-body button[data-key=s]");
    else if (key === "e") handled = press("#triage-body button[data-key=e]");
    else if (key === "x") startReason();
    else if (key === "j") handled = next();
    else if (key === "k") handled = previous();
    else if (key === "u") handled = undo();
    else if (key === "p") handled = press("#triage-body button[data-key=p]");
    else if (/^[1-5]$/.test(key)) handled = fillMark(key);
    else if (key === "backspace") clearMark();
    else handled = false;
    if (handled) event.preventDefault();
  });

  // U right after a decision: the decision is still on its way (the next idea is shown
  // before the answer), so the undo waits for the answer that offers it.
  function undo() {
    if (!undoForm) return false;
    if (pending > 0) {
      posting.then(function () {
        if (!undoForm.hidden) press("#triage-undo button[data-key=u]");
      });
      return true;
    }
    return undoForm.hidden ? false : press("#triage-undo button[data-key=u]");
  }

  // The undo offer disappears when its seconds are up (the server checks again anyway).
  if (undoForm && !undoForm.hidden) countdown(parseInt(root.dataset.undoLeft || "0", 10));
  lookAhead();
});
