"""Drives signet's REST API with Sirv's official Python SDK (sirv-rest-api).

Run by tests/e2e/api.rs against a live signet (on S3); every call the SDK
has is made, the ones signet has no counterpart for answering 501. Settings come from the
environment; every check is an assert. On success it prints one JSON object
with what the Rust side verifies further (the signed URL, among others).
"""

import io
import json
import os
import sys
import time
import zipfile

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

    # --- Every other call of the SDK. ---
    info = client.get_account_info()
    assert info["alias"] == "signet" and info["cdnURL"].startswith("http"), info
    limits = client.get_account_limits()
    assert limits["rest"]["limit"] == 7000 and limits["rest"]["remaining"] < 7000, limits
    storage = client.get_storage_info()
    assert storage["files"] >= 107 and storage["used"] > len(photo), storage

    # File metadata, each call as the SDK sends it (the file in the body).
    client.set_file_meta("/sdk/photo one.jpg", {"title": "Blue Lake", "description": "Cold water", "tags": ["lake"]})
    meta = client.get_file_meta("/sdk/photo one.jpg")
    assert meta["title"] == "Blue Lake" and meta["tags"] == ["lake"], meta
    client.set_file_title("/sdk/photo one.jpg", "Frozen Lake")
    assert client.get_file_title("/sdk/photo one.jpg") == {"title": "Frozen Lake"}
    client.set_file_description("/sdk/photo one.jpg", "Ice")
    assert client.get_file_description("/sdk/photo one.jpg") == {"description": "Ice"}
    client.add_file_tags("/sdk/photo one.jpg", ["winter", "blue"])
    client.remove_file_tags("/sdk/photo one.jpg", ["lake"])
    assert client.get_file_tags("/sdk/photo one.jpg") == {"tags": ["winter", "blue"]}
    client.set_product_meta("/sdk/photo one.jpg", {"id": "LLBB77", "name": "Card", "sku": "S-1"})
    assert client.get_product_meta("/sdk/photo one.jpg")["sku"] == "S-1"
    client.set_approval_flag("/sdk/photo one.jpg", True)
    assert client.get_approval_flag("/sdk/photo one.jpg")["approved"] is True
    expect_error(400, client.set_file_title, "/sdk/photo one.jpg", "x" * 300)
    expect_error(404, client.get_file_meta, "/sdk/missing.jpg")

    # Points of interest.
    client.set_point_of_interest("/sdk/photo one.jpg", {"name": "boat", "x": 0.25, "y": 0.75})
    pois = client.get_points_of_interest("/sdk/photo one.jpg")
    assert pois["boat"]["x"] == 0.25 and pois["boat"]["width"] == 0, pois
    client.delete_point_of_interest("/sdk/photo one.jpg", "boat")
    assert client.get_points_of_interest("/sdk/photo one.jpg") == {}
    expect_error(400, client.set_point_of_interest, "/sdk/photo one.jpg", {"name": "off", "x": 2, "y": 0})

    # Search: a page, then every hit through the scroll.
    found = client.search_files({"query": "tags:winter", "size": 5})
    assert found["total"] == 1 and found["hits"][0]["_source"]["filename"] == "/sdk/photo one.jpg", found
    newest = client.search_files({"query": "extension:.txt", "sort": {"field": "mtime", "order": "desc"}, "size": 1})
    assert newest["total"] >= 105, newest
    every = [h["_source"]["basename"] for h in client.iterate_search_results({"query": "dirname:/sdk/many", "size": 40, "scroll": True})]
    assert sorted(every) == [f"f{i:03}.txt" for i in range(105)], len(every)
    expect_error(400, client.search_files, {"query": "nosuch:field"})

    # Batch delete and zip jobs, polled as the SDK polls them.
    client.upload_file("/sdk/batch/a.txt", b"a")
    client.upload_file("/sdk/batch/sub/b.txt", b"b")
    job = client.batch_delete(["/sdk/batch/a.txt", "/sdk/batch/sub"])
    for _ in range(200):
        status = client.get_batch_delete_status(job["id"])
        if status["status"] == "completed":
            break
        time.sleep(0.05)
    assert [r["success"] for r in status["results"]] == [True, True], status
    expect_error(404, client.get_file_info, "/sdk/batch/sub/b.txt")
    zipped = client.batch_zip({"filenames": ["/sdk/photo one.jpg", "/sdk/many"], "filename": "sdk.zip"})
    status = client.get_zip_status(zipped["id"])
    assert status["status"] == "completed" and status["filename"] == "sdk.zip", status
    archive = requests.get(status["url"], headers={"Authorization": f"Bearer {client.get_access_token()}"}, timeout=30)
    in_zip = zipfile.ZipFile(io.BytesIO(archive.content)).namelist()
    assert len(in_zip) == 106 and "photo one.jpg" in in_zip and "many/f000.txt" in in_zip, in_zip[:3]

    # Sirv features a self-hosted server has no counterpart for: 501 each.
    for call, args in [
        (client.update_account, ({"minify": {"enabled": True}},)),
        (client.get_account_users, ()),
        (client.get_billing_plan, ()),
        (client.search_events, ({"module": "fetching"},)),
        (client.mark_events_seen, (["e1"],)),
        (client.get_user_info, ()),
        (client.get_folder_options, ("/sdk",)),
        (client.set_folder_options, ("/sdk", {"scanSpins": False})),
        (client.fetch_url, ("http://127.0.0.1/x.jpg", "/sdk/fetched.jpg")),
        (client.spin2video, ({"filename": "/sdk/x.spin"},)),
        (client.video2spin, ({"filename": "/sdk/x.mp4"},)),
        (client.export_spin_to_amazon, ({"filename": "/sdk/x.spin"},)),
        (client.export_spin_to_walmart, ({"filename": "/sdk/x.spin"},)),
        (client.export_spin_to_home_depot, ({"filename": "/sdk/x.spin"},)),
        (client.export_spin_to_lowes, ({"filename": "/sdk/x.spin"},)),
        (client.export_spin_to_grainger, ({"filename": "/sdk/x.spin"},)),
        (client.get_http_stats, ("2026-01-01", "2026-01-31")),
        (client.get_spin_views_stats, ("2026-01-01", "2026-01-31")),
        (client.get_storage_stats, ("2026-01-01", "2026-01-31")),
    ]:
        expect_error(501, call, *args)

    # Folder rename and delete, recursive.
    client.rename_file("/sdk/many", "/sdk/renamed")
    assert client.download_file("/sdk/renamed/f104.txt") == b"104"
    client.delete_file("/sdk/renamed")
    expect_error(404, client.get_file_info, "/sdk/renamed/f000.txt")
    downloaded = os.path.join(os.path.dirname(PHOTO), "downloaded.jpg")
    client.download_file_to("/sdk/photo one.jpg", downloaded)
    assert open(downloaded, "rb").read() == photo
    client.close()

    print(json.dumps({"jwt_url": jwt["url"], "listed": len(names)}))


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"FAILED: {e}", file=sys.stderr)
        raise
