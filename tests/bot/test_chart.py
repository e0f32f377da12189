"""The summary chart (bot/chart.py): a PNG whose bars have the weeks' amounts, in order."""

from __future__ import annotations

import datetime as dt
import io

from PIL import Image

from bot.chart import BAR_COLOUR, HEIGHT_PX, LEFT_PX, RIGHT_PX, WIDTH_PX, chart_png, nice_ticks

MONDAY = dt.date(2030, 1, 7)


def bar_heights(png: bytes, bars: int) -> list[int]:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.size == (WIDTH_PX, HEIGHT_PX)
    slot = (WIDTH_PX - RIGHT_PX - LEFT_PX) / bars
    heights = []
    for index in range(bars):
        x = int(LEFT_PX + slot * index + slot / 2)
        heights.append(sum(image.getpixel((x, y)) == BAR_COLOUR for y in range(HEIGHT_PX)))
    return heights


def test_each_week_has_a_bar_as_tall_as_its_amount_and_an_empty_week_none():
    amounts_minor = [0, 250, 500, 1000]
    png = chart_png([(MONDAY + dt.timedelta(weeks=i), a) for i, a in enumerate(amounts_minor)], "USD")

    assert png.startswith(b"\x89PNG")
    heights = bar_heights(png, len(amounts_minor))
    assert heights[0] == 0
    assert abs(heights[2] - 2 * heights[1]) <= 2 and abs(heights[3] - 2 * heights[2]) <= 2


def test_a_currency_without_minor_units_and_a_week_of_nothing_still_draw():
    assert chart_png([(MONDAY, 0)], "JPY").startswith(b"\x89PNG")
    assert bar_heights(chart_png([(MONDAY, 1500)], "JPY"), 1)[0] > 0


def test_ticks_are_round_and_reach_the_top():
    assert nice_ticks(10.0) == [0.0, 2.5, 5.0, 7.5, 10.0]
    assert nice_ticks(137.0) == [0, 50, 100, 150]
    assert nice_ticks(0.0) == [0.0, 1.0]
