"""Suite plots for the suite report: score histograms by verdict, and pass-rate heat maps
over the parameters a scenario varies.

Like :mod:`scenarios.plots`, every figure is a private Agg figure (no pyplot state, safe in
threads, no display) returned as PNG bytes, and missing data gives a "no data" panel rather
than an error. The grid arithmetic is :func:`pass_rate_grid`, a pure function, so the
numbers in a heat map can be checked without reading pixels.
"""

from __future__ import annotations

import io
import json
import math

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from scenarios.suites.rows import SCORE_COLUMNS, params_of
from scenarios.suites.summary import verdict_of

_DPI = 100
MAX_CATEGORIES = 12  # a numeric parameter with more distinct values is binned
N_BINS = 8
UNSET = "(unset)"  # label of the runs that lack the parameter
VERDICT_COLOURS = {"PASS": "#1b7f3a", "FAIL": "#c62828", "ERROR": "#263238"}
# column -> (title, value range); a score's range is fixed so suites compare by eye
SCORE_AXES = {"carla_ds": ("CARLA LB 2.0 driving score", (0.0, 100.0)),
              "carla21_ds": ("CARLA LB 2.1 driving score", (0.0, 100.0)),
              "nuplan_score": ("nuPlan closed-loop score", (0.0, 1.0))}
_HIST_BINS = 20
_MAX_ANNOTATED = 200  # cells; a bigger grid is drawn without "n, %" in each cell


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    # no Software/date chunks: the same rows give the same bytes
    fig.savefig(buf, format="png", dpi=_DPI, metadata={"Software": None})
    return buf.getvalue()


def _text(s: str, limit: int = 60) -> str:
    """User text safe for matplotlib: "$" would start mathtext and can fail to parse."""
    s = str(s)
    s = s if len(s) <= limit else s[:limit - 3] + "..."
    return s.replace("$", r"\$")


def _no_data(ax, what: str = "no data") -> None:
    ax.text(0.5, 0.5, what, ha="center", va="center", transform=ax.transAxes,
            color="#666666", fontsize=11)


def _score(row: dict, column: str) -> float:
    try:
        return float(row.get(column))
    except (TypeError, ValueError):
        return math.nan


def score_histograms(rows: list[dict]) -> bytes:
    """One panel per score column (SCORE_COLUMNS), runs stacked by verdict; values outside
    a score's range are drawn in its end bins; a column without finite values says so."""
    fig = Figure(figsize=(11.0, 3.2))
    axes = fig.subplots(1, len(SCORE_COLUMNS))
    for ax, col in zip(np.atleast_1d(axes), SCORE_COLUMNS):
        title, (lo, hi) = SCORE_AXES.get(col, (col, (0.0, 1.0)))
        edges = np.linspace(lo, hi, _HIST_BINS + 1)
        width = edges[1] - edges[0]
        bottom = np.zeros(_HIST_BINS)
        n = 0
        for verdict, colour in VERDICT_COLOURS.items():
            v = np.array([_score(r, col) for r in rows if verdict_of(r) == verdict])
            v = np.clip(v[np.isfinite(v)], lo, hi)
            if not len(v):
                continue
            n += len(v)
            counts, _ = np.histogram(v, bins=edges)
            ax.bar(edges[:-1], counts, width=width, bottom=bottom, align="edge",
                   color=colour, edgecolor="white", linewidth=0.4, label=verdict)
            bottom += counts
        if n == 0:
            _no_data(ax)
        else:
            ax.legend(fontsize=7, frameon=False, loc="upper left")
        ax.set_xlim(lo, hi)
        ax.set_title(f"{title} (n = {n})", fontsize=9)
        ax.set_ylabel("runs", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return _png(fig)


# ---------------------------------------------------------------- pass-rate grids

def _key(v) -> str:
    """A hashable identity for any JSON value (lists and objects included)."""
    return json.dumps(v, sort_keys=True)


def _is_num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _label(v) -> str:
    if v is None:
        return UNSET
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return f"{v:g}"
    return v if isinstance(v, str) else _key(v)


def _category_order(v):
    """Categories in a readable order: false/true, numbers, text, the rest, unset last."""
    if v is None:
        return (4, 0.0, "")
    if isinstance(v, bool):
        return (0, float(v), "")
    if _is_num(v):
        return (1, float(v), "")
    return (2, 0.0, v) if isinstance(v, str) else (3, 0.0, _key(v))


def _edge(v: float) -> str:
    """A bin edge to 3 significant digits, but never in exponent form below 1e6."""
    return f"{v:.3g}" if abs(v) < 1000 or abs(v) >= 1e6 else f"{v:.0f}"


def param_axis(values: list) -> tuple[list[str], list[int]]:
    """The axis for one parameter's values (one per run; None: the run lacks it): its cell
    labels, and each value's cell index. More than MAX_CATEGORIES distinct finite numbers
    are binned into N_BINS equal bins over their range ("[lo, hi)", the last "[lo, hi]");
    anything else is a category of its own."""
    nums = sorted({float(v) for v in values if _is_num(v)})
    labels: list[str] = []
    # sampled values (a random sweep, a search) are nearly all distinct: bin them even when
    # there are few, or every cell holds one run and the map shows nothing
    sampled = len(nums) > 6 and len(nums) > 0.5 * sum(_is_num(v) for v in values)
    if len(nums) > MAX_CATEGORIES or sampled:
        lo, hi = nums[0], nums[-1]
        nb = N_BINS if len(nums) > MAX_CATEGORIES else max(3, min(N_BINS, round(
            len(nums) ** 0.5)))
        edges = np.linspace(lo, hi, nb + 1)
        labels = [f"[{_edge(a)}, {_edge(b)}{']' if i == nb - 1 else ')'}"
                  for i, (a, b) in enumerate(zip(edges[:-1], edges[1:]))]

        def binned(v) -> int:
            return min(int((float(v) - lo) / (hi - lo) * nb), nb - 1)
    else:
        binned = None
    cats = sorted({_key(v): v for v in values if binned is None or not _is_num(v)}.values(),
                  key=_category_order)
    where = {_key(v): len(labels) + i for i, v in enumerate(cats)}
    labels += [_label(v) for v in cats]
    index = [binned(v) if binned is not None and _is_num(v) else where[_key(v)]
             for v in values]
    return labels, index


def _params(row: dict) -> dict:
    """The row's parameters; a broken ``params`` cell reads as none (the plot still draws)."""
    try:
        p = params_of(row)
    except ValueError:
        return {}
    return p if isinstance(p, dict) else {}


def varying_params(rows: list[dict]) -> list[str]:
    """Parameters whose value differs between ``rows`` (a missing one counts as a value),
    most distinct values first, then by name."""
    params = [_params(r) for r in rows]
    names = sorted({k for p in params for k in p})
    distinct = {k: len({_key(p.get(k)) for p in params}) for k in names}
    return sorted((k for k in names if distinct[k] > 1), key=lambda k: (-distinct[k], k))


def informative_params(rows: list[dict]) -> list[str]:
    """The varying parameters, those the pass rate depends on most first: ranked by the
    run-weighted variance of the pass rate between the parameter's cells (a parameter that
    changes nothing scores 0), then as :func:`varying_params` orders them."""
    vary = varying_params(rows)
    passed = np.array([verdict_of(r) == "PASS" for r in rows], dtype=float)

    def spread(name: str) -> float:
        values = [_params(r).get(name) for r in rows]
        nums = np.array([float(v) for v in values if _is_num(v)])
        if len({*nums}) > 4 and len(nums) == len(values):
            # rank continuous parameters on 4 equal-count bins each: finer cells would give
            # a parameter with more distinct values a larger spread by chance alone
            idx = np.searchsorted(np.quantile(nums, [0.25, 0.5, 0.75]), nums, side="right")
        else:
            idx = np.asarray(param_axis(values)[1])
        cells = np.unique(idx)
        means = np.array([passed[idx == c].mean() for c in cells])
        counts = np.array([(idx == c).sum() for c in cells])
        return float((counts * (means - passed.mean()) ** 2).sum() / len(rows))

    score = {k: spread(k) for k in vary}
    return sorted(vary, key=lambda k: (-round(score[k], 12), vary.index(k)))


def pass_rate_grid(rows: list[dict], x: str, y: str | None = None
                   ) -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
    """Pass rate of ``rows`` over parameters ``x`` and ``y`` (None: one row).

    Returns (x_labels, y_labels, rate, count): ``rate[j, i]`` is the share of PASS among
    the ``count[j, i]`` runs whose ``y`` falls in cell j and ``x`` in cell i [0, 1] (ERROR
    and FAIL are not passes), NaN where no run falls. ``y_labels`` is [""] for y None."""
    params = [_params(r) for r in rows]
    x_labels, xi = param_axis([p.get(x) for p in params])
    if y is None:
        y_labels, yi = [""], [0] * len(rows)
    else:
        y_labels, yi = param_axis([p.get(y) for p in params])
    count = np.zeros((len(y_labels), len(x_labels)), dtype=int)
    passed = np.zeros_like(count)
    for r, i, j in zip(rows, xi, yi):
        count[j, i] += 1
        passed[j, i] += verdict_of(r) == "PASS"
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(count > 0, passed / np.maximum(count, 1), np.nan)
    return x_labels, y_labels, rate, count


def heatmap_png(scenario: str, rows: list[dict]) -> bytes | None:
    """The pass-rate heat map of one scenario's rows; None when no parameter varies."""
    vary = informative_params(rows)
    if not vary:
        return None
    x, y = vary[0], (vary[1] if len(vary) > 1 else None)
    x_labels, y_labels, rate, count = pass_rate_grid(rows, x, y)
    ny, nx = rate.shape
    fig = Figure(figsize=(min(2.4 + 0.85 * nx, 13.0),
                          1.9 + (0.55 * min(ny, 15) if y is not None else 0.3)))
    ax = fig.add_subplot()
    cmap = colormaps["RdYlGn"].with_extremes(bad="white")
    im = ax.imshow(np.ma.masked_invalid(rate), cmap=cmap, vmin=0.0, vmax=1.0,
                   aspect="auto", interpolation="nearest")
    size = 8 if nx * ny <= 40 else 6
    for j in range(ny if nx * ny <= _MAX_ANNOTATED else 0):  # beyond that, unreadable
        for i in range(nx):
            if count[j, i]:
                dark = not 0.15 <= rate[j, i] <= 0.85  # deep red / green: white text
                ax.text(i, j, f"{100 * rate[j, i]:.0f}%\nn={count[j, i]}", ha="center",
                        va="center", fontsize=size, color="white" if dark else "black")
    ax.set_xticks(range(nx), [_text(s, 24) for s in x_labels], fontsize=7,
                  rotation=30 if nx > 4 else 0, ha="right" if nx > 4 else "center")
    ax.set_xlabel(_text(x), fontsize=8)
    if y is None:
        ax.set_yticks([])  # a strip: the one row has no name
    else:
        ax.set_yticks(range(ny), [_text(s, 24) for s in y_labels], fontsize=7)
        ax.set_ylabel(_text(y), fontsize=8)
    rest = vary[2:] if y is not None else vary[1:]
    sub = (f"marginalised over {', '.join(rest)}" if rest else "no other parameter varies")
    ax.set_title(f"{_text(scenario)}: pass rate ({len(rows)} runs)\n{_text(sub, 100)}",
                 fontsize=9)
    fig.colorbar(im, ax=ax, fraction=0.04, pad=0.02).ax.tick_params(labelsize=7)
    fig.tight_layout()
    return _png(fig)


def verdict_heatmaps(rows: list[dict]) -> dict[str, bytes]:
    """Scenario id -> pass-rate heat map (PNG) for every scenario with a varying parameter,
    in scenario order."""
    by_scenario: dict[str, list[dict]] = {}
    for r in rows:
        by_scenario.setdefault(str(r.get("scenario", "")), []).append(r)
    out = {}
    for scenario in sorted(by_scenario):
        png = heatmap_png(scenario, by_scenario[scenario])
        if png is not None:
            out[scenario] = png
    return out
