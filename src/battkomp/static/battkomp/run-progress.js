// The run page's progress (analysis/runs/run_detail.html), the site's only script: while a model
// run is queued or running, it asks the run's status (analysis:run_status, JSON) every two
// seconds, moves the progress bar, says in the page's live region (role="status") when the
// status changes, and loads the page again, with the results, once the run has finished.
// The page works without it: its "Refresh" link shows the progress by hand. The CSP allows
// this file ('self') on that page alone, and only while the run works.
(function () {
  "use strict";
  var EVERY = 2000;
  var live = document.getElementById("run-live");
  if (!live || !window.fetch) {
    return;
  }
  var url = live.getAttribute("data-status-url");
  var bar = document.getElementById("run-progress");
  var label = document.getElementById("run-progress-text");
  var badge = document.getElementById("run-status");

  function say(text) {
    if (live.textContent !== text) {
      live.textContent = text;
    }
  }

  function show(run) {
    if (!run.active) {
      say(live.getAttribute("data-finished"));
      window.location.reload();
      return false;
    }
    if (bar) {
      bar.max = run.total || 1;
      bar.value = run.done;
      bar.textContent = Math.floor((100 * run.done) / (run.total || 1)) + " %";
    }
    if (label) {
      label.textContent = run.text;
    }
    if (badge && badge.textContent !== run.status_display) {
      badge.textContent = run.status_display;
      badge.className = "badge " + run.status;
      say(run.status_display);
    }
    return true;
  }

  function ask() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (run) {
        if (show(run)) {
          window.setTimeout(ask, EVERY);
        }
      })
      .catch(function () {
        say(live.getAttribute("data-lost"));
        window.setTimeout(ask, 5 * EVERY);
      });
  }

  window.setTimeout(ask, EVERY);
})();
