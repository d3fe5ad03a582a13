"""Layout checks of a report page in a real browser (used by the browser tests).

Every check returns a list of problems (empty when the page is fine), so a
failing test names the element and where it sits.
"""

from __future__ import annotations

from typing import Any

#: JavaScript: text boxes that stick out of the viewport or their chart (x only).
OUTSIDE_JS = """() => {
  const out = [], width = window.innerWidth;
  const texts = document.querySelectorAll('main h1, main h2, main p, main td, main th, '
    + 'main dt, main dd, main li, .card div, .js-plotly-plot text');
  for (const el of texts) {
    if (!el.textContent.trim()) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.left < -1 || r.right > width + 1) out.push(el.tagName + ' "'
      + el.textContent.trim().slice(0, 40) + '" spans ' + Math.round(r.left) + '..'
      + Math.round(r.right));
    if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflow !== 'visible')
      out.push(el.tagName + ' "' + el.textContent.trim().slice(0, 40) + '" is cut off');
  }
  return out;
}"""

#: JavaScript: pairs of titles, legends and the tool bar that overlap within a chart.
OVERLAP_JS = """() => {
  const out = [];
  const hit = (a, b) => a.left < b.right - 1 && b.left < a.right - 1
    && a.top < b.bottom - 1 && b.top < a.bottom - 1;
  for (const chart of document.querySelectorAll('.js-plotly-plot')) {
    const boxes = [];
    const sel = '.gtitle, .annotation-text, .g-xtitle text, .g-ytitle text, '
      + '.g-x2title text, .g-y2title text, .g-x3title text, .g-y3title text, .legend .bg, '
      + '.updatemenu-header-group, [class$="tick"] text';
    for (const el of chart.querySelectorAll(sel)) {
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.height > 0) boxes.push([el, r]);
    }
    const bar = chart.querySelector('.modebar-container .modebar');
    if (bar) boxes.push([bar, bar.getBoundingClientRect()]);
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
      const [a, ra] = boxes[i], [b, rb] = boxes[j];
      if (a.contains(b) || b.contains(a)) continue;
      const tick = e => e.parentNode && /tick$/.test(e.parentNode.getAttribute('class') || '');
      if (tick(a) && tick(b)) continue;
      if (hit(ra, rb)) out.push(chart.id + ': "' + (a.textContent || a.className.baseVal
        || a.className) .slice(0, 30) + '" overlaps "' + (b.textContent || b.className.baseVal
        || b.className).slice(0, 30) + '"');
    }
  }
  return out;
}"""


def layout_problems(page: Any) -> list[str]:
    """What a reader would see wrong at the page's current width."""
    problems = []
    width = page.evaluate("window.innerWidth")
    scroll = page.evaluate("document.documentElement.scrollWidth")
    if scroll > width:
        problems.append(f"the page scrolls sideways: {scroll} px wide at {width} px")
    # show the tool bars as a mouse over the chart would
    page.evaluate("document.querySelectorAll('.modebar').forEach(m => { m.style.opacity = '1'; })")
    return problems + page.evaluate(OUTSIDE_JS) + page.evaluate(OVERLAP_JS)
