"""Pictures are told by their bytes, never by a Content-Type."""

from __future__ import annotations

import pytest

from tests.support import pictures
from zhuanlan.jobs.images import Refused, sniff


@pytest.mark.parametrize("data, expected", [
    (pictures.png(3, 2), ("image/png", 3, 2)),
    (pictures.jpeg(640, 480), ("image/jpeg", 640, 480)),
    (pictures.gif(5, 7), ("image/gif", 5, 7)),
    (pictures.webp_vp8x(300, 200), ("image/webp", 300, 200)),
    (pictures.webp_lossy(120, 90), ("image/webp", 120, 90)),
    (pictures.webp_lossless(33, 17), ("image/webp", 33, 17)),
])
def test_known_formats_with_their_size(data, expected):
    assert sniff(data) == expected


def test_a_truncated_jpeg_is_still_a_jpeg_without_a_size():
    assert sniff(b"\xff\xd8\xff\xe0\x00") == ("image/jpeg", None, None)


@pytest.mark.parametrize("data", [
    pictures.SVG,
    b"\xef\xbb\xbf  <svg xmlns='http://www.w3.org/2000/svg'></svg>",
    b"<!-- x --><svg onload='alert(1)'/>",
])
def test_svg_is_refused(data):
    with pytest.raises(Refused) as caught:
        sniff(data)
    assert caught.value.kind == "svg"


@pytest.mark.parametrize("data", [pictures.HTML_PAGE, b"", b"%PDF-1.7", b"GIF8", b"RIFFxxxxAVI "])
def test_anything_else_is_not_an_image(data):
    with pytest.raises(Refused) as caught:
        sniff(data)
    assert caught.value.kind == "not_image"
