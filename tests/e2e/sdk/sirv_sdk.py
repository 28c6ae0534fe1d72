"""Drives signet's REST API with Sirv's official Python SDK (sirv-rest-api).

Run by tests/e2e/api.rs against a live signet (on S3). Settings come from the
environment; every check is an assert. On success it prints one JSON object
with what the Rust side verifies further (the signed URL, among others).
"""

import json
import os
import sys

import requests
from sirv_rest_api import SirvApiError, SirvClient

API = os.environ["SIGNET_API"]
CLIENT_ID = os.environ["SIGNET_CLIENT_ID"]
CLIENT_SECRET = os.environ["SIGNET_CLIENT_SECRET"]
PHOTO = os.environ["SIGNET_PHOTO"]


def expect_error(status, call, *args):
    try:
        call(*args)
    except SirvApiError as e:
        assert e.status_code == status, f"{call.__name__}{args}: {e}"
        return e
    raise AssertionError(f"{call.__name__}{args} should fail with {status}")


def main():
    # Wrong credentials: 401.
    bad = SirvClient(client_id=CLIENT_ID, client_secret="wrong", base_url=API)
    expect_error(401, bad.connect)

    client = SirvClient(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=API)
    token = client.connect(expires_in=600)
    assert token["expiresIn"] == 600 and token["token"], token
    assert client.is_connected()

    photo = open(PHOTO, "rb").read()
    client.upload_file("/sdk/photo one.jpg", photo)
    client.upload_file("/sdk/notes.txt", b"hello from the sdk", {"content_type": "text/plain"})

    info = client.get_file_info("/sdk/photo one.jpg")
    assert info["size"] == len(photo), info
    assert info["isDirectory"] is False and info["contentType"] == "image/jpeg", info
    assert info["basename"] == "photo one.jpg" and info["dirname"] == "/sdk", info
    expect_error(404, client.get_file_info, "/sdk/missing.jpg")
    expect_error(400, client.get_file_info, "/sdk/../etc/passwd")

    assert client.download_file("/sdk/photo one.jpg") == photo
    assert client.download_file("/sdk/notes.txt") == b"hello from the sdk"

    client.create_folder("/sdk/empty folder")
    client.create_folder("/sdk/many")
    for i in range(105):
        client.upload_file(f"/sdk/many/f{i:03}.txt", str(i).encode())
    first = client.read_folder_contents("/sdk/many")
    assert len(first["contents"]) == 100 and first.get("continuation"), len(first["contents"])
    names = [item["filename"] for item in client.iterate_folder_contents("/sdk/many")]
    assert names == [f"f{i:03}.txt" for i in range(105)], names[:3]

    top = {item["filename"]: item for item in client.iterate_folder_contents("/sdk")}
    assert top["photo one.jpg"]["size"] == len(photo), top
    assert top["many"]["isDirectory"] is True, top

    client.copy_file("/sdk/notes.txt", "/sdk/copy/notes.txt")
    assert client.download_file("/sdk/copy/notes.txt") == b"hello from the sdk"
    client.rename_file("/sdk/copy/notes.txt", "/sdk/moved.txt")
    expect_error(404, client.get_file_info, "/sdk/copy/notes.txt")
    assert client.download_file("/sdk/moved.txt") == b"hello from the sdk"
    client.delete_file("/sdk/moved.txt")
    expect_error(404, client.get_file_info, "/sdk/moved.txt")
    expect_error(404, client.delete_file, "/sdk/moved.txt")

    jwt = client.generate_jwt(
        {
            "filename": "/private/sdk.jpg",
            "expiresIn": 300,
            "secureParams": {"w": 150, "text": "SDK"},
        }
    )
    assert jwt["token"] and jwt["token"] in jwt["url"], jwt

    # The signed URL loads through the media listener (the private file is
    # uploaded first); without the token it is refused.
    client.upload_file("/private/sdk.jpg", photo)
    r = requests.get(jwt["url"], timeout=30)
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg", r.status_code
    bare = requests.get(jwt["url"].split("?")[0], timeout=30)
    assert bare.status_code == 403, bare.status_code

    print(json.dumps({"jwt_url": jwt["url"], "listed": len(names)}))


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"FAILED: {e}", file=sys.stderr)
        raise
