#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""plot-failover.py: draw the CSV written by tools/measure-failover as a PNG.

Usage: tools/plot-failover.py IN.csv OUT.png

One group per heartbeat setting (HB.interval, Path.Max.Retrans), ordered by
Path.Max.Retrans then HB.interval. In each group: the expected window from
docs/PROTOCOL.md's failure budget (grey box), the SIGSTOP runs as a whisker
from min to max with the median as a blue square, and the SIGKILL run as a
red dot. The y axis is seconds from the signal. Python 3 standard library
only: the PNG is written with zlib and struct, the labels with a built-in
5x7 bitmap font.
"""
import csv
import statistics
import struct
import sys
import zlib

# 5x7 glyphs, one string of 7 rows of 5 columns each ('#' = ink).
FONT = {
    "A": ".###.#...##...#######...##...##...#", "B": "####.#...##...#####.#...##...#####.",
    "C": ".###.#...##....#....#....#...#.###.", "D": "####.#...##...##...##...##...#####.",
    "E": "######....#....####.#....#....#####", "F": "######....#....####.#....#....#....",
    "G": ".###.#...##....#.####...##...#.####", "H": "#...##...##...#######...##...##...#",
    "I": ".###...#....#....#....#....#...###.", "J": "..###...#....#....#....#.#..#..##..",
    "K": "#...##..#.#.#..##...#.#..#..#.#...#", "L": "#....#....#....#....#....#....#####",
    "M": "#...###.###.#.##.#.##...##...##...#", "N": "#...##...###..##.#.##..###...##...#",
    "O": ".###.#...##...##...##...##...#.###.", "P": "####.#...##...#####.#....#....#....",
    "Q": ".###.#...##...##...##.#.##..#..##.#", "R": "####.#...##...#####.#.#..#..#.#...#",
    "S": ".#####....#.....###.....#....#####.", "T": "#####..#....#....#....#....#....#..",
    "U": "#...##...##...##...##...##...#.###.", "V": "#...##...##...##...##...#.#.#...#..",
    "W": "#...##...##...##.#.##.#.##.#.#.#.#.", "X": "#...##...#.#.#...#...#.#.#...##...#",
    "Y": "#...##...#.#.#...#....#....#....#..", "Z": "#####....#...#...#...#...#....#####",
    "0": ".###.#...##..###.#.###..##...#.###.", "1": "..#...##....#....#....#....#...###.",
    "2": ".###.#...#....#...#...#...#...#####", "3": "#####...#...#.....#.....##...#.###.",
    "4": "...#...##..#.#.#..#.#####...#....#.", "5": "######....####.....#....##...#.###.",
    "6": "..##..#...#....####.#...##...#.###.", "7": "#####....#...#...#...#....#....#...",
    "8": ".###.#...##...#.###.#...##...#.###.", "9": ".###.#...##...#.####....#...#..##..",
    "=": "..........#####.....#####..........", ".": "..........................##...##..",
    "/": ".........#...#...#...#...#.........", "-": "...............#####...............",
    "(": "...#...#...#....#....#.....#.....#.", ")": ".#.....#.....#....#....#...#...#...",
    ",": "....................##....#...#....", ":": "......##...##.........##...##......",
    " ": "." * 35,
}

WHITE, BLACK, GRID, BOX, BLUE, RED, DARK = range(7)
PALETTE = [(255, 255, 255), (0, 0, 0), (225, 225, 225), (200, 205, 215), (30, 80, 200),
           (210, 40, 40), (90, 90, 90)]


class Canvas:
    def __init__(self, width, height):
        self.w, self.h = width, height
        self.px = bytearray(width * height)

    def rect(self, x0, y0, x1, y1, color):
        """Fill [x0, x1] x [y0, y1], clipped."""
        x0, x1 = max(0, min(x0, x1)), min(self.w - 1, max(x0, x1))
        y0, y1 = max(0, min(y0, y1)), min(self.h - 1, max(y0, y1))
        for y in range(y0, y1 + 1):
            self.px[y * self.w + x0:y * self.w + x1 + 1] = bytes([color]) * (x1 - x0 + 1)

    def text(self, x, y, s, color=BLACK, scale=2):
        for ch in s.upper():
            glyph = FONT.get(ch, FONT[" "])
            for i, bit in enumerate(glyph):
                if bit == "#":
                    gx, gy = x + (i % 5) * scale, y + (i // 5) * scale
                    self.rect(gx, gy, gx + scale - 1, gy + scale - 1, color)
            x += 6 * scale

    @staticmethod
    def text_width(s, scale=2):
        return len(s) * 6 * scale - scale

    def png(self):
        raw = b"".join(b"\0" + bytes(self.px[y * self.w:(y + 1) * self.w]) for y in range(self.h))

        def chunk(kind, data):
            body = kind + data
            return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

        return (b"\x89PNG\r\n\x1a\n"
                + chunk(b"IHDR", struct.pack(">IIBBBBB", self.w, self.h, 8, 3, 0, 0, 0))
                + chunk(b"PLTE", b"".join(bytes(c) for c in PALETTE))
                + chunk(b"IDAT", zlib.compress(raw, 9))
                + chunk(b"IEND", b""))


def load(path):
    """{(n, h): {"stop": [ms...], "kill": [ms...], "lo": ms, "hi": ms}}, and the RTO triple."""
    groups, rto = {}, None
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            key = (int(row["path_max_rxt"]), int(row["hb_interval_ms"]))
            g = groups.setdefault(key, {"stop": [], "kill": [], "lo": int(row["expected_lo_ms"]),
                                        "hi": int(row["expected_hi_ms"])})
            rto = (row["rto_min_ms"], row["rto_initial_ms"], row["rto_max_ms"])
            if row["ms"]:
                g["stop" if row["signal"] == "SIGSTOP" else "kill"].append(int(row["ms"]))
    return dict(sorted(groups.items())), rto


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.split("\n\n")[1])
    groups, rto = load(sys.argv[1])
    if not groups:
        sys.exit("plot-failover: no rows in " + sys.argv[1])
    c = Canvas(760, 440)
    left, right, top, bottom = 64, 740, 80, 350
    top_ms = max(max([g["hi"]] + g["stop"] + g["kill"]) for g in groups.values())
    ymax = -(-top_ms // 1000) * 1000
    step = 1000 if ymax > 3000 else 500

    def y_of(ms):
        return bottom - round(ms * (bottom - top) / ymax)

    # Title, legend.
    c.text(left, 10, "FAILOVER TIME AFTER THE SIGNAL (S)")
    c.rect(left, 38, left + 14, 52, BOX)
    c.text(left + 22, 39, "EXPECTED")
    c.rect(left + 140, 44, left + 154, 45, BLUE)
    c.rect(left + 147, 36, left + 148, 54, BLUE)
    c.rect(left + 143, 41, left + 152, 48, BLUE)
    c.text(left + 162, 39, "SIGSTOP MIN/MEDIAN/MAX")
    c.rect(left + 446, 42, left + 451, 47, RED)
    c.text(left + 460, 39, "SIGKILL")
    # Grid and y labels (seconds).
    for ms in range(0, ymax + 1, step):
        y = y_of(ms)
        c.rect(left, y, right, y, GRID if ms else BLACK)
        label = f"{ms / 1000:g}"
        c.text(left - 10 - Canvas.text_width(label), y - 7, label)
    c.rect(left, top, left, bottom, BLACK)
    # One group per setting.
    slot = (right - left) / len(groups)
    by_n = {}
    for i, ((n, h), g) in enumerate(groups.items()):
        cx = round(left + slot * (i + 0.5))
        c.rect(cx - 18, y_of(g["hi"]), cx + 18, y_of(g["lo"]), BOX)
        if g["stop"]:
            lo, med, hi = min(g["stop"]), statistics.median(g["stop"]), max(g["stop"])
            x = cx - 6
            c.rect(x - 1, y_of(hi), x, y_of(lo), BLUE)
            c.rect(x - 6, y_of(hi), x + 5, y_of(hi) + 1, BLUE)
            c.rect(x - 6, y_of(lo) - 1, x + 5, y_of(lo), BLUE)
            c.rect(x - 5, y_of(med) - 4, x + 4, y_of(med) + 4, BLUE)
        for ms in g["kill"]:
            x, y = cx + 10, min(y_of(ms), bottom - 4)
            c.rect(x - 3, y - 3, x + 3, y + 3, RED)
        label = str(h)
        c.text(cx - Canvas.text_width(label) // 2, bottom + 10, label)
        by_n.setdefault(n, []).append(cx)
    for n, xs in by_n.items():
        c.rect(xs[0] - 30, bottom + 32, xs[-1] + 30, bottom + 32, DARK)
        label = f"PATH.MAX.RETRANS {n}"
        c.text((xs[0] + xs[-1]) // 2 - Canvas.text_width(label) // 2, bottom + 38, label, DARK)
    label = "HB.INTERVAL (MS)   RTO MIN/INITIAL/MAX {}/{}/{} MS".format(*rto)
    c.text((left + right) // 2 - Canvas.text_width(label) // 2, bottom + 64, label)
    with open(sys.argv[2], "wb") as f:
        f.write(c.png())


if __name__ == "__main__":
    main()
