"""Screenshots of pages in headless Chromium, for looking at what we built.

    .venv/bin/python bench/shoot.py OUT_DIR URL_PATH[?query] [...] [--size 1024x768] [--play]
"""

import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from browser import CHROMIUM, CHROMIUM_ARGS, served  # noqa: E402

PLAYER = "iframe[title='app_pages.player.player']"


def main(args):
    size = "1024x768"
    play = "--play" in args
    args = [a for a in args if a != "--play"]
    if "--size" in args:
        i = args.index("--size")
        size = args[i + 1]
        del args[i:i + 2]
    out, paths = Path(args[0]), args[1:]
    out.mkdir(parents=True, exist_ok=True)
    width, height = (int(v) for v in size.split("x"))
    with served() as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": width, "height": height})
        for path in paths:
            page.goto(base + "/" + path.lstrip("/"))
            page.wait_for_selector(f"{PLAYER}, [data-testid=stPageLink]", timeout=60_000)
            if page.locator(PLAYER).count():
                page.frame_locator(PLAYER).first.locator(".main-svg").first.wait_for(timeout=60_000)
            time.sleep(1.5)
            name = path.replace("/", "_").replace("?", "_").replace("&", "_").replace("=", "-") or "home"
            page.screenshot(path=str(out / f"{name}-{size}.png"), full_page=True)
            if play:
                players = page.frame_locator(PLAYER)
                for n in range(page.locator(PLAYER).count()):
                    if players.nth(n).locator(".dl-play").count():
                        page.locator(PLAYER).nth(n).scroll_into_view_if_needed()
                        players.nth(n).locator(".dl-play").click()
                        time.sleep(3.0)
                        page.screenshot(path=str(out / f"{name}-{size}-playing.png"))
                        break
            print(out / f"{name}-{size}.png")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1:])
