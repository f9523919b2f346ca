// Enhancements of the citizens' forms (a static file: no inline script under the CSP).
// Everything here is optional: without JavaScript the forms post and validate on the server.
(function () {
  "use strict";
  var english = document.documentElement.lang === "en";

  // Live character count under every textarea with data-char-count="MAX".
  document.querySelectorAll("textarea[data-char-count]").forEach(function (area) {
    var max = parseInt(area.getAttribute("data-char-count"), 10);
    var min = parseInt(area.getAttribute("data-min-length") || "0", 10);
    var counter = document.createElement("div");
    counter.className = "form-text char-count";
    counter.id = area.id + "_count";
    area.insertAdjacentElement("afterend", counter);
    var describedBy = area.getAttribute("aria-describedby");
    area.setAttribute("aria-describedby", (describedBy ? describedBy + " " : "") + counter.id);
    var update = function () {
      var count = Array.from(area.value.trim()).length;
      var template = english ? "{n} / {max} characters" : "已输入 {n} / {max} 字";
      counter.textContent = template.replace("{n}", count).replace("{max}", max);
      counter.classList.toggle("over", count > max || (count > 0 && count < min));
    };
    area.addEventListener("input", update);
    update();
  });

  // ---- Unit search: what people type (文旅, 发改, 泽州, 北石店, 皇城相府) finds the unit. ----
  // Each <option> carries data-terms (units/search.py); the best match is selected.
  function unitScore(option, term) {
    var label = option.textContent;
    var name = label.split(" · ").pop();  // towns are labelled "县 · 镇"
    var terms = (option.getAttribute("data-terms") || "").split(" ").filter(Boolean);
    if (name === term) { return 5; }
    if (terms.indexOf(term) !== -1) { return 4; }
    if (name.indexOf(term) === 0) { return 3; }
    if (terms.some(function (t) { return t.indexOf(term) === 0; })) { return 2; }
    if (label.indexOf(term) !== -1 || terms.some(function (t) { return t.indexOf(term) !== -1; })) { return 1; }
    return 0;
  }

  document.querySelectorAll("select[data-unit-search]").forEach(function (select) {
    var original = Array.from(select.children).map(function (node) { return node.cloneNode(true); });
    var label = document.createElement("label");
    var search = document.createElement("input");
    var status = document.createElement("div");
    search.type = "search";
    search.className = "form-control mb-1";
    search.id = select.id + "_search";
    search.autocomplete = "off";
    search.placeholder = english ? "Type to search units, e.g. 文旅, 泽州" : "输入单位名称搜索，如：文旅、发改、泽州、北石店";
    label.className = "form-label unit-search-label";
    label.htmlFor = search.id;
    label.textContent = english ? "Search units (name, short name, county or town)" : "搜索单位（名称、简称、县区或乡镇）";
    status.id = select.id + "_search_status";
    status.className = "form-text unit-search-status mb-2";
    status.setAttribute("aria-live", "polite");
    search.setAttribute("aria-controls", select.id);
    search.setAttribute("aria-describedby", status.id);
    select.insertAdjacentElement("beforebegin", label);
    select.insertAdjacentElement("beforebegin", search);
    select.insertAdjacentElement("beforebegin", status);

    function restore() {
      select.textContent = "";
      original.forEach(function (node) { select.appendChild(node.cloneNode(true)); });
    }

    function filter() {
      var term = search.value.trim();
      var current = select.value;
      status.classList.remove("none");
      if (!term) {
        restore();
        select.value = current;
        status.textContent = "";
        return;
      }
      var best = null;
      var found = 0;
      select.textContent = "";
      original.forEach(function (node) {
        var copy = node.cloneNode(true);
        if (copy.tagName === "OPTGROUP") {
          Array.from(copy.children).forEach(function (option) {
            var score = unitScore(option, term);
            if (!score) { option.remove(); return; }
            found += 1;
            if (!best || score > best.score) { best = { score: score, value: option.value, label: option.textContent }; }
          });
          if (!copy.children.length) { return; }
        }
        select.appendChild(copy);
      });
      if (!found) {
        restore();
        select.value = current;
        status.classList.add("none");
        status.textContent = english
          ? "No unit found for “" + term + "”. Try another name, or choose from the list below."
          : "没有找到“" + term + "”。请换个说法（如单位简称、县区或乡镇名称），或直接在下面的列表中选择。";
        return;
      }
      select.value = best.value;
      select.dispatchEvent(new Event("change", { bubbles: true }));
      status.textContent = english
        ? found + " found; selected: " + best.label
        : "找到 " + found + " 个单位，已选中：" + best.label;
    }
    search.addEventListener("input", filter);
    // Enter in the search box picks the match instead of submitting the half-filled form.
    search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); filter(); select.focus(); }
    });
  });

  // ---- Errors: focus the first one; clear each as soon as its field becomes valid. ----
  function fieldValid(field) {
    var value = field.type === "checkbox" ? field.checked : field.value.trim();
    if (field.type === "checkbox") { return !field.required || value; }
    if (field.required && !value) { return false; }
    var kind = field.getAttribute("data-validate");
    if (kind === "mobile" && value) {
      var digits = value.normalize("NFKC").replace(/[\s\-()（）.]/g, "").replace(/^(\+86|0086|86)(?=\d{11}$)/, "");
      return /^1[3-9]\d{9}$/.test(digits);
    }
    if (kind === "last4") { return /^\d{4}$/.test(value); }
    var min = parseInt(field.getAttribute("data-min-length") || "0", 10);
    var count = Array.from(value).length;
    if (min && count < min) { return false; }
    var max = parseInt(field.getAttribute("maxlength") || "0", 10);
    return !max || count <= max;
  }

  function clearError(field) {
    var errorId = field.id + "_error";
    var error = document.getElementById(errorId);
    if (error) { error.remove(); }
    field.classList.remove("is-invalid");
    field.removeAttribute("aria-invalid");
    var describedBy = (field.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
      return id && id !== errorId;
    });
    if (describedBy.length) { field.setAttribute("aria-describedby", describedBy.join(" ")); }
    else { field.removeAttribute("aria-describedby"); }
    var summaryItem = document.querySelector('[data-error-for="' + field.id + '"]');
    if (summaryItem) {
      var summary = summaryItem.closest("[data-error-summary]");
      summaryItem.remove();
      if (summary && !summary.querySelector("[data-error-for]")) { summary.hidden = true; }
    }
  }

  document.querySelectorAll("form[data-live-errors]").forEach(function (form) {
    form.querySelectorAll(".is-invalid").forEach(function (field) {
      var check = function () { if (fieldValid(field)) { clearError(field); } };
      field.addEventListener("input", check);
      field.addEventListener("change", check);
    });
  });

  // The first invalid field takes the focus; the screen reader reads its label and its
  // error (aria-describedby), and the summary above the form lists them all.
  var firstInvalid = document.querySelector("form[data-live-errors] .is-invalid");
  if (firstInvalid) { firstInvalid.focus(); }
  // A lookup's answer takes the focus, so it is read first (the form stays below it).
  var result = document.querySelector("section#lookup-result");
  if (result && !firstInvalid) { result.focus(); }
})();
