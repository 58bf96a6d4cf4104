// Progressive enhancement only: while a sync runs, poll its progress and
// update the page in place; when it ends, reload to show the outcome. Without
// this script the page refreshes itself (<noscript> meta refresh).
(function () {
  "use strict";
  var box = document.getElementById("progress");
  if (!box || !window.fetch) return;
  var url = box.getAttribute("data-progress-url");
  var detail = document.getElementById("progress-detail");
  var steps = document.getElementById("steps");
  function text(p) {
    var s = "Step " + p.step;
    if (p.pages) s += " · page " + p.pages;
    if (p.members) s += " · " + p.members + " members so far";
    if (p.staged) s += " · " + p.staged + " people fetched";
    if (p.attempt > 1) s += " · retrying (attempt " + p.attempt + ")" + (p.retry ? ": " + p.retry : "");
    return s;
  }
  function tick() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (p) {
        if (!p.running) { window.location.reload(); return; }
        detail.textContent = text(p);
        (p.steps || []).forEach(function (st) {
          var li = steps.querySelector('[data-step="' + st.name + '"]');
          if (li) li.className = st.state;
        });
        setTimeout(tick, 1000);
      })
      .catch(function () { setTimeout(tick, 3000); });
  }
  setTimeout(tick, 1000);
})();
