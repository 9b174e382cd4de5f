"""Colour contrast as WCAG 2.x defines it (relative luminance of sRGB colours), for a school's widget
colour: the widget writes white text on it (``widget/widget.css``: ``--ww-accent`` with ``color: #fff``).
"""
from __future__ import annotations

import re

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
#: WCAG 2.x level AA for normal text
AA_NORMAL_TEXT = 4.5
#: the text colour the widget writes on its accent colour (header, open button)
WIDGET_TEXT_COLOUR = "#ffffff"


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    """WCAG relative luminance of ``#rrggbb`` (0 black … 1 white)."""
    if not HEX_COLOUR.match(colour):
        raise ValueError(f"not a colour like #1a5e8c: {colour!r}")
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(first: str, second: str) -> float:
    """(L1 + 0.05) / (L2 + 0.05) with L1 the lighter colour: 1 … 21."""
    a, b = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def passes_aa(background: str, text: str = WIDGET_TEXT_COLOUR) -> bool:
    """Whether ``text`` on ``background`` reaches WCAG AA for normal text (4.5:1)."""
    return contrast_ratio(background, text) >= AA_NORMAL_TEXT
