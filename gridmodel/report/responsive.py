"""How the page fits a phone: the style sheet's narrow rules and the chart fitter.

Charts are drawn by plotly.js at the width the page gives them; on a narrow
screen (a phone, 390 px) the margins, fonts and legends of a desktop chart
would push titles into each other and text off the screen. :data:`FIT_SCRIPT`
defines ``gmFit(id, layout, config)``, called on the arguments of every
``Plotly.newPlot``: it returns the config and, below
:data:`NARROW_PX` it shrinks fonts and fixed margins, lets the axes make room
for their labels, and puts the legend at the very bottom of the chart, under
the axis titles, and hides the tool bar. Nothing here depends on the data.
"""

from __future__ import annotations

#: Width (CSS px) of a chart below which it is laid out for a phone.
NARROW_PX = 640

#: Style rules for narrow screens, appended to the page's style sheet.
NARROW_CSS = f"""
@media (max-width: {NARROW_PX}px) {{
  main {{ padding: 14px 8px 32px; }}
  header h1 {{ font-size: 1.35rem; overflow-wrap: anywhere; }}
  section {{ padding: 10px 8px; }}
  .cards {{ grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 8px; }}
  .card {{ padding: 8px 10px; }}
  .card .value {{ font-size: 1.15rem; }}
  dl.options {{ display: block; }}
  dl.options dt {{ margin-top: 6px; }}
  table.data {{ font-size: .8rem; }}
  table.data th, table.data td {{ padding: 3px 4px; }}
}}
"""

#: ``gmFit(id, layout, config)``: fit a chart's layout to its element's width; return config.
FIT_SCRIPT = f"""
function gmFit(id, layout, config) {{
  var el = document.getElementById(id);
  var width = el.clientWidth || window.innerWidth;
  var m = layout.margin || {{}};
  layout.margin = m;
  var titled = (layout.annotations || []).some(function (a) {{ return a.y >= 1; }});
  if (titled) {{ m.t = Math.max(m.t == null ? 100 : m.t, 72); }}
  if (width >= {NARROW_PX}) {{ return config; }}
  m.l = Math.min(m.l == null ? 80 : m.l, 44);
  m.r = Math.min(m.r == null ? 80 : m.r, 10);
  m.t = Math.max(m.t == null ? 100 : m.t, 40);
  layout.font = Object.assign({{}}, layout.font, {{size: 11}});
  Object.keys(layout).forEach(function (key) {{
    if (/^[xy]axis[0-9]*$/.test(key)) {{ layout[key].automargin = true; }}
  }});
  if (!layout.yaxis) {{ layout.yaxis = {{automargin: true}}; }}
  var rows = {{}};
  (layout.annotations || []).forEach(function (a) {{
    a.font = Object.assign({{}}, a.font, {{size: 11}});
    rows[a.y] = (rows[a.y] || 0) + 1;
  }});
  (layout.annotations || []).forEach(function (a) {{
    if (rows[a.y] > 1 && typeof a.text === "string") {{ a.text = gmSplit(a.text); }}
  }});
  if (layout.title && layout.title.text) {{
    layout.title.font = Object.assign({{}}, layout.title.font, {{size: 13}});
  }}
  layout.legend = Object.assign({{}}, layout.legend, {{
    orientation: "h", x: 0, xanchor: "left", yref: "container", y: 0, yanchor: "bottom",
    font: {{size: 10}}
  }});
  config.displayModeBar = false;
  return config;
}}
function gmSplit(text) {{
  if (text.indexOf("<br>") >= 0) {{ return text; }}
  var best = -1;
  for (var i = 0; i < text.length; i++) {{
    if (text[i] === " " && Math.abs(i - text.length / 2) < Math.abs(best - text.length / 2)) {{
      best = i;
    }}
  }}
  return best < 0 ? text : text.slice(0, best) + "<br>" + text.slice(best + 1);
}}
"""
