#!/usr/bin/env python3
"""Draws bench/results/latest.svg from latest.json: bar charts of delivery
latency p50/p99 at each rate (log scale: libpcap's default holds packets for
up to seconds) and capturer CPU per million packets, for each peer.
SVG written by hand; Python 3 standard library only.

    python3 bench/plot.py bench/results/latest.json bench/results/latest.svg
"""
import json
import math
import sys
from xml.sax.saxutils import escape

W, PANEL_H, TOP, LEFT, RIGHT = 900, 260, 44, 70, 20
COLORS = {"p50": "#4c78a8", "p99": "#f58518", "cpu": "#54a24b"}


def med(summary, key):
    s = summary.get(key)
    return s["median"] if s and s["median"] is not None and s["median"] > 0 else None


def short(v, unit):
    """A bar label: latencies in µs shown as µs, ms or s."""
    if unit != "µs":
        return "%.3g" % v
    if v >= 1e6:
        return "%.3g s" % (v / 1e6)
    if v >= 1e3:
        return "%.3g ms" % (v / 1e3)
    return "%.0f µs" % v


def text(x, y, s, size=11, anchor="start", extra=""):
    return '<text x="%.1f" y="%.1f" font-size="%d" text-anchor="%s" %s>%s</text>' % (x, y, size, anchor, extra, escape(s))


def panel(y0, title, peers, series, log_scale, unit):
    """peers: names; series: list of (label, color, [value or None per peer])."""
    out = ['<g>', text(LEFT, y0 + 14, title, 13, extra='font-weight="bold"')]
    top, bottom = y0 + 40, y0 + PANEL_H - 45
    vals = [v for _, _, vs in series for v in vs if v]
    if not vals:
        return "\n".join(out + ["</g>"])
    vmax = max(vals)
    if log_scale:
        lo = 10 ** math.floor(math.log10(min(vals)))
        hi = 10 ** math.ceil(math.log10(vmax))

        def ypos(v):
            return bottom - (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * (bottom - top)
        ticks = [10 ** e for e in range(int(math.log10(lo)), int(math.log10(hi)) + 1)]
    else:
        step = 10 ** math.floor(math.log10(vmax))
        hi = math.ceil(vmax / step) * step
        lo = 0

        def ypos(v):
            return bottom - v / hi * (bottom - top)
        ticks = [i * step for i in range(int(hi / step) + 1)]
    for t in ticks:
        y = ypos(t)
        label = short(t, unit) if unit == "µs" else "%g" % t
        out.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>' % (LEFT, y, W - RIGHT, y))
        out.append(text(LEFT - 5, y + 4, label, 10, "end"))
    out.append(text(14, (top + bottom) / 2, unit, 10, "middle",
                    'transform="rotate(-90 14 %.1f)"' % ((top + bottom) / 2)))
    slot = (W - LEFT - RIGHT) / len(peers)
    bw = slot * 0.7 / len(series)
    for i, p in enumerate(peers):
        x0 = LEFT + i * slot + slot * 0.15
        for j, (label, color, vs) in enumerate(series):
            v = vs[i]
            if not v:
                out.append(text(x0 + j * bw + bw / 2, bottom - 3, "n/a", 9, "middle"))
                continue
            y = ypos(max(v, lo if log_scale else 0))
            out.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s: %.4g %s</title></rect>'
                       % (x0 + j * bw, y, bw - 1, bottom - y, color, escape(p), label, v, escape(unit)))
            out.append(text(x0 + j * bw + bw / 2, y - 3, short(v, unit), 8, "middle"))
        out.append(text(LEFT + i * slot + slot / 2, bottom + 14, p, 10, "middle"))
    lx = W - RIGHT - 90 * len(series)
    for j, (label, color, _) in enumerate(series):
        out.append('<rect x="%d" y="%d" width="10" height="10" fill="%s"/>' % (lx + j * 90, y0 + 19, color))
        out.append(text(lx + j * 90 + 14, y0 + 28, label, 10))
    out.append("</g>")
    return "\n".join(out)


def main():
    src, dst = sys.argv[1], sys.argv[2]
    with open(src) as f:
        res = json.load(f)
    panels = []
    for key, how in (("latency", "SCHED_FIFO"), ("latency_cfs", "default scheduling, shared machine")):
        for rate, v in res.get(key, {}).items():
            peers = list(v["peers"])
            p50 = [med(v["peers"][p]["summary"], "lat_p50_us") for p in peers]
            p99 = [med(v["peers"][p]["summary"], "lat_p99_us") for p in peers]
            panels.append(("Delivery latency at %s packets/s, %s (median of runs, log scale)" % (rate, how), peers,
                           [("p50", COLORS["p50"], p50), ("p99", COLORS["p99"], p99)], True, "µs"))
    t = res.get("throughput")
    if t:
        peers = list(t["peers"])
        cpu = [med(t["peers"][p]["summary"], "cpu_s_per_mpkt") for p in peers]
        panels.append(("Capturer CPU per million packets, %d min-size frames at full rate" % t["packets"], peers,
                       [("CPU s/Mpkt", COLORS["cpu"], cpu)], True, "CPU s / M packets (log)"))
    m = res["meta"]
    h = TOP + PANEL_H * len(panels) + 20
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif">' % (W, h),
             '<rect width="100%" height="100%" fill="white"/>',
             text(LEFT, 16, "ringcap capture benchmarks, %s, kernel %s, medians of %d alternating rounds" % (
                 m["date"], m["kernel"], m["rounds"]), 12),
             text(LEFT, 30, "reproduce: %s" % m["command"], 10)]
    for i, (title, peers, series, log_scale, unit) in enumerate(panels):
        parts.append(panel(TOP + i * PANEL_H, title, peers, series, log_scale, unit))
    parts.append("</svg>")
    with open(dst, "w") as f:
        f.write("\n".join(parts) + "\n")


if __name__ == "__main__":
    main()
