// samzoo site: the index's filter and the BibTeX copy buttons (no server, no network: works from file://).
(function () {
  "use strict";
  var box = document.getElementById("filter");
  var auto = document.getElementById("only-automatic");
  function applyFilter() {
    var words = (box.value || "").toLowerCase().split(/\s+/).filter(Boolean);
    var cards = document.querySelectorAll("a.card");
    var shown = 0;
    cards.forEach(function (card) {
      var text = card.getAttribute("data-search") || "";
      var ok = words.every(function (w) { return text.indexOf(w) !== -1; });
      if (auto && auto.checked) { ok = ok && (card.getAttribute("data-modes") || "").indexOf("automatic") !== -1; }
      card.hidden = !ok;
      if (ok) { shown += 1; }
    });
    document.querySelectorAll("tr.domain-row").forEach(function (row) {
      row.hidden = row.querySelectorAll("a.card:not([hidden])").length === 0;
    });
    var count = document.getElementById("count");
    if (count) { count.textContent = shown + " of " + cards.length + " models"; }
    var nothing = document.getElementById("nothing");
    if (nothing) { nothing.hidden = shown !== 0; }
  }
  if (box) {
    box.addEventListener("input", applyFilter);
    if (auto) { auto.addEventListener("change", applyFilter); }
    applyFilter();
  }

  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    return ok ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }
  function copy(text) {
    if (navigator.clipboard && window.isSecureContext !== false) {
      return navigator.clipboard.writeText(text).catch(function () { return fallbackCopy(text); });
    }
    return fallbackCopy(text);
  }
  document.querySelectorAll("button.copy").forEach(function (button) {
    button.addEventListener("click", function () {
      var source = document.getElementById(button.getAttribute("data-copy"));
      copy(source ? source.textContent : "").then(function () {
        button.textContent = "Copied";
        button.classList.add("done");
      }, function () {
        button.textContent = "Select the text and copy it";
      });
    });
  });
})();
