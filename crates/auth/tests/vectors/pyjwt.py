"""Makes JWT vectors with PyJWT. `python pyjwt.py` prints vectors at a fixed
time (committed as pyjwt.json); `python pyjwt.py --fresh` at the current time."""
import json
import sys
import time

import jwt

FRESH = "--fresh" in sys.argv
NOW = int(time.time()) if FRESH else 1700000000
LONG = "0123456789abcdef0123456789abcdef"
out = []


def add(name, token, path, at, want, args=None):
    out.append({"lib": "pyjwt", "name": name, "token": token, "path": path,
                "now": NOW + at, "want": want, "args": args})


def sign(claims, key="topsecret", alg="HS256", headers=None):
    return jwt.encode(claims, key, algorithm=alg, headers=headers)


base = {"aud": "/example-image.jpg", "iat": NOW, "exp": NOW + 300}
add("sirv-shaped claims", sign({**base, "args": {"text": "Hello"}}),
    "/example-image.jpg", 10, "ok", [["text", "Hello"]])
add("float exp", sign({**base, "exp": NOW + 300.75}), "/example-image.jpg", 10, "ok", [])
add("folder audience", sign({**base, "aud": "/gallery/"}), "/gallery/2024/a.png", 10, "ok", [])
add("prefix audience", sign({**base, "aud": "/gallery/t"}), "/gallery/t1/a.png", 10, "ok", [])
add("kid header", sign(base, LONG, headers={"kid": "2024"}), "/example-image.jpg", 10, "ok", [])
add("kid of another key", sign(base, "topsecret", headers={"kid": "2024"}),
    "/example-image.jpg", 10, "signature mismatch")
add("HS384 refused", sign(base, alg="HS384"), "/example-image.jpg", 10, "algorithm not allowed")
add("expired", sign({**base, "exp": NOW - 1}), "/example-image.jpg", 10, "expired key")
add("nbf ahead", sign({**base, "nbf": NOW + 60}), "/example-image.jpg", 10, "not yet valid")
add("args not an object", sign({**base, "args": ["w", 1]}), "/example-image.jpg", 10,
    "invalid payload")
add("bool and number args", sign({**base, "args": {"grayscale": True, "q": 70}}),
    "/example-image.jpg", 10, "ok", [["grayscale", "true"], ["q", "70"]])

print(json.dumps(out, indent=1))
