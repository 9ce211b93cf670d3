"""Per-run plots for the report: ego speed against the limit, and time to collision.

Both return PNG bytes (embedded in ``report.html``), drawn on a private Agg figure rather
than through pyplot, so plotting keeps no global state and works in threads and without a
display. Missing, empty or infinite data gives a readable "no data" picture, never an error:
the report must be written even for a run that broke at step 1.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

MPS_TO_KMH = 3.6
TTC_CLIP_S = 10.0  # [s] longer TTCs (and "nobody closing in", inf) are drawn at the top
TTC_WARNING_S = 1.5  # [s] a common forward-collision-warning threshold
TTC_NUPLAN_S = 0.95  # [s] nuPlan's "TTC within bound" fails below this

# metric -> marker colour; unknown metrics get grey
_EVENT_COLOURS = {"collisions": "#d62728", "red_light": "#e377c2", "speed": "#ff7f0e",
                  "stop": "#9467bd", "progress": "#8c564b", "surrogate": "#bcbd22",
                  "comfort": "#17becf"}
_DPI = 110
# beside the axes, so it never hides the curves it explains
_LEGEND = {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0), "fontsize": 7,
           "frameon": False}


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    # no Software/date chunks: the same run gives the same bytes
    fig.savefig(buf, format="png", dpi=_DPI, metadata={"Software": None})
    return buf.getvalue()


def _series(t_s, values) -> tuple[np.ndarray, np.ndarray]:
    """(t, v) as float arrays of equal length; non-numeric input becomes empty."""
    try:
        t = np.asarray(t_s if t_s is not None else [], dtype=float).ravel()
        v = np.asarray(values if values is not None else [], dtype=float).ravel()
    except (TypeError, ValueError):
        return np.zeros(0), np.zeros(0)
    n = min(len(t), len(v))
    return t[:n], v[:n]


def _no_data(ax, what: str) -> None:
    ax.text(0.5, 0.5, f"no {what} recorded", ha="center", va="center",
            transform=ax.transAxes, color="#666666", fontsize=11)


def _event_field(e, name: str):
    """Infractions come as result.json dicts; MetricEvent objects work too."""
    return e.get(name) if isinstance(e, dict) else getattr(e, name, None)


def speed_plot(t_s, speed_mps, limit_mps, events=()) -> bytes:
    """Ego speed and the speed limit at the ego, both in km/h, over time [s], with a marker
    per infraction (``events``: infraction dicts with ``time_s``, ``metric``, ``kind``).
    ``t_s``, ``speed_mps``, ``limit_mps``: (T,) [s], [m/s], [m/s]; a limit that is not
    positive and finite (off the road, unknown) leaves a gap."""
    fig = Figure(figsize=(9.0, 3.2))
    ax = fig.add_subplot()
    t, v = _series(t_s, speed_mps)
    tl, lim = _series(t_s, limit_mps)
    if len(t) == 0:
        _no_data(ax, "speed")
    else:
        ax.plot(t, np.where(np.isfinite(v), v, np.nan) * MPS_TO_KMH, color="#1f77b4", lw=1.4,
                label="ego speed")
        lim = np.where(np.isfinite(lim) & (lim > 0), lim, np.nan) * MPS_TO_KMH
        if np.isfinite(lim).any():
            ax.step(tl, lim, where="post", color="#444444", lw=1.0, ls="--",
                    label="speed limit")
        seen: set[str] = set()
        for e in events or ():
            te = _event_field(e, "time_s")
            try:
                te = float(te)
            except (TypeError, ValueError):
                continue
            if not np.isfinite(te):
                continue
            metric = str(_event_field(e, "metric") or "")
            kind = str(_event_field(e, "kind") or metric or "infraction")
            colour = _EVENT_COLOURS.get(metric, "#7f7f7f")
            vk = np.interp(te, t, np.nan_to_num(v, nan=0.0, posinf=0.0, neginf=0.0))
            ax.axvline(te, color=colour, lw=0.6, alpha=0.5)
            ax.plot([te], [vk * MPS_TO_KMH], marker="v", ms=7, color=colour, ls="none",
                    label=None if kind in seen else kind)
            seen.add(kind)
        ax.set_xlim(float(t[0]), float(max(t[-1], t[0] + 1e-3)))
        peak = np.nanmax(np.concatenate([v * MPS_TO_KMH, lim, [1.0]]))
        ax.set_ylim(0, float(peak) * 1.1 if np.isfinite(peak) else None)
        ax.legend(**_LEGEND)
    ax.set_xlabel("time [s]")
    ax.set_ylabel("speed [km/h]")
    ax.set_title("Ego speed and speed limit", fontsize=10)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _png(fig)


def ttc_plot(t_s, ttc_s) -> bytes:
    """Ego time to collision [s] over time [s], clipped at 10 s (infinite: nobody closing
    in), with the 1.5 s warning line and nuPlan's 0.95 s bound."""
    fig = Figure(figsize=(9.0, 3.0))
    ax = fig.add_subplot()
    t, ttc = _series(t_s, ttc_s)
    if len(t) == 0:
        _no_data(ax, "time to collision")
    else:
        ttc = np.where(np.isnan(ttc), np.nan, np.clip(ttc, 0.0, TTC_CLIP_S))
        ax.plot(t, ttc, color="#1f77b4", lw=1.3, label=f"TTC (clipped at {TTC_CLIP_S:g} s)")
        ax.fill_between(t, 0, TTC_CLIP_S, where=np.nan_to_num(ttc, nan=TTC_CLIP_S)
                        < TTC_NUPLAN_S, color="#d62728", alpha=0.15, step="mid", lw=0)
        ax.set_xlim(float(t[0]), float(max(t[-1], t[0] + 1e-3)))
    ax.axhline(TTC_WARNING_S, color="#ff7f0e", lw=1.0, ls="--",
               label=f"warning {TTC_WARNING_S:g} s")
    ax.axhline(TTC_NUPLAN_S, color="#d62728", lw=1.0, ls=":",
               label=f"nuPlan bound {TTC_NUPLAN_S:g} s")
    ax.set_ylim(0, TTC_CLIP_S + 0.3)
    ax.set_xlabel("time [s]")
    ax.set_ylabel("TTC [s]")
    ax.set_title("Ego time to collision", fontsize=10)
    ax.legend(**_LEGEND)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _png(fig)
