"""The app in a real browser: Debian's Chromium driven by Playwright against `streamlit run`."""

import io
import os
import time
from pathlib import Path

import numpy as np
import pytest

from browser import CHROMIUM, CHROMIUM_ARGS, served

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted(p.stem for p in (ROOT / "app_pages").glob("*.py")
               if p.stem not in ("__init__", "common", "controls", "i18n", "home"))
CHART = "[data-testid=stPlotlyChart] .main-svg"


@pytest.fixture(scope="module")
def base_url():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: `make test` installs it (apt-get install chromium)")
        pytest.skip("Chromium is not installed (make test installs it)")
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
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    tab = context.new_page()
    yield tab
    context.close()


def open_page(page, base_url, path):
    page.goto(f"{base_url}/{path}")
    page.wait_for_selector(CHART, timeout=60_000)
    page.wait_for_timeout(300)


def assert_no_error(page):
    assert page.locator("[data-testid=stException]").count() == 0
    assert "Traceback" not in page.locator("[data-testid=stMain]").inner_text()


def chart_pixels(chart):
    from PIL import Image
    return np.asarray(Image.open(io.BytesIO(chart.screenshot())).convert("RGB")).astype(int)


def map_fraction(pixels):
    """Share of the chart covered by the contour map's blue raster (white/grey/paths are not)."""
    r, b = pixels[..., 0], pixels[..., 2]
    return float(np.mean((b - r > 18) & (b > 150)))


def test_home_lists_the_lessons(page, base_url):
    page.goto(base_url)
    page.wait_for_selector("[data-testid=stPageLink]", timeout=60_000)
    assert page.locator("[data-testid=stPageLink]").count() >= 2
    assert_no_error(page)


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_with_a_chart(page, base_url, path):
    open_page(page, base_url, path)
    assert_no_error(page)
    assert page.locator(CHART).count() >= 1


@pytest.mark.parametrize("path", PAGES)
def test_play_animates_and_keeps_the_contour_map(page, base_url, path):
    open_page(page, base_url, path)
    chart = page.locator("[data-testid=stPlotlyChart]").filter(has=page.locator(".updatemenu-button")).first
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    has_map = chart.locator(".imagelayer image").count() > 0  # the contour raster under the axes
    before = chart_pixels(chart)
    chart.locator(".updatemenu-button").first.click()
    page.wait_for_timeout(250)
    during = chart_pixels(chart)
    page.wait_for_timeout(250)
    later = chart_pixels(chart)
    assert not np.array_equal(during, later), "Play should change the picture from frame to frame"
    if has_map:
        assert map_fraction(before) > 0.15
        assert map_fraction(during) > 0.8 * map_fraction(before), "the contour map vanished during playback"
    else:
        assert path == "ema", "every lesson but the EMA one animates over a contour map"


def test_slider_change_updates_the_chart_and_the_link(page, base_url):
    open_page(page, base_url, "playground")
    legend = page.locator("[data-testid=stPlotlyChart] .legend .traces")
    assert legend.count() == 3
    slider = page.get_by_role("slider", name="Number of optimizers")
    slider.focus()
    started = time.perf_counter()
    slider.press("ArrowLeft")
    page.wait_for_function("document.querySelectorAll('[data-testid=stPlotlyChart] .legend .traces').length == 2",
                           timeout=10_000)
    assert time.perf_counter() - started < 5
    page.wait_for_function("location.search.includes('pg_count=2')", timeout=5_000)
    assert_no_error(page)


def test_a_shared_link_reproduces_the_view(page, base_url):
    open_page(page, base_url, "playground?lang=zh&pg_count=2&pg_surface=bowl&pg_o0_lr=0.05")
    assert page.locator("[data-testid=stPlotlyChart] .legend .traces").count() == 2
    assert "自由实验" in page.locator("h1").first.inner_text()
    assert page.get_by_role("slider", name="优化器数量").input_value() == "2"
    assert "pg_surface=bowl" in page.url and "lang=zh" in page.url
    assert_no_error(page)


def test_clicking_the_map_sets_the_start(page, base_url):
    open_page(page, base_url, "playground?pg_surface=bowl")
    plot = page.locator("[data-testid=stPlotlyChart] .nsewdrag").first.bounding_box()
    page.mouse.click(plot["x"] + 0.75 * plot["width"], plot["y"] + 0.25 * plot["height"])
    page.wait_for_function("location.search.includes('pg_x0=')", timeout=10_000)
    query = dict(part.split("=") for part in page.evaluate("location.search")[1:].split("&"))
    x, y = float(query["pg_x0"]), float(query["pg_y0"])
    assert x == pytest.approx(1.0, abs=0.11) and y == pytest.approx(1.0, abs=0.11)  # bowl bounds ±2
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
            page.wait_for_selector(CHART if path else "[data-testid=stPageLink]", timeout=60_000)
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
