"""The suite report: ``summary.json``, ``summary.txt``, the plots as PNG files, and
``report.html``, one self-contained page over every run of a suite.

As with the per-run report (:mod:`scenarios.report_html`) the page has no scripts and no
external URLs: CSS inline, pictures as base64 data URIs, so it reads the same offline or
archived. Every string that comes from the rows (scenario ids, parameters, criterion names,
error texts: scenario files are user input) goes through :func:`html.escape`. The only
links are relative ones into the suite folder, to a run's ``report.html`` when it exists,
else its ``result.json``. Every file is written atomically.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from scenarios.outputs import atomic_write_bytes, atomic_write_text
from scenarios.suites.rows import now_iso
from scenarios.suites.suite_plots import score_histograms, verdict_heatmaps
from scenarios.suites.summary import (
    SCORE_LABELS,
    SuiteSummary,
    WorstCase,
    fmt3,
    fmt_rate,
    format_table,
    jsonable,
    params_text,
    summarize,
    summary_json,
)

_CSS = """
body{font-family:"Noto Sans KR","Malgun Gothic","Apple SD Gothic Neo",system-ui,sans-serif;
margin:0 auto;max-width:1200px;padding:0 16px 40px;color:#222;line-height:1.4}
h1{font-size:1.5em;margin:.6em 0 .2em}h2{font-size:1.15em;border-bottom:2px solid #ddd;
padding-bottom:3px;margin-top:1.6em}h3{font-size:1em;margin:1em 0 .3em}
.banner{padding:16px 22px;border-radius:6px;color:#fff;margin-top:16px}
.banner .v{font-size:1.8em;font-weight:700}
.PASS{background:#1b7f3a}.FAIL{background:#c62828}.ERROR,.EMPTY{background:#263238}
.bar{display:flex;height:12px;margin-top:10px;border:1px solid rgba(255,255,255,.6)}
.bar .PASS{background:#4caf50}.bar .FAIL{background:#ef5350}.bar .ERROR{background:#90a4ae}
.note{background:#fff3cd;border:1px solid #e0c36c;padding:8px 12px;border-radius:4px}
table{border-collapse:collapse;width:100%;font-size:.88em;margin:6px 0}
th,td{border:1px solid #ccc;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#f2f2f2}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.all td{font-weight:600;background:#fafafa}
.v-PASS{color:#1b5e20;font-weight:600}.v-FAIL{color:#b71c1c;font-weight:600}
.v-ERROR{color:#263238;font-weight:600}
.muted{color:#777}img{max-width:100%;border:1px solid #ddd}
@media print{.banner,.bar{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
"""


def _e(v) -> str:
    return html.escape("" if v is None else str(v), quote=True)


def _num(text: str) -> str:
    return f'<td class="num">{_e(text)}</td>'


def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{_e(alt)}">'


def safe_name(scenario: str) -> str:
    """A file-name-safe form of a scenario id; ids that had to change get a short hash so
    two ids never share a file."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", scenario).strip("._")[:80]
    if safe != scenario or not safe:
        safe = f"{safe or 'scenario'}-{hashlib.sha256(scenario.encode()).hexdigest()[:8]}"
    return safe


def run_link(folder: Path, out_dir: str) -> str | None:
    """Relative href to the run's report.html (if written), else its result.json (if
    written); None for no output or an ``out_dir`` outside the suite folder."""
    if not out_dir:
        return None
    rel = PurePosixPath(str(out_dir).replace("\\", "/"))
    if rel.is_absolute() or ".." in rel.parts or ":" in str(rel):
        return None
    for name in ("report.html", "result.json"):
        if (Path(folder) / rel / name).is_file():
            return quote(f"{rel.as_posix()}/{name}")
    return None


def _int(v) -> int | None:
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def _meta_value(v) -> str:
    if isinstance(v, dict):
        return "<br>".join(f"{_e(k)}: {_meta_value(x)}" for k, x in v.items()) or "-"
    return "-" if v is None or v == "" else _e(v)


def _identity(meta: dict, n_rows: int) -> str:
    planned = _int(meta.get("n_planned"))
    rows = [("Suite", meta.get("suite")), ("Description", meta.get("description")),
            ("Started", meta.get("started_at")), ("Finished", meta.get("finished_at")),
            ("Runs recorded / planned", f"{n_rows} / {planned if planned is not None else '-'}"),
            ("Backend", meta.get("backend")), ("Code version", meta.get("code_version")),
            ("Report written", now_iso())]
    return "<table>" + "".join(f"<tr><th>{k}</th><td>{_meta_value(v)}</td></tr>"
                               for k, v in rows) + "</table>"


def _banner(s: SuiteSummary) -> str:
    o = s.overall
    if not o.runs:
        return ('<div class="banner EMPTY"><div class="v">No runs</div>'
                "<div>This suite has no recorded runs.</div></div>")
    cls = "PASS" if o.passed == o.runs else ("ERROR" if o.failed == 0 and o.passed == 0
                                              else "FAIL")
    bar = "".join(f'<div class="{v}" style="width:{100 * n / o.runs:.2f}%"></div>'
                  for v, n in (("PASS", o.passed), ("FAIL", o.failed), ("ERROR", o.errors))
                  if n)
    return (f'<div class="banner {cls}"><div class="v">{o.passed} PASS &middot; {o.failed} '
            f"FAIL &middot; {o.errors} ERROR</div><div>{o.runs} run{'s' * (o.runs != 1)} in "
            f"{len(s.scenarios)} scenario{'s' * (len(s.scenarios) != 1)} &middot; pass rate "
            f'{fmt_rate(o.pass_rate)}</div><div class="bar">{bar}</div></div>')


def _scenario_table(s: SuiteSummary) -> str:
    head = ("<tr><th>Scenario</th><th>Runs</th><th>PASS</th><th>FAIL</th><th>ERROR</th>"
            "<th>Pass rate</th>" + "".join(f"<th>{SCORE_LABELS[c.column]} mean</th>"
                                           for c in s.overall.scores)
            + "<th>Min TTC [s]</th></tr>")
    body = []
    for g in (*s.scenarios, s.overall):
        cls = ' class="all"' if g is s.overall else ""
        body.append(f"<tr{cls}><td>{_e(g.scenario)}</td>{_num(str(g.runs))}"
                    f"{_num(str(g.passed))}{_num(str(g.failed))}{_num(str(g.errors))}"
                    f"{_num(fmt_rate(g.pass_rate))}"
                    + "".join(_num(fmt3(st.mean)) for st in g.scores)
                    + f"{_num(fmt3(g.min_ttc_s))}</tr>")
    return f"<table>{head}{''.join(body)}</table>"


def _score_table(s: SuiteSummary) -> str:
    head = ("<tr><th>Scenario</th><th>Score</th><th>n</th><th>Mean</th><th>Min</th>"
            "<th>P10</th><th>Median</th><th>Max</th></tr>")
    body = []
    for g in (*s.scenarios, s.overall):
        cls = ' class="all"' if g is s.overall else ""
        for st in g.scores:
            body.append(f"<tr{cls}><td>{_e(g.scenario)}</td><td>{SCORE_LABELS[st.column]}</td>"
                        f"{_num(str(st.n))}" + "".join(_num(fmt3(getattr(st, k))) for k in
                                                       ("mean", "min", "p10", "median", "max"))
                        + "</tr>")
    return f"<table>{head}{''.join(body)}</table>"


def _worst_table(cases: tuple[WorstCase, ...], folder: Path, label: str) -> str:
    if not cases:
        return f'<p class="muted">No run recorded a finite {_e(label)}.</p>'
    body = []
    for k, w in enumerate(cases, 1):
        href = run_link(folder, w.out_dir)
        link = (f'<a href="{_e(href)}">{_e(href.rsplit("/", 1)[-1])}</a>' if href
                else '<span class="muted">no output</span>')
        body.append(f"<tr>{_num(str(k))}<td>{_e(w.scenario)}</td><td>{_e(params_text(w.params))}"
                    f"</td>{_num(str(w.seed))}<td class=\"v-{_e(w.verdict)}\">{_e(w.verdict)}"
                    f"</td>{_num(fmt3(w.value))}<td>{link}</td></tr>")
    return (f"<table><tr><th>#</th><th>Scenario</th><th>Parameters</th><th>Seed</th>"
            f"<th>Verdict</th><th>{_e(label)}</th><th>Run</th></tr>{''.join(body)}</table>")


def _failures_table(s: SuiteSummary) -> str:
    if not s.failures:
        return "<p>No failed criteria and no errors.</p>"
    kinds = {"criterion": "failed criterion", "other": "failed", "error": "error"}
    body = "".join(f"<tr><td>{kinds.get(f.kind, _e(f.kind))}</td><td>{_e(f.reason)}</td>"
                   f"{_num(str(f.count))}<td>{_e(', '.join(f.scenarios))}</td></tr>"
                   for f in s.failures)
    return ("<table><tr><th>Kind</th><th>Reason</th><th>Runs</th><th>Scenarios</th></tr>"
            f"{body}</table>")


def _incomplete(meta: dict, n_rows: int) -> str:
    planned = _int(meta.get("n_planned"))
    if planned is None or planned <= n_rows:
        return ""
    return (f'<p class="note">Suite incomplete: {n_rows} of {planned} planned runs recorded '
            f"({planned - n_rows} missing). The numbers below cover the recorded runs only."
            "</p>")


def report_html(folder: Path, rows: list[dict], meta: dict, summary: SuiteSummary,
                scores_png: bytes | None, heatmaps: dict[str, bytes]) -> str:
    """The suite report page; ``folder`` is where the run links are checked."""
    name = meta.get("suite") or "(unnamed suite)"
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>kav suite report: {_e(name)}</title>", f"<style>{_CSS}</style>",
             "</head>", "<body>", f"<h1>Suite {_e(name)}</h1>"]
    if meta.get("description"):
        parts.append(f"<p>{_e(meta['description'])}</p>")
    parts += [_banner(summary), _incomplete(meta, len(rows)),
              "<h2>Suite identity</h2>", _identity(meta, len(rows))]
    if rows:
        parts += ["<h2>Scenarios</h2>", _scenario_table(summary),
                  "<h2>Score statistics</h2>",
                  '<p class="muted">Over finite values only (n of them); CARLA driving '
                  "scores 0&ndash;100, nuPlan 0&ndash;1; P10: 10th percentile.</p>",
                  _score_table(summary), "<h2>Score distributions</h2>"]
        if scores_png:
            parts.append(_img(scores_png, "score histograms by verdict"))
        parts.append("<h2>Pass rate over the parameters</h2>")
        if heatmaps:
            parts.append('<p class="muted">Share of PASS per cell (ERROR counts as not '
                         "passed); blank cells had no runs.</p>")
            parts += [f"<h3>{_e(sc)}</h3>{_img(png, f'pass-rate heat map of {sc}')}"
                      for sc, png in heatmaps.items()]
        else:
            parts.append('<p class="muted">No scenario varies a parameter.</p>')
        parts += ["<h2>Worst cases: lowest CARLA LB 2.0 driving score</h2>",
                  _worst_table(summary.worst_carla_ds, folder, "Driving score"),
                  "<h2>Worst cases: smallest time to collision</h2>",
                  _worst_table(summary.worst_min_ttc, folder, "Min TTC [s]"),
                  "<h2>Failure reasons</h2>", _failures_table(summary)]
    parts += ['<p class="muted">Generated by kav from the suite\'s results store. Numbers to '
              '3 significant digits; "-": not recorded; "inf": nobody ever closed in.</p>',
              "</body>", "</html>", ""]
    return "\n".join(p for p in parts if p)


def write_suite_report(folder: Path, rows: list[dict], meta: dict) -> list[Path]:
    """Write the suite report files into ``folder`` (created if needed) and return their
    paths: summary.json, summary.txt, scores.png, heatmap-<scenario>.png, report.html."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    meta = meta or {}
    summary = summarize(rows)
    written: list[Path] = []

    def put(name: str, data: bytes | str) -> None:
        path = folder / name
        if isinstance(data, str):
            atomic_write_text(path, data)
        else:
            atomic_write_bytes(path, data)
        written.append(path)

    doc = {"meta": jsonable(meta), **summary_json(summary)}
    put("summary.json", json.dumps(doc, indent=2, allow_nan=False, ensure_ascii=False) + "\n")
    put("summary.txt", format_table(summary))
    scores_png = score_histograms(rows)
    put("scores.png", scores_png)
    heatmaps = verdict_heatmaps(rows)
    for scenario, png in heatmaps.items():
        put(f"heatmap-{safe_name(scenario)}.png", png)
    put("report.html", report_html(folder, rows, meta, summary, scores_png, heatmaps))
    # a heat map from an earlier report whose scenario no longer varies would sit beside
    # the new ones as if current: the names are this module's own, so remove the strays
    for stray in set(folder.glob("heatmap-*.png")) - set(written):
        stray.unlink(missing_ok=True)
    return written
