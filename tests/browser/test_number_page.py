"""The page's Number mode in a real Chromium against the real service: write "2024" and "31" with the
mouse on the wide pad, read them through POST /read, and see the text, a card per digit, and each
digit's box drawn over the drawing. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from tests.browser.drawing import DIGITS, draw_number_with_mouse, draw_with_mouse

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.browser.conftest import Watched

expect = pytest.importorskip("playwright.sync_api", reason="browser tests need Playwright").expect
pytestmark = pytest.mark.slow

BOX_EDGE_JS = """([x, y]) => {
  const canvas = document.querySelector("#boxes");
  return canvas.getContext("2d").getImageData(Math.round(x), Math.round(y), 1, 1).data[3];
}"""
OVERLAY_INK_JS = """() => {
  const canvas = document.querySelector("#boxes");
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let count = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) count++;
  return count;
}"""


def number_mode(page: Page) -> None:
    page.get_by_role("radio", name="Number").check()
    expect(page.locator("#number-result")).to_be_visible()
    expect(page.locator("#result")).to_be_hidden()
    expect(page.locator("#draw-title")).to_have_text("Write a number")
    box = page.locator("#pad").bounding_box()
    assert box is not None and box["width"] > 2.5 * box["height"], f"Number mode's pad is wide: {box}"


@pytest.mark.parametrize("text", ["2024", "31"])
def test_a_number_written_with_the_mouse_is_read_digit_by_digit(desktop: Watched, text: str) -> None:
    page = desktop.page
    number_mode(page)
    page.get_by_label("Classify as you draw").uncheck()
    draw_number_with_mouse(page, text)
    with page.expect_response(lambda r: "/read" in r.url) as sent:
        page.locator("#classify").click()
    response = sent.value
    assert response.request.method == "POST" and response.url.endswith("/read?return_input=true")
    assert response.status == 200
    expect(page.locator("#number-status")).to_contain_text("Read your drawing")
    expect(page.locator("#number-text")).to_have_text(text)
    cards = page.locator("#number-digits li")
    expect(cards).to_have_count(len(text))
    expect(cards.locator(".card-digit")).to_have_text(list(text))
    digits = response.json()["numbers"][0]["digits"]
    for k, digit in enumerate(digits):
        expect(cards.nth(k).locator(".card-unsure")).to_have_count(1 if digit["uncertain"] else 0)
        x0, y0, x1, _ = digit["box"]  # pad pixels: the PNG sent is the pad's canvas
        assert page.evaluate(BOX_EDGE_JS, [(x0 + x1) / 2, y0]) > 0, f"no box drawn around digit {k}"
    assert [d["box"][0] for d in digits] == sorted(d["box"][0] for d in digits), "left to right"
    desktop.screenshot(f"desktop-number-{text}", full_page=True)
    page.locator("#clear").click()
    assert page.evaluate(OVERLAY_INK_JS) == 0, "Clear removes the boxes with the drawing"
    expect(page.locator("#number-text")).to_have_text("?")
    desktop.assert_clean()


def test_uncertain_digits_are_marked_not_sure(desktop: Watched) -> None:
    """The service's answer is replaced, so the marks are checked whatever the model thinks."""
    page = desktop.page
    number_mode(page)
    answer = {
        "model": "mnist-lstm",
        "version": 1,
        "numbers": [
            {
                "text": "71",
                "uncertain": True,
                "digits": [
                    {"digit": 7, "confidence": 0.97, "uncertain": False, "box": [300, 90, 480, 360]},
                    {"digit": 1, "confidence": 0.41, "uncertain": True, "box": [700, 90, 780, 360]},
                ],
            }
        ],
    }
    page.route("**/read*", lambda route: route.fulfill(status=200, body=json.dumps(answer)))
    draw_with_mouse(page, DIGITS[1])
    expect(page.locator("#number-text")).to_have_text("71")
    cards = page.locator("#number-digits li")
    expect(cards.nth(0).locator(".card-unsure")).to_have_count(0)
    expect(cards.nth(1).locator(".card-unsure")).to_have_text("not sure")
    expect(cards.nth(1)).to_have_attribute("aria-label", "Digit 2: 1, 41.0%, not sure")
    expect(page.locator("#number-note")).to_contain_text("not sure of 1")
    assert page.evaluate(BOX_EDGE_JS, [701, 90]) > 0, "the uncertain digit's box is drawn too (dashed)"
    desktop.assert_clean()


def test_digit_mode_comes_back_unchanged(desktop: Watched) -> None:
    page = desktop.page
    number_mode(page)
    page.get_by_role("radio", name="Digit").check()
    expect(page.locator("#result")).to_be_visible()
    expect(page.locator("#number-result")).to_be_hidden()
    box = page.locator("#pad").bounding_box()
    assert box is not None and box["width"] == pytest.approx(box["height"], abs=1), "the pad is square again"
    with page.expect_response(lambda r: "/predict" in r.url):
        draw_with_mouse(page, DIGITS[7])
    expect(page.locator("#digit")).to_have_text("7")
    desktop.assert_clean()
