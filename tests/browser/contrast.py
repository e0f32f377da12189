"""WCAG 2 contrast of the text on a page, as the browser draws it: each element with text of
its own, its computed colour against the first opaque background behind it."""

from __future__ import annotations

# The failures: [text, ratio, needed]. Large text (24px, or 18.66px bold) needs 3:1, other text 4.5:1.
_FAILURES_JS = """() => {
  const rgb = c => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = el => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || c[3] > 0) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const failures = [];
  for (const el of document.body.querySelectorAll('*')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    const style = getComputedStyle(el);
    if (!own || style.visibility === 'hidden' || style.display === 'none' || el.getClientRects().length === 0) continue;
    const [a, b] = [lum(rgb(style.color)), lum(background(el))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight) >= 700;
    const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < needed) failures.push([el.textContent.trim().slice(0, 40), Math.round(ratio * 100) / 100, needed]);
  }
  return failures;
}"""


def low_contrast(page) -> list[list]:
    """The text on `page` whose contrast is below WCAG AA; [] when all of it is readable."""
    return page.evaluate(_FAILURES_JS)
