"""The HTML report in a real headless browser: Debian's chromium driven by Playwright, the report
served by a real HTTP server on 127.0.0.1. Never `playwright install`: the system chromium is used."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]

if not CHROMIUM.exists() and os.environ.get("CI", "").lower() != "true":
    pytest.skip("no /usr/bin/chromium (apt-get install chromium; .ci/run installs it on CI)", allow_module_level=True)


def serve(folder: Path):
    """A real HTTP server for `folder` on a free port of 127.0.0.1; returns (server, base URL)."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def open_in_browser(url: str, screenshot: Path | None = None, width: int = 1200) -> dict:
    """Load `url` in headless chromium at `width` px; returns the console errors, page errors,
    failed requests, each image's natural width and the page's text; writes a full-page
    screenshot to `screenshot` when given."""
    from playwright.sync_api import sync_playwright

    found = {"console_errors": [], "page_errors": [], "failed": []}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.on("console", lambda message: found["console_errors"].append(message.text) if message.type == "error" else None)
            page.on("pageerror", lambda error: found["page_errors"].append(str(error)))
            page.on("requestfailed", lambda request: found["failed"].append(request.url))
            response = page.goto(url, wait_until="load")
            found["status"] = response.status if response else None
            found["images"] = page.eval_on_selector_all("img", "images => images.map(image => [image.getAttribute('src'), image.complete, image.naturalWidth])")
            found["text"] = page.inner_text("body")
            found["links"] = page.eval_on_selector_all("a", "links => links.map(link => link.getAttribute('href'))")
            found["scroll_width"] = page.evaluate("document.documentElement.scrollWidth")
            if screenshot is not None:
                page.screenshot(path=str(screenshot), full_page=False)
        finally:
            browser.close()
    return found


@pytest.fixture(scope="module")
def served(rendered):
    server, base = serve(rendered.out_dir)
    yield base
    server.shutdown()


def test_the_html_report_loads_with_no_console_error_and_every_image(rendered, served, tmp_path):
    screenshot = tmp_path / "report-1200.png"
    found = open_in_browser(f"{served}/{rendered.html.name}", screenshot)

    assert found["status"] == 200
    assert found["console_errors"] == [] and found["page_errors"] == [] and found["failed"] == []
    images = found["images"]
    # Every chart the PDF has (incidents, maps, appendix) is on the page, and each one loaded.
    assert sorted(src for src, _complete, _width in images) == sorted(chart.path.name for chart in rendered.charts)
    assert all(complete and width > 0 for _src, complete, width in images), images
    # Links to the PDF and the JSON, and nothing wider than the window.
    assert rendered.pdf.name in found["links"] and rendered.json.name in found["links"]
    assert found["scroll_width"] <= 1200
    assert "The month in five lines" in found["text"] and "Appendix" in found["text"]
    from PIL import Image

    with Image.open(screenshot) as image:
        assert image.size == (1200, 900)


def test_the_html_report_fits_a_phone(rendered, served):
    found = open_in_browser(f"{served}/{rendered.html.name}", width=390)
    assert found["console_errors"] == [] and found["page_errors"] == []
    # Wide tables scroll inside their own box; the page itself does not scroll sideways.
    assert found["scroll_width"] <= 390


def test_chromium_is_the_systems_not_a_download():
    assert CHROMIUM.exists(), "install it: apt-get install chromium (.ci/run does on CI)"
    assert shutil.which("chromium") == str(CHROMIUM)
