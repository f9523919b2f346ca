// Intake form enhancements (loaded as a file: no inline script, CSP-ready).
(function () {
  "use strict";

  // Live character count under every textarea with data-char-count="MAX".
  document.querySelectorAll("textarea[data-char-count]").forEach(function (area) {
    var max = parseInt(area.getAttribute("data-char-count"), 10);
    var counter = document.createElement("div");
    counter.className = "form-text char-count";
    counter.id = area.id + "_count";
    counter.setAttribute("aria-live", "polite");
    area.insertAdjacentElement("afterend", counter);
    var describedBy = area.getAttribute("aria-describedby");
    area.setAttribute("aria-describedby", (describedBy ? describedBy + " " : "") + counter.id);
    var update = function () {
      var count = Array.from(area.value.trim()).length;
      var template = document.documentElement.lang === "en" ? "{n} / {max} characters" : "已输入 {n} / {max} 字";
      counter.textContent = template.replace("{n}", count).replace("{max}", max);
      counter.classList.toggle("over", count > max || (count > 0 && count < 20));
    };
    area.addEventListener("input", update);
    update();
  });

  // Searchable unit picker: a search box above the select that rebuilds its
  // options (hiding <option>s does not work in every mobile browser).
  document.querySelectorAll("select[data-unit-search]").forEach(function (select) {
    var groups = Array.from(select.children).map(function (node) {
      return { node: node.cloneNode(true), label: node.label || "" };
    });
    var search = document.createElement("input");
    search.type = "search";
    search.className = "form-control mb-2";
    search.id = select.id + "_search";
    var english = document.documentElement.lang === "en";
    search.placeholder = english ? "Type to search units" : "输入单位名称搜索，如：泽州、文旅";
    search.setAttribute("aria-label", search.placeholder);
    search.setAttribute("aria-controls", select.id);
    select.insertAdjacentElement("beforebegin", search);
    search.addEventListener("input", function () {
      var term = search.value.trim();
      var current = select.value;
      select.textContent = "";
      groups.forEach(function (group) {
        var node = group.node.cloneNode(true);
        if (term && node.tagName === "OPTGROUP") {
          var groupMatches = group.label.indexOf(term) !== -1;
          Array.from(node.children).forEach(function (option) {
            if (!groupMatches && option.textContent.indexOf(term) === -1) {
              option.remove();
            }
          });
          if (!node.children.length) { return; }
        }
        select.appendChild(node);
      });
      select.value = current;
      if (term && select.value !== current || !select.value) {
        var first = select.querySelector("optgroup option");
        if (term && first) { select.value = first.value; }
      }
    });
  });
})();
