"""The draw-a-digit page in a real Chromium against the real service: draw, upload, drop, undo, errors.

Screenshots go to test-artifacts/; the desktop drawing of a 7 also becomes docs/screenshot.png.
"""

from __future__ import annotations

import base64
import io
import math
from typing import TYPE_CHECKING

import httpx
import pytest
from PIL import Image, ImageDraw

from tests.browser.drawing import DIGITS, draw_with_finger, draw_with_mouse
from tests.live import ROOT

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

    from tests.browser.conftest import Watched

expect = pytest.importorskip("playwright.sync_api", reason="browser tests need Playwright").expect
pytestmark = pytest.mark.slow

PHOTO_OF_A_3 = ROOT / "tests" / "data" / "realworld" / "photo-00003.jpg"
SCAN_OF_A_6 = ROOT / "tests" / "data" / "realworld" / "scan-00006.jpg"
README_SCREENSHOT = ROOT / "docs" / "screenshot.png"
PAD_SIDE = 448  # the pad's canvas pixels; on screen it is smaller
INK_JS = """([selector, threshold]) => {
  const canvas = document.querySelector(selector);
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let count = 0, sx = 0, sy = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i] <= threshold) continue;
    const p = i / 4;
    count++;
    sx += p % canvas.width;
    sy += Math.floor(p / canvas.width);
  }
  return count ? [count, sx / count, sy / count] : [0, 0, 0];
}"""


def ink(page: Page, selector: str = "#pad") -> tuple[int, float, float]:
    """How many pixels of a canvas are inked, and their centre (canvas pixels)."""
    count, x, y = page.evaluate(INK_JS, [selector, 60])
    return int(count), float(x), float(y)


def wait_for_digit(page: Page, digit: int) -> None:
    expect(page.locator("#status")).to_contain_text("Classified", timeout=20_000)
    expect(page.locator("#digit")).to_have_text(str(digit))


def file_input(page: Page) -> Locator:
    """The file input, found by its label as a user of assistive technology would."""
    return page.get_by_label("Or classify an image file").and_(page.locator("input[type=file]"))


def probabilities(page: Page) -> list[float]:
    values: list[float] = page.locator("#probs meter").evaluate_all("meters => meters.map((m) => m.value)")
    return values


def assert_result_shown(page: Page, digit: int) -> None:
    """Ten bars that add up, the predicted digit's the highest, and the 28x28 input drawn."""
    wait_for_digit(page, digit)
    probs = probabilities(page)
    assert len(probs) == 10, "one bar per digit"
    assert sum(probs) == pytest.approx(1.0, abs=0.01), probs
    assert max(range(10), key=probs.__getitem__) == digit, probs
    assert probs[digit] > 0.5, f"the model should be sure of a clean {digit}: {probs}"
    top = page.locator("#probs li.top")
    expect(top).to_have_count(1)
    expect(top.locator("label")).to_have_text(str(digit))
    expect(page.locator("#confidence")).to_contain_text(top.locator(".pct").inner_text())
    count, x, y = ink(page, "#seen")
    assert 30 < count < 400, f"the 28x28 preview should show a digit, {count} pixels lit"
    assert 9 < x < 19 and 9 < y < 19, f"the preview's digit should be centred, at ({x:.1f}, {y:.1f})"


@pytest.mark.parametrize("digit", [7, 0, 1])
def test_a_drawn_digit_is_recognised(desktop: Watched, digit: int) -> None:
    page = desktop.page
    with page.expect_response(lambda r: "/predict" in r.url) as sent:
        draw_with_mouse(page, DIGITS[digit])
    response = sent.value
    assert response.request.method == "POST" and response.url.endswith("/predict?return_input=true")
    assert response.request.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert response.status == 200 and response.headers["x-content-type-options"] == "nosniff"
    assert_result_shown(page, digit)
    desktop.screenshot(f"desktop-drawn-{digit}", full_page=True)
    if digit == 7:
        README_SCREENSHOT.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(README_SCREENSHOT), full_page=True)
        size = README_SCREENSHOT.stat().st_size
        assert size < 200_000, f"docs/screenshot.png is {size} bytes, keep it under 200 KB"
    desktop.assert_clean()


def test_strokes_land_where_the_pointer_is_and_on_a_phone_by_touch(phone: Watched) -> None:
    page = phone.page
    box = page.locator("#pad").bounding_box()
    assert box is not None and 300 <= box["width"] <= 390, f"the pad should fill a phone's width: {box}"
    scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll_width <= 390, f"nothing may scroll sideways on a phone ({scroll_width} px wide)"
    draw_with_finger(page, [[(0.25, 0.75)]])  # one tap: a dot at a known place
    count, x, y = ink(page)
    assert count > 100, "a tap should leave a dot"
    assert x == pytest.approx(0.25 * PAD_SIDE, abs=4) and y == pytest.approx(0.75 * PAD_SIDE, abs=4)
    page.locator("#clear").tap()
    assert ink(page)[0] == 0, "Clear should empty the pad"
    draw_with_finger(page, DIGITS[7])
    assert_result_shown(page, 7)
    phone.screenshot("phone-drawn-7", full_page=True)
    phone.assert_clean()


def test_undo_and_clear_by_button_and_keyboard(desktop: Watched) -> None:
    page = desktop.page
    undo, clear = page.locator("#undo"), page.locator("#clear")
    expect(undo).to_be_disabled()
    draw_with_mouse(page, DIGITS[7])
    both = ink(page)[0]
    undo.click()
    assert 0 < ink(page)[0] < both, "Undo removes the last stroke only"
    page.keyboard.press("Control+z")
    assert ink(page)[0] == 0, "Ctrl+Z removes the first stroke too"
    expect(page.locator("#digit")).to_have_text("?")
    expect(undo).to_be_disabled()
    draw_with_mouse(page, DIGITS[7])
    page.keyboard.press("Backspace")
    assert 0 < ink(page)[0] < both, "Backspace undoes a stroke"
    page.keyboard.press("Escape")
    assert ink(page)[0] == 0, "Escape clears the pad"
    draw_with_mouse(page, DIGITS[1])
    wait_for_digit(page, 1)
    clear.click()
    assert ink(page)[0] == 0 and ink(page, "#seen")[0] == 0, "Clear empties the pad and the preview"
    expect(page.locator("#digit")).to_have_text("?")
    expect(page.locator("#probs li.top")).to_have_count(0)
    desktop.assert_clean()


def test_the_classify_button_works_without_auto_classify(desktop: Watched) -> None:
    page = desktop.page
    page.locator("#classify").click()
    expect(page.locator("#status")).to_have_text("Draw a digit first, or choose an image file.")
    page.get_by_label("Classify as you draw").uncheck()
    draw_with_mouse(page, DIGITS[0])
    page.locator("#classify").click()
    assert_result_shown(page, 0)
    desktop.assert_clean()


def test_an_uploaded_photo_is_recognised(desktop: Watched) -> None:
    page = desktop.page
    file_input(page).set_input_files(PHOTO_OF_A_3)
    assert_result_shown(page, 3)
    expect(page.locator("#status")).to_contain_text(PHOTO_OF_A_3.name)
    sent = page.locator("#sent")
    expect(sent).to_be_visible()
    assert sent.evaluate("img => img.complete && img.naturalWidth > 0"), "the uploaded image is shown"
    desktop.screenshot("desktop-uploaded-3")
    desktop.assert_clean()


def test_a_dropped_image_is_recognised(desktop: Watched) -> None:
    page = desktop.page
    data = base64.b64encode(SCAN_OF_A_6.read_bytes()).decode()
    transfer = page.evaluate_handle(
        """([name, data]) => {
          const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
          const transfer = new DataTransfer();
          transfer.items.add(new File([bytes], name, { type: "image/jpeg" }));
          return transfer;
        }""",
        [SCAN_OF_A_6.name, data],
    )
    page.dispatch_event("main", "dragenter", {"dataTransfer": transfer})
    expect(page.locator("#drop-overlay")).to_be_visible()
    page.dispatch_event("main", "drop", {"dataTransfer": transfer})
    expect(page.locator("#drop-overlay")).to_be_hidden()
    assert_result_shown(page, 6)
    desktop.assert_clean()


def test_a_text_file_shows_the_services_error(desktop: Watched, service_url: str) -> None:
    page = desktop.page
    text = b"this is not an image\n"
    files = {"file": ("notes.txt", text, "text/plain")}
    expected = httpx.post(f"{service_url}/predict", files=files, timeout=30).json()["error"]["message"]
    file_input(page).set_input_files({"name": "notes.txt", "mimeType": "text/plain", "buffer": text})
    status = page.locator("#status")
    expect(status).to_have_class("status error")
    expect(status).to_contain_text(f"Could not classify notes.txt: {expected}")
    expect(page.locator("#digit")).to_have_text("?")
    desktop.screenshot("desktop-error")
    desktop.assert_clean(allowed_errors=("the server responded with a status of 415",))


def test_a_dead_service_or_a_failing_proxy_is_reported(desktop: Watched) -> None:
    page = desktop.page
    status = page.locator("#status")
    page.route("**/predict*", lambda route: route.fulfill(status=502, body="<h1>Bad Gateway</h1>"))
    draw_with_mouse(page, DIGITS[1])
    expect(status).to_have_text("Could not classify your drawing: the service answered 502 Bad Gateway")
    page.unroute("**/predict*")
    page.route("**/predict*", lambda route: route.abort())
    page.locator("#classify").click()
    expect(status).to_have_text("Could not classify your drawing: the service could not be reached")
    expect(page.locator("#digit")).to_have_text("?")
    desktop.assert_clean(allowed_errors=("status of 502", "net::ERR_FAILED"))


def test_the_page_links_to_the_api_docs(desktop: Watched) -> None:
    link = desktop.page.get_by_role("link", name="API documentation")
    assert link.get_attribute("href") == "docs"
    expect(desktop.page.locator("#model-info")).to_contain_text("mnist-lstm")
    desktop.assert_clean()


def png_bytes(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def test_a_blank_photo_is_refused_with_the_services_message(desktop: Watched, service_url: str) -> None:
    page = desktop.page
    blank = png_bytes(Image.new("L", (240, 180), 235))
    files = {"file": ("blank.png", blank, "image/png")}
    answer = httpx.post(f"{service_url}/predict", files=files, timeout=30)
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "no_digit"
    file_input(page).set_input_files({"name": "blank.png", "mimeType": "image/png", "buffer": blank})
    status = page.locator("#status")
    expect(status).to_have_class("status error")
    expect(status).to_contain_text(f"Could not classify blank.png: {answer.json()['error']['message']}")
    expect(page.locator("#digit")).to_have_text("?")
    desktop.assert_clean(allowed_errors=("the server responded with a status of 422",))


def shapes_picture() -> bytes:
    """A screen graphic of a star, a triangle and a square: ink, but no digit."""
    image = Image.new("L", (300, 200), 255)
    draw = ImageDraw.Draw(image)
    corners = [(math.pi * (k / 5 - 0.5), 45 if k % 2 == 0 else 18) for k in range(10)]
    star = [(60 + r * math.cos(a), 100 + r * math.sin(a)) for a, r in corners]
    draw.polygon(star, fill=0)
    draw.polygon([(130, 150), (170, 60), (210, 150)], outline=0, width=6)
    draw.rectangle((225, 70, 285, 130), fill=40)
    return png_bytes(image)


def test_a_picture_of_shapes_is_marked_not_sure(desktop: Watched, service_url: str) -> None:
    page = desktop.page
    picture = shapes_picture()
    files = {"file": ("shapes.png", picture, "image/png")}
    prediction = httpx.post(f"{service_url}/predict", files=files, timeout=30).json()["predictions"][0]
    assert prediction["uncertain"], f"the service should not be sure of shapes: {prediction['confidence']}"
    file_input(page).set_input_files({"name": "shapes.png", "mimeType": "image/png", "buffer": picture})
    expect(page.locator("#status")).to_contain_text("Classified", timeout=20_000)
    expect(page.locator("#confidence")).to_contain_text("Not sure (")
    expect(page.locator("#confidence")).to_contain_text("this may not be a single digit")
    expect(page.locator("#verdict")).to_have_class("verdict unsure")
    desktop.assert_clean()
