"""``report.html``: one run on one self-contained page a regulator can read and archive.

No external URLs and no JavaScript: the CSS is inline and the pictures are base64 data URIs,
so the page shows the same offline, from an e-mail attachment, or in ten years. Every string
from the result goes through :func:`html.escape` (scenario files, criterion names and error
texts are user input). Input is the ``result.json`` dictionary; missing keys read
"not recorded" rather than breaking the report of a run that broke.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

from scenarios.junit import NOT_RECORDED, fmt_value, verdict_of
from scenarios.outputs import atomic_write_text

_CSS = """
body{font-family:"Noto Sans KR","Malgun Gothic","Apple SD Gothic Neo",system-ui,sans-serif;
margin:0 auto;max-width:1100px;padding:0 16px 40px;color:#222;line-height:1.4}
h1{font-size:1.5em;margin:.6em 0 .2em}h2{font-size:1.15em;border-bottom:2px solid #ddd;
padding-bottom:3px;margin-top:1.6em}
.banner{padding:18px 22px;border-radius:6px;color:#fff;margin-top:16px}
.banner .v{font-size:2.6em;font-weight:700;letter-spacing:.06em}
.PASS{background:#1b7f3a}.FAIL{background:#c62828}.ERROR,.UNKNOWN{background:#263238}
.banner pre{white-space:pre-wrap;background:rgba(255,255,255,.1);padding:8px;
font-size:.85em;margin:8px 0 0}
table{border-collapse:collapse;width:100%;font-size:.9em;margin:6px 0}
th,td{border:1px solid #ccc;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#f2f2f2}td.num{text-align:right;font-variant-numeric:tabular-nums}
.hash{font-family:monospace;word-break:break-all}
.st-pass{background:#dff3e3;color:#1b5e20;font-weight:600}
.st-fail{background:#fde0dc;color:#b71c1c;font-weight:600}
.st-not_evaluated{background:#eceff1;color:#455a64;font-weight:600}
.muted{color:#777}img{max-width:100%;border:1px solid #ddd}
svg text{font-family:sans-serif}
@media print{.banner{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
"""

_EVENT_COLOURS = {"collisions": "#d62728", "red_light": "#e377c2", "speed": "#ff7f0e",
                  "stop": "#9467bd", "progress": "#8c564b", "surrogate": "#bcbd22",
                  "comfort": "#17becf"}


_NON_FINITE = ("inf", "-inf", "nan")  # how result.json writes non-finite numbers


def _e(v) -> str:
    return html.escape(fmt_value(v), quote=True)


def _num_cell(v, note: str = "") -> str:
    """A table cell for a value; numbers right-aligned; ``note``: HTML appended."""
    numeric = (isinstance(v, (int, float)) and not isinstance(v, bool)) or v in _NON_FINITE
    cls = ' class="num"' if numeric else ""
    return f"<td{cls}>{_e(v)}{note}</td>"


def _value_html(v) -> str:
    """Any JSON value, readable: nested mappings as "key: value" lines."""
    if isinstance(v, dict):
        if not v:
            return '<span class="muted">none</span>'
        return "<br>".join(f"{html.escape(str(k))}: {_value_html(x)}" for k, x in v.items())
    if isinstance(v, list):
        return ", ".join(_value_html(x) for x in v) or '<span class="muted">none</span>'
    return _e(v)


def _kv_table(rows: list[tuple[str, object, bool]]) -> str:
    mono_cls = ' class="hash"'
    body = "".join(f"<tr><th>{html.escape(k)}</th><td{mono_cls if mono else ''}>"
                   f"{_value_html(v)}</td></tr>" for k, v, mono in rows)
    return f"<table>{body}</table>"


def _banner(result: dict) -> str:
    verdict = verdict_of(result)
    cls = verdict if verdict in ("PASS", "FAIL", "ERROR") else "UNKNOWN"
    text = html.escape(str(verdict)) if verdict else "NO VERDICT RECORDED"
    extra = ""
    if result.get("error"):
        extra = f"<pre>{html.escape(str(result['error']))}</pre>"
    elif verdict == "ERROR":
        extra = "<pre>error: not recorded</pre>"
    term = result.get("terminated")
    if isinstance(term, dict) and term:
        extra += (f"<div>Run ended early: {_e(term.get('kind'))} at t = "
                  f"{_e(term.get('time_s'))} s. {_e(term.get('detail'))}</div>")
    return (f'<div class="banner {cls}"><div class="v">{text}</div>'
            f"<div>{_e(result.get('scenario'))} &middot; seed {_e(result.get('seed'))}</div>"
            f"<div>{_summary(result)}</div>{extra}</div>")


def _summary(result: dict) -> str:
    """One line under the verdict: the headline numbers."""
    scores = result.get("scores") or {}
    crit = result.get("criteria") or []
    failed = sum(c.get("status") == "fail" for c in crit)
    unjudged = sum(c.get("status") not in ("pass", "fail") for c in crit)
    n_inf = len(result.get("infractions") or [])
    return (f"CARLA LB 2.0 driving score {_e((scores.get('carla_lb2') or {}).get('driving_score'))}"
            f" &middot; nuPlan score {_e((scores.get('nuplan') or {}).get('score'))}"
            f" &middot; {failed} of {len(crit)} criteria failed"
            + (f", {unjudged} not evaluated" if unjudged else "")
            + f" &middot; {n_inf} infraction{'s' if n_inf != 1 else ''}")


def _identity(result: dict) -> str:
    code = result.get("code_version") or {}
    mp = result.get("map") or {}
    rec = result.get("recording") or {}
    ego = result.get("ego") or {}
    return _kv_table([
        ("Scenario", result.get("scenario"), False), ("Title", result.get("title"), False),
        ("Seed", result.get("seed"), False),
        ("Parameters", result.get("parameters") or {}, False),
        ("Simulated duration [s]", result.get("duration_s"), False),
        ("Steps", result.get("steps"), False),
        ("Ego", ego, False),
        ("Code version", code.get("package"), False),
        ("Git commit", code.get("git_commit"), True),
        ("Uncommitted changes", code.get("git_dirty"), False),
        ("Python / dependencies", {"python": code.get("python"),
                                   **(code.get("dependencies") or {})}, False),
        ("Map", f"{fmt_value(mp.get('name'))} ({fmt_value(mp.get('source'))})", False),
        ("Map SHA-256", mp.get("sha256"), True),
        ("State-history SHA-256", result.get("state_history_sha256"), True),
        ("Recording", rec.get("path"), False),
        ("Recording final hash", rec.get("final_hash"), True),
        ("Signing key fingerprint (SHA-256 of the Ed25519 public key)",
         rec.get("public_key_fingerprint"), True),
    ])


def _scores(result: dict) -> str:
    scores = result.get("scores") or {}
    out = []
    for key, label in (("carla_lb2", "CARLA Leaderboard 2.0"),
                       ("carla_lb21", "CARLA Leaderboard 2.1 (variant)")):
        s = scores.get(key)
        if s is None and key == "carla_lb21":
            continue
        s = s or {}
        out.append(f"<h3>{label}</h3>" + _kv_table([
            ("Driving score", s.get("driving_score"), False),
            ("Route completion", s.get("route_completion"), False),
            ("Infraction penalty", s.get("infraction_penalty"), False),
            ("Status", s.get("status"), False),
            ("Infraction counts", s.get("counts") or {}, False)]))
    nu = scores.get("nuplan") or {}
    out.append("<h3>nuPlan closed-loop score</h3>" + _kv_table([
        ("Score", nu.get("score"), False),
        ("Multipliers", nu.get("multipliers") or {}, False),
        ("Weighted metrics", nu.get("weighted") or {}, False)]))
    return "".join(out)


def _criteria(result: dict) -> str:
    crit = result.get("criteria")
    if not crit:
        return f'<p class="muted">No criteria {"stated" if crit == [] else NOT_RECORDED}.</p>'
    rows = []
    for c in crit:
        st = str(c.get("status") or NOT_RECORDED)
        note = f'<br><span class="muted">{_e(c["reason"])}</span>' if c.get("reason") else ""
        rows.append(f"<tr><td>{_e(c.get('name'))}</td><td>{_e(c.get('metric'))}</td>"
                    f"<td>{_e(c.get('actor'))}</td><td>{_e(c.get('expected'))}</td>"
                    f"{_num_cell(c.get('actual'), note)}"
                    f'<td class="st-{html.escape(st)}">{html.escape(st)}</td></tr>')
    return ("<table><tr><th>Criterion</th><th>Metric</th><th>Actor</th><th>Expected</th>"
            "<th>Actual</th><th>Status</th></tr>" + "".join(rows) + "</table>")


def _time(e: dict) -> float:
    try:
        t = float(e.get("time_s"))
    except (TypeError, ValueError):
        return float("inf")
    return t if t == t else float("inf")


def _timeline_svg(events: list[dict], duration: float) -> str:
    """A horizontal strip 0..duration [s] with a tick per infraction (hover: its kind)."""
    w, h, x0, x1 = 1000, 64, 20, 980
    span = max(duration, max((_time(e) for e in events if _time(e) < float("inf")),
                             default=0.0), 1e-6)
    parts = [f'<line x1="{x0}" y1="34" x2="{x1}" y2="34" stroke="#999" stroke-width="2"/>']
    for k in range(6):
        x = x0 + (x1 - x0) * k / 5
        parts.append(f'<line x1="{x:.1f}" y1="34" x2="{x:.1f}" y2="40" stroke="#999"/>'
                     f'<text x="{x:.1f}" y="54" font-size="11" text-anchor="middle">'
                     f"{span * k / 5:.3g} s</text>")
    for e in events:
        t = _time(e)
        if t == float("inf"):
            continue
        x = x0 + (x1 - x0) * min(max(t / span, 0.0), 1.0)
        colour = _EVENT_COLOURS.get(str(e.get("metric")), "#555")
        shape = (f'<rect x="{x - 6:.1f}" y="16" width="12" height="12" fill="{colour}"/>'
                 if e.get("terminal") else
                 f'<circle cx="{x:.1f}" cy="22" r="6" fill="{colour}" fill-opacity="0.8"/>')
        parts.append(f"<g><title>{_e(t)} s: {_e(e.get('kind'))}</title>"
                     f'<line x1="{x:.1f}" y1="22" x2="{x:.1f}" y2="34" stroke="{colour}"/>'
                     f"{shape}</g>")
    # inline SVG in HTML needs no xmlns, and the page names no URL at all
    return (f'<svg viewBox="0 0 {w} {h}" width="100%" '
            f'role="img" aria-label="infraction timeline">{"".join(parts)}</svg>'
            '<p class="muted">Circles: infractions; squares: events that ended the run; '
            f"colour by metric: {_legend(events)}. Hover a mark for its kind.</p>")


def _legend(events: list[dict]) -> str:
    metrics = sorted({str(e.get("metric")) for e in events})
    return ", ".join(f'<span style="color:{_EVENT_COLOURS.get(m, "#555")}">&#9679;</span> '
                     f"{html.escape(m)}" for m in metrics)


def _infractions(result: dict) -> str:
    inf = result.get("infractions")
    if inf is None:
        return f'<p class="muted">Infractions {NOT_RECORDED}.</p>'
    if not inf:
        return "<p>No infractions.</p>"
    events = sorted(inf, key=_time)
    try:
        duration = float(result.get("duration_s") or 0.0)
    except (TypeError, ValueError):
        duration = 0.0
    rows = "".join(
        f"<tr>{_num_cell(e.get('time_s'))}<td>{_e(e.get('kind'))}"
        f"{' (ended the run)' if e.get('terminal') else ''}</td>"
        f"<td>{_e(e.get('metric'))}</td><td>{_e(e.get('detail'))}</td>"
        f"{_num_cell(e.get('value'))}<td>({_e(e.get('x'))}, {_e(e.get('y'))})</td>"
        f"<td>{_value_html(e.get('actors'))}</td><td>{_e(e.get('at_fault'))}</td></tr>"
        for e in events)
    return (_timeline_svg(events, duration)
            + "<table><tr><th>Time [s]</th><th>Kind</th><th>Metric</th><th>Detail</th>"
            "<th>Value</th><th>Position x, y [m]</th><th>Actors</th><th>At fault</th></tr>"
            + rows + "</table>")


def _metrics(result: dict) -> str:
    m = result.get("metrics")
    if not m:
        return f'<p class="muted">Metrics {NOT_RECORDED}.</p>'
    rows = []
    for name, values in m.items():
        items = values.items() if isinstance(values, dict) else [("value", values)]
        for vname, v in items:
            rows.append(f"<tr><td>{_e(name)}</td><td>{_e(vname)}</td>{_num_cell(v)}</tr>")
    return ("<table><tr><th>Metric</th><th>Value</th><th>Number</th></tr>"
            + "".join(rows) + "</table>")


def _img(png: bytes | None, alt: str) -> str:
    if not png:
        return f'<p class="muted">{html.escape(alt)}: not recorded.</p>'
    data = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'


def report_html(result: dict, *, bev_png: bytes | None = None, speed_png: bytes | None = None,
                ttc_png: bytes | None = None) -> str:
    """The report page for ``result`` (the result.json dictionary) with the bird's-eye view
    and the speed and TTC plots (PNG bytes; None: "not recorded")."""
    title = f"kav run report: {fmt_value(result.get('scenario'))}"
    heading = result.get("title") or result.get("scenario")
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title>", f"<style>{_CSS}</style>", "</head>", "<body>",
        _banner(result), f"<h1>{_e(heading)}</h1>",
        "<h2>Run identity</h2>", _identity(result),
        "<h2>Scores</h2>", _scores(result),
        "<h2>Pass criteria</h2>", _criteria(result),
        "<h2>Infractions</h2>", _infractions(result),
        "<h2>Ego speed</h2>", _img(speed_png, "ego speed and speed limit over time"),
        "<h2>Time to collision</h2>", _img(ttc_png, "ego time to collision over time"),
        "<h2>Bird's-eye view</h2>", _img(bev_png, "map with every actor's trajectory"),
        "<h2>All metrics</h2>", _metrics(result),
        '<p class="muted">Generated by kav from result.json. Numbers to 6 significant '
        'digits; "inf": the measure never applied (e.g. nobody closing in).</p>',
        "</body>", "</html>", ""])


def write_report(path: Path, result: dict, bev_png: bytes | None = None,
                 speed_png: bytes | None = None, ttc_png: bytes | None = None) -> None:
    """Write :func:`report_html` to ``path`` (atomically)."""
    atomic_write_text(Path(path), report_html(result, bev_png=bev_png, speed_png=speed_png,
                                              ttc_png=ttc_png))
