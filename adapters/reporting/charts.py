"""Charts drawn with matplotlib (Agg) into PNG bytes for inline embedding."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from edgedeploy.application.ports.reporting import Chart

BAND_COLOURS = ("#e8f5e9", "#fff8e1", "#ffe0b2", "#ffcdd2", "#e3f2fd")


def render_png(chart: Chart, width: float = 7.5, height: float = 3.6) -> bytes:
    """The chart as PNG bytes (96 dpi)."""
    fig, ax = plt.subplots(figsize=(width, height), dpi=96)
    try:
        for (low, high, label), colour in zip(chart.bands, BAND_COLOURS, strict=False):
            ax.axhspan(low, high, color=colour, zorder=0)
            ax.text(1.002, (low + high) / 2, label, transform=ax.get_yaxis_transform(),
                    fontsize=7, va="center", color="#555")
        for series in chart.series:
            kwargs = {"label": series.name, "linewidth": 2.4 if series.highlight else 1.4,
                      "zorder": 3 if series.highlight else 2}
            if series.style == "points":
                ax.scatter(series.xs, series.ys, s=70 if series.highlight else 30,
                           marker="*" if series.highlight else "o", label=series.name,
                           zorder=kwargs["zorder"])
            elif series.style == "steps":
                ax.step(series.xs, series.ys, where="post", **kwargs)  # type: ignore[arg-type]
            else:
                ax.plot(series.xs, series.ys, marker="." if len(series.xs) < 60 else None,
                        **kwargs)  # type: ignore[arg-type]
            for x, y, label in zip(series.xs, series.ys, series.labels, strict=False):
                if label:
                    ax.annotate(label, (x, y), textcoords="offset points", xytext=(4, 4),
                                fontsize=7)
        ax.set_title(chart.title, fontsize=10)
        ax.set_xlabel(chart.x_label, fontsize=8)
        ax.set_ylabel(chart.y_label, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        if len(chart.series) > 1:
            ax.legend(fontsize=7, loc="best")
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(fig)
