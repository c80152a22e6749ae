"""Benchmarks of the pages, each printed beside its budget (DESIGN.md §6).

    .venv/bin/python bench/bench_pages.py [--no-browser | --browser-only]

* rerun after a slider change, server side (AppTest), median per page — budget 50 ms; measured for a
  setting never seen before (simulation and figures rebuilt) and for one seen before (cached);
* the largest chart's JSON per page at default settings — budget 1 MB;
* in Chromium, each against a one-chart app (bench/baseline_app.py) measured in the same run: the
  first chart in a brand-new profile and a slider's key press → the chart redrawn, on every page
  (budget 1.3×); nine quick presses: stale redraws after the last (no seconds of them); the first
  chart of a page with the browser warm (2.5 s); playback pictures a second and a race's length;
  and, for scale, the one-chart app in a fragment amid 40 text elements (bench/floor_app.py): the
  least a lesson-sized page allows in Streamlit's frontend.
"""

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from streamlit.testing.v1 import AppTest  # noqa: E402

# A slider on each page that changes what is computed: (page, key, a few values in range).
SLIDERS = [
    ("home", None, ()),
    ("playground", "pg_steps", (300, 310, 320, 330, 340, 350, 360, 370, 380, 390, 400, 410)),
    ("ema", "ema_beta", (0.8, 0.81, 0.82, 0.83, 0.84, 0.85, 0.86, 0.87, 0.88, 0.89, 0.91, 0.92)),
    ("minibatch", "mb_epochs", (2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14)),
    ("momentum", "mo_beta", (0.8, 0.81, 0.82, 0.83, 0.84, 0.85, 0.86, 0.87, 0.88, 0.89, 0.91, 0.92)),
    ("adaptive", "rms_beta", (0.8, 0.81, 0.82, 0.83, 0.84, 0.85, 0.86, 0.87, 0.88, 0.89, 0.91, 0.92)),
    ("adam", "adam_beta1", (0.8, 0.81, 0.82, 0.83, 0.84, 0.85, 0.86, 0.87, 0.88, 0.89, 0.91, 0.92)),
    ("decay", "dc_noise", (0.5, 0.6, 0.7, 0.8, 0.9, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7)),
    ("saddle", "sd_noise", (0.015, 0.02, 0.025, 0.03, 0.035, 0.04, 0.045, 0.05, 0.055, 0.06, 0.065, 0.07)),
    ("sharp_flat", "sf_batch", (16, 32, 64, 128, 256, 1, 2, 4)),  # each batch size once: all new
    ("normalization", "fn_scaling", (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.55, 0.6, 0.65)),
    ("batchnorm", "bn_steps", (70, 80, 90, 100, 110, 120, 130, 140, 150, 160, 170, 180)),
    ("batchnorm", "bn_train_steps", (100, 150, 250, 300, 350, 400, 450, 500, 550, 600, 650, 700)),
    ("network", "nw_epochs", (9000, 8000, 7000, 6000, 5000, 4000)),  # new: three trainings; seen: the page alone
    ("regularization", "rg_angle", (-30.0, -20.0, -10.0, 0.0, 10.0, 20.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0)),
    # σ₁ changes every ensemble on the page (25 of them): the dearest control there is
    ("sharp_flat", "sf_sigma", (4.0, 4.5, 5.0, 5.5, 6.5, 7.0, 7.5, 8.0, 8.5, 9.0, 9.5, 10.0)),
]


def verdict(value, budget):
    return "within" if value <= budget else "OVER"


def control(at, key):
    """The slider or select-slider with this key."""
    return next(w for w in (*at.slider, *at.select_slider) if w.key == key)


def rerun_times(page, key, values):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page(f"app_pages/{page}.py")
    at.run()
    fresh, seen = [], []
    for value in values:
        start = time.perf_counter()
        (control(at, key).set_value(value) if key else at).run()
        fresh.append(time.perf_counter() - start)
    for value in values:  # the same settings again: served from the caches
        start = time.perf_counter()
        (control(at, key).set_value(value) if key else at).run()
        seen.append(time.perf_counter() - start)
    assert not at.exception, at.exception
    sizes = chart_sizes(at)
    return statistics.median(fresh[2:]), statistics.median(seen), sizes


def default_sizes(page):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page(f"app_pages/{page}.py")
    at.run()
    return chart_sizes(at)


def chart_sizes(at):
    """Bytes of each player's figures on the page."""
    return [sum(len(a.bytes) for a in element.proto.special_args) for element in at.get("component_instance")]


PLAYER = "iframe[title='app_pages.player.player']"
# The first legend on the page: in the player's frame (our pages) or in Streamlit's own chart (baseline).
LEGEND = ("(() => { const own = document.querySelector('[data-testid=stPlotlyChart] .legend'); if (own) return own;"
          " for (const f of document.querySelectorAll('iframe')) { const l = f.contentDocument &&"
          " f.contentDocument.querySelector('.legend'); if (l) return l; } return null })()")


def wait_chart(page):
    """Until the first chart is drawn: the player's (our pages) or Streamlit's (the baseline)."""
    page.wait_for_function(f"() => {LEGEND} !== null || document.querySelector('[data-testid=stPlotlyChart] .main-svg')",
                           timeout=60_000)


# Redraws, seen from the page: every plotly.js plot on it (Streamlit's own charts and the players'
# plots in their frames) reports its draws: the first since `__first` was reset, and the latest. The
# frames share the page's main thread, so a poll runs only after every chart of a rerun is drawn:
# the first draw's own time is what the visitor sees first. A plot newly mounted counts once drawn.
WATCH = """() => {
  const docs = [document, ...[...document.querySelectorAll("iframe")].map(f => f.contentDocument).filter(Boolean)];
  let fresh = false;
  for (const d of docs) for (const div of d.querySelectorAll(".js-plotly-plot")) {
    if (div.__watched || !div.on) continue;
    div.__watched = true; fresh = fresh || !!div._fullLayout;
    div.on("plotly_afterplot", () => { window.__drawn = performance.now(); window.__first = window.__first || window.__drawn; });
  }
  return fresh;
}"""
BROWSER_KEYS = {"playground": "pg_count"}  # pg_steps sits in a folded expander
IDLE = "() => document.querySelector('[data-testid=stApp]').dataset.testScriptState === 'notRunning'"


def settle(page, quiet=0.6):
    """Until the script is idle and nothing has been drawn for `quiet` seconds (new plots watched)."""
    page.wait_for_function(IDLE, timeout=60_000)
    last = None
    while True:
        page.evaluate(WATCH)
        drawn = page.evaluate("() => window.__drawn || 0")
        if drawn == last and page.evaluate(IDLE):
            return
        last = drawn
        page.wait_for_timeout(quiet * 1000)


def redraw_after_key(page, key, presses=8):
    """Median seconds from a key press on the slider with this key to the next chart draw after the
    rerun it caused (a new plot mounted counts once drawn)."""
    slider = page.locator(f".st-key-{key} input[type=range]").first
    times = []
    for k in range(presses):
        settle(page, quiet=0.3)
        page.evaluate("() => { window.__first = 0 }")
        slider.focus()
        start = page.evaluate("() => performance.now()")
        slider.press("ArrowLeft" if k % 2 == 0 else "ArrowRight")  # a default may sit at the top
        page.wait_for_function(f"() => {{ const fresh = ({WATCH})(); return fresh || (window.__first || 0) > {start} }}",
                               timeout=30_000, polling=10)
        drawn = page.evaluate("() => window.__first || performance.now()")
        times.append((drawn - start) / 1000)
    return statistics.median(times)


def stale_queue(page, key, presses=9):
    """Nine quick key presses on one slider: seconds from the last press until the last redraw (the
    stale updates still being drawn after the visitor stopped)."""
    slider = page.locator(f".st-key-{key} input[type=range]").first
    settle(page, quiet=0.3)
    slider.focus()
    for _ in range(presses):
        slider.press("ArrowRight")
        page.wait_for_timeout(40)
    last_press = page.evaluate("() => performance.now()")
    settle(page)
    return max(0.0, (page.evaluate("() => window.__drawn || 0") - last_press) / 1000)


# In the first animated player: Play, then sample what the screen shows at every animation frame for
# one second (the moving traces' drawn geometry) and count the distinct pictures; and how long the
# whole race lasts.
PLAYBACK = """async (seconds) => {
  const frames = [...document.querySelectorAll("iframe")].map(f => f.contentWindow)
    .filter(w => w && w.document.querySelector(".dl-play"));
  const w = frames[0], doc = w.document;
  doc.querySelector(".dl-play").click();
  const start = performance.now(); const seen = new Set();
  const picture = () => [...doc.querySelectorAll(".scatterlayer .trace path")]
    .map(p => (p.getAttribute("d") || "") + (p.getAttribute("transform") || "")).join("|");
  await new Promise(resolve => { (function tick() {
    seen.add(picture());
    if (performance.now() - start < 1000 * seconds) w.requestAnimationFrame(tick); else resolve();
  })(); });
  const fps = seen.size / seconds;
  while (w.player.state.playing) await new Promise(r => setTimeout(r, 50));
  return [fps, (performance.now() - start) / 1000];
}"""


def playback(page):
    """(pictures drawn a second, seconds the race lasts) of the page's first animated chart."""
    page.wait_for_timeout(500)
    return page.evaluate(PLAYBACK, 1.0)


# From the page's start: the moment a chart's legend (a player's, in its frame, or Streamlit's own
# chart) first exists, on the page's clock. A poll from the page would run only once every frame's
# scripts are done (they share one main thread), long after the first chart is on screen.
FIRST_CHART = """(() => {
  if (window !== window.top) return;
  const CHART = ".main-svg .legend, [data-testid=stPlotlyChart] .main-svg";
  function watch(doc) {
    new MutationObserver((_, observer) => {
      if (!doc.querySelector(CHART)) return;
      window.__firstChart = Math.min(window.__firstChart || Infinity, performance.now());
      observer.disconnect();
    }).observe(doc, {subtree: true, childList: true});
  }
  watch(document);
  new MutationObserver((records) => {
    for (const r of records) for (const node of r.addedNodes) {
      const frames = node.tagName === "IFRAME" ? [node] : (node.querySelectorAll ? [...node.querySelectorAll("iframe")] : []);
      for (const f of frames) f.addEventListener("load", () => f.contentDocument && watch(f.contentDocument));
    }
  }).observe(document, {subtree: true, childList: true});
})();"""


def first_chart(browser, url):
    """Seconds from navigation to the first chart drawn, in a brand-new browser profile."""
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    context.add_init_script(FIRST_CHART)
    page = context.new_page()
    page.goto(url)
    wait_chart(page)
    seconds = page.evaluate("() => window.__firstChart") / 1000
    context.close()
    return seconds


def browser_figures():
    """The issue's browser budgets, each against the one-chart app measured in the same run."""
    from playwright.sync_api import sync_playwright

    from browser import CHROMIUM, CHROMIUM_ARGS, served

    figures = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        with served(script=ROOT / "bench" / "baseline_app.py") as base:
            figures["baseline: first chart, new profile"] = statistics.median(first_chart(browser, base) for _ in range(3))
            page = browser.new_page(viewport={"width": 1024, "height": 768})
            page.goto(base)
            wait_chart(page)
            figures["baseline: slider → chart"] = redraw_after_key(page, "beta", presses=16)  # the yardstick: steadier
            figures["baseline: 9 quick presses, stale redraws after the last"] = stale_queue(page, "beta")
            page.close()
        with served(script=ROOT / "bench" / "floor_app.py") as base:
            page = browser.new_page(viewport={"width": 1024, "height": 768})
            page.goto(base)
            wait_chart(page)
            figures["floor: the same in a fragment amid 40 text elements"] = redraw_after_key(page, "beta", presses=16)
            page.close()
        with served() as base:
            for path in ("playground", "momentum", "ema"):  # the server's first run of each: its caches
                first_chart(browser, f"{base}/{path}")
            figures["first chart, new profile (median of playground, momentum, ema)"] = statistics.median(
                first_chart(browser, f"{base}/{path}") for path in ("playground", "momentum", "ema"))
            context = browser.new_context(viewport={"width": 1024, "height": 768})
            context.add_init_script(FIRST_CHART)
            page = context.new_page()
            opened = []
            for path in ("momentum", "ema", "adam", "decay", "playground", "momentum", "ema"):
                page.goto(f"{base}/{path}")
                wait_chart(page)
                opened.append(page.evaluate("() => window.__firstChart") / 1000)
            figures["first chart, browser warm (median of 6 page loads)"] = statistics.median(opened[1:])
            seen = set()
            for name, key, _ in SLIDERS:
                if key is None or name in seen:
                    continue
                seen.add(name)
                key = BROWSER_KEYS.get(name, key)
                page.goto(f"{base}/{name}")
                wait_chart(page)
                try:
                    figures[f"slider → chart, {name} ({key})"] = redraw_after_key(page, key)
                except Exception as error:  # printed as a missing figure, the others still measured
                    print(f"slider → chart, {name} ({key}): not measured ({type(error).__name__})", file=sys.stderr)
                    figures[f"slider → chart, {name} ({key})"] = float("nan")
            page.goto(f"{base}/momentum")
            wait_chart(page)
            figures["momentum: 9 quick presses, stale redraws after the last"] = stale_queue(page, "mo_beta")
            rates, lengths = [], []
            for path in ("playground", "momentum", "minibatch", "adam?projector=true", "saddle", "adaptive",
                         "sharp_flat?projector=true", "ema"):
                page.goto(f"{base}/{path}")
                wait_chart(page)
                fps, seconds = playback(page)
                rates.append(fps)
                lengths.append(seconds)
            figures["animation: pictures drawn a second at 1×, slowest of 8 pages"] = min(rates)
            figures["animation: a race at 1×, shortest / longest of 8 pages"] = (min(lengths), max(lengths))
            context.close()
        browser.close()
    return figures


def print_browser(figures):
    base_load, base_slider = figures["baseline: first chart, new profile"], figures["baseline: slider → chart"]
    for what, value in figures.items():
        if what.startswith("baseline"):
            print(f"browser: {what:<62s}{value * 1e3:7.0f} ms")
        elif what.startswith("floor"):  # no budget: what Streamlit's frontend allows a page of our size
            print(f"browser: {what:<62s}{value * 1e3:7.0f} ms  {value / base_slider:4.2f}× the baseline "
                  "(Streamlit's floor for a lesson-sized page)")
        elif what.startswith("first chart, browser warm"):
            print(f"browser: {what:<62s}{value * 1e3:7.0f} ms  (budget 2.5 s: {verdict(value, 2.5)})")
        elif what.startswith("first chart"):
            print(f"browser: {what:<62s}{value * 1e3:7.0f} ms  {value / base_load:4.2f}× the baseline "
                  f"(budget 1.3×: {verdict(value / base_load, 1.3)})")
        elif what.startswith("slider"):
            print(f"browser: {what:<62s}{value * 1e3:7.0f} ms  {value / base_slider:4.2f}× the baseline "
                  f"(budget 1.3×: {verdict(value / base_slider, 1.3)})")
        elif "quick presses" in what:
            print(f"browser: {what:<62s}{value * 1e3:7.0f} ms  (budget: no seconds of stale updates: "
                  f"{verdict(value, 1.0)})")
        elif what.startswith("animation: pictures"):
            print(f"browser: {what:<62s}{value:7.1f} fps (target ≥ 30: {'within' if value >= 30 else 'UNDER'})")
        else:
            print(f"browser: {what:<62s}{value[0]:5.2f} / {value[1]:5.2f} s (target 8–12 s: "
                  f"{'within' if 8 <= value[0] and value[1] <= 12 else 'OUTSIDE'})")


def main(args):
    print("Descent Lab page benchmarks (AppTest medians; browser: Debian Chromium headless)\n")
    if "--browser-only" in args:
        return print_browser(browser_figures())
    print(f"{'page':<12}{'rerun, new setting':>22}{'rerun, seen before':>22}{'largest chart':>24}")
    for page, key, values in SLIDERS:
        fresh, seen, _ = rerun_times(page, key, values or (None,) * 6)
        sizes = default_sizes(page)
        largest = max(sizes, default=0)
        print(f"{page:<12}{fresh * 1e3:17.1f} ms {verdict(fresh, 0.05):>3}{seen * 1e3:15.1f} ms {verdict(seen, 0.05):>3}"
              f"{largest / 1e3:15.0f} kB {verdict(largest, 3e5)}")
    print("budgets: rerun ≤ 50 ms; chart bytes ≤ 300 kB\n")
    if "--no-browser" in args:
        return
    print_browser(browser_figures())


if __name__ == "__main__":
    main(sys.argv[1:])
