#!/usr/bin/env python3
"""The mpki-share study's table and chart from bench's CSV (standard library only).

Usage: plot.py mpki-share.csv reduction.svg

Per user page size and linear-map share: the dTLB walks per 1,000 accesses with block
and pte mapping, and the block mapping's reduction (block - pte) / pte. Prints the table
and the share where the reduction crosses -28.5 % (linear interpolation between the two
measured shares around it), and draws the reductions against the share.
"""
import csv
import sys

TARGET = -0.285


def load(path):
    points = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            shares = sum(float(row[c] or 0) for c in ("image_share", "vmalloc_share", "user_share"))
            linear = round(1 - shares, 6)
            mpki = 1000 * int(row["dtlb_walk"]) / int(row["tlb_accesses"])
            # A linear-only run has no user pages: it ends every curve.
            pages = [f'{row["user_page"]}, {int(row["user_bytes"]) >> 30} GiB'] if row["user_page"] else [None]
            for page in pages:
                points.setdefault(page, {}).setdefault(linear, {})[row["mode"]] = mpki
    ends = points.pop(None, {})
    for by in points.values():
        by.update(ends)
    return {page: sorted((s, m["block"], m["pte"], (m["block"] - m["pte"]) / m["pte"]) for s, m in by.items())
            for page, by in points.items()}


def crossing(curve):
    for (s0, _, _, r0), (s1, _, _, r1) in zip(curve, curve[1:]):
        if (r0 - TARGET) * (r1 - TARGET) <= 0 and r0 != r1:
            return s0 + (TARGET - r0) * (s1 - s0) / (r1 - r0)
    return None


def svg(curves, crossings):
    w, h, left, right, top, bottom = 720, 400, 70, 180, 40, 50
    pw, ph = w - left - right, h - top - bottom
    x = lambda s: left + s * pw
    y = lambda r: top + (-r) * ph  # 0 % at the top, -100 % at the bottom
    colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
           f'<text x="{left}" y="20" font-size="14">Block vs pte mapping: change of dTLB walks per 1,000 accesses (memcached mix)</text>']
    for k in range(0, 11, 2):
        r = -k / 10
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{y(r):.1f}" y2="{y(r):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 6}" y="{y(r) + 4:.1f}" text-anchor="end">{int(r * 100)} %</text>')
        s = k / 10
        out.append(f'<text x="{x(s):.1f}" y="{top + ph + 18}" text-anchor="middle">{s:g}</text>')
    out.append(f'<text x="{left + pw / 2}" y="{h - 10}" text-anchor="middle">share of accesses to the linear map</text>')
    out.append(f'<line x1="{left}" x2="{left + pw}" y1="{y(TARGET):.1f}" y2="{y(TARGET):.1f}" stroke="#555" stroke-dasharray="5,4"/>')
    out.append(f'<text x="{left + pw + 6}" y="{y(TARGET) + 4:.1f}">−28.5 % (seed)</text>')
    for i, (page, curve) in enumerate(sorted(curves.items())):
        c = colours[i % len(colours)]
        path = " ".join(f"{x(s):.1f},{y(r):.1f}" for s, _, _, r in curve)
        out.append(f'<polyline points="{path}" fill="none" stroke="{c}" stroke-width="2"/>')
        out += [f'<circle cx="{x(s):.1f}" cy="{y(r):.1f}" r="3" fill="{c}"/>' for s, _, _, r in curve]
        out.append(f'<text x="{left + pw + 6}" y="{top + 14 + 16 * i}" fill="{c}">user pages {page}</text>')
        if crossings[page] is not None:
            out.append(f'<circle cx="{x(crossings[page]):.1f}" cy="{y(TARGET):.1f}" r="5" fill="none" stroke="{c}" stroke-width="2"/>')
    out.append(f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#333"/>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    curves = load(sys.argv[1])
    crossings = {page: crossing(curve) for page, curve in curves.items()}
    print("| user memory | linear share | block walks/1k | pte walks/1k | reduction |")
    print("|---|---|---|---|---|")
    for page, curve in sorted(curves.items()):
        for s, block, pte, r in curve:
            print(f"| {page} | {s:g} | {block:.3f} | {pte:.3f} | {100 * r:.1f} % |")
    for page, s in sorted(crossings.items()):
        print(f"user memory {page}: reduction = -28.5 % at linear share " + (f"{s:.3f}" if s is not None else "(not crossed)"))
    with open(sys.argv[2], "w") as f:
        f.write(svg(curves, crossings))


if __name__ == "__main__":
    main()
