"""Benchmarks of the pages, each printed beside its budget (DESIGN.md §6).

    .venv/bin/python bench/bench_pages.py [--no-browser]

* rerun after a slider change, server side (AppTest), median per page — budget 50 ms; measured for a
  setting never seen before (simulation and figures rebuilt) and for one seen before (cached);
* the largest chart's JSON per page at default settings — budget 1 MB;
* in Chromium: first load → first chart with a warm cache (2.5 s) and slider change → chart (200 ms).
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


LEGEND_CHANGED = ("b => { const l = document.querySelector('[data-testid=stPlotlyChart] .legend');"
                  " return l && l.textContent != b }")


def slider_latency(page, name, presses=10):
    """Median time from a key press on the slider to a chart whose legend shows the new value."""
    slider = page.get_by_role("slider", name=name).first
    times = []
    for k in range(presses):
        page.wait_for_selector("[data-testid=stPlotlyChart] .legend", timeout=10_000)
        page.wait_for_timeout(150)  # let the previous update settle
        slider.focus()
        before = page.evaluate("() => document.querySelector('[data-testid=stPlotlyChart] .legend').textContent")
        start = time.perf_counter()
        slider.press("ArrowRight" if k % 2 == 0 else "ArrowLeft")
        page.wait_for_function(LEGEND_CHANGED, arg=before, timeout=10_000)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


ACTIVE_FRAME = ("() => { const p = [...document.querySelectorAll('.js-plotly-plot')]"
                ".find(g => g._fullLayout && g._fullLayout.sliders && g._fullLayout.sliders.length);"
                " return p ? p._fullLayout.sliders[0].active : null }")


def playback_fps(page):
    """Frames the first animated chart advances in one second of playback."""
    chart = page.locator("[data-testid=stPlotlyChart]").filter(has=page.locator(".updatemenu-button")).first
    chart.locator(".updatemenu-button").first.click()
    page.wait_for_timeout(200)
    first, start = page.evaluate(ACTIVE_FRAME), time.perf_counter()
    page.wait_for_timeout(1000)
    return (page.evaluate(ACTIVE_FRAME) - first) / (time.perf_counter() - start)


DRAWN_FRAMES = """() => new Promise(resolve => {
  const plot = [...document.querySelectorAll('.js-plotly-plot')]
    .find(g => g._fullLayout && g._fullLayout.sliders && g._fullLayout.sliders.length);
  const seen = new Set(); const start = performance.now();
  (function tick() {
    const point = plot.querySelector('.scatterlayer .trace:last-child .point');
    seen.add(point ? point.getAttribute('transform') : '');
    if (performance.now() - start < 1000) requestAnimationFrame(tick); else resolve(seen.size);
  })();
})"""


def drawn_fps(page):
    """Distinct positions a moving point takes in one second of playback, sampled at every
    animation frame: what the eye sees of a tweened animation (key frames are fewer)."""
    chart = page.locator("[data-testid=stPlotlyChart]").filter(has=page.locator(".updatemenu-button")).first
    chart.locator(".updatemenu-button").first.click()
    page.wait_for_timeout(200)
    return page.evaluate(DRAWN_FRAMES)


def browser_figures():
    from playwright.sync_api import sync_playwright

    from browser import CHROMIUM, CHROMIUM_ARGS, served

    chart = "[data-testid=stPlotlyChart] .main-svg"
    figures = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        with served() as base:
            fresh = []
            for path in ("playground", "momentum", "ema"):  # a new browser profile each time: nothing cached
                context = browser.new_context(viewport={"width": 1024, "height": 768})
                page = context.new_page()
                start = time.perf_counter()
                page.goto(f"{base}/{path}")
                page.wait_for_selector(chart, timeout=60_000)
                fresh.append(time.perf_counter() - start)
                context.close()
            figures["first load, new browser profile (median of 3 pages)"] = (statistics.median(fresh), 2.5, "s")
            context = browser.new_context(viewport={"width": 1024, "height": 768})
            page = context.new_page()
            repeat = []
            for path in ("playground", "momentum", "ema", "adam", "decay", "playground", "momentum", "ema"):
                start = time.perf_counter()
                page.goto(f"{base}/{path}")
                page.wait_for_selector(chart, timeout=60_000)
                repeat.append(time.perf_counter() - start)
            figures["page load, browser cache warm (median of 7)"] = (statistics.median(repeat[1:]), 2.5, "s")
            rates = []
            for path in ("playground", "momentum", "minibatch", "adam?projector=true", "saddle"):
                page.goto(f"{base}/{path}")
                page.wait_for_selector(chart, timeout=60_000)
                page.wait_for_timeout(500)
                rates.append(playback_fps(page))
            figures["animation frame rate at 1×, slowest of 5 pages"] = (min(rates), 30, "fps")
            page.goto(f"{base}/sharp_flat?projector=true")
            page.wait_for_selector(chart, timeout=60_000)
            page.wait_for_timeout(500)
            figures["lesson 8 ensemble cloud, frames drawn a second (tweened)"] = (drawn_fps(page), 30, "fps")
            page.goto(f"{base}/playground")
            page.wait_for_selector(chart, timeout=60_000)
            figures["slider → chart, Playground (optimizer count)"] = (slider_latency(page, "Number of optimizers"), 0.2, "ms")
            page.goto(f"{base}/ema?ema_beta=0.8")
            page.wait_for_selector(chart, timeout=60_000)
            figures["slider → chart, EMA lesson (β, three charts)"] = (slider_latency(page, "β"), 0.2, "ms")
            context.close()
        with served(script=ROOT / "bench" / "baseline_app.py") as base:
            page = browser.new_page(viewport={"width": 1024, "height": 768})
            page.goto(base)
            page.wait_for_selector(chart, timeout=60_000)
            figures["slider → chart, baseline: one slider, one chart"] = (slider_latency(page, "β"), None, "ms")
        browser.close()
    return figures


def main(args):
    print("Descent Lab page benchmarks (AppTest medians; browser: Debian Chromium headless)\n")
    print(f"{'page':<12}{'rerun, new setting':>22}{'rerun, seen before':>22}{'largest chart JSON':>24}")
    for page, key, values in SLIDERS:
        fresh, seen, _ = rerun_times(page, key, values or (None,) * 6)
        sizes = default_sizes(page)
        largest = max(sizes, default=0)
        print(f"{page:<12}{fresh * 1e3:17.1f} ms {verdict(fresh, 0.05):>3}{seen * 1e3:15.1f} ms {verdict(seen, 0.05):>3}"
              f"{largest / 1e3:15.0f} kB {verdict(largest, 1e6)}")
    print("budgets: rerun ≤ 50 ms; chart JSON ≤ 1 MB\n")
    if "--no-browser" in args:
        return
    for what, (value, budget, unit) in browser_figures().items():
        if unit == "fps":
            ok = "within" if value >= budget else "UNDER"
            print(f"browser: {what:<52s}{value:6.1f} fps  target ≥ {budget} fps ({ok})")
            continue
        shown = f"{value:6.2f} s " if unit == "s" else f"{value * 1e3:6.0f} ms"
        limit = "" if budget is None else (f"   budget {budget:g} s" if unit == "s" else f"   budget {budget * 1e3:g} ms")
        print(f"browser: {what:<52s}{shown}{limit}{'' if budget is None else f' ({verdict(value, budget)})'}")


if __name__ == "__main__":
    main(sys.argv[1:])
