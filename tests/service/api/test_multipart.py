"""parse_form on bodies built by a real client (httpx) and on hand-written edge cases."""

from __future__ import annotations

import random

import httpx
import pytest

from service.api.multipart import MAX_FIELD_BYTES, Form, parse_form
from service.errors import InvalidInput, TooManyImages

BOUNDARY = "b0undary-7e3f"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


def from_httpx(
    files: list[tuple[str, tuple[str, bytes, str]]], data: dict[str, str] | None = None
) -> tuple[bytes, str]:
    """The body and content type a real client sends."""
    request = httpx.Request("POST", "http://test/predict", files=files, data=data)
    return request.read(), request.headers["content-type"]


def part(disposition: str, data: bytes, content_type: str | None = None) -> bytes:
    headers = f"Content-Disposition: form-data; {disposition}\r\n"
    if content_type is not None:
        headers += f"Content-Type: {content_type}\r\n"
    return f"--{BOUNDARY}\r\n{headers}\r\n".encode() + data + b"\r\n"


def body(*parts: bytes) -> bytes:
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def image(n: int = 0) -> bytes:
    return part(f'name="file"; filename="{n}.png"', PNG + bytes([n]), "image/png")


def field(name: str, value: bytes) -> bytes:
    return part(f'name="{name}"', value)


def test_files_and_fields_from_a_real_client_come_back_in_order() -> None:
    files = [("file", ("a.png", PNG, "image/png")), ("file", ("b.png", b"second", "image/png"))]
    raw, content_type = from_httpx(files, data={"return_input": "true"})
    assert parse_form(raw, content_type, max_files=4) == Form([PNG, b"second"], {"return_input": "true"})


def test_a_part_named_file_without_a_filename_is_a_file() -> None:
    """What ``curl -F 'file=<digit.png'`` sends."""
    form = parse_form(body(part('name="file"', PNG)), CONTENT_TYPE, max_files=1)
    assert form == Form([PNG], {})


def test_a_part_with_a_filename_is_a_file_whatever_its_name() -> None:
    form = parse_form(body(part('name="image"; filename="x.png"', PNG)), CONTENT_TYPE, max_files=1)
    assert form == Form([PNG], {})


def test_other_parts_are_text_fields_decoded_as_utf8() -> None:
    raw = body(field("return_input", b"true"), field("label", "ünï".encode()), field("empty", b""), image())
    form = parse_form(raw, CONTENT_TYPE, max_files=1)
    assert form.fields == {"return_input": "true", "label": "ünï", "empty": ""}
    assert form.files == [PNG + b"\x00"]


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (body(image())[:-40], "truncated inside the file data"),
        (body(image())[: -len(f"--{BOUNDARY}--\r\n")], "no closing boundary"),
        (b"this is not multipart at all", "no boundary anywhere"),
        (b"", "empty body"),
    ],
)
def test_a_malformed_body_is_invalid_input(raw: bytes, why: str) -> None:
    with pytest.raises(InvalidInput, match="cannot be parsed") as caught:
        parse_form(raw, CONTENT_TYPE, max_files=1)
    assert type(caught.value) is InvalidInput, why


@pytest.mark.parametrize(
    "content_type",
    [
        "multipart/form-data",
        "multipart/form-data; boundary=",
        "multipart/form-data; charset=utf-8",
        f"multipart/form-data; boundary={'a' * 71}",
    ],
)
def test_a_missing_or_invalid_boundary_is_named_in_the_error(content_type: str) -> None:
    with pytest.raises(InvalidInput, match="boundary"):
        parse_form(body(image()), content_type, max_files=1)


def test_a_70_character_boundary_quoted_or_not_is_accepted() -> None:
    longest = "b" * 70
    raw = body(image()).replace(BOUNDARY.encode(), longest.encode())
    for content_type in (
        f"multipart/form-data; boundary={longest}",
        f'multipart/form-data; boundary="{longest}"',
    ):
        assert parse_form(raw, content_type, max_files=1).files == [PNG + b"\x00"]


def test_exactly_max_files_is_accepted() -> None:
    form = parse_form(body(image(0), image(1), image(2)), CONTENT_TYPE, max_files=3)
    assert form.files == [PNG + b"\x00", PNG + b"\x01", PNG + b"\x02"]


@pytest.mark.parametrize("count", [4, 50], ids=["one-past", "far-past"])
def test_more_than_max_files_is_too_many_images_and_says_the_limit(count: int) -> None:
    with pytest.raises(TooManyImages, match="the limit is 3"):
        parse_form(body(*(image(n) for n in range(count))), CONTENT_TYPE, max_files=3)


def test_max_fields_text_fields_are_accepted_and_one_more_is_refused() -> None:
    fields = [field(f"f{n}", b"1") for n in range(4)]
    assert len(parse_form(body(*fields[:3]), CONTENT_TYPE, max_files=1, max_fields=3).fields) == 3
    with pytest.raises(InvalidInput, match="too many or too long text fields"):
        parse_form(body(*fields), CONTENT_TYPE, max_files=1, max_fields=3)


def test_a_text_field_over_the_byte_limit_is_refused() -> None:
    at_limit = field("note", b"a" * MAX_FIELD_BYTES)
    assert parse_form(body(at_limit), CONTENT_TYPE, max_files=1).fields == {"note": "a" * MAX_FIELD_BYTES}
    with pytest.raises(InvalidInput, match=f"{MAX_FIELD_BYTES} bytes each"):
        parse_form(body(field("note", b"a" * (MAX_FIELD_BYTES + 1))), CONTENT_TYPE, max_files=1)


def test_line_breaks_and_dashes_inside_file_data_survive_byte_for_byte() -> None:
    tricky = b"\r\n\r\n--\r\n-- \r\nabc\r\n\n\r\r\n--"
    raw, content_type = from_httpx([("file", ("t.bin", tricky, "application/octet-stream"))])
    assert parse_form(raw, content_type, max_files=1).files == [tricky]


def test_a_big_binary_file_with_boundary_lookalikes_survives_byte_for_byte() -> None:
    """Prefixes of the delimiter, and the boundary without its leading CRLF, are data, not framing."""
    rng = random.Random(7)
    near = [f"\r\n--{BOUNDARY[:-1]}".encode(), f"--{BOUNDARY}".encode(), f"\r\n--{BOUNDARY[:3]}".encode()]
    data = b"".join(rng.randbytes(rng.randrange(1, 4096)) + rng.choice(near) + b"\x00" for _ in range(200))
    assert f"\r\n--{BOUNDARY}".encode() not in data, "the test data must not hold a real delimiter"
    form = parse_form(body(image(), part('name="file"; filename="big.bin"', data)), CONTENT_TYPE, max_files=2)
    assert len(data) > 200_000
    assert form.files == [PNG + b"\x00", data]


@pytest.mark.parametrize(
    "extra",
    [
        f"--{BOUNDARY}\r\nContent-Type: text/plain\r\n\r\nx\r\n".encode(),  # no Content-Disposition
        f"--{BOUNDARY}\r\nContent-Disposition form-data\r\n\r\nx\r\n".encode(),  # malformed header
        b"".join(field("flag", b"1") for _ in range(18)),  # 18 same-named fields: past the segment count
    ],
    ids=["no-disposition", "malformed-header", "repeated-fields"],
)
def test_a_bad_part_after_the_last_allowed_image_is_invalid_input_not_too_many_images(extra: bytes) -> None:
    with pytest.raises(InvalidInput):  # TooManyImages is a TooLarge, not an InvalidInput
        parse_form(body(image(), extra), CONTENT_TYPE, max_files=1)
