"""URLs built by Sirv's official URL SDK (PyPI `sirv-image`), one per group
of options, as a user of the SDK writes them (nested dicts, which the SDK
flattens to Sirv's dotted names). Prints {name: path-and-query} as JSON;
the end-to-end test fetches each from signet.

Usage: sirv_image_urls.py HOST:PORT
"""
import json
import sys
from urllib.parse import urlsplit

from sirv_image import SirvClient

sirv = SirvClient(domain=sys.argv[1], defaults={"q": 80})
photo = "/public/photo.jpg"
cases = {
    "size": {"w": 300, "h": 200, "scale": {"option": "fill"}},
    "headline": {
        "w": 300, "colortone": "texas", "frame": {"style": "mirror"},
        "text": "Hello", "text.size": "40%", "text.color": "white", "text.position": "northeast",
    },
    "text": {
        "w": 400,
        "text": {
            "text": "Hello", "size": 40, "color": "ffffff",
            "position": {"gravity": "northeast", "x": 10, "y": 10},
            "font": {"family": "DejaVu Serif", "weight": 700, "style": "italic"},
            "outline": {"width": 2, "color": "000000", "opacity": 60, "blur": 2},
            "background": {"color": "000000", "opacity": 40},
        },
    },
    "text64": {"w": 400, "text": {"text64": "SGVsbG8g8J+Qsg==", "font": {"size": 30}}},
    "layers": {
        "w": 400,
        "text": {
            "0": {"text": "Top", "position": {"gravity": "north"}, "color": "ff0000"},
            "1": {"text": "Bottom", "position": {"gravity": "south"}, "size": 50},
        },
    },
    "light": {"w": 300, "exposure": 20, "shadows": -30, "highlights": 40, "brightness": 10, "contrast": 10},
    "color": {
        "w": 300, "colortone": {"color": "ff6600", "level": 50, "mode": "solid"},
        "colorlevel": {"black": 10, "white": 240}, "vignette": {"value": 40, "color": "000000"},
    },
    "frame": {"w": 300, "frame": {"style": "solid", "color": "ffcc00", "width": 12, "rim": {"color": "000000", "width": 2}}},
    "crop": {"w": 200, "crop": {"type": "face", "pad": {"width": 10, "height": 10}, "confidence": 40}},
    "aspect": {"w": 320, "crop": {"aspectratio": "16:9"}},
    "canvas": {
        "w": 200,
        "canvas": {"width": 300, "height": 300, "color": "ff0000", "position": "north",
                   "border": {"width": 10, "height": 10, "color": "000000"}},
    },
    "watermark": {
        "w": 400,
        "watermark": {"image": "/marks/green.png", "position": {"gravity": "southeast", "x": 10, "y": 10},
                      "scale": {"width": "20%", "option": "fit"}, "opacity": 50, "rotate": 15},
    },
    "format": {"w": 300, "format": "webp", "subsampling": "4:2:2"},
    "png": {"w": 200, "format": "png", "png": {"optimize": True}},
}
out = {}
for name, params in cases.items():
    url = urlsplit(sirv.url(photo, params))
    out[name] = f"{url.path}?{url.query}"
srcset = sirv.src_set(photo, {"format": "jpg"}, widths=[200, 400])
out["srcset"] = [urlsplit(part.split(" ")[0]) for part in srcset.split(", ")]
out["srcset"] = [f"{u.path}?{u.query}" for u in out["srcset"]]
print(json.dumps(out))
