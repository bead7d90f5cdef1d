/*
 * The dashboard of `ttg serve` (docs/DEPLOY.md, "The dashboard: ttg serve").
 * Plain JavaScript, no framework, nothing loaded from outside the server.
 * Every second it reads /api/jobs and, for the selected job,
 * /api/jobs/NAME, and redraws in place (no reload).
 *
 * Stable ids and classes (tests rely on them):
 *   #status                      header line: "updated HH:MM:SS", or what is wrong
 *   #banner                      shown (not [hidden]) when serve or Redis cannot be reached
 *   #jobs                        table of every job; its rows:
 *     tr.job[data-job=NAME]        one per job, .selected for the selected one
 *       .state.state-STATE         the job's state (running, complete, ...)
 *       .progress > span.done      the progress bar (style width = done/total)
 *       .progress-text             "done/total"
 *       .rate, .eta, .oldest       chunks/s, ETA, age of the oldest chunk in flight
 *   #no-jobs                     shown when there is no job
 *   #job[data-job=NAME]          the selected job's panel
 *     #job-name, #job-state, #job-summary
 *     #rate-chart                  canvas of the rate chart (Chart.js, global Chart)
 *     #workers                     table; rows tr.worker[data-worker=NAME] with
 *                                  .worker-state, .computing, .committed, .heartbeat
 *     #events                      list; items li.event.event-TYPE[data-type=TYPE]
 *     #dead                        table; rows tr.dead-letter[data-chunk=N]
 *     #results, #results-view      a finished job's results view (TTGViews, views.js)
 * The selected job is in the URL: #job=NAME.
 */
(function () {
  "use strict";

  var REFRESH_MS = 1000;
  var selected = null;        // the selected job's name
  var chosenByUser = false;   // a click or the URL chose it
  var chart = null;
  var resultsShownFor = null; // "NAME@finished_ms" whose results view is drawn
  var viewsScript = null;     // "loading", "loaded", "missing"

  function $(id) { return document.getElementById(id); }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function td(text, cls) { return el("td", cls, text); }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function fmtRate(r) {
    if (r === null || r === undefined) return "–";
    return r >= 10 ? r.toFixed(0) + "/s" : r.toFixed(2) + "/s";
  }

  function fmtDuration(s) {
    if (s === null || s === undefined) return "–";
    s = Math.round(s);
    if (s < 60) return s + " s";
    var m = Math.floor(s / 60), h = Math.floor(m / 60), d = Math.floor(h / 24);
    if (d > 0) return d + "d " + (h % 24) + "h";
    if (h > 0) return h + "h " + String(m % 60).padStart(2, "0") + "m";
    return m + "m " + String(s % 60).padStart(2, "0") + "s";
  }

  function fmtTime(ms) {
    if (!ms) return "–";
    return new Date(ms).toLocaleTimeString();
  }

  function finished(job) { return job.state === "complete" || job.state === "cancelled"; }

  function showBanner(text) {
    var b = $("banner");
    if (text) {
      b.textContent = text;
      b.hidden = false;
    } else {
      b.hidden = true;
      b.textContent = "";
    }
  }

  function getJSON(path) {
    return fetch(path, { cache: "no-store" }).then(function (res) {
      return res.json().then(function (body) { return { status: res.status, body: body }; },
                             function () { return { status: res.status, body: null }; });
    });
  }

  function readHash() {
    var m = /^#job=(.+)$/.exec(window.location.hash);
    if (m) {
      selected = decodeURIComponent(m[1]);
      chosenByUser = true;
    }
  }

  function select(name) {
    selected = name;
    chosenByUser = true;
    resultsShownFor = null;
    history.replaceState(null, "", "#job=" + encodeURIComponent(name));
    tick();
  }

  // ---- the jobs table ----

  function jobRow(job) {
    var tr = el("tr", "job");
    tr.setAttribute("data-job", job.name);
    tr.addEventListener("click", function () { select(job.name); });
    tr.appendChild(td(job.name, "name"));
    var state = td("", "");
    state.appendChild(el("span", "state state-" + job.state, job.state));
    tr.appendChild(state);
    var cell = td("", "progress-cell");
    var bar = el("div", "progress");
    var total = Math.max(job.total, 1);
    var done = el("span", "done");
    done.style.width = (100 * job.done / total).toFixed(2) + "%";
    var dead = el("span", "dead");
    dead.style.width = (100 * job.dead / total).toFixed(2) + "%";
    bar.appendChild(done);
    bar.appendChild(dead);
    cell.appendChild(bar);
    cell.appendChild(el("span", "progress-text", job.done + "/" + job.total));
    tr.appendChild(cell);
    tr.appendChild(td(job.dead, "num dead-count" + (job.dead > 0 ? " bad" : "")));
    tr.appendChild(td(job.in_flight, "num in-flight"));
    tr.appendChild(td(job.pending, "num pending"));
    tr.appendChild(td(finished(job) ? "–" : fmtRate(job.rate), "num rate"));
    tr.appendChild(td(finished(job) ? "–" : fmtDuration(job.eta_s), "num eta"));
    tr.appendChild(td(job.in_flight > 0 ? fmtDuration(job.oldest_in_flight_s) : "–", "num oldest"));
    if (job.name === selected) tr.classList.add("selected");
    return tr;
  }

  function renderJobs(data) {
    var body = $("jobs").querySelector("tbody");
    clear(body);
    data.jobs.forEach(function (job) { body.appendChild(jobRow(job)); });
    $("no-jobs").hidden = data.jobs.length > 0;
    var t = data.totals || {};
    var alive = data.workers.filter(function (w) { return w.state !== "gone"; }).length;
    var n = data.jobs_registered > data.jobs.length ? data.jobs_registered : data.jobs.length;
    $("totals").textContent = "— " + (n > data.jobs.length ? data.jobs.length + " of " : "") +
      n + (n === 1 ? " job" : " jobs") + ", backlog " + (t.backlog || 0) +
      (t.backlog === 1 ? " chunk, " : " chunks, ") + alive + (alive === 1 ? " worker" : " workers");
  }

  // ---- the selected job ----

  function renderChart(job) {
    var canvas = $("rate-chart");
    if (typeof window.Chart === "undefined") {
      $("chart-missing").hidden = false;
      return;
    }
    var now = job.redis_time_ms || Date.now();
    var points = (job.rates || []).map(function (p) {
      return { x: (p[0] - now) / 1000, y: p[1] };
    });
    if (!chart) {
      chart = new window.Chart(canvas.getContext("2d"), {
        type: "line",
        data: { datasets: [{ label: "chunks/s (10 s window)", data: points,
                             borderColor: "#1f5fbf", backgroundColor: "rgba(31,95,191,0.12)",
                             fill: true, pointRadius: 0, tension: 0.2 }] },
        options: {
          animation: false,
          maintainAspectRatio: false,
          parsing: false,
          scales: {
            x: { type: "linear", title: { display: true, text: "seconds ago" },
                 ticks: { callback: function (v) { return Math.round(-v); } } },
            y: { beginAtZero: true, title: { display: true, text: "chunks/s" } }
          },
          plugins: { legend: { display: false } }
        }
      });
    } else {
      chart.data.datasets[0].data = points;
      chart.update("none");
    }
  }

  function computing(w, job) {
    var mine = (w.chunks || []).filter(function (c) { return c.job === job; });
    if (mine.length === 0) return w.busy > 0 ? "(another job)" : "–";
    return mine.map(function (c) {
      return "#" + c.chunk + (c.age_s === null ? "" : " (" + fmtDuration(c.age_s) + ")");
    }).join(", ");
  }

  function renderWorkers(job) {
    var body = $("workers").querySelector("tbody");
    clear(body);
    job.workers.forEach(function (w) {
      var tr = el("tr", "worker worker-" + w.state);
      tr.setAttribute("data-worker", w.name);
      tr.appendChild(td(w.name, "name"));
      tr.appendChild(td(w.host + (w.pid ? " (pid " + w.pid + ")" : ""), "host"));
      tr.appendChild(td(w.state, "worker-state"));
      tr.appendChild(td(computing(w, job.name), "computing"));
      tr.appendChild(td(w.committed, "num committed"));
      tr.appendChild(td(w.busy + "/" + w.slots, "num busy"));
      tr.appendChild(td(w.heartbeat_age_s === null ? "–" : w.heartbeat_age_s.toFixed(1) + " s ago",
                        "num heartbeat"));
      body.appendChild(tr);
    });
    if (job.workers.length === 0) {
      var tr = el("tr", "none");
      var cell = td("No worker holds a chunk of this job.", "muted");
      cell.colSpan = 7;
      tr.appendChild(cell);
      body.appendChild(tr);
    }
  }

  function eventText(e) {
    var parts = [];
    if (e.chunk !== undefined) parts.push("chunk " + e.chunk);
    if (e.type === "takeover") parts.push("from " + (e.from || "?") + " to " + (e.to || "?"));
    else if (e.worker) parts.push("by " + e.worker);
    if (e.attempt) parts.push("attempt " + e.attempt);
    if (e.reason) parts.push(e.reason);
    if (e.chunks) parts.push(e.chunks + " chunks");
    if (e.error) parts.push(e.error);
    return parts.join(", ");
  }

  function renderEvents(job) {
    var list = $("events");
    clear(list);
    var events = (job.events || []).slice().reverse();
    events.forEach(function (e) {
      var li = el("li", "event event-" + e.type);
      li.setAttribute("data-type", e.type);
      li.appendChild(el("span", "muted", fmtTime(e.at_ms) + " "));
      li.appendChild(el("span", "type", e.type));
      li.appendChild(el("span", "detail", " " + eventText(e)));
      list.appendChild(li);
    });
    if (events.length === 0) list.appendChild(el("li", "muted none", "No events yet."));
  }

  function renderDead(job) {
    var body = $("dead").querySelector("tbody");
    clear(body);
    (job.dead || []).forEach(function (d) {
      var tr = el("tr", "dead-letter");
      tr.setAttribute("data-chunk", d.chunk);
      tr.appendChild(td(d.chunk, "num"));
      tr.appendChild(td(d.reason, "bad"));
      tr.appendChild(td(d.attempts, "num"));
      tr.appendChild(td(d.worker, ""));
      tr.appendChild(td(d.last_error, "error"));
      body.appendChild(tr);
    });
    if ((job.dead || []).length === 0) {
      var tr = el("tr", "none");
      var cell = td("None.", "muted");
      cell.colSpan = 5;
      tr.appendChild(cell);
      body.appendChild(tr);
    } else if (job.dead.length < job.dead_count) {
      var more = el("tr", "more");
      var c = td("… and more: ttg dead " + job.name, "muted");
      c.colSpan = 5;
      more.appendChild(c);
      body.appendChild(more);
    }
  }

  // ---- a finished job's results view (views.js, from the report) ----

  function loadViews(then) {
    if (window.TTGViews) { then(); return; }
    if (viewsScript === "missing") return;
    if (viewsScript === "loading") return;
    viewsScript = "loading";
    var s = document.createElement("script");
    s.src = "/assets/views.js";
    s.onload = function () { viewsScript = window.TTGViews ? "loaded" : "missing"; then(); };
    s.onerror = function () { viewsScript = "missing"; };
    document.head.appendChild(s);
  }

  function renderResults(job) {
    var box = $("results");
    if (!finished(job)) {
      box.hidden = true;
      resultsShownFor = null;
      return;
    }
    var key = job.name + "@" + job.finished_ms;
    if (resultsShownFor === key) return;
    loadViews(function () {
      if (!window.TTGViews || selected !== job.name) return;
      resultsShownFor = key;
      getJSON("/api/jobs/" + encodeURIComponent(job.name) + "/report").then(function (r) {
        if (r.status !== 200 || !r.body || selected !== job.name) return;
        var view = $("results-view");
        clear(view);
        box.hidden = false;
        window.TTGViews.render(view, r.body);
      }).catch(function () { resultsShownFor = null; });
    });
  }

  function renderJob(job) {
    var panel = $("job");
    panel.hidden = false;
    panel.setAttribute("data-job", job.name);
    $("job-name").textContent = job.name;
    var st = $("job-state");
    st.className = "state state-" + job.state;
    st.textContent = job.state;
    var parts = [
      "kernel " + job.kernel,
      job.done + "/" + job.total + " chunks done",
      job.dead_count + " dead",
      job.in_flight_count + " in flight",
      job.pending + " pending",
      "lag " + job.lag,
      "takeovers " + job.takeovers,
      "duplicates " + job.duplicates,
      "retries " + job.retries
    ];
    if (!finished(job)) {
      parts.push("rate " + fmtRate(job.rate), "ETA " + fmtDuration(job.eta_s));
      if (job.in_flight_count > 0) parts.push("oldest in flight " + fmtDuration(job.oldest_in_flight_s));
    } else if (job.finished_ms && job.first_claim_ms) {
      parts.push("ran " + fmtDuration((job.finished_ms - job.first_claim_ms) / 1000));
    }
    $("job-summary").textContent = parts.join(" · ");
    renderChart(job);
    renderWorkers(job);
    renderEvents(job);
    renderDead(job);
    renderResults(job);
  }

  // ---- polling ----

  function pickDefault(jobs) {
    if (chosenByUser && jobs.some(function (j) { return j.name === selected; })) return;
    if (chosenByUser) return;  // chosen, but not shown (yet): keep it
    var running = jobs.filter(function (j) { return j.state === "running"; });
    var pick = running.length ? running[0] : jobs[0];
    if (pick && pick.name !== selected) {
      selected = pick.name;
      resultsShownFor = null;
    }
  }

  var timer = null;

  function tick() {
    if (timer) clearTimeout(timer);
    timer = null;
    getJSON("/api/jobs").then(function (r) {
      if (r.status !== 200 || !r.body) throw new Error("HTTP " + r.status);
      var data = r.body;
      if (!data.redis_up) {
        showBanner(data.polled
          ? "Redis is unreachable: " + (data.error || "no answer") +
            (data.redis_time_ms ? ". Showing what it said at " + fmtTime(data.redis_time_ms) + "." : ".")
          : "Waiting for the first reading of Redis…");
        $("status").textContent = "Redis unreachable";
      } else {
        showBanner(null);
        $("status").textContent = "updated " + fmtTime(data.redis_time_ms);
      }
      pickDefault(data.jobs);
      renderJobs(data);
      if (!selected) {
        $("job").hidden = true;
        return null;
      }
      return getJSON("/api/jobs/" + encodeURIComponent(selected)).then(function (d) {
        if (d.status === 200 && d.body) {
          renderJob(d.body);
        } else {
          $("job").hidden = true;
        }
      });
    }).catch(function (e) {
      showBanner("Cannot reach ttg serve (" + (e && e.message ? e.message : "no answer") +
                 "): the numbers below are from before.");
      $("status").textContent = "serve unreachable";
    }).then(function () {
      timer = setTimeout(tick, REFRESH_MS);
    });
  }

  readHash();
  window.addEventListener("hashchange", function () { readHash(); tick(); });
  tick();
})();
