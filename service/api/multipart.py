"""Parse a ``multipart/form-data`` body that is already in memory into files and text fields.

The ``multipart`` library's push parser does the framing and checks it (it is Bottle's parser). We only
sort the parts and enforce our limits. Starlette's ``request.form()`` would do the same with
python-multipart, but spools every file into a ``SpooledTemporaryFile`` inside an ``UploadFile``: ~9%
of a one-image request in a py-spy profile. Here one such form takes 16 µs (docs/performance.md). The
body has already passed the request-size limit, so holding the parts in memory is safe.

A part is a file when its ``Content-Disposition`` names a ``filename`` or when it is named ``file``
(``curl -F 'file=<digit.png'`` sends no filename); every other part is a text field.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from multipart import MultipartError, MultipartSegment, PushMultipartParser, parse_options_header

from service.errors import InvalidInput, TooManyImages

FILE_FIELD = "file"
MAX_FIELD_BYTES = 1024  # text fields are flags such as return_input, never data


@dataclass
class Form:
    files: list[bytes] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)


def boundary_of(content_type: str) -> str:
    """The boundary parameter of a ``multipart/form-data`` content type; a clear error without one."""
    boundary = parse_options_header(content_type)[1].get("boundary", "")
    if not boundary or len(boundary) > 70:
        raise InvalidInput("the multipart content type has no valid boundary parameter")
    return boundary


def parse_form(body: bytes, content_type: str, max_files: int, max_fields: int = 16) -> Form:
    """Every part of ``body``; raises :class:`InvalidInput` or :class:`TooManyImages` with the reason."""
    form = Form()
    segment: MultipartSegment | None = None
    chunks: list[bytes] = []
    boundary, max_segments = boundary_of(content_type), max_files + max_fields + 1
    try:
        with PushMultipartParser(boundary, max_segment_count=max_segments) as parser:
            for event in parser.parse(body):
                if isinstance(event, MultipartSegment):
                    segment, chunks = event, []
                elif event is not None:
                    chunks.append(event)
                elif segment is not None:
                    _add(form, segment, b"".join(chunks), max_files, max_fields)
    except MultipartError as exc:  # files past the limit were refused in _add, with their own message
        raise InvalidInput(f"the multipart body cannot be parsed: {exc}") from None
    return form


def _add(form: Form, segment: MultipartSegment, data: bytes, max_files: int, max_fields: int) -> None:
    if segment.filename is not None or segment.name == FILE_FIELD:
        if len(form.files) >= max_files:
            raise _too_many(max_files)
        form.files.append(data)
    elif len(form.fields) >= max_fields or len(data) > MAX_FIELD_BYTES:
        limits = f"at most {max_fields}, {MAX_FIELD_BYTES} bytes each"
        raise InvalidInput(f"the form has too many or too long text fields ({limits})")
    else:
        form.fields[segment.name] = data.decode("utf-8", "replace")


def _too_many(max_files: int) -> TooManyImages:
    return TooManyImages(f"more than {max_files} images in one request; the limit is {max_files}")
