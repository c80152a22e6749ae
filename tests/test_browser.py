"""The app in a real browser: Debian's Chromium driven by Playwright against `streamlit run`."""

import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from browser import CHROMIUM, CHROMIUM_ARGS, served

from app_pages.common import LESSONS

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted([*(name for _, name in LESSONS), "playground"])
PLAYER = "iframe[title='app_pages.player.player']"  # every chart is drawn by the player (figures/player)
MAP_PAGES = ["momentum", "adaptive", "saddle", "sharp_flat", "playground"]


@pytest.fixture(scope="module")
def base_url():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: `make test` installs it (apt-get install chromium)")
        pytest.skip("Chromium is not installed (make test installs it)")
    # as `make run` starts it: every kernel compiled (or loaded from Numba's cache) before the first visitor
    subprocess.run([sys.executable, "-c", "import optimizers; optimizers.warm_up()"], cwd=ROOT, check=True)
    with served() as url:
        yield url


@pytest.fixture(scope="module")
def browser(base_url):
    with playwright_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1024, "height": 768}, accept_downloads=True)
    tab = context.new_page()
    tab.errors = []
    tab.on("pageerror", lambda error: tab.errors.append(str(error)))
    yield tab
    context.close()


def players(page):
    return page.locator(PLAYER)


def frame(page, n=0):
    """The n-th chart's player (an iframe) as a frame to query."""
    return page.frame_locator(PLAYER).nth(n)


def open_page(page, base_url, path):
    page.goto(f"{base_url}/{path}")
    page.wait_for_selector(PLAYER, timeout=60_000)
    frame(page).locator(".main-svg").first.wait_for(timeout=60_000)
    page.wait_for_timeout(400)


def first_animated(page):
    """The index of the first player with a Play button."""
    for n in range(players(page).count()):
        if frame(page, n).locator(".dl-play").count():
            return n
    raise AssertionError("no animated chart on the page")


def assert_no_error(page):
    assert page.locator("[data-testid=stException]").count() == 0
    assert "Traceback" not in page.locator("[data-testid=stMain]").inner_text()
    assert not page.errors, page.errors


def chart_pixels(element):
    from PIL import Image
    return np.asarray(Image.open(io.BytesIO(element.screenshot())).convert("RGB")).astype(int)


def map_fraction(pixels):
    """Share of the chart covered by the contour map's blue raster (white/grey/paths are not)."""
    r, b = pixels[..., 0], pixels[..., 2]
    return float(np.mean((b - r > 18) & (b > 150)))


def plot_state(page, n=0, plot=0):
    """What plotly.js drew in a player: axis lengths and ranges, legend and plot boxes, annotations."""
    return frame(page, n).locator(".js-plotly-plot").nth(plot).evaluate("""gd => {
        const L = gd._fullLayout, box = (el) => el ? el.getBoundingClientRect().toJSON() : null;
        return {x: L.xaxis && {length: L.xaxis._length, range: L.xaxis.range},
                y: L.yaxis && {length: L.yaxis._length, range: L.yaxis.range},
                legend: box(gd.querySelector('.legend')), plot: box(gd.querySelector('.nsewdrag')),
                notes: (L.annotations || []).map(a => a.text), minima: gd.data[1] && [gd.data[1].x[0], gd.data[1].y[0]]};
    }""")


@pytest.mark.parametrize("native", [True, False], ids=["fromBase64", "fallback"])
def test_the_player_decodes_packed_arrays_bit_for_bit(page, native):
    """Every typed array the figures pack (figures.style.packed) comes back in the browser as the
    same numbers, through the browser's own base64 decoder and through the player's fallback."""
    from figures.style import packed
    rng = np.random.default_rng(7)
    arrays = {"f8": rng.normal(size=257) * 1e3, "f4": rng.normal(size=300), "i4": rng.integers(-9, 9, 33),
              "u1": rng.integers(0, 256, 1000), "i2": rng.integers(-300, 300, 7)}
    arrays["f8"][[3, 50]] = np.nan, -np.inf
    spec = {"data": [{"x": packed(values, dtype), "y": packed(values, dtype)} for dtype, values in arrays.items()],
            "player": {"steps": 1, "grow": [[k, -1, 1] for k in range(len(arrays))]}}
    page.set_content("<html><body></body></html>")
    if not native:
        page.evaluate("() => { delete Uint8Array.fromBase64 }")
    page.add_script_tag(path=str(ROOT / "figures" / "player" / "player.js"))
    decoded = page.evaluate("""spec => DescentPlayer.prepare(spec).grow.map(g => Array.from(g.x, v =>
        Number.isNaN(v) ? "nan" : (v === Infinity ? "inf" : (v === -Infinity ? "-inf" : v))))""", spec)
    for (dtype, values), got in zip(arrays.items(), decoded):
        expected = np.asarray(values, dtype=dtype).astype(np.float64)
        np.testing.assert_array_equal(np.array(got, dtype=np.float64), expected, err_msg=dtype)  # NaN = NaN
    assert page.evaluate("() => typeof Uint8Array.fromBase64") == ("function" if native else "undefined")


def test_home_lists_the_lessons(page, base_url):
    page.goto(base_url)
    page.wait_for_selector("[data-testid=stPageLink]", timeout=60_000)
    assert page.locator("[data-testid=stPageLink]").count() >= 2
    assert_no_error(page)


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_with_a_chart(page, base_url, path):
    open_page(page, base_url, path)
    assert_no_error(page)
    assert frame(page).locator(".main-svg").count() >= 1


def test_plotly_js_is_downloaded_once_for_every_player_on_every_page(page, base_url):
    """Each player loads plotly.js (its cartesian bundle, 1.5 MB; the full one, 4.8 MB, for 3-D
    figures; the server gzips it anew each time). As a component file (no Last-Modified, no ETag)
    every player on every page downloaded it again, 11 times for these three pages; from the app's
    static folder the browser keeps it (here dated a day back: a tenth of that is how long a
    browser may keep a file without asking). Lesson 12's 3-D slice loads the full bundle, once."""
    import time

    from app_pages.player import STATIC_CARTESIAN_JS, STATIC_PLOTLY_JS
    open_page(page, base_url, "adam")  # the first view publishes the copies
    day_ago = time.time() - 86_400
    for bundle in (STATIC_CARTESIAN_JS, STATIC_PLOTLY_JS):
        os.utime(bundle, (day_ago, day_ago))
    context = page.context.browser.new_context(viewport={"width": 1024, "height": 768})
    tab = context.new_page()
    bodies = []
    tab.on("requestfinished", lambda r: "/plotly" in r.url and bodies.append((r.url.rsplit("/", 1)[1],
                                                                              r.sizes()["responseBodySize"])))
    for path in ("momentum", "ema", "momentum", "network", "network"):
        open_page(tab, base_url, path)
    tab.wait_for_timeout(1500)
    context.close()
    assert len(bodies) >= 12, bodies
    downloaded = [name for name, size in bodies if size > 0]
    assert sorted(downloaded) == ["plotly-cartesian.min.js", "plotly.min.js"], bodies  # the rest: the cache


@pytest.mark.parametrize("path", PAGES)
def test_play_animates_and_keeps_the_contour_map(page, base_url, path):
    open_page(page, base_url, path)
    n = first_animated(page)
    chart = players(page).nth(n)
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    has_map = frame(page, n).locator(".imagelayer image").count() > 0  # the contour raster under the axes
    regions = frame(page, n).locator(".heatmaplayer image")  # or a heatmap (the network's decision regions)
    has_regions = regions.count() > 0
    before = chart_pixels(chart)
    frame(page, n).locator(".dl-play").click()
    page.wait_for_timeout(600)
    during = chart_pixels(chart)
    readout = frame(page, n).locator(".dl-readout").inner_text()
    page.wait_for_timeout(600)
    later = chart_pixels(chart)
    assert readout != frame(page, n).locator(".dl-readout").inner_text(), "the step should advance under Play"
    assert not np.array_equal(during, later), "Play should change the picture from frame to frame"
    if has_map:
        assert map_fraction(before) > 0.08
        assert map_fraction(during) > 0.8 * map_fraction(before), "the contour map vanished during playback"
    elif has_regions:  # the regions change with the epochs (they start pale: p ≈ ½ everywhere)
        assert regions.count() > 0 and map_fraction(before) > 0.05, "the decision regions vanished"
    else:
        assert path == "ema", "every lesson but the EMA one animates over a map"
    assert_no_error(page)


@pytest.mark.parametrize("path", PAGES)
def test_projector_stage_shows_the_key_chart_and_play_on_the_first_screen(page, base_url, path):
    """1024×768, projector mode, no scrolling: the page's first chart and its Play are in view."""
    open_page(page, base_url, f"{path}?projector=true")
    page.wait_for_timeout(600)
    box = players(page).first.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= 768 + 1, box
    play = frame(page).locator(".dl-play")
    if path != "decay":  # decay's key chart is its schedule explorer, a still chart
        assert play.count() == 1
    if play.count():
        button = play.bounding_box()
        assert button["y"] + button["height"] <= 768, button
    assert page.evaluate("window.scrollY") == 0
    assert_no_error(page)


@pytest.mark.parametrize("path", MAP_PAGES)
def test_maps_are_drawn_true(page, base_url, path):
    """One unit is as long across as up: a 45° valley looks 45°, a round bowl round."""
    open_page(page, base_url, path)
    state = plot_state(page, first_animated(page))
    across = state["x"]["length"] / abs(state["x"]["range"][1] - state["x"]["range"][0])
    up = state["y"]["length"] / abs(state["y"]["range"][1] - state["y"]["range"][0])
    assert across == pytest.approx(up, rel=0.02)
    legend, plot = state["legend"], state["plot"]
    overlap = (min(legend["right"], plot["right"]) - max(legend["left"], plot["left"]) > 2 and
               min(legend["bottom"], plot["bottom"]) - max(legend["top"], plot["top"]) > 2)
    assert not overlap, (legend, plot)


def test_one_play_drives_the_paired_maps_and_steps_go_one_at_a_time(page, base_url):
    open_page(page, base_url, "adaptive")
    pair = frame(page, 0)
    assert pair.locator(".js-plotly-plot").count() == 2 and pair.locator(".dl-play").count() == 1
    assert pair.locator(".dl-readout").inner_text().endswith("150 / 150")
    pair.locator(".dl-step").first.click()  # ◀
    assert pair.locator(".dl-readout").inner_text().endswith("149 / 150")
    heads = pair.locator(".js-plotly-plot").evaluate_all(
        "plots => plots.map(gd => [...gd.querySelectorAll('.scatterlayer .trace')].length)")
    assert heads[0] == heads[1]
    pair.locator(".dl-step").nth(1).click()  # ▶
    assert pair.locator(".dl-readout").inner_text().endswith("150 / 150")
    before = [chart_pixels(plot) for plot in pair.locator(".js-plotly-plot").all()]
    pair.locator(".dl-play").click()
    page.wait_for_timeout(1200)
    after = [chart_pixels(plot) for plot in pair.locator(".js-plotly-plot").all()]
    assert all(not np.array_equal(a, b) for a, b in zip(before, after)), "both maps move under the one Play"
    assert_no_error(page)


def test_a_diverged_run_leaves_the_axes_readable(page, base_url):
    """GD at α = 2 on Rosenbrock explodes: the loss axis still spans the healthy runs, the chart says
    which run diverged, and the 3-D view stays a surface, not a blade."""
    open_page(page, base_url, "playground?pg_o0_lr=2&pg_view=loss")
    state = plot_state(page)
    assert any("diverged" in note for note in state["notes"]), state["notes"]
    assert state["y"]["range"][1] < 8  # log10 of the loss: the healthy runs' scale, not 10²⁶
    pixels = chart_pixels(frame(page).locator(".nsewdrag").first)
    assert np.mean(pixels.sum(axis=2) < 150) < 0.2, "the plot area should not be a black smear"
    open_page(page, base_url, "playground?pg_o0_lr=2&pg_view=surface3d")
    ranges = frame(page).locator(".js-plotly-plot").evaluate("gd => gd._fullLayout.scene.xaxis.range")
    assert ranges == [-2, 2]
    assert_no_error(page)


def test_the_png_export_has_no_controls(page, base_url):
    open_page(page, base_url, "momentum")
    chart = frame(page).locator(".js-plotly-plot")
    size = chart.evaluate("gd => [gd._fullLayout.width, gd._fullLayout.height, !!gd.layout.updatemenus]")
    chart.hover()
    with page.expect_download() as download:
        frame(page).locator(".modebar-btn[data-title^='Download plot']").click()
    from PIL import Image
    image = Image.open(download.value.path())
    assert image.size == (2 * size[0], 2 * size[1]) and not size[2]  # the plot alone (scale 2), no buttons
    pixels = np.asarray(image.convert("RGB")).astype(int)
    assert map_fraction(pixels) > 0.08  # the map itself is in it


def test_the_html_export_opens_on_the_last_step_and_plays(page, base_url, tmp_path):
    open_page(page, base_url, "playground?pg_surface=bowl")
    page.locator("[data-testid=stExpander] summary").filter(has_text="Export").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the figure (HTML)").click()
    exported = tmp_path / "descent-lab.html"
    download.value.save_as(exported)
    page.goto(exported.as_uri())
    page.wait_for_selector(".main-svg", timeout=30_000)
    assert page.locator(".dl-readout").inner_text() == "step 500 / 500"
    legend = page.locator(".legend .traces").count()
    page.locator(".dl-play").click()
    page.wait_for_timeout(800)
    assert page.locator(".dl-readout").inner_text() != "step 500 / 500"
    assert legend == 3 and not page.errors, page.errors


def test_a_language_switch_keeps_the_playground_surface_and_the_legend_off_the_map(page, base_url):
    open_page(page, base_url, "playground?lang=zh&pg_surface=elongated_bowl")
    assert plot_state(page)["minima"] == [0, 0]
    page.locator("[data-testid=stSidebar]").get_by_text("English", exact=True).click()
    page.wait_for_function("!location.search.includes('lang=zh')", timeout=10_000)
    page.wait_for_timeout(1500)
    assert "pg_surface=elongated_bowl" in page.url
    assert page.locator("[data-testid=stSelectbox] input").first.input_value() == "Elongated bowl"
    assert plot_state(page)["minima"] == [0, 0]  # the map is still the elongated bowl (Rosenbrock: (1, 1))
    page.get_by_text("Projector mode").click()
    page.wait_for_function("location.search.includes('projector=true')", timeout=10_000)
    page.wait_for_timeout(1500)
    state = plot_state(page)
    legend, plot = state["legend"], state["plot"]
    assert legend["left"] >= plot["right"] - 2 or legend["bottom"] <= plot["top"] + 2, (legend, plot)
    assert_no_error(page)


def test_a_divergence_warning_does_not_move_the_chart(page, base_url):
    open_page(page, base_url, "playground")
    calm = players(page).first.bounding_box()["y"]
    open_page(page, base_url, "playground?pg_o0_lr=2")  # gradient descent diverges
    assert page.get_by_text("diverged at step").count() >= 1
    assert players(page).first.bounding_box()["y"] == pytest.approx(calm, abs=1)
    assert_no_error(page)


def test_home_answers_at_its_name(page, base_url):
    page.goto(f"{base_url}/home")
    page.wait_for_selector("[data-testid=stPageLink]", timeout=60_000)
    page.wait_for_timeout(500)
    assert page.get_by_text("Page not found").count() == 0
    assert_no_error(page)


def legend_entries(page, n=0):
    return frame(page, n).locator(".legend .traces").count()


def test_slider_change_updates_the_chart_and_the_link(page, base_url):
    open_page(page, base_url, "playground")
    assert legend_entries(page) == 3
    slider = page.get_by_role("slider", name="Number of optimizers")
    slider.focus()
    slider.press("ArrowLeft")
    frame(page).locator(".legend .traces").nth(2).wait_for(state="detached", timeout=10_000)
    assert legend_entries(page) == 2
    page.wait_for_function("location.search.includes('pg_count=2')", timeout=5_000)
    assert_no_error(page)


def test_a_chart_off_the_screen_redraws_once_it_is_seen(page, base_url):
    """A key press on β redraws lesson 1's first chart at once; its last chart, below the fold, keeps
    its figures while off the screen (nothing drawn there competes with the chart in view) and shows
    the new β as soon as it is scrolled into view."""
    open_page(page, base_url, "ema")
    last = players(page).count() - 1
    assert players(page).nth(last).evaluate("f => f.getBoundingClientRect().top > innerHeight")

    def names(n):
        return frame(page, n).locator(".js-plotly-plot").first.evaluate("gd => gd.data.map(t => t.name).join(' | ')")

    def changes(n, before):
        for _ in range(100):
            if names(n) != before:
                return True
            page.wait_for_timeout(100)
        return False
    top, bottom = names(0), names(last)
    assert bottom.startswith("exponential average, β = 0.9 |"), bottom
    slider = page.locator(".st-key-ema_beta input[type=range]")
    slider.focus()
    slider.press("ArrowLeft")  # β 0.9 → 0.89
    assert changes(0, top)
    page.wait_for_timeout(1000)
    assert names(last) == bottom  # not redrawn off the screen
    players(page).nth(last).scroll_into_view_if_needed()
    assert changes(last, bottom) and names(last).startswith("exponential average, β = 0.89 |")
    assert_no_error(page)


def test_a_shared_link_reproduces_the_view(page, base_url):
    open_page(page, base_url, "playground?lang=zh&pg_count=2&pg_surface=bowl&pg_o0_lr=0.05")
    assert legend_entries(page) == 2
    assert "自由实验" in page.locator("h1").first.inner_text()
    assert page.get_by_role("slider", name="优化器数量").input_value() == "2"
    assert "pg_surface=bowl" in page.url and "lang=zh" in page.url
    assert frame(page).locator(".dl-play").inner_text() == "▶ 播放"
    assert_no_error(page)


def test_clicking_the_map_sets_the_start(page, base_url):
    open_page(page, base_url, "playground?pg_surface=bowl")
    plot = frame(page).locator(".nsewdrag").first.bounding_box()
    page.mouse.click(plot["x"] + 0.7375 * plot["width"], plot["y"] + 0.2625 * plot["height"])
    page.wait_for_function("location.search.includes('pg_x0=')", timeout=10_000)
    query = dict(part.split("=") for part in page.evaluate("location.search")[1:].split("&"))
    x, y = float(query["pg_x0"]), float(query["pg_y0"])
    # where the click landed (bowl bounds ±2: 0.95, 0.95), not the nearest point of a coarse grid
    assert x == pytest.approx(0.95, abs=0.025) and y == pytest.approx(0.95, abs=0.025)
    assert query["pg_custom_start"] == "true"
    assert_no_error(page)


def test_a_bad_link_gets_a_notice(page, base_url):
    open_page(page, base_url, "playground?pg_steps=lots&pg_surface=teapot")
    notice = page.locator("[data-testid=stAlert]").first.inner_text()
    assert "pg_steps" in notice and "pg_surface" in notice
    assert_no_error(page)


def test_screenshots_for_review(page, base_url):
    """Screenshots of every page in both languages at projector size, kept in artifacts/ for a look."""
    folder = ROOT / "artifacts" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    for path in ["", *PAGES]:
        for lang in ("en", "zh"):
            page.goto(f"{base_url}/{path}?lang={lang}")
            page.wait_for_selector(PLAYER if path else "[data-testid=stPageLink]", timeout=60_000)
            page.wait_for_timeout(500)
            page.screenshot(path=str(folder / f"{path or 'home'}-{lang}-1024x768.png"), full_page=True)
            assert_no_error(page)
    assert len(list(folder.glob("*.png"))) >= 2 * (len(PAGES) + 1)


def test_a_hostile_link_stays_text_in_the_notice(page, base_url):
    """The issue's payloads in a real browser: no live link, no external image, no heading."""
    open_page(page, base_url, "momentum?mo_beta=%0A%0A%5BFix%20this%20link%5D(https%3A%2F%2Fevil.example%2Fx)"
                              "&mo_condition=%0A%0A!%5Bt%5D(https%3A%2F%2Fevil.example%2Ft.png)"
                              "&mo_steps=%0A%0A%23%20Server%20moved")
    alert = page.locator("[data-testid=stAlert]").first
    assert "mo_beta" in alert.inner_text() and "Fix this link" in alert.inner_text()
    assert alert.locator("a").count() == 0 and alert.locator("img").count() == 0
    assert alert.locator("h1, h2, h3, h4, h5, h6").count() == 0
    assert page.locator("img[src*='evil.example']").count() == 0
    assert_no_error(page)
