// Descent Lab's animation player: plotly.js figures, animated in the browser from their final data.
//
// A figure spec may carry a "player" entry (figures/animation.py writes it):
//   steps      the number of steps the animation runs through (position 0 … steps);
//   grow       [path trace, head trace or -1, steps per position]: the path is drawn up to the
//              current position (the last segment interpolated), the head sits at its tip;
//   snapshots  [{trace, at: [step…], x, y}]: a cloud of points seen at the steps `at`, each flattened
//              (len(at) × members), interpolated in between;
//   frames     [{traces, at: [step…], shape: [ny, nx], z, scale}]: a grid (heatmap, contour) seen at
//              the steps `at`, flattened (len(at) × ny × nx, times scale): the traces show the last
//              one seen (e.g. a classifier's decision regions over the epochs);
//   unit       {name, scale, offset, digits}: the readout is offset + position × scale (epochs, days),
//              else the step.
// Every figure mounted together shares one timeline: one Play drives paired maps.
// The still view (paused at the end) is the spec's own data, so a PNG export is the figure as built.
(function () {
  "use strict";
  const MIN_HEIGHT = 280;  // px: a chart never shrinks below this to fit the screen

  // Base64 to bytes: the browser's own decoder where it has one, else a plain loop (mapping each
  // character through Uint8Array.from's callback is 14× slower: 200 ms for lesson 12's 1.2 MB).
  function bytesOf(text) {
    if (Uint8Array.fromBase64) return Uint8Array.fromBase64(text);
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  function decode(array) {
    if (array && array.bdata !== undefined) {
      const bytes = bytesOf(array.bdata);
      const types = {f4: Float32Array, f8: Float64Array, i4: Int32Array, u1: Uint8Array, i2: Int16Array};
      return new (types[array.dtype] || Float64Array)(bytes.buffer);
    }
    return Float64Array.from(array || [], (v) => (v === null ? NaN : v));
  }

  function lastFinite(xs, ys, upto) {
    for (let k = Math.min(upto, xs.length - 1); k >= 0; k--) {
      if (Number.isFinite(xs[k]) && Number.isFinite(ys[k])) return k;
    }
    return -1;
  }

  // The moving traces of one figure at timeline position `pos` (0 … its own steps).
  function frameAt(animation, pos) {
    const data = [];
    const traces = [];
    for (const g of animation.grow) {
      const n = g.x.length;
      const at = Math.min(pos * g.rate, n - 1);
      const k = Math.floor(at);
      const f = at - k;
      let x = g.x.subarray(0, k + 1);
      let y = g.y.subarray(0, k + 1);
      let tip = lastFinite(g.x, g.y, k);
      let head = tip >= 0 ? [g.x[tip], g.y[tip]] : [NaN, NaN];
      if (f > 1e-9 && k + 1 < n && tip === k && Number.isFinite(g.x[k + 1]) && Number.isFinite(g.y[k + 1])) {
        head = [g.x[k] + f * (g.x[k + 1] - g.x[k]), g.y[k] + f * (g.y[k + 1] - g.y[k])];
        x = Float64Array.from(x); y = Float64Array.from(y);
        const xx = new Float64Array(k + 2); xx.set(x); xx[k + 1] = head[0];
        const yy = new Float64Array(k + 2); yy.set(y); yy[k + 1] = head[1];
        x = xx; y = yy;
      }
      traces.push(g.trace); data.push({x: x, y: y});
      if (g.head >= 0) { traces.push(g.head); data.push({x: [head[0]], y: [head[1]]}); }
    }
    for (const s of animation.snapshots) {
      const at = s.at;
      let j = 0;
      while (j + 1 < at.length - 1 && at[j + 1] <= pos) j++;
      const span = at.length > 1 ? at[j + 1] - at[j] : 1;
      const f = at.length > 1 ? Math.max(0, Math.min(1, (pos - at[j]) / (span || 1))) : 0;
      const m = s.members;
      const x = new Float64Array(m); const y = new Float64Array(m);
      const a = j * m; const b = Math.min(j + 1, at.length - 1) * m;
      for (let i = 0; i < m; i++) {
        x[i] = s.x[a + i] + f * (s.x[b + i] - s.x[a + i]);
        y[i] = s.y[a + i] + f * (s.y[b + i] - s.y[a + i]);
      }
      traces.push(s.trace); data.push({x: x, y: y});
    }
    return {data: data, traces: traces};
  }

  function prepare(spec) {
    const animation = spec.player || null;
    if (!animation) return null;
    const grow = (animation.grow || []).map(([trace, head, rate]) => ({
      trace: trace, head: head, rate: rate,
      x: decode(spec.data[trace].x), y: decode(spec.data[trace].y),
    }));
    const snapshots = (animation.snapshots || []).map((s) => ({
      trace: s.trace, at: s.at, members: s.members, x: decode(s.x), y: decode(s.y),
    }));
    const frames = (animation.frames || []).map((f) => ({
      traces: f.traces, at: f.at, ny: f.shape[0], nx: f.shape[1], z: decode(f.z), scale: f.scale || 1, shown: -1,
    }));
    return {steps: animation.steps, grow: grow, snapshots: snapshots, frames: frames, unit: animation.unit || null};
  }

  // The grid a frames entry shows at position `pos`: the last one seen (rows of numbers).
  function gridAt(f, pos) {
    let j = 0;
    while (j + 1 < f.at.length && f.at[j + 1] <= pos) j++;
    return j;
  }

  function showGrids(div, animation, pos) {
    for (const f of animation.frames || []) {
      const j = gridAt(f, pos);
      if (j === f.shown) continue;  // a new grid only when the position passes its step
      f.shown = j;
      const rows = [];
      const base = j * f.ny * f.nx;
      for (let r = 0; r < f.ny; r++) {
        rows.push(Array.from(f.z.subarray(base + r * f.nx, base + (r + 1) * f.nx), (v) => v * f.scale));
      }
      Plotly.restyle(div, {z: f.traces.map(() => rows)}, f.traces).catch(() => null);
    }
  }

  // A map drawn true (equal aspect: scaleanchor) is as tall as its width and ranges make it, within
  // the height its style allows and the room left on the screen.
  function fittedHeight(layout, width, room) {
    let height = layout.height || 450;
    const x = layout.xaxis || {}; const y = layout.yaxis || {};
    if (y.scaleanchor === "x" && x.range && y.range && width > 0) {
      const m = Object.assign({l: 80, r: 80, t: 100, b: 80}, layout.margin || {});
      const ratio = Math.abs((y.range[1] - y.range[0]) / (x.range[1] - x.range[0]));
      height = Math.min(height, (width - m.l - m.r) * ratio + m.t + m.b);
    }
    return Math.round(Math.max(MIN_HEIGHT, Math.min(height, room)));
  }

  // A map drawn true leaves room at its side in a wide chart: the legend goes there, in a column,
  // and the map gets the height the legend took above it.
  function legendBeside(layout, width, fontSize) {
    const x = layout.xaxis || {}; const y = layout.yaxis || {};
    if (y.scaleanchor !== "x" || !x.range || !y.range || !layout.legend || layout.showlegend === false) return;
    const m = Object.assign({l: 80, r: 80, t: 100, b: 80}, layout.margin || {});
    const ratio = Math.abs((y.range[1] - y.range[0]) / (x.range[1] - x.range[0]));
    const top = 12;
    const plotWidth = (layout.height - top - m.b) / ratio;
    if (width - m.l - m.r - plotWidth < 17 * fontSize) return;  // no room: the legend stays above
    const end = Math.min(1, (plotWidth + 4) / (width - m.l - m.r));
    layout.margin = Object.assign({}, m, {t: top});
    layout.xaxis = Object.assign({}, x, {domain: [0, end]});
    layout.legend = Object.assign({}, layout.legend, {orientation: "v", x: end + 0.02, xanchor: "left",
                                                       y: 1, yanchor: "top"});
  }

  // A legend in rows above the plot gets the room it needs: never drawn over the map's top.
  // (Measured only for such a legend: a measurement forces the browser to lay out the page then.)
  function clearLegend(div) {
    const layout = div._fullLayout;
    if (!layout || !layout.showlegend || (layout.legend && layout.legend.orientation !== "h")) return null;
    const legend = div.querySelector(".legend");
    const plot = div.querySelector(".nsewdrag");
    if (!legend || !plot) return null;
    const overlap = legend.getBoundingClientRect().bottom - plot.getBoundingClientRect().top;
    if (overlap <= 0) return null;
    div.cleared = (div.cleared || 0) + 1;
    if (div.cleared > 3) return null;  // (plotly.js could not give the room: leave it)
    return Plotly.relayout(div, {"margin.t": layout.margin.t + overlap + 6});
  }

  // The projector stage (options.fit): the chart and its controls fit the first screen below what
  // comes before them, or a whole screen when they start further down.
  function roomOnScreen(root, options) {
    if (!options.fit) return Infinity;
    try {
      const view = window.parent.innerHeight;
      const frame = window.frameElement ? window.frameElement.getBoundingClientRect().top + window.parent.scrollY : 0;
      const controls = 3.2 * (options.fontSize || 15);
      return view - controls - (frame < view * 0.6 ? frame : 0) - 12;
    } catch (error) {
      return Infinity;  // not inside the app (the HTML export): the style's own height
    }
  }

  // Write a frame's traces into plotly.js's SVG: each line's path, each marker's position. False
  // when a trace's elements are not where plotly.js draws them (then plotly.js must draw it).
  function paint(div, frame) {
    const layout = div._fullLayout;
    if (!layout || !layout.xaxis || !layout.yaxis) return false;
    const xa = layout.xaxis, ya = layout.yaxis;
    const px = (v) => xa.l2p(xa.d2l(v)), py = (v) => ya.l2p(ya.d2l(v));
    const groups = new Map();
    for (const g of div.querySelectorAll(".scatterlayer .trace")) {
      const cd = g.__data__;
      if (cd && cd[0] && cd[0].trace) groups.set(cd[0].trace.index, g);
    }
    for (let k = 0; k < frame.traces.length; k++) {
      const g = groups.get(frame.traces[k]);
      const {x, y} = frame.data[k];
      if (!g) return false;
      const lines = g.querySelectorAll("path.js-line");
      if (lines.length) {
        let d = "", pen = "M";
        for (let i = 0; i < x.length; i++) {
          if (Number.isFinite(x[i]) && Number.isFinite(y[i])) {
            d += `${pen}${px(x[i]).toFixed(1)},${py(y[i]).toFixed(1)}`; pen = "L";
          } else pen = "M";
        }
        lines[0].setAttribute("d", d || "M0,0");
        for (let j = 1; j < lines.length; j++) lines[j].setAttribute("d", "M0,0");
      }
      const points = g.querySelectorAll("path.point");
      if (points.length) {
        for (const point of points) {
          const i = point.__data__ ? point.__data__.i : undefined;
          const at = i === undefined ? (x.length - 1) : i;
          if (at < x.length && Number.isFinite(x[at]) && Number.isFinite(y[at])) {
            point.setAttribute("transform", `translate(${px(x[at]).toFixed(1)},${py(y[at]).toFixed(1)})`);
            point.style.display = "";
          } else point.style.display = "none";
        }
      } else if (!lines.length) return false;
    }
    return true;
  }

  function button(text, title, onClick) {
    const b = document.createElement("button");
    b.type = "button"; b.textContent = text; b.title = title; b.setAttribute("aria-label", title);
    b.addEventListener("click", onClick);
    return b;
  }

  // Mount figures (plotly.js specs) into `root` with one set of controls; options: labels, seconds
  // (a race's length at 1×), fontSize, config, onClick(point), columns.
  function mount(root, specs, options) {
    const labels = options.labels || {};
    const plots = [];
    const grid = document.createElement("div");
    grid.className = "dl-grid";
    grid.style.gridTemplateColumns = `repeat(${options.columns || specs.length}, minmax(0, 1fr))`;
    root.appendChild(grid);
    for (const spec of specs) {
      const cell = document.createElement("div");
      const title = spec.layout.title && spec.layout.title.text;
      let caption = null;
      if (title) {  // a caption above the plot: a title inside it would fight the legend for the top
        caption = document.createElement("div");
        caption.className = "dl-caption";
        caption.textContent = title;
        caption.style.fontSize = `${(options.fontSize || 15) + 3}px`;
        cell.appendChild(caption);
      }
      const div = document.createElement("div");
      div.className = "dl-plot";
      cell.appendChild(div);
      grid.appendChild(cell);
      plots.push({div: div, spec: spec, animation: prepare(spec), caption: caption});
    }
    // The layout for the space the plot has now (a map's height and legend follow its width).
    function arranged(p) {
      // clickanywhere: a click on an empty spot of a map is reported too (a clickable map)
      const layout = Object.assign({}, p.spec.layout, {autosize: true}, options.onClick ? {clickanywhere: true} : {});
      delete layout.width;
      if (layout.title && layout.title.text) {
        delete layout.title;
        layout.margin = Object.assign({}, layout.margin, {t: 30});
      }
      const room = roomOnScreen(root, options) - (p.caption ? p.caption.offsetHeight : 0);
      layout.height = fittedHeight(layout, p.div.clientWidth, room);
      legendBeside(layout, p.div.clientWidth, options.fontSize || 15);
      return layout;
    }
    let animated = plots.filter((p) => p.animation);
    let steps = animated.reduce((m, p) => Math.max(m, p.animation.steps), 0);
    const promises = plots.map((p) => Plotly.newPlot(p.div, p.spec.data, arranged(p), options.config || {})
      .then(() => {
        p.div.on("plotly_afterplot", () => clearLegend(p.div));
        p.width = p.div.clientWidth;
        return clearLegend(p.div);
      }));
    let resizing = null;
    function onResize() {  // e.g. the sidebar folds: arrange the plots anew
      clearTimeout(resizing);
      resizing = setTimeout(() => plots.forEach((p) => {
        if (p.width === undefined || Math.abs(p.div.clientWidth - p.width) < 2) return;
        p.width = p.div.clientWidth;
        p.div.cleared = 0;
        Plotly.react(p.div, p.div.data, arranged(p), options.config || {});
      }), 150);
    }
    window.addEventListener("resize", onResize);
    function destroy() {
      window.removeEventListener("resize", onResize);
      state.playing = false;
      plots.forEach((p) => Plotly.purge(p.div));
      root.replaceChildren();
    }
    // New figures of the same shape (a control changed): redrawn in place, which is far cheaper
    // than building the plots anew. False when the shape differs (then mount afresh).
    function update(newSpecs) {
      if (newSpecs.length !== plots.length ||
          newSpecs.some((spec, i) => !!spec.player !== !!plots[i].animation ||
                                     !!(spec.layout.title && spec.layout.title.text) !== !!plots[i].caption)) {
        return false;
      }
      if (slider) setPlaying(false);
      newSpecs.forEach((spec, i) => {
        const p = plots[i];
        p.spec = spec; p.animation = prepare(spec);
        if (p.caption) p.caption.textContent = spec.layout.title.text;
        p.div.cleared = 0;
      });
      // every size read before any plot is drawn: one layout of the page, not one per plot
      plots.map(arranged).forEach((layout, i) => Plotly.react(plots[i].div, plots[i].spec.data, layout,
                                                              options.config || {}));
      animated = plots.filter((p) => p.animation);
      steps = animated.reduce((m, p) => Math.max(m, p.animation.steps), 0);
      if (slider) { slider.max = steps; state.pos = steps; slider.value = steps; readout.textContent = label(steps); }
      return true;
    }
    if (options.onClick) {
      plots.forEach((p, i) => p.div.on && promises[i].then(() => p.div.on("plotly_click", (event) => {
        // where the click landed (plotly.js ≥ 3.1: xvals/yvals), else the data point clicked
        const point = event.points && event.points[0];
        const x = event.xvals ? event.xvals[0] : point && point.x, y = event.yvals ? event.yvals[0] : point && point.y;
        if (x !== undefined && y !== undefined) options.onClick({x: x, y: y, figure: i, trace: point ? point.curveNumber : null});
      })));
    }
    const state = {pos: steps, playing: false, last: null};
    let slider = null, readout = null;  // the controls, when something animates
    if (!animated.length) return {plots: plots, ready: Promise.all(promises), state: state, update: update, destroy: destroy};

    const bar = document.createElement("div");
    bar.className = "dl-controls";
    bar.style.fontSize = `${options.fontSize || 15}px`;
    const play = button(labels.play || "▶ Play", labels.play || "Play", () => toggle());
    const back = button("◀", labels.back || "one step back", () => stepBy(-1));
    const forward = button("▶", labels.forward || "one step forward", () => stepBy(1));
    back.className = forward.className = "dl-step";
    play.className = "dl-play";
    slider = document.createElement("input");
    slider.type = "range"; slider.min = 0; slider.max = steps; slider.step = 1; slider.value = steps;
    slider.setAttribute("aria-label", labels.step || "step");
    readout = document.createElement("span");
    readout.className = "dl-readout";
    bar.append(play, back, forward, slider, readout);
    root.appendChild(bar);

    function label(pos) {
      const unit = animated[0].animation.unit || {name: labels.step || "step", scale: 1, offset: 0, digits: 0};
      const value = (p) => (unit.offset + p * unit.scale).toFixed(unit.digits);
      return `${unit.name} ${value(pos)} / ${value(steps)}`;
    }

    // While playing, one picture a display frame: the moving traces' SVG is written directly (a
    // plotly.js animate call costs the page a frame or two); paused, stepped or at the end, plotly.js
    // takes the same data, so that hover, resizing and the PNG export show what is on the screen.
    function draw() {
      for (const p of animated) {
        const own = p.animation.steps === steps ? state.pos : state.pos * p.animation.steps / (steps || 1);
        const frame = frameAt(p.animation, own);
        showGrids(p.div, p.animation, own);
        if (!frame.traces.length) continue;
        if (!(state.playing && paint(p.div, frame))) {
          Plotly.animate(p.div, frame, {transition: {duration: 0}, frame: {duration: 0, redraw: false},
                                        mode: "immediate"}).catch(() => null);
        }
      }
      slider.value = Math.floor(state.pos + 1e-9);
      readout.textContent = label(Math.floor(state.pos + 1e-9));
    }

    function setPlaying(on) {
      state.playing = on;
      play.textContent = on ? (labels.pause || "❚❚ Pause") : (labels.play || "▶ Play");
      root.dataset.playing = on ? "true" : "false";
      if (on) { state.last = null; requestAnimationFrame(tick); }
    }

    function toggle() {
      if (!state.playing && state.pos >= steps) { state.pos = 0; }
      setPlaying(!state.playing);
    }

    function stepBy(delta) {
      setPlaying(false);
      state.pos = Math.max(0, Math.min(steps, Math.round(state.pos) + delta));
      draw();
    }

    function tick(now) {
      if (!state.playing) return;
      if (state.last !== null) {
        state.pos = Math.min(steps, state.pos + (now - state.last) * steps / (1000 * (options.seconds || 10)));
      }
      state.last = now;
      draw();
      if (state.pos >= steps) { setPlaying(false); draw(); return; }
      requestAnimationFrame(tick);
    }

    slider.addEventListener("input", () => { setPlaying(false); state.pos = Number(slider.value); draw(); });
    root.tabIndex = 0;
    root.addEventListener("keydown", (event) => {
      if (event.target === slider && (event.key === "ArrowLeft" || event.key === "ArrowRight")) return;
      if (event.key === "ArrowLeft") { stepBy(-1); event.preventDefault(); }
      else if (event.key === "ArrowRight") { stepBy(1); event.preventDefault(); }
      else if (event.key === " ") { toggle(); event.preventDefault(); }
    });
    readout.textContent = label(steps);
    return {plots: plots, ready: Promise.all(promises), state: state, toggle: toggle, stepBy: stepBy,
            update: update, destroy: destroy,
            seek: (pos) => { setPlaying(false); state.pos = pos; draw(); }};
  }

  window.DescentPlayer = {mount: mount, frameAt: frameAt, prepare: prepare, gridAt: gridAt};
})();
