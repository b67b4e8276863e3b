#!/usr/bin/env bash
# The pictures as a viewer sees them: each SVG nn_pictures writes must parse as XML (Python's
# xml.etree), hold one <polyline> per curve with the expected number of points, and render with
# rsvg-convert (librsvg2-bin) to a PNG that is not blank (python3-pil: more than one colour, and
# at least 1% of the pixels not white). Exits 77 (skipped) without rsvg-convert or PIL.
# Usage: pictures.sh <nn_pictures binary> <work folder>
set -euo pipefail
pictures=$1 work=$2
python=${NN_PYTHON:-/usr/bin/python3}
[ -x "$python" ] || python=python3
if ! command -v rsvg-convert >/dev/null || ! "$python" -c "import PIL" 2>/dev/null; then
    echo "skipped: needs rsvg-convert and PIL (apt-get install librsvg2-bin python3-pil)"
    exit 77
fi
rm -rf "$work"
mkdir -p "$work"
"$pictures" "$work"
for svg in "$work"/*.svg; do
    png=${svg%.svg}.png
    rsvg-convert "$svg" -o "$png"
    "$python" - "$svg" "${svg%.svg}.expect" "$png" <<'PY'
import sys
import xml.etree.ElementTree as ET
from PIL import Image

svg, expect, png = sys.argv[1:]
root = ET.parse(svg).getroot()  # raises on XML that is not well-formed
ns = "{http://www.w3.org/2000/svg}"
assert root.tag == ns + "svg", root.tag
points = [len(p.get("points").split()) for p in root.iter(ns + "polyline")]
wanted = [int(line) for line in open(expect).read().split()]
assert points == wanted, f"{svg}: polylines with {points} points, expected {wanted}"
image = Image.open(png).convert("RGB")
colours = image.getcolors(maxcolors=1 << 24)
inked = sum(n for n, c in colours if c != (255, 255, 255)) / (image.width * image.height)
assert len(colours) > 1 and inked >= 0.01, f"{png}: {len(colours)} colours, {100 * inked:.2f}% not white"
print(f"{svg}: {len(points)} curves {points}, rendered {image.width}x{image.height}, "
      f"{len(colours)} colours, {100 * inked:.1f}% inked")
PY
done
