"""The payday summary's bar chart, drawn with Pillow: what a community gave in each of
its last weeks, as a PNG.

Why not matplotlib: a chart there costs ~80 ms of CPU, which for thousands of
communities due at the same minute was most of the payday's cost; this one costs a
few milliseconds and shows the same things (the title, one bar per week labelled with
its date, the currency on a value axis with round ticks). Minor units become floats
only to place pixels.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import math

from PIL import Image, ImageDraw, ImageFont

from ledger.money import exponent

WIDTH_PX, HEIGHT_PX = 600, 260
BAR_COLOUR = (46, 125, 91)
INK = (40, 40, 40)
GRID = (225, 225, 225)
LEFT_PX, RIGHT_PX, TOP_PX, BOTTOM_PX = 64, 16, 30, 58  # plot margins: value labels left, dates below


@functools.cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def nice_ticks(top: float, count: int = 4) -> list[float]:
    """Round tick values from 0 to at least `top` (1, 2, 2.5 or 5 times a power of ten)."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return [i * step for i in range(int(math.ceil(top / step - 1e-9)) + 1)]


def _label(value: float, decimals: int) -> str:
    return f"{value:,.{decimals}f}" if value != int(value) else f"{int(value):,}"


def chart_png(weeks: list[tuple[dt.date, int]], currency: str) -> bytes:
    """A bar chart of the amount given per week (oldest first; 0 for weeks without a payday), as PNG bytes."""
    scale = 10 ** exponent(currency)
    values = [amount_minor / scale for _, amount_minor in weeks]  # floats for drawing only
    image = Image.new("RGB", (WIDTH_PX, HEIGHT_PX), "white")
    draw = ImageDraw.Draw(image)
    title = f"Given per week, last {len(weeks)} weeks"
    _text(image, (WIDTH_PX / 2, 8), title, 13, "mt")

    plot_bottom, plot_top = HEIGHT_PX - BOTTOM_PX, TOP_PX
    plot_height = plot_bottom - plot_top
    ticks = nice_ticks(max(values, default=0.0))
    top = ticks[-1]
    for tick in ticks:
        y = plot_bottom - plot_height * tick / top
        draw.line([(LEFT_PX, y), (WIDTH_PX - RIGHT_PX, y)], fill=GRID)
        _text(image, (LEFT_PX - 6, y), _label(tick, exponent(currency)), 10, "rm")
    _text(image, (12, plot_top + plot_height / 2), currency, 10, "lm")
    draw.line([(LEFT_PX, plot_top), (LEFT_PX, plot_bottom), (WIDTH_PX - RIGHT_PX, plot_bottom)], fill=INK)

    slot = (WIDTH_PX - RIGHT_PX - LEFT_PX) / max(len(weeks), 1)
    for index, ((week, _), value) in enumerate(zip(weeks, values)):
        x0 = LEFT_PX + slot * index + slot * 0.1
        x1 = x0 + slot * 0.8
        if value > 0:
            draw.rectangle([(x0, plot_bottom - plot_height * value / top), (x1, plot_bottom - 1)], fill=BAR_COLOUR)
        _date_label(image, f"{week:%-d %b}", (x0 + x1) / 2, plot_bottom + 4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=3)
    return buffer.getvalue()


def _text(image: Image.Image, xy: tuple[float, float], text: str, size: int, anchor: str) -> None:
    """`text` in ink at `xy` by `anchor` (as ImageDraw.text), from a tile drawn once: the same
    titles, ticks and currencies recur in every community's chart."""
    tile, left, top = _text_tile(text, size, anchor)
    image.paste(tile, (round(xy[0]) + left, round(xy[1]) + top), tile)


@functools.lru_cache(maxsize=512)
def _text_tile(text: str, size: int, anchor: str) -> tuple[Image.Image, int, int]:
    font = _font(size)
    left, top, right, bottom = (int(v) for v in font.getbbox(text, anchor=anchor))
    tile = Image.new("LA", (max(right - left, 1), max(bottom - top, 1)), (0, 0))
    ImageDraw.Draw(tile).text((-left, -top), text, fill=(INK[0], 255), font=font, anchor=anchor)
    return tile.convert("RGBA"), left, top


def _date_label(image: Image.Image, text: str, centre_x: float, top_y: float) -> None:
    """`text` rotated 45 degrees, its end under the bar (as matplotlib's rotation=45, ha="right")."""
    label = _rotated(text)
    image.paste(label, (int(centre_x - label.width + 4), int(top_y)), label)


@functools.lru_cache(maxsize=256)
def _rotated(text: str) -> Image.Image:
    font = _font(10)
    left, top, right, bottom = font.getbbox(text)
    tile = Image.new("LA", (right + 2, bottom + 2), (0, 0))
    ImageDraw.Draw(tile).text((1, 1), text, fill=(40, 255), font=font)
    return tile.rotate(45, expand=True, resample=Image.Resampling.BICUBIC).convert("RGBA")
