// igmon dashboard. Plain JavaScript, no framework, no build step.
//
// Rules this file keeps: every string from the server goes into the DOM
// through textContent or setAttribute, never through an HTML parser; URLs are relative
// so the page works wherever the handler is mounted; the bearer token
// lives in sessionStorage and travels only in an Authorization header.
(function () {
  "use strict";

  var TOKEN_KEY = "igmon.dashboard.token";
  var SVGNS = "http://www.w3.org/2000/svg";
  var STATUSES = { pass: 1, warn: 1, fail: 1, unknown: 1 };

  var state = {
    token: readToken(),
    snap: null,
    es: null,
    timer: null,
    refreshMs: 2000,
    updates: 0,
    transport: "",
    range: initialRange(),
    hist: null,        // history.json of state.range
    histById: {},
    histSeq: 0,        // bumped per history fetch: charts are rebuilt only then
    histTimer: null,
    charts: {},        // component id -> {seq, node}: reused between snapshots
    renderMs: 0
  };

  function initialRange() {
    var m = /(^|[?&])range=([0-9]+[smhd])(&|$)/.exec(window.location.search);
    return m ? m[2] : "15m";
  }

  function $(id) { return document.getElementById(id); }

  function readToken() {
    try { return sessionStorage.getItem(TOKEN_KEY) || ""; } catch (e) { return ""; }
  }
  function writeToken(t) {
    try {
      if (t) { sessionStorage.setItem(TOKEN_KEY, t); } else { sessionStorage.removeItem(TOKEN_KEY); }
    } catch (e) { /* storage disabled: keep it in memory */ }
    state.token = t;
  }

  // el builds an element; text is always set as text, never parsed.
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  function svgEl(tag, attrs) {
    var e = document.createElementNS(SVGNS, tag);
    for (var k in attrs) {
      if (Object.prototype.hasOwnProperty.call(attrs, k)) { e.setAttribute(k, String(attrs[k])); }
    }
    return e;
  }
  function statusOf(s) { return STATUSES[s] ? s : "unknown"; }
  function cssToken(s) { return String(s || "none").toLowerCase().replace(/[^a-z0-9_-]/g, "-"); }

  // ---- formatting -------------------------------------------------------

  function isNum(x) { return typeof x === "number" && isFinite(x); }
  function fmtLatency(sec) {
    if (!isNum(sec)) { return "–"; }
    if (sec < 0.001) { return (sec * 1e6).toFixed(0) + " µs"; }
    if (sec < 1) { return (sec * 1000).toFixed(sec < 0.01 ? 1 : 0) + " ms"; }
    return sec.toFixed(sec < 10 ? 2 : 1) + " s";
  }
  function fmtPct(ratio) {
    if (!isNum(ratio)) { return "–"; }
    var p = ratio * 100;
    if (p === 0) { return "0%"; }
    return (p < 0.1 ? p.toFixed(2) : p < 10 ? p.toFixed(1) : p.toFixed(0)) + "%";
  }
  function fmtUptime(pct) {
    if (!isNum(pct)) { return "–"; }
    return (pct >= 99.995 ? "100" : pct.toFixed(pct >= 99 ? 2 : 1)) + "%";
  }
  function fmtCount(n) {
    if (!isNum(n)) { return "–"; }
    if (n >= 1e9) { return (n / 1e9).toFixed(1) + "G"; }
    if (n >= 1e6) { return (n / 1e6).toFixed(1) + "M"; }
    if (n >= 1e4) { return (n / 1e3).toFixed(1) + "k"; }
    return String(Math.round(n));
  }
  function fmtRate(r) {
    if (!isNum(r)) { return "–"; }
    return (r >= 100 ? r.toFixed(0) : r >= 1 ? r.toFixed(1) : r.toFixed(2)) + "/s";
  }
  function fmtWindow(sec) {
    if (!isNum(sec) || sec <= 0) { return ""; }
    if (sec % 86400 === 0) { return sec / 86400 + "d"; }
    if (sec % 3600 === 0) { return sec / 3600 + "h"; }
    if (sec % 60 === 0) { return sec / 60 + "m"; }
    return sec + "s";
  }
  function parseTime(t) {
    if (!t) { return null; }
    var d = new Date(t);
    return isNaN(d.getTime()) ? null : d;
  }
  function fmtAgo(t, now) {
    var d = parseTime(t);
    if (!d) { return ""; }
    var s = Math.round((now - d.getTime()) / 1000);
    var future = s < 0;
    s = Math.abs(s);
    var txt = s < 60 ? s + "s" : s < 3600 ? Math.floor(s / 60) + "m" : s < 86400 ?
      Math.floor(s / 3600) + "h " + Math.floor((s % 3600) / 60) + "m" : Math.floor(s / 86400) + "d";
    return future ? "in " + txt : txt + " ago";
  }
  // One formatter each: toLocale*String builds a new one per call, which
  // costs seconds over 200 components' axes and uptime segments.
  var clockFmt = fmtMaker({ hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
  var minuteFmt = fmtMaker({ hour: "2-digit", minute: "2-digit", hour12: false });
  var dayFmt = fmtMaker({ month: "short", day: "numeric" });
  function fmtMaker(opts) {
    if (window.Intl && Intl.DateTimeFormat) {
      var f = new Intl.DateTimeFormat([], opts);
      return function (d) { return f.format(d); };
    }
    return function (d) { return d.toLocaleString(); };
  }
  function fmtClock(t) {
    var d = parseTime(t);
    return d ? clockFmt(d) : "";
  }
  function timeEl(t, text) {
    var e = el("time", null, text);
    var d = parseTime(t);
    if (d) { e.setAttribute("datetime", d.toISOString()); e.title = d.toLocaleString(); }
    return e;
  }

  // ---- sparklines (inline SVG built here) -------------------------------

  function sparkline(points, kind, label) {
    var w = 120, h = 28, pad = 2;
    var box = svgEl("svg", { "class": "spark spark-" + kind, viewBox: "0 0 " + w + " " + h,
      preserveAspectRatio: "none", role: "img", "aria-label": label });
    var title = svgEl("title", {});
    title.textContent = label;
    box.appendChild(title);
    var vals = (points || []).filter(isNum);
    if (!points || points.length < 2 || vals.length === 0) {
      box.appendChild(svgEl("line", { x1: 0, y1: h - pad, x2: w, y2: h - pad, "class": "spark-empty" }));
      return box;
    }
    var max = Math.max.apply(null, vals);
    if (kind === "errors") { max = Math.max(max, 0.01); }
    if (max <= 0) { max = 1; }
    var step = w / (points.length - 1);
    var line = "", area = "", run = [];
    function flush() {
      if (run.length === 0) { return; }
      line += "M" + run.join("L");
      area += "M" + run[0].split(",")[0] + "," + (h - pad) + "L" + run.join("L") +
        "L" + run[run.length - 1].split(",")[0] + "," + (h - pad) + "Z";
      run = [];
    }
    for (var i = 0; i < points.length; i++) {
      var v = points[i];
      if (!isNum(v)) { flush(); continue; }
      var x = (i * step).toFixed(1);
      var y = (h - pad - (v / max) * (h - 2 * pad)).toFixed(1);
      run.push(x + "," + y);
    }
    flush();
    if (area) { box.appendChild(svgEl("path", { d: area, "class": "spark-area" })); }
    if (line) { box.appendChild(svgEl("path", { d: line, "class": "spark-line" })); }
    return box;
  }


  // ---- history charts (hand-written SVG) --------------------------------
  //
  // Every chart plots history.json: point i is at start + i·step and
  // covers the window ending there. Axes carry units, gridlines mark the
  // y ticks, a firing alert's span is shaded, and hovering shows the
  // values under the pointer.

  var CW = 420, CH = 128, ML = 52, MR = 8, MT = 8, MB = 30;

  // niceMax rounds a maximum up to 1, 2, 2.5 or 5 times a power of ten;
  // divisionsOf splits it into round ticks (0.2, 0.5, 1, 2 …).
  function niceMax(v) {
    if (!isNum(v) || v <= 0) { return 1; }
    var p = Math.pow(10, Math.floor(Math.log(v) / Math.LN10));
    var f = v / p;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * p;
  }
  function divisionsOf(max) {
    var p = Math.pow(10, Math.floor(Math.log(max) / Math.LN10 + 1e-9));
    return Math.abs(max / p - 2) < 1e-9 ? 4 : 5;
  }
  function fmtAxisTime(ms, spanSec) {
    var d = new Date(ms);
    return spanSec > 86400 * 2 ? dayFmt(d) : minuteFmt(d);
  }
  function fmtSpan(sec) {
    if (sec >= 86400) { return (sec / 86400) + " d"; }
    if (sec >= 3600) { return (sec / 3600) + " h"; }
    if (sec >= 60) { return (sec / 60) + " min"; }
    return sec + " s";
  }

  // chart draws one or two series of a component over the range.
  function chart(h, series, opts, alerts) {
    var n = h.points, step = h.stepSeconds * 1000, t0 = new Date(h.start).getTime();
    var pw = CW - ML - MR, ph = CH - MT - MB;
    var max = 0;
    series.forEach(function (s) { s.values.forEach(function (v) { if (isNum(v) && v > max) { max = v; } }); });
    if (opts.minMax && max < opts.minMax) { max = opts.minMax; }
    max = niceMax(max);
    var svg = svgEl("svg", { "class": "chart chart-" + opts.kind, viewBox: "0 0 " + CW + " " + CH, role: "img",
      "aria-label": opts.title, "data-kind": opts.kind, "data-y-max": max, "data-plot-top": MT, "data-plot-bottom": MT + ph,
      "data-plot-left": ML, "data-plot-width": pw, "data-points": n, "data-start": t0, "data-step": step });
    var title = svgEl("title", {});
    title.textContent = opts.title;
    svg.appendChild(title);
    function x(i) { return ML + (n <= 1 ? 0 : i * pw / (n - 1)); }
    function y(v) { return MT + ph - (v / max) * ph; }
    function xt(ms) { return ML + (n <= 1 ? 0 : (ms - t0) / ((n - 1) * step) * pw); }
    // Alert spans under the data.
    (alerts || []).forEach(function (a) {
      var from = Math.max(new Date(a.from).getTime(), t0);
      var to = a.to ? new Date(a.to).getTime() : t0 + (n - 1) * step;
      to = Math.min(to, t0 + (n - 1) * step);
      if (to < from) { return; }
      var r = svgEl("rect", { "class": "alert-shade sev-" + cssToken(a.severity), x: xt(from).toFixed(1), y: MT,
        width: Math.max(2, xt(to) - xt(from)).toFixed(1), height: ph, "data-alert": a.name });
      var tt = svgEl("title", {});
      tt.textContent = "alert " + a.name + (a.severity ? " (" + a.severity + ")" : "") + " firing " +
        fmtClock(a.from) + "–" + (a.to ? fmtClock(a.to) : "now");
      r.appendChild(tt);
      svg.appendChild(r);
    });
    // Gridlines and y labels with units.
    var g = svgEl("g", { "class": "axis y-axis" });
    var div = divisionsOf(max);
    for (var k = 0; k <= div; k++) {
      var v = max * k / div, yy = y(v).toFixed(1);
      g.appendChild(svgEl("line", { "class": k === 0 ? "axis-line" : "grid", x1: ML, x2: ML + pw, y1: yy, y2: yy }));
      var lab = svgEl("text", { x: ML - 4, y: (+yy + 3).toFixed(1), "text-anchor": "end", "class": "tick" });
      lab.textContent = opts.fmt(v);
      g.appendChild(lab);
    }
    svg.appendChild(g);
    // x axis: start, middle, end clock times, and what a point is.
    var gx = svgEl("g", { "class": "axis x-axis" });
    gx.appendChild(svgEl("line", { "class": "axis-line", x1: ML, x2: ML, y1: MT, y2: MT + ph }));
    [0, Math.floor((n - 1) / 2), n - 1].forEach(function (i, j) {
      var tx = svgEl("text", { x: x(i).toFixed(1), y: MT + ph + 11, "class": "tick", "text-anchor": ["start", "middle", "end"][j] });
      tx.textContent = fmtAxisTime(t0 + i * step, h.rangeSeconds);
      gx.appendChild(tx);
    });
    var unit = svgEl("text", { x: ML + pw / 2, y: CH - 3, "class": "axis-title", "text-anchor": "middle" });
    unit.textContent = "time (last " + fmtSpan(h.rangeSeconds) + ", " + fmtSpan(h.stepSeconds) + " steps) · " + opts.unit;
    gx.appendChild(unit);
    svg.appendChild(gx);
    // The series: gaps where nothing was measured.
    series.forEach(function (s) {
      var d = "", pen = false;
      for (var i = 0; i < n; i++) {
        var v = s.values[i];
        if (!isNum(v)) { pen = false; continue; }
        d += (pen ? "L" : "M") + x(i).toFixed(2) + "," + y(v).toFixed(2);
        pen = true;
      }
      svg.appendChild(svgEl("path", { d: d || "M0,0", "class": "line line-" + s.name, "data-series": s.name }));
    });
    // Hover read-out.
    var cursor = svgEl("line", { "class": "cursor", x1: 0, x2: 0, y1: MT, y2: MT + ph, visibility: "hidden" });
    var readout = svgEl("text", { "class": "readout", x: ML + 4, y: MT + 10, visibility: "hidden" });
    svg.appendChild(cursor);
    svg.appendChild(readout);
    svg.addEventListener("mousemove", function (e) {
      var box = svg.getBoundingClientRect();
      var px = (e.clientX - box.left) * CW / box.width;
      var i = Math.round((px - ML) / pw * (n - 1));
      if (i < 0 || i >= n) { cursor.setAttribute("visibility", "hidden"); readout.setAttribute("visibility", "hidden"); return; }
      cursor.setAttribute("x1", x(i).toFixed(1));
      cursor.setAttribute("x2", x(i).toFixed(1));
      cursor.setAttribute("visibility", "visible");
      readout.textContent = fmtClock(new Date(t0 + i * step).toISOString()) + " · " +
        series.map(function (s) { return s.label + " " + opts.fmt(s.values[i]); }).join(" · ");
      readout.setAttribute("x", (x(i) > ML + pw / 2 ? ML + 4 : x(i) + 4).toFixed(1));
      readout.setAttribute("visibility", "visible");
    });
    svg.addEventListener("mouseleave", function () {
      cursor.setAttribute("visibility", "hidden");
      readout.setAttribute("visibility", "hidden");
    });
    var fig = el("figure", "chart-fig");
    fig.appendChild(el("figcaption", null, opts.title));
    fig.appendChild(svg);
    return fig;
  }

  var SEG = { p: "pass", w: "warn", f: "fail", u: "unknown" };

  function uptimeBar(ch, h, name) {
    var wrap = el("div", "uptime");
    var segs = ch.uptime || [];
    var w = 300, bh = 16, gap = 1;
    var svg = svgEl("svg", { "class": "uptime-bar", viewBox: "0 0 " + w + " " + bh, preserveAspectRatio: "none",
      role: "img", "aria-label": "status history of " + name });
    var sw = segs.length ? w / segs.length : w;
    // Consecutive segments with the same status and reason are drawn as
    // one run, with one hover text naming the whole interval.
    for (var i = 0; i < segs.length;) {
      var sg = segs[i], j = i + 1;
      while (j < segs.length && segs[j].status === sg.status && (segs[j].reason || "") === (sg.reason || "")) { j++; }
      var st = sg.status ? statusOf(sg.status) : "none";
      var r = svgEl("rect", { x: (i * sw).toFixed(2), y: 0, width: Math.max(0.5, (j - i) * sw - gap).toFixed(2), height: bh,
        "class": "seg seg-" + st, "data-status": st, "data-segments": j - i });
      var t = svgEl("title", {});
      t.textContent = fmtClock(sg.from) + "–" + fmtClock(segs[j - 1].to) + " · " + (sg.status ? st : "no data") + (sg.reason ? " · " + sg.reason : "");
      r.appendChild(t);
      svg.appendChild(r);
      i = j;
    }
    wrap.appendChild(svg);
    var pct = el("div", "uptime-pct muted small");
    pct.appendChild(el("span", null, "status over the last " + fmtSpan(h.rangeSeconds)));
    ["24h", "7d", "30d"].forEach(function (k) {
      var v = ch.uptimePct && ch.uptimePct[k];
      if (isNum(v)) {
        var sp = el("span", "uptime-figure", "uptime " + k + " " + fmtUptime(v));
        sp.title = "share of " + k + " (as far as history reaches) the component was not failing";
        sp.setAttribute("data-range", k);
        pct.appendChild(sp);
      }
    });
    wrap.appendChild(pct);
    return wrap;
  }

  function hasFigures(ch) {
    for (var i = 0; i < ch.requestRate.length; i++) { if (isNum(ch.requestRate[i])) { return true; } }
    return false;
  }

  // historyBlock returns the charts and uptime bar of a component, built
  // once per history fetch and moved into each new card. Off-screen cards
  // get a placeholder that is filled when it scrolls near the viewport:
  // 200 components make 600 charts, and nobody reads them all at once.
  var lazy = window.IntersectionObserver ? new IntersectionObserver(function (entries) {
    entries.forEach(function (e) {
      if (!e.isIntersecting) { return; }
      var ph = e.target;
      lazy.unobserve(ph);
      var c = ph._component;
      if (!ph.isConnected || !c) { return; }
      var node = buildHistory(c);
      if (node) { ph.replaceWith(node); }
    });
  }, { rootMargin: "600px 0px" }) : null;

  var EAGER_CHARTS = 8;

  function historyBlock(c) {
    var h = state.hist, ch = state.histById[c.id];
    if (!h || !ch) { return null; }
    var cached = state.charts[c.id];
    if (cached && cached.seq === state.histSeq) { return cached.node; }
    // The first cards are on screen at once: build them now, so that the
    // page is complete on its first frame; observe the rest.
    if (!lazy || state.eager > 0) { state.eager--; return buildHistory(c); }
    var ph = el("div", "history pending");
    ph._component = c;
    lazy.observe(ph);
    return ph;
  }

  function buildHistory(c) {
    var h = state.hist, ch = state.histById[c.id];
    if (!h || !ch) { return null; }
    var cached = state.charts[c.id];
    if (cached && cached.seq === state.histSeq) { return cached.node; }
    var name = c.name || c.id;
    var box = el("div", "history");
    box.setAttribute("data-history-range", h.rangeSeconds);
    if (hasFigures(ch)) {
      var win = h.windowSeconds !== h.stepSeconds ? " (each point: the " + fmtSpan(h.windowSeconds) + " window)" : "";
      var charts = el("div", "charts");
      charts.appendChild(chart(h, [{ name: "p50", label: "p50", values: ch.p50 }, { name: "p95", label: "p95", values: ch.p95 }],
        { kind: "latency", title: "latency p50 / p95 of " + name + win, unit: "latency (ms, s)", fmt: fmtLatency, minMax: 0.01 }, ch.alerts));
      charts.appendChild(chart(h, [{ name: "errors", label: "errors", values: ch.errorRate }],
        { kind: "errors", title: "error rate of " + name + win, unit: "error rate (%)", fmt: fmtPct, minMax: 0.01 }, ch.alerts));
      charts.appendChild(chart(h, [{ name: "rate", label: "rate", values: ch.requestRate }],
        { kind: "rate", title: "request rate of " + name + win, unit: "requests per second (/s)", fmt: fmtRate, minMax: 1 }, ch.alerts));
      box.appendChild(charts);
    }
    box.appendChild(uptimeBar(ch, h, name));
    state.charts[c.id] = { seq: state.histSeq, node: box };
    return box;
  }

  function renderRanges() {
    var root = $("ranges");
    if (!root) { return; }
    var offered = (state.hist && state.hist.ranges) || ["15m", "1h", "6h", "24h"];
    var frag = document.createDocumentFragment();
    offered.forEach(function (r) {
      var b = el("button", "btn small range" + (r === state.range ? " on" : ""), r);
      b.type = "button";
      b.setAttribute("aria-pressed", r === state.range ? "true" : "false");
      b.setAttribute("data-range", r);
      b.addEventListener("click", function () { setRange(r); });
      frag.appendChild(b);
    });
    root.replaceChildren(frag);
    var res = $("resolution");
    if (res && state.hist) {
      res.textContent = fmtSpan(state.hist.stepSeconds) + " resolution" +
        (state.hist.windowSeconds !== state.hist.stepSeconds ? ", " + fmtSpan(state.hist.windowSeconds) + " windows" : "") +
        (state.hist.durable ? "" : " · history since start (not durable)");
    }
  }

  function setRange(r) {
    if (r === state.range) { return; }
    state.range = r;
    try {
      var u = new URL(window.location.href);
      u.searchParams.set("range", r);
      window.history.replaceState(null, "", u.toString());
    } catch (e) { /* keep going without the URL */ }
    fetchHistory();
  }

  function fetchHistory() {
    if (state.histTimer) { clearTimeout(state.histTimer); state.histTimer = null; }
    var want = state.range;
    fetch("history.json?range=" + encodeURIComponent(want), { headers: headers(), cache: "no-store", credentials: "same-origin" })
      .then(function (r) {
        if (r.status === 404) {
          // This Source keeps no history: no range to choose.
          var bar = document.querySelector(".rangebar");
          if (bar) { bar.hidden = true; }
          return null;
        }
        if (r.status === 400 && want !== "15m") {
          // A range this server does not offer (7d without durable
          // history, a hand-edited URL): show the default one.
          state.range = "";
          setRange("15m");
          return null;
        }
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json();
      })
      .then(function (h) {
        if (!h || want !== state.range) { return; }
        state.hist = h;
        state.histById = {};
        (h.components || []).forEach(function (c) { state.histById[c.id] = c; });
        state.histSeq++;
        document.body.setAttribute("data-history-range", want);
        document.body.setAttribute("data-history-seq", String(state.histSeq));
        renderRanges();
        if (state.snap) { render(state.snap); }
        // The newest point fills in every cycle: refresh at the step, at
        // least every minute.
        var every = Math.min(60, Math.max(5, h.stepSeconds || 5)) * 1000;
        state.histTimer = setTimeout(fetchHistory, every);
      })
      .catch(function () { state.histTimer = setTimeout(fetchHistory, 10000); });
  }

  // ---- rendering --------------------------------------------------------

  function pill(status, text) {
    return el("span", "pill status-" + statusOf(status), text || statusOf(status));
  }

  function metric(label, value, title) {
    var d = el("div", "metric");
    d.appendChild(el("dt", null, label));
    var v = el("dd", null, value);
    if (title) { d.title = title; }
    d.appendChild(v);
    return d;
  }

  function keyValues(map, cls) {
    var dl = el("dl", cls);
    Object.keys(map || {}).sort().forEach(function (k) {
      dl.appendChild(el("dt", null, k));
      dl.appendChild(el("dd", null, map[k]));
    });
    return dl;
  }

  function renderComponent(c, snap, now) {
    var st = statusOf(c.status);
    var card = el("article", "card status-" + st);
    card.setAttribute("data-component-id", c.id || "");
    card.setAttribute("data-status", st);

    var head = el("div", "card-head");
    head.appendChild(el("span", "dot"));
    var name = el("h3", "name", c.name || c.id);
    name.title = c.name || c.id; // full name, also when the layout wraps it
    name.id = "c-" + cssToken(c.id); // the target of the alerts' links
    head.appendChild(name);
    if (c.kind) { head.appendChild(el("span", "kind", c.kind)); }
    head.appendChild(pill(st));
    card.appendChild(head);

    var sub = el("div", "sub muted");
    if (c.summary) { sub.appendChild(el("span", null, c.summary)); }
    if (c.since && st !== "pass") { sub.appendChild(el("span", null, st + " for " + fmtAgo(c.since, now).replace(" ago", ""))); }
    if (c.checkedAt) { sub.appendChild(el("span", c.stale ? "stale" : "checked", (c.stale ? "stale: checked " : "checked ") + fmtAgo(c.checkedAt, now))); }
    if (sub.childNodes.length) { card.appendChild(sub); }
    if (c.reason) {
      // Which signal decided the status: the status rule, made visible.
      var why = el("div", "reason muted", (c.signal ? c.signal + ": " : "") + c.reason);
      why.setAttribute("data-signal", c.signal || "");
      card.appendChild(why);
    }

    (alertsAbout[c.id] || []).forEach(function (a) {
      var link = el("a", "alert-link sev-" + cssToken(a.severity), "alert " + a.name + " firing" + (a.severity ? " (" + a.severity + ")" : ""));
      link.href = "#" + a.anchor;
      card.appendChild(link);
    });

    var win = fmtWindow(snap.windowSeconds);
    var over = win ? " over the last " + win : "";
    var m = el("dl", "metrics");
    m.setAttribute("data-window", win);
    m.appendChild(metric("p50" + (win ? " · " + win : ""), fmtLatency(c.p50), "median latency" + over));
    m.appendChild(metric("p95" + (win ? " · " + win : ""), fmtLatency(c.p95), "95th percentile latency" + over));
    m.appendChild(metric("errors", fmtPct(c.errorRate), "share of calls that failed" + over));
    m.appendChild(metric("rate", fmtRate(c.requestRate), "requests per second" + over));
    m.appendChild(metric("volume", fmtCount(c.volume) + " calls", win ? "calls in the last " + win : ""));
    m.appendChild(metric("uptime", fmtUptime(c.uptimePct), "share of calls that succeeded" + over));
    card.appendChild(m);

    var hb = historyBlock(c);
    if (hb) {
      card.appendChild(hb);
    } else if ((c.latencySparkline && c.latencySparkline.length) || (c.errorSparkline && c.errorSparkline.length)) {
      var sp = el("div", "sparks");
      var f1 = el("figure");
      f1.appendChild(sparkline(c.latencySparkline, "latency", "latency of " + (c.name || c.id)));
      f1.appendChild(el("figcaption", null, "latency"));
      var f2 = el("figure");
      f2.appendChild(sparkline(c.errorSparkline, "errors", "error rate of " + (c.name || c.id)));
      f2.appendChild(el("figcaption", null, "errors"));
      sp.appendChild(f1);
      sp.appendChild(f2);
      card.appendChild(sp);
    }

    if (c.override) {
      var o = el("div", "override");
      o.appendChild(el("strong", null, c.override.status === "fail" ? "Maintenance" : "Forced " + statusOf(c.override.status)));
      if (c.override.reason) { o.appendChild(el("span", null, " · " + c.override.reason)); }
      if (c.override.setAt) { o.appendChild(el("span", "muted", " · " + fmtAgo(c.override.setAt, now))); }
      card.appendChild(o);
    }
    if (c.lastError) {
      var le = el("div", "lasterror");
      le.appendChild(el("span", "label", "last error" + (c.lastErrorAt ? " · " + fmtAgo(c.lastErrorAt, now) : "")));
      le.appendChild(el("code", null, c.lastError));
      card.appendChild(le);
    }
    if (c.details && Object.keys(c.details).length) {
      var det = el("details", "more");
      det.appendChild(el("summary", null, "details"));
      det.appendChild(keyValues(c.details, "kv"));
      card.appendChild(det);
    }
    if (snap.canAct) {
      var acts = el("div", "actions");
      if (c.override) {
        acts.appendChild(button("Clear override", function () {
          ask({ title: "Clear override of " + (c.name || c.id), text: "The component reports its own status again." },
            function (reason) { return act("DELETE", "api/overrides", { component: c.id, reason: reason }); });
        }));
      } else {
        acts.appendChild(button("Maintenance", function () {
          ask({ title: "Put " + (c.name || c.id) + " into maintenance",
            text: "Forces its status to fail (out of service) until cleared. Logged with your address." },
          function (reason) { return act("POST", "api/overrides", { component: c.id, status: "fail", reason: reason }); });
        }));
      }
      card.appendChild(acts);
    }
    return card;
  }

  // renderProblems lists what is not passing, worst first: which
  // component, since when, why, and the alerts about it, at the top.
  function renderProblems(snap, now) {
    var rank = { fail: 0, unknown: 1, warn: 2 };
    var list = [];
    (snap.groups || []).forEach(function (g) {
      (g.components || []).forEach(function (c) {
        var st = statusOf(c.status);
        if (st === "fail" || st === "warn") { list.push(c); }
      });
    });
    list.sort(function (a, b) { return rank[statusOf(a.status)] - rank[statusOf(b.status)] || String(a.since || "").localeCompare(String(b.since || "")); });
    var root = $("problems");
    var frag = document.createDocumentFragment();
    list.forEach(function (c) {
      var st = statusOf(c.status);
      var li = el("li", "problem status-" + st);
      li.setAttribute("data-component-id", c.id);
      li.appendChild(pill(st));
      var a = el("a", "problem-name", c.name || c.id);
      a.href = "#c-" + cssToken(c.id);
      li.appendChild(a);
      if (c.kind) { li.appendChild(el("span", "kind muted", c.kind)); }
      if (c.since) {
        var since = el("span", "muted", " since ");
        since.appendChild(timeEl(c.since, fmtClock(c.since) + " (" + fmtAgo(c.since, now) + ")"));
        li.appendChild(since);
      }
      if (c.reason) { li.appendChild(el("span", "problem-reason", (c.signal ? c.signal + ": " : "") + c.reason)); }
      (alertsAbout[c.id] || []).forEach(function (al) {
        var l = el("a", "alert-link-inline sev-" + cssToken(al.severity), "alert " + al.name + (al.severity ? " (" + al.severity + ")" : ""));
        l.href = "#" + al.anchor;
        li.appendChild(l);
      });
      frag.appendChild(li);
    });
    root.replaceChildren(frag);
    $("problems-section").hidden = list.length === 0;
  }

  function renderGroups(snap, now) {
    var root = $("groups");
    state.eager = EAGER_CHARTS;
    var frag = document.createDocumentFragment();
    (snap.groups || []).forEach(function (g) {
      var sec = el("section", "group");
      sec.setAttribute("data-group", g.name || "");
      var comps = g.components || [];
      var worst = "pass", rank = { pass: 0, warn: 1, unknown: 2, fail: 3 };
      comps.forEach(function (c) { if (rank[statusOf(c.status)] > rank[worst]) { worst = statusOf(c.status); } });
      var h = el("h2", "group-title");
      h.appendChild(el("span", "dot status-" + worst));
      h.appendChild(el("span", null, g.name));
      h.appendChild(el("span", "count", comps.length));
      sec.appendChild(h);
      var grid = el("div", "grid");
      comps.forEach(function (c) { grid.appendChild(renderComponent(c, snap, now)); });
      sec.appendChild(grid);
      frag.appendChild(sec);
    });
    root.replaceChildren(frag);
  }

  var stateRank = { firing: 0, pending: 1, resolved: 2 };
  // alertsAbout maps a component ID to the firing alerts about it, for the
  // links from cards to alerts; filled by renderAlerts before the cards.
  var alertsAbout = {};
  function alertAnchor(a, i) { return "a-" + cssToken(a.name) + "-" + i; }

  function renderAlerts(snap, now) {
    var list = (snap.alerts || []).slice().sort(function (a, b) {
      var d = (stateRank[a.state] === undefined ? 3 : stateRank[a.state]) - (stateRank[b.state] === undefined ? 3 : stateRank[b.state]);
      return d || String(a.since || "").localeCompare(String(b.since || ""));
    });
    var active = list.filter(function (a) { return a.state === "firing" || a.state === "pending"; }).length;
    $("alerts-count").textContent = active ? String(active) : "";
    var root = $("alerts");
    var frag = document.createDocumentFragment();
    if (list.length === 0) { frag.appendChild(el("p", "empty ok", "No alerts. All quiet.")); }
    alertsAbout = {};
    var names = {};
    (snap.groups || []).forEach(function (g) {
      (g.components || []).forEach(function (c) { names[c.id] = (c.name || c.id) + (c.kind ? " (" + c.kind + ")" : ""); });
    });
    var resolved = null, nResolved = 0;
    list.forEach(function (a, i) {
      var row = el("div", "alert state-" + cssToken(a.state) + " sev-" + cssToken(a.severity));
      row.id = alertAnchor(a, i);
      row.setAttribute("data-alert", a.name || "");
      row.setAttribute("data-state", a.state || "");
      (a.components || []).forEach(function (id) {
        (alertsAbout[id] = alertsAbout[id] || []).push({ name: a.name, severity: a.severity, anchor: row.id });
      });
      var head = el("div", "alert-head");
      head.appendChild(el("span", "pill state", a.state));
      head.appendChild(el("strong", "alert-name", a.name));
      if (a.severity) { head.appendChild(el("span", "sev", a.severity)); }
      if (a.silenced) { head.appendChild(el("span", "tag", "silenced")); }
      if (a.valueText) { head.appendChild(el("span", "muted value", a.valueText)); }
      else if (isNum(a.value)) { head.appendChild(el("span", "muted value", "value " + (Math.round(a.value * 1000) / 1000))); }
      (a.components || []).forEach(function (id) {
        var link = el("a", "card-link", "→ " + (names[id] || id));
        link.href = "#c-" + cssToken(id);
        head.appendChild(link);
      });
      if (a.since) {
        var since = el("span", "muted since", a.state === "resolved" ? "resolved " : "since ");
        since.appendChild(timeEl(a.since, fmtClock(a.since) + " (" + fmtAgo(a.since, now) + ")"));
        head.appendChild(since);
      }
      row.appendChild(head);
      var ann = a.annotations || {};
      if (ann.summary) { row.appendChild(el("p", "alert-summary", ann.summary)); }
      var labels = el("div", "labels");
      Object.keys(a.labels || {}).sort().forEach(function (k) { labels.appendChild(el("span", "chip", k + "=" + a.labels[k])); });
      if (labels.childNodes.length) { row.appendChild(labels); }
      var rest = {};
      Object.keys(ann).forEach(function (k) { if (k !== "summary") { rest[k] = ann[k]; } });
      if (Object.keys(rest).length) { row.appendChild(keyValues(rest, "kv annotations")); }
      if (a.evidence && a.evidence.length) {
        var ev = el("div", "evidence");
        ev.appendChild(el("span", "label", "evidence"));
        var ul = el("ul");
        a.evidence.forEach(function (x) { ul.appendChild(el("li", null, x)); });
        ev.appendChild(ul);
        row.appendChild(ev);
      }
      if (snap.canAct && a.state !== "resolved" && !a.silenced) {
        var acts = el("div", "actions");
        acts.appendChild(button("Silence", function () {
          var matchers = [{ name: "alertname", op: "=", value: a.name }];
          if (a.labels && a.labels.component) { matchers.push({ name: "component", op: "=", value: a.labels.component }); }
          ask({ title: "Silence " + a.name, duration: true,
            text: "Mutes notifications for " + matchers.map(function (m) { return m.name + m.op + m.value; }).join(", ") + "." },
          function (reason, duration) { return act("POST", "api/silences", { matchers: matchers, duration: duration, comment: reason }); });
        }));
        row.appendChild(acts);
      }
      if (a.state === "resolved") {
        // Recently resolved alerts stay out of the way, one click away.
        if (!resolved) {
          resolved = el("details", "resolved");
          resolved.appendChild(el("summary"));
          frag.appendChild(resolved);
        }
        nResolved++;
        resolved.appendChild(row);
        return;
      }
      frag.appendChild(row);
    });
    if (resolved) { resolved.firstChild.textContent = nResolved + " recently resolved"; }
    var old = root.querySelector("details.resolved");
    if (resolved && old && old.open) { resolved.open = true; }
    root.replaceChildren(frag);
  }

  function renderEvents(snap, now) {
    var frag = document.createDocumentFragment();
    var evs = snap.events || [];
    if (evs.length === 0) { frag.appendChild(el("li", "empty", "No events yet.")); }
    evs.slice(0, 100).forEach(function (e) {
      var li = el("li", "event sev-" + cssToken(e.severity));
      li.appendChild(timeEl(e.time, fmtClock(e.time)));
      var body = el("div", "event-body");
      var top = el("div");
      if (e.kind) { top.appendChild(el("span", "tag", e.kind)); }
      if (e.component) { top.appendChild(el("strong", null, e.component + " ")); }
      top.appendChild(el("span", null, e.message));
      body.appendChild(top);
      if (e.detail) { body.appendChild(el("code", "event-detail", e.detail)); }
      li.appendChild(body);
      frag.appendChild(li);
    });
    $("events").replaceChildren(frag);
  }

  function renderOverrides(snap, now) {
    var frag = document.createDocumentFragment();
    (snap.groups || []).forEach(function (g) {
      (g.components || []).forEach(function (c) {
        if (!c.override) { return; }
        var li = el("li");
        li.appendChild(pill(c.override.status, c.override.status === "fail" ? "maintenance" : "forced " + statusOf(c.override.status)));
        li.appendChild(el("strong", null, " " + (c.name || c.id)));
        if (c.override.reason) { li.appendChild(el("span", null, " · " + c.override.reason)); }
        if (c.override.setAt) { li.appendChild(el("span", "muted", " · " + fmtAgo(c.override.setAt, now))); }
        frag.appendChild(li);
      });
    });
    if (!frag.childNodes.length) { frag.appendChild(el("li", "empty", "None.")); }
    $("overrides").replaceChildren(frag);
  }

  function renderSilences(snap, now) {
    var frag = document.createDocumentFragment();
    (snap.silences || []).forEach(function (s) {
      var li = el("li");
      li.appendChild(el("code", null, "{" + (s.matchers || []).map(function (m) {
        return m.name + m.op + JSON.stringify(m.value);
      }).join(", ") + "}"));
      if (s.endsAt) { li.appendChild(el("span", "muted", " · ends " + fmtAgo(s.endsAt, now))); }
      if (s.author) { li.appendChild(el("span", null, " · " + s.author)); }
      if (s.comment) { li.appendChild(el("div", "muted small", s.comment)); }
      if (snap.canAct) {
        li.appendChild(button("Expire", function () {
          ask({ title: "Expire silence", text: "Notifications for these alerts resume." },
            function () { return act("DELETE", "api/silences", { id: s.id }); }, true);
        }));
      }
      frag.appendChild(li);
    });
    if (!frag.childNodes.length) { frag.appendChild(el("li", "empty", "None.")); }
    $("silences").replaceChildren(frag);
  }

  // renderFailover shows, per failover group, the provider that serves its
  // calls now, why, and every breaker.
  function renderFailover(snap, now) {
    var groups = snap.failover || [];
    var pending = snap.pendingActions || [];
    $("failover-section").hidden = !groups.length && !pending.length;
    var frag = document.createDocumentFragment();
    groups.forEach(function (g) {
      var provs = g.providers || [];
      var preferred = provs.length > 0 && provs[0].name === g.serving;
      var li = el("li", "failover-group");
      li.setAttribute("data-group", g.group);
      li.setAttribute("data-serving", g.serving);
      li.appendChild(pill(preferred ? "pass" : "warn", preferred ? "preferred" : "failed over"));
      li.appendChild(el("strong", null, " " + g.group + " → " + g.serving));
      if (g.since) { li.appendChild(el("span", "muted", " · since " + fmtAgo(g.since, now))); }
      li.appendChild(el("div", "muted small failover-reason", g.reason));
      var ul = el("ul", "plain small");
      provs.forEach(function (p) {
        var pl = el("li");
        pl.setAttribute("data-provider", p.name);
        pl.setAttribute("data-state", p.state);
        pl.appendChild(pill(p.state === "closed" ? "pass" : p.state === "open" ? "fail" : "warn", String(p.state).replace("_", "-")));
        pl.appendChild(el("span", null, " " + p.name + (p.reason ? " · " + p.reason : "")));
        ul.appendChild(pl);
      });
      li.appendChild(ul);
      frag.appendChild(li);
    });
    $("failover").replaceChildren(frag);

    // Alert actions waiting for an operator: approving runs them now, with
    // the operator's name recorded as their author.
    var pf = document.createDocumentFragment();
    pending.forEach(function (p) {
      var li = el("li", "pending-action");
      li.setAttribute("data-action-id", p.id);
      li.appendChild(pill("warn", "awaits approval"));
      li.appendChild(el("strong", null, " " + p.action));
      li.appendChild(el("span", null, " for " + p.alert));
      if (p.since) { li.appendChild(el("span", "muted", " · " + fmtAgo(p.since, now))); }
      if (snap.canAct) {
        li.appendChild(button("Approve", function () {
          ask({ title: "Approve " + p.action, text: "Runs it now for " + p.alert + ". Your name is recorded as its author.", label: "Your name" },
            function (author) { return act("POST", "api/actions/approve", { id: p.id, author: author }); });
        }));
      }
      pf.appendChild(li);
    });
    $("pending-actions").replaceChildren(pf);
  }

  function renderHeader(snap, now) {
    var st = statusOf(snap.status);
    var ov = $("overall");
    ov.className = "pill big status-" + st;
    ov.textContent = { pass: "All systems operational", warn: "Degraded", fail: "Failing", unknown: "Unknown" }[st];
    if (snap.title) { $("title").textContent = snap.title; document.title = (st === "pass" ? "" : "[" + st + "] ") + snap.title; }
    var svc = snap.service || {};
    $("service").textContent = [svc.name, svc.version, svc.environment, svc.instance].filter(Boolean).join(" · ");
    var counts = { pass: 0, warn: 0, fail: 0, unknown: 0 };
    (snap.groups || []).forEach(function (g) { (g.components || []).forEach(function (c) { counts[statusOf(c.status)]++; }); });
    var c = $("counts");
    var frag = document.createDocumentFragment();
    ["fail", "warn", "unknown", "pass"].forEach(function (k) {
      if (counts[k]) { frag.appendChild(el("span", "count-" + k, counts[k] + " " + k)); }
    });
    // Firing alerts by severity: page and critical fail the page.
    Object.keys(snap.firing || {}).sort().forEach(function (sev) {
      var n = snap.firing[sev];
      var cls = (sev === "page" || sev === "critical") ? "count-fail" : "count-warn";
      var span = el("span", cls + " firing", n + " firing" + (sev ? " " + sev : ""));
      span.setAttribute("data-severity", sev);
      frag.appendChild(span);
    });
    c.replaceChildren(frag);
    $("generated").textContent = snap.generated ? "updated " + fmtClock(snap.generated) : "";
    document.body.classList.toggle("detailed", !!snap.detailed);
  }

  // render draws the whole page from a snapshot and the current history,
  // and records how long it took (data-render-ms) for the browser test.
  function render(snap) {
    var t0 = window.performance ? performance.now() : Date.now();
    var now = Date.now();
    renderHeader(snap, now);
    renderAlerts(snap, now);
    renderProblems(snap, now);
    renderFailover(snap, now);
    renderGroups(snap, now);
    renderEvents(snap, now);
    renderOverrides(snap, now);
    renderSilences(snap, now);
    var ms = (window.performance ? performance.now() : Date.now()) - t0;
    document.body.setAttribute("data-render-ms", ms.toFixed(1));
    if (state.hist) { document.body.setAttribute("data-render-history-ms", ms.toFixed(1)); }
  }

  function apply(snap, transport) {
    state.snap = snap;
    state.updates++;
    if (isNum(snap.refreshSeconds) && snap.refreshSeconds > 0) { state.refreshMs = snap.refreshSeconds * 1000; }
    render(snap);
    showError("");
    if (state.token && !snap.detailed) { showError("The token was not accepted: showing the public view."); }
    setLive(transport);
    document.body.setAttribute("data-state", "live");
    document.body.setAttribute("data-updates", String(state.updates));
  }

  function showError(msg) {
    var e = $("error");
    e.textContent = msg;
    e.hidden = !msg;
  }
  function setLive(transport, problem) {
    state.transport = transport;
    document.body.setAttribute("data-transport", transport);
    var l = $("live");
    l.className = "live" + (problem ? " stale" : "");
    l.textContent = problem || (transport === "sse" ? "live" : "live · polling") + (state.token ? " · operator" : "");
  }

  // ---- transport: SSE for the public view, polling with a token ---------
  // ?transport=poll forces polling: for proxies that buffer event streams
  // (and headless browsers whose virtual time stops while one is open).
  var forcePoll = /(^|[?&])transport=poll(&|$)/.test(window.location.search);

  function stop() {
    if (state.es) { state.es.close(); state.es = null; }
    if (state.timer) { clearTimeout(state.timer); state.timer = null; }
  }

  function start() {
    stop();
    $("auth-toggle").textContent = state.token ? "Operator ✓" : "Operator";
    if (!state.token && !forcePoll && window.EventSource) { stream(); } else { poll(); }
  }

  function stream() {
    var es = new EventSource("events");
    state.es = es;
    es.addEventListener("snapshot", function (e) {
      try { apply(JSON.parse(e.data), "sse"); } catch (err) { showError("Bad data from the server."); }
    });
    es.addEventListener("unavailable", function () { setLive("sse", "status source unavailable"); });
    es.onerror = function () {
      if (es.readyState === EventSource.CLOSED) {
        // The server refused the stream (closed, or a proxy that cannot
        // stream): poll instead.
        es.close();
        state.es = null;
        poll();
        return;
      }
      setLive("sse", "reconnecting…");
    };
  }

  function headers(extra) {
    var h = extra || {};
    if (state.token) { h.Authorization = "Bearer " + state.token; }
    return h;
  }

  function poll() {
    state.timer = null;
    fetch("status.json", { headers: headers(), cache: "no-store", credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json();
      })
      .then(function (snap) { apply(snap, "poll"); })
      .catch(function () { setLive("poll", "disconnected · retrying"); })
      .then(function () {
        if (!state.es) { state.timer = setTimeout(poll, state.refreshMs); }
      });
  }

  // ---- actions ----------------------------------------------------------

  function button(label, onClick) {
    var b = el("button", "btn small", label);
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
  }

  function act(method, url, body) {
    return fetch(url, {
      method: method,
      headers: headers({ "Content-Type": "application/json" }),
      body: JSON.stringify(body),
      credentials: "same-origin"
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) { throw new Error(j.error || "HTTP " + r.status); }
        return j;
      });
    });
  }

  var dialogSubmit = null;
  function ask(opts, submit, noReason) {
    var d = $("dialog");
    $("dialog-title").textContent = opts.title;
    $("dialog-text").textContent = opts.text || "";
    $("dialog-duration-row").hidden = !opts.duration;
    var reason = $("dialog-reason");
    reason.labels[0].textContent = opts.label || "Reason";
    reason.value = "";
    reason.required = !noReason;
    reason.parentNode.hidden = !!noReason;
    $("dialog-error").hidden = true;
    dialogSubmit = submit;
    if (typeof d.showModal === "function") { d.showModal(); } else { d.setAttribute("open", ""); }
    if (!noReason) { reason.focus(); }
  }

  function initDialog() {
    var d = $("dialog");
    $("dialog-cancel").addEventListener("click", function () { d.close(); });
    $("dialog-form").addEventListener("submit", function (e) {
      e.preventDefault();
      if (!dialogSubmit) { d.close(); return; }
      var ok = $("dialog-ok");
      ok.disabled = true;
      dialogSubmit($("dialog-reason").value.trim(), $("dialog-duration").value)
        .then(function () { d.close(); if (!state.es) { stop(); poll(); } })
        .catch(function (err) {
          var e2 = $("dialog-error");
          e2.textContent = err.message;
          e2.hidden = false;
        })
        .then(function () { ok.disabled = false; });
    });
  }

  function initAuth() {
    var form = $("auth");
    $("auth-toggle").addEventListener("click", function () { form.hidden = !form.hidden; if (!form.hidden) { $("token").focus(); } });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      writeToken($("token").value.trim());
      $("token").value = "";
      form.hidden = true;
      start();
    });
    $("auth-clear").addEventListener("click", function () {
      writeToken("");
      form.hidden = true;
      start();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    initAuth();
    initDialog();
    renderRanges();
    start();
    fetchHistory();
  });
})();
