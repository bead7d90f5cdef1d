/* TTG's views of a job's results: the report data of report::build_report
 * (src/report/job_report.h) drawn into a page. `ttg report` inlines this
 * file into its page; the dashboard of `ttg serve` loads it from
 * /assets/views.js. Nothing here loads anything from anywhere.
 *
 *   TTGViews.render(element, data) -> {destroy()}
 *     Replaces the contents of `element` with the views below; a second
 *     render into the same element first destroys the charts of the first.
 *     Needs the global Chart (Chart.js 3) for the line plot, timeline and
 *     histograms; without it they say so and the rest still draws. When
 *     done it sets element.dataset.rendered = "true".
 *
 * Stable ids and classes (tests and styles rely on them):
 *   .ttg-report          the element, once rendered
 *   .summary             the job's summary table (section#summary)
 *   #report-workers      the table of workers and their chunks
 *   #heatmap canvas      the heatmap of data.grid (a canvas of its own:
 *                        one rectangle per cell, colour scale, axes)
 *   #heatmap-legend      its colour scale
 *   #line canvas         the line plot of data.line (Chart.js)
 *   #timeline canvas     the Gantt timeline: a row per worker lane, a
 *                        floating bar per chunk, takeovers, retries, dead
 *                        letters and duplicates as marks (Chart.js)
 *   #hist-compute canvas chunk compute seconds (Chart.js bars)
 *   #hist-wait canvas    chunk queue-wait seconds (Chart.js bars)
 *   #report-dead         the table of dead chunks (when there are any)
 *   .note                what was averaged, binned or left out
 *   .empty               a view with nothing to show yet
 */
(function (global) {
  'use strict';

  // Colours of the views, as in ttg.css.
  var ACCENT = '#1f5fbf';
  var AGAIN = '#b26a00';
  var BAD = '#c62828';
  var MUTED = '#5b6475';
  var EMPTY_CELL = '#e6e9ef';
  var EVENT_STYLE = {
    takeover: {color: AGAIN, shape: 'triangle', label: 'takeover'},
    retry: {color: '#6a1b9a', shape: 'rectRot', label: 'retry'},
    dead: {color: BAD, shape: 'crossRot', label: 'dead letter'},
    duplicate: {color: MUTED, shape: 'circle', label: 'duplicate'}
  };
  // Viridis, sampled: the heatmap's colour scale (low to high).
  var SCALE = [
    [68, 1, 84], [72, 40, 120], [62, 74, 137], [49, 104, 142], [38, 130, 142],
    [31, 158, 137], [53, 183, 121], [110, 206, 88], [181, 222, 43], [253, 231, 37]
  ];

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        if (k === 'text') e.textContent = attrs[k];
        else if (k === 'className') e.className = attrs[k];
        else e.setAttribute(k, attrs[k]);
      });
    }
    (children || []).forEach(function (c) { if (c) e.appendChild(c); });
    return e;
  }

  function fmt(v) {
    if (v === null || v === undefined) return '–';
    if (typeof v !== 'number') return String(v);
    if (Number.isInteger(v)) return String(v);
    var a = Math.abs(v);
    if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(3);
    return String(Number(v.toPrecision(4)));
  }

  function seconds(s) {
    if (s === null || s === undefined) return '–';
    if (s < 1) return fmt(s * 1000) + ' ms';
    if (s < 120) return fmt(s) + ' s';
    if (s < 7200) return fmt(s / 60) + ' min';
    return fmt(s / 3600) + ' h';
  }

  function note(text) { return el('p', {className: 'note muted', text: text}); }

  function card(id, title, children) {
    return el('section', {className: 'card', id: id}, [el('h2', {text: title})].concat(children));
  }

  function colour(t) {
    if (!(t >= 0)) t = 0;
    if (t > 1) t = 1;
    var p = t * (SCALE.length - 1), i = Math.min(Math.floor(p), SCALE.length - 2), f = p - i;
    var a = SCALE[i], b = SCALE[i + 1];
    return 'rgb(' + [0, 1, 2].map(function (k) {
      return Math.round(a[k] + (b[k] - a[k]) * f);
    }).join(',') + ')';
  }

  function summaryView(s, data) {
    var rows = [
      ['job', s.job], ['kernel', s.kernel], ['state', s.state], ['space', s.space],
      ['chunks', s.chunks], ['done', s.done], ['dead', s.dead],
      ['duplicates', s.duplicates], ['takeovers', s.takeovers], ['retries', s.retries],
      ['retried (dead, put back)', s.retried], ['parameter sets read', s.records],
      ['wall time', seconds(s.wall_seconds)], ['compute time (sum)', seconds(s.compute_seconds)],
      ['workers', (s.workers || []).length]
    ];
    var table = el('table', {className: 'summary'}, rows.map(function (r) {
      var td = el('td', {text: fmt(r[1])});
      if (r[0] === 'state') td.className = 'state-' + r[1];
      if ((r[0] === 'dead' && r[1] > 0)) td.className = 'bad';
      return el('tr', null, [el('th', {text: r[0]}), td]);
    }));
    var workers = el('table', {id: 'report-workers'}, [
      el('tr', null, [el('th', {text: 'worker'}), el('th', {className: 'num', text: 'chunks'}),
        el('th', {className: 'num', text: 'compute time'})])
    ].concat((s.workers || []).map(function (w) {
      return el('tr', null, [el('td', {text: w.name}), el('td', {className: 'num', text: fmt(w.chunks)}),
        el('td', {className: 'num', text: seconds(w.compute_seconds)})]);
    })));
    var children = [table, el('h3', {text: 'Workers'}), workers];
    if (data.dead && data.dead.length) {
      children.push(el('h3', {text: 'Dead chunks'}));
      children.push(el('table', {id: 'report-dead'}, [
        el('tr', null, ['chunk', 'reason', 'attempts', 'worker', 'last error'].map(function (h) {
          return el('th', {text: h});
        }))
      ].concat(data.dead.map(function (d) {
        return el('tr', null, [d.chunk, d.reason, d.attempts, d.worker, d.last_error].map(function (v) {
          return el('td', {text: fmt(v)});
        }));
      }))));
      if (data.dead_total > data.dead.length) {
        children.push(note('The first ' + data.dead.length + ' of ' + data.dead_total + ' dead chunks.'));
      }
    }
    return card('summary', 'Summary', children);
  }

  function plotNotes(p, isGrid) {
    var out = [];
    if (p.aggregate === 'mean') {
      var why = [];
      if (p.records_per_point_max > 1) {
        why.push('parameters other than ' + (isGrid ? p.x + ' and ' + p.y : p.x) + ' vary');
      }
      if (p.x_binned || p.y_binned || p.binned) why.push('neighbouring values share a bin');
      out.push(note('Each ' + (isGrid ? 'cell' : 'point') + ' is the mean of up to ' +
        p.records_per_cell_max + ' results: ' + why.join(', and ') + '.'));
    }
    if (isGrid && p.x_binned) out.push(note(p.x + ': its values are shown in ' + p.xs.length + ' bins of neighbouring values.'));
    if (isGrid && p.y_binned) out.push(note(p.y + ': its values are shown in ' + p.ys.length + ' bins of neighbouring values.'));
    if (!isGrid && p.binned) out.push(note(p.x + ': its values are shown in ' + p.xs.length + ' bins of neighbouring values.'));
    if (p.skipped > 0) out.push(note(p.skipped + ' results have no number for ' + p.z + ' and are left out.'));
    if (isGrid && p.empty_cells > 0) out.push(note(p.empty_cells + ' cells have no result (grey).'));
    return out;
  }

  // The heatmap: ys[0] at the bottom, xs[0] on the left.
  function heatmapView(g) {
    var nx = g.xs.length, ny = g.ys.length;
    var section = card('heatmap', g.z + ' over ' + g.x + ' × ' + g.y, []);
    if (!nx || !ny) {
      section.appendChild(el('p', {className: 'empty muted', text: 'No results yet.'}));
      return section;
    }
    var left = 90, bottom = 56, top = 10, right = 10;
    var cw = Math.max(1, Math.min(40, Math.floor(820 / nx)));
    var ch = Math.max(1, Math.min(40, Math.floor(520 / ny)));
    var canvas = el('canvas', {width: left + cw * nx + right, height: top + ch * ny + bottom,
      'aria-label': 'heatmap of ' + g.z});
    var ctx = canvas.getContext('2d');
    var lo = g.z_min, hi = g.z_max, span = hi - lo;
    for (var j = 0; j < ny; j++) {
      for (var i = 0; i < nx; i++) {
        var v = g.values[j][i];
        ctx.fillStyle = v === null ? EMPTY_CELL : colour(span > 0 ? (v - lo) / span : 0.5);
        ctx.fillRect(left + i * cw, top + (ny - 1 - j) * ch, cw, ch);
      }
    }
    ctx.fillStyle = '#1d2330';
    ctx.strokeStyle = MUTED;
    ctx.font = '11px system-ui, sans-serif';
    var ticks = function (n, px) { return Math.max(1, Math.ceil(n / Math.max(1, Math.floor(n * px / 60)))); };
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (i = 0; i < nx; i += ticks(nx, cw)) {
      ctx.fillText(fmt(g.xs[i]), left + (i + 0.5) * cw, top + ny * ch + 4);
    }
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (j = 0; j < ny; j += ticks(ny, ch * 3)) {
      ctx.fillText(fmt(g.ys[j]), left - 4, top + (ny - 1 - j + 0.5) * ch);
    }
    ctx.font = '12px system-ui, sans-serif';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'bottom';
    ctx.fillText(g.x, left + nx * cw / 2, canvas.height - 4);
    ctx.save();
    ctx.translate(14, top + ny * ch / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = 'middle';
    ctx.fillText(g.y, 0, 0);
    ctx.restore();

    var legend = el('canvas', {id: 'heatmap-legend', width: 320, height: 34});
    var lctx = legend.getContext('2d');
    for (var k = 0; k < 300; k++) {
      lctx.fillStyle = colour(k / 299);
      lctx.fillRect(10 + k, 2, 1, 14);
    }
    lctx.fillStyle = '#1d2330';
    lctx.font = '11px system-ui, sans-serif';
    lctx.textBaseline = 'top';
    lctx.textAlign = 'left';
    lctx.fillText(fmt(lo), 10, 19);
    lctx.textAlign = 'right';
    lctx.fillText(fmt(hi), 310, 19);
    lctx.textAlign = 'center';
    lctx.fillText(g.z, 160, 19);

    var hover = el('div', {className: 'muted heatmap-hover', text: 'Point at a cell for its value.'});
    canvas.addEventListener('mousemove', function (ev) {
      var r = canvas.getBoundingClientRect();
      var i = Math.floor((ev.clientX - r.left - left) / cw);
      var j = ny - 1 - Math.floor((ev.clientY - r.top - top) / ch);
      if (i < 0 || i >= nx || j < 0 || j >= ny) return;
      var range = function (ranges, idx, vals) {
        return ranges ? fmt(ranges[idx][0]) + ' … ' + fmt(ranges[idx][1]) : fmt(vals[idx]);
      };
      hover.textContent = g.x + ' = ' + range(g.x_ranges, i, g.xs) + ', ' + g.y + ' = ' +
        range(g.y_ranges, j, g.ys) + ': ' + g.z + ' = ' + fmt(g.values[j][i]);
    });
    section.appendChild(el('div', {className: 'heatmap-plot'}, [canvas]));
    section.appendChild(legend);
    section.appendChild(hover);
    plotNotes(g, true).forEach(function (n) { section.appendChild(n); });
    return section;
  }

  function noChart(section) {
    section.appendChild(el('p', {className: 'empty muted',
      text: 'Chart.js is not loaded: this view cannot be drawn.'}));
  }

  function chartBox(height) {
    var canvas = el('canvas');
    var box = el('div', {className: 'chart-box', style: 'position:relative;height:' + height + 'px'}, [canvas]);
    return {box: box, canvas: canvas};
  }

  function lineView(l, charts) {
    var section = card('line', l.z + ' over ' + l.x, []);
    if (!l.xs.length) {
      section.appendChild(el('p', {className: 'empty muted', text: 'No results yet.'}));
      return section;
    }
    if (!global.Chart) { noChart(section); return section; }
    var numeric = l.xs.every(function (v) { return typeof v === 'number'; });
    var b = chartBox(360);
    section.appendChild(b.box);
    var points = l.xs.map(function (x, i) { return numeric ? {x: x, y: l.zs[i]} : l.zs[i]; });
    var config = {
      type: 'line',
      data: {
        datasets: [{label: l.z, data: points, borderColor: ACCENT, backgroundColor: ACCENT,
          pointRadius: l.xs.length > 200 ? 0 : 2, borderWidth: 1.5, spanGaps: false}]
      },
      options: {
        animation: false, maintainAspectRatio: false,
        scales: {
          x: {type: numeric ? 'linear' : 'category', title: {display: true, text: l.x}},
          y: {title: {display: true, text: l.z}}
        },
        plugins: {legend: {display: false}}
      }
    };
    if (!numeric) config.data.labels = l.xs.map(fmt);
    charts.push(new global.Chart(b.canvas, config));
    plotNotes(l, false).forEach(function (n) { section.appendChild(n); });
    return section;
  }

  // Each worker's chunks in lanes, so that chunks it computed at the same
  // time (several slots) do not hide each other.
  function lanes(bars) {
    var byWorker = {}, rows = [];
    bars.forEach(function (b) {
      var w = byWorker[b.worker] || (byWorker[b.worker] = []);
      var lane = 0;
      while (lane < w.length && w[lane] > b.start_ms) lane++;
      w[lane] = b.end_ms;
      b.lane = lane;
    });
    Object.keys(byWorker).sort().forEach(function (w) {
      for (var k = 0; k < byWorker[w].length; k++) rows.push({worker: w, lane: k, n: byWorker[w].length});
    });
    var label = function (w, lane, n) { return n > 1 ? w + ' · ' + (lane + 1) : w; };
    var index = {};
    rows.forEach(function (r) { index[r.worker + '\u0000' + r.lane] = label(r.worker, r.lane, r.n); });
    return {
      labels: rows.map(function (r) { return label(r.worker, r.lane, r.n); }),
      of: function (worker, lane) { return index[worker + '\u0000' + (lane || 0)]; },
      workers: byWorker
    };
  }

  function timelineView(t, charts) {
    var section = card('timeline', 'Timeline: chunks per worker', []);
    var bars = (t.bars || []).slice().sort(function (a, b) { return a.start_ms - b.start_ms; });
    if (!bars.length) {
      section.appendChild(el('p', {className: 'empty muted', text: 'No chunk committed yet.'}));
      return section;
    }
    if (!global.Chart) { noChart(section); return section; }
    var origin = t.start_ms;
    var rows = lanes(bars);
    // Events land on their worker's first lane, or a row of their own when
    // the worker committed nothing.
    var labels = rows.labels.slice();
    (t.events || []).forEach(function (e) {
      if (!rows.of(e.worker, 0)) {
        var name = e.worker || '(no worker)';
        if (labels.indexOf(name) < 0) labels.push(name);
      }
    });
    var first = bars.filter(function (b) { return b.attempt <= 1; });
    var again = bars.filter(function (b) { return b.attempt > 1; });
    var toBar = function (b) {
      return {x: [(b.start_ms - origin) / 1000, (b.end_ms - origin) / 1000], y: rows.of(b.worker, b.lane), bar: b};
    };
    var datasets = [];
    [[first, 'chunk (first attempt)', ACCENT], [again, 'chunk (attempt 2 or later)', AGAIN]].forEach(function (d) {
      if (!d[0].length) return;
      datasets.push({type: 'bar', label: d[1], data: d[0].map(toBar), backgroundColor: d[2],
        borderColor: d[2], borderWidth: 0, barPercentage: 0.9, categoryPercentage: 1, grouped: false,
        // A chunk of microseconds on a timeline of seconds is still seen.
        minBarLength: 2});
    });
    Object.keys(EVENT_STYLE).forEach(function (type) {
      var evs = (t.events || []).filter(function (e) { return e.type === type; });
      if (!evs.length) return;
      var st = EVENT_STYLE[type];
      datasets.push({type: 'scatter', label: st.label, pointStyle: st.shape, pointRadius: 6,
        backgroundColor: st.color, borderColor: st.color,
        data: evs.map(function (e) {
          return {x: (e.at_ms - origin) / 1000, y: rows.of(e.worker, 0) || e.worker || '(no worker)', ev: e};
        })});
    });
    var b = chartBox(Math.max(160, Math.min(900, 40 + labels.length * 26)));
    section.appendChild(b.box);
    charts.push(new global.Chart(b.canvas, {
      type: 'bar',
      data: {labels: labels, datasets: datasets},
      options: {
        indexAxis: 'y', animation: false, maintainAspectRatio: false,
        scales: {
          x: {type: 'linear', min: 0, title: {display: true, text: 'seconds since the first chunk started'}},
          y: {type: 'category', labels: labels, stacked: false}
        },
        plugins: {
          tooltip: {callbacks: {label: function (c) {
            var r = c.raw;
            if (r.bar) {
              return 'chunk ' + r.bar.chunk + ', attempt ' + r.bar.attempt + ', ' +
                seconds((r.bar.end_ms - r.bar.start_ms) / 1000) + ' on ' + r.bar.worker;
            }
            var e = r.ev;
            var text = EVENT_STYLE[e.type].label + ' of chunk ' + e.chunk;
            if (e.from) text += ' from ' + e.from;
            if (e.reason) text += ' (' + e.reason + ')';
            if (e.error) text += ': ' + e.error;
            return text;
          }}}
        }
      }
    }));
    var omitted = [];
    if (t.bars_omitted > 0) {
      omitted.push(note('Showing ' + bars.length + ' of ' + t.bars_total + ' chunks: every chunk ' +
        'computed more than once, the others sampled evenly in time.'));
    }
    if (t.events_omitted > 0) {
      omitted.push(note('Showing the latest ' + (t.events || []).length + ' of ' + t.events_total + ' events.'));
    }
    omitted.forEach(function (n) { section.appendChild(n); });
    return section;
  }

  function histogramView(id, title, h, charts) {
    var section = card(id, title, []);
    if (!h || !h.n) {
      section.appendChild(el('p', {className: 'empty muted', text: 'No values.'}));
      return section;
    }
    section.appendChild(el('p', {className: 'muted', text: 'n = ' + h.n + ', median ' + seconds(h.p50) +
      ', p90 ' + seconds(h.p90) + ', p99 ' + seconds(h.p99) + ', max ' + seconds(h.max)}));
    if (!global.Chart) { noChart(section); return section; }
    var labels = h.counts.map(function (c, i) {
      return seconds(h.edges[i]) + ' – ' + seconds(h.edges[i + 1]);
    });
    var b = chartBox(240);
    section.appendChild(b.box);
    charts.push(new global.Chart(b.canvas, {
      type: 'bar',
      data: {labels: labels, datasets: [{label: 'chunks', data: h.counts, backgroundColor: ACCENT,
        barPercentage: 1, categoryPercentage: 1}]},
      options: {animation: false, maintainAspectRatio: false,
        scales: {y: {beginAtZero: true, title: {display: true, text: 'chunks'}},
          x: {ticks: {maxRotation: 60, autoSkip: true}}},
        plugins: {legend: {display: false}}}
    }));
    return section;
  }

  function render(element, data) {
    if (element.ttgViews) element.ttgViews.destroy();
    var charts = [];
    var handle = {destroy: function () {
      charts.forEach(function (c) { c.destroy(); });
      charts = [];
    }};
    element.ttgViews = handle;
    while (element.firstChild) element.removeChild(element.firstChild);
    element.classList.add('ttg-report');
    data = data || {};
    if (data.summary) element.appendChild(summaryView(data.summary, data));
    if (data.grid) element.appendChild(heatmapView(data.grid));
    else if (data.line) element.appendChild(lineView(data.line, charts));
    else element.appendChild(card('plot', 'Results', [el('p', {className: 'empty muted',
      text: 'Nothing to plot yet: no result holds a number.'})]));
    if (data.timeline) element.appendChild(timelineView(data.timeline, charts));
    var h = data.histograms || {};
    element.appendChild(histogramView('hist-compute', 'Chunk compute time', h.compute_seconds, charts));
    element.appendChild(histogramView('hist-wait', 'Chunk wait in the queue', h.queue_wait_seconds, charts));
    element.dataset.rendered = 'true';
    return handle;
  }

  global.TTGViews = {render: render};
})(typeof window !== 'undefined' ? window : this);
