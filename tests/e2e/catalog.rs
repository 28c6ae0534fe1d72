//! The REST API's catalog on real stores: file metadata and points of
//! interest (kept across restarts, moved with their files), search and
//! scroll, folder delete and rename, batch delete and zip jobs, the rate
//! limit and CORS. The SDK tests in `api.rs` replay the same calls as
//! Sirv's SDKs send them.

use std::process::Command;
use std::time::{Duration, Instant};

use image::GenericImageView;
use serde_json::{json, Value};

use crate::api::{
    api_table, assert_json_error, get, json_of, on_s3, post_json, token, upload, PHOTO,
};
use crate::harness::{config, request, request_with_body, s3_config, Resp, Server};

/// Any method, an optional JSON body, the bearer.
fn call(s: &Server, bearer: &str, method: &str, target: &str, body: Option<&Value>) -> Resp {
    let body = body.map(Value::to_string).unwrap_or_default();
    let len = body.len().to_string();
    let auth = format!("Bearer {bearer}");
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
        ("Content-Length", len.as_str()),
    ];
    request_with_body(&s.admin, method, target, &headers, body.as_bytes())
}

fn ok_json(r: Resp) -> Value {
    assert_eq!(r.status, 200, "{}", r.text());
    json_of(&r)
}

fn enc(path: &str) -> String {
    path.replace('%', "%25")
        .replace(' ', "%20")
        .replace('/', "%2F")
}

#[test]
fn file_metadata_lives_beside_files_on_s3_and_moves_with_them() {
    let Some((s3, s)) = on_s3("", "") else {
        return;
    };
    let t = token(&s);
    for name in ["/cat/lake.jpg", "/cat/other.jpg"] {
        assert_eq!(upload(&s, &t, name, PHOTO).status, 200);
    }
    let meta = |s: &Server, t: &str, file: &str| {
        ok_json(get(s, t, &format!("/v2/files/meta?filename={}", enc(file))))
    };
    // Sirv's documented example, as its docs send it.
    let sirv = json!({
        "tags": ["lake", "water"], "title": "Blue Lake", "description": "Blue Lake in the Winter",
        "product": {"id": "LLBB77", "name": "Blue Lake Card", "brand": "BLUE LAKE LLC",
                    "category1": "Cards", "category2": "Lakes"},
        "approval": {"approved": false, "comment": "It looks too cold!"}
    });
    let r = call(
        &s,
        &t,
        "POST",
        "/v2/files/meta?filename=%2Fcat%2Flake.jpg",
        Some(&sirv),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let m = meta(&s, &t, "/cat/lake.jpg");
    assert_eq!(m["tags"], json!(["lake", "water"]));
    assert_eq!(m["product"], sirv["product"]);
    assert_eq!(m["approval"]["comment"], "It looks too cold!");
    assert!(m["approval"]["datetime"].as_str().unwrap().ends_with('Z'));
    // One field at a time.
    let file = "filename=%2Fcat%2Flake.jpg";
    let r = call(
        &s,
        &t,
        "POST",
        &format!("/v2/files/meta/tags?{file}"),
        Some(&json!({"tags": ["blue", "lake"]})),
    );
    assert_eq!(r.status, 200);
    let r = call(
        &s,
        &t,
        "DELETE",
        &format!("/v2/files/meta/tags?{file}"),
        Some(&json!({"tags": ["water"]})),
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        ok_json(get(&s, &t, &format!("/v2/files/meta/tags?{file}")))["tags"],
        json!(["lake", "blue"])
    );
    let r = call(
        &s,
        &t,
        "POST",
        &format!("/v2/files/meta/description?{file}"),
        Some(&json!({"description": "Frozen"})),
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        ok_json(get(&s, &t, &format!("/v2/files/meta/description?{file}"))),
        json!({"description": "Frozen"})
    );
    assert_eq!(
        ok_json(get(&s, &t, &format!("/v2/files/meta/title?{file}"))),
        json!({"title": "Blue Lake"})
    );
    let r = call(
        &s,
        &t,
        "POST",
        &format!("/v2/files/meta/approval?{file}"),
        Some(&json!({"approved": true})),
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        ok_json(get(&s, &t, &format!("/v2/files/meta/approval?{file}")))["approved"],
        true
    );
    let r = call(
        &s,
        &t,
        "POST",
        &format!("/v2/files/poi?{file}"),
        Some(&json!({"name": "BlueLake", "x": 0.5, "y": 0.25, "width": 0.5, "height": 0.5})),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        ok_json(get(&s, &t, &format!("/v2/files/poi?{file}")))["BlueLake"]["y"],
        0.25
    );

    // Oversized or out-of-range input: 400, nothing changed.
    let bad = [
        ("/v2/files/meta/title", json!({"title": "x".repeat(257)})),
        (
            "/v2/files/meta/tags",
            json!({"tags": (0..51).map(|i| i.to_string()).collect::<Vec<_>>()}),
        ),
        ("/v2/files/meta/tags", json!({"tags": ["x".repeat(33)]})),
        ("/v2/files/poi", json!({"name": "Off", "x": 1.5, "y": 0.5})),
        (
            "/v2/files/poi",
            json!({"name": "a-name-far-too-long", "x": 0.5, "y": 0.5}),
        ),
        ("/v2/files/meta", json!({"colour": "blue"})),
        ("/v2/files/meta/approval", json!({"approved": "yes"})),
    ];
    for (route, body) in &bad {
        assert_json_error(
            &call(&s, &t, "POST", &format!("{route}?{file}"), Some(body)),
            400,
        );
    }
    assert_json_error(
        &get(&s, &t, "/v2/files/meta?filename=%2Fcat%2Fmissing.jpg"),
        404,
    );
    let before = meta(&s, &t, "/cat/lake.jpg");
    assert_eq!(before["title"], "Blue Lake");

    // A restart reads it back from the bucket.
    drop(s);
    let s = Server::start(&s3_config(&s3, &api_table("")));
    let t = token(&s);
    assert_eq!(meta(&s, &t, "/cat/lake.jpg"), before);

    // `?info` describes the file with its metadata (not the approval), and
    // the options that would apply; it passes the gate like any request.
    let r = s.get("/cat/lake.jpg?info&w=300");
    assert_eq!(r.status, 200, "{}", r.text());
    let info: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(
        (info["width"].as_u64(), info["height"].as_u64()),
        (Some(1200), Some(800)),
        "{info}"
    );
    assert_eq!(info["meta"]["title"], "Blue Lake");
    assert!(info["meta"].get("approval").is_none(), "{info}");
    assert_eq!(info["options"], json!({"w": "300"}));
    assert_eq!(info["contentType"], "image/jpeg");
    assert_eq!(s.get("/cat/missing.jpg?info").status, 404);
    assert_eq!(s.get("/private/anything.jpg?info").status, 403);
    assert_eq!(
        s.get("/cat/lake.jpg?info=yes").status,
        400,
        "only a bare info"
    );

    // Text layers show it: `${title}` draws what `text=Blue Lake` draws,
    // a file without one draws nothing, and a new title a new variant.
    let filled = s.get("/cat/lake.jpg?w=300&text=%24%7Btitle%7D&text.color=red");
    assert_eq!(filled.status, 200, "{}", filled.text());
    let literal = s.get("/cat/lake.jpg?w=300&text=Blue%20Lake&text.color=red");
    assert_eq!(filled.body, literal.body);
    let untitled = s.get("/cat/other.jpg?w=300&text=%24%7Btitle%7D");
    assert_eq!(untitled.status, 200, "{}", untitled.text());
    assert_eq!(untitled.body, s.get("/cat/other.jpg?w=300").body);
    let r = call(
        &s,
        &t,
        "POST",
        &format!("/v2/files/meta/title?{file}"),
        Some(&json!({"title": "Red"})),
    );
    assert_eq!(r.status, 200);
    let red = s.get("/cat/lake.jpg?w=300&text=%24%7Btitle%7D&text.color=red");
    assert_ne!(red.body, filled.body);
    assert_eq!(
        red.body,
        s.get("/cat/lake.jpg?w=300&text=Red&text.color=red").body
    );
    // Every text layer is filled, not only the first.
    let second = s.get("/cat/lake.jpg?w=300&text.1.text=%24%7Btitle%7D&text.1.color=red");
    assert_eq!(
        second.body,
        s.get("/cat/lake.jpg?w=300&text.1.text=Red&text.1.color=red")
            .body
    );

    // crop.type=poi crops to the POI set above (x 0.25–0.75, y 0–0.5 of the
    // 1200×800 photo), padded as asked: 10 % of the box on each side, 40 px
    // above (clamped at the edge) and below; URL crops win.
    let dims = |q: &str| {
        let r = s.get(&format!("/cat/lake.jpg?{q}"));
        assert_eq!(r.status, 200, "{q}: {}", r.text());
        image::load_from_memory(&r.body).unwrap().dimensions()
    };
    assert_eq!(dims("crop.type=poi&format=png"), (600, 400));
    assert_eq!(
        dims("crop.type=poi&crop.pad.width=10%&crop.pad.height=40&format=png"),
        (720, 440)
    );
    assert_eq!(dims("crop.type=poi&cw=100&ch=50&format=png"), (100, 50));
    assert_eq!(dims("crop.type=poi&format=png&w=300"), (300, 200));
    assert_eq!(
        s.get("/cat/other.jpg?crop.type=poi&format=png").status,
        200,
        "no POIs: the whole image"
    );
    let r = call(
        &s,
        &t,
        "POST",
        &format!("/v2/files/meta/title?{file}"),
        Some(&json!({"title": "Blue Lake"})),
    );
    assert_eq!(r.status, 200);

    // Copy takes it along, rename moves it, delete drops it.
    let r = request(
        &s.admin,
        "POST",
        "/v2/files/copy?from=%2Fcat%2Flake.jpg&to=%2Fcat%2Fcopy.jpg",
        &[("Authorization", &format!("Bearer {t}"))],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(meta(&s, &t, "/cat/copy.jpg"), before);
    let r = post_json(
        &s,
        "/v2/files/rename?from=%2Fcat%2Fcopy.jpg&to=%2Fcat%2Fmoved.jpg",
        Some(&t),
        &json!({}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(meta(&s, &t, "/cat/moved.jpg"), before);
    assert_json_error(
        &get(&s, &t, "/v2/files/meta?filename=%2Fcat%2Fcopy.jpg"),
        404,
    );
    assert_eq!(
        call(
            &s,
            &t,
            "POST",
            "/v2/files/delete?filename=%2Fcat%2Fmoved.jpg",
            None
        )
        .status,
        200
    );
    assert_eq!(upload(&s, &t, "/cat/moved.jpg", PHOTO).status, 200);
    assert_eq!(meta(&s, &t, "/cat/moved.jpg"), json!({"tags": []}));

    // The sidecars are signet's own: never served, listed or writable.
    assert_eq!(s.get("/.signet/meta/cat/lake.jpg.json").status, 404);
    let mark = s.get("/cat/other.jpg?watermark=/.signet/meta/cat/lake.jpg.json");
    assert_eq!(mark.status, 404, "not as a watermark either");
    assert_json_error(
        &get(
            &s,
            &t,
            "/v2/files/stat?filename=%2F.signet%2Fmeta%2Fcat%2Flake.jpg.json",
        ),
        400,
    );
    assert_json_error(
        &upload(&s, &t, "/.signet/meta/cat/other.jpg.json", b"{}"),
        400,
    );
    let root = ok_json(get(&s, &t, "/v2/files/readdir?dirname=%2F"));
    let names: Vec<&str> = root["contents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["filename"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"cat") && !names.contains(&".signet"),
        "{names:?}"
    );
    // readdir carries each image's size, as stat does.
    let listing = ok_json(get(&s, &t, "/v2/files/readdir?dirname=%2Fcat"));
    let lake = listing["contents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["filename"] == "lake.jpg")
        .unwrap();
    assert_eq!(lake["meta"], json!({"width": 1200, "height": 800}));
}

#[test]
fn search_scrolls_and_follows_every_write() {
    let media = tempfile::tempdir().unwrap();
    let root = media.path();
    for i in 0..30 {
        let ext = if i % 3 == 0 { "txt" } else { "jpg" };
        let path = root.join(format!("s/f{i:02}.{ext}"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, vec![b'x'; i * 10]).unwrap();
    }
    std::fs::create_dir_all(root.join("s/deep/.Trash")).unwrap();
    std::fs::write(root.join("s/deep/x.png"), b"png").unwrap();
    std::fs::write(root.join("s/deep/.Trash/old.jpg"), b"old").unwrap();
    let s = Server::start(&config(root, &api_table("")));
    let t = token(&s);
    let search = |body: Value| post_json(&s, "/v2/files/search", Some(&t), &body);

    // Sirv's documented request.
    let r = ok_json(search(json!({
        "query": r"extension:.jpg AND mtime:[now-30d TO now] AND -dirname:\/s\/deep\/.Trash",
        "sort": {"filename.raw": "asc"}, "from": 0, "size": 5
    })));
    assert_eq!(r["total"], 20, "{r}");
    let hits = r["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 5);
    assert_eq!(hits[0]["_source"]["filename"], "/s/f01.jpg");
    assert_eq!(hits[0]["_source"]["dirname"], "/s");
    assert_eq!(hits[0]["_source"]["extension"], ".jpg");
    assert_eq!(hits[0]["_source"]["size"], 10);
    // Sorting, paging, ranges, the SDK's sort shape.
    let r = ok_json(search(
        json!({"query": "size:>=250", "sort": {"field": "size", "order": "desc"}}),
    ));
    let sizes: Vec<u64> = r["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["_source"]["size"].as_u64().unwrap())
        .collect();
    assert_eq!(sizes, [290, 280, 270, 260, 250]);
    let r = ok_json(search(
        json!({"query": "dirname:/s/deep", "from": 1, "size": 10}),
    ));
    assert_eq!(
        (r["total"].as_u64(), r["hits"].as_array().unwrap().len()),
        (Some(2), 1)
    );
    assert_eq!(ok_json(search(json!({"query": "*.png"})))["total"], 1);

    // Bad queries and caps: 400, said why.
    let deep = format!("{}a{}", "(".repeat(40), ")".repeat(40));
    for body in [
        json!({"size": 101}),
        json!({"from": 1001}),
        json!({"query": "nosuch:1"}),
        json!({"query": deep}),
        json!({"query": "a ".repeat(600)}),
        json!({"query": "size:[1 TO"}),
        json!({"sort": {"colour": "asc"}}),
        json!({"filters": {}}),
    ] {
        assert_json_error(&search(body.clone()), 400);
    }

    // A scroll hands out every hit once.
    let first = ok_json(search(json!({"query": "*", "size": 7, "scroll": true})));
    let total = first["total"].as_u64().unwrap();
    assert_eq!(total, 32);
    let id = first["scrollId"].as_str().unwrap().to_owned();
    let mut seen: Vec<String> = Vec::new();
    let mut page = first;
    loop {
        let hits = page["hits"].as_array().unwrap().clone();
        if hits.is_empty() {
            break;
        }
        seen.extend(
            hits.iter()
                .map(|h| h["_source"]["filename"].as_str().unwrap().to_owned()),
        );
        page = ok_json(post_json(
            &s,
            "/v2/files/search/scroll",
            Some(&t),
            &json!({"scrollId": id}),
        ));
    }
    assert_eq!(seen.len() as u64, total);
    seen.dedup();
    assert_eq!(seen.len() as u64, total);
    assert_json_error(
        &post_json(
            &s,
            "/v2/files/search/scroll",
            Some(&t),
            &json!({"scrollId": "nope"}),
        ),
        400,
    );

    // Writes through the API show at once: upload, metadata, delete.
    let find = |q: &str| {
        ok_json(search(json!({"query": q})))["total"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(find("basename:new.jpg"), 0);
    assert_eq!(upload(&s, &t, "/s/new.jpg", PHOTO).status, 200);
    assert_eq!(find("basename:new.jpg"), 1);
    let r = call(
        &s,
        &t,
        "POST",
        "/v2/files/meta?filename=%2Fs%2Fnew.jpg",
        Some(&json!({"title": "Sunset over the bay", "tags": ["Holiday"]})),
    );
    assert_eq!(r.status, 200);
    assert_eq!(find("title:sunset AND tags:holiday"), 1);
    assert_eq!(find("bay"), 1);
    assert_eq!(
        call(
            &s,
            &t,
            "POST",
            "/v2/files/delete?filename=%2Fs%2Fnew.jpg",
            None
        )
        .status,
        200
    );
    assert_eq!(find("bay OR basename:new.jpg"), 0);
    // Files written behind signet's back need a rebuild.
    std::fs::write(root.join("s/behind.jpg"), b"b").unwrap();
    assert_eq!(find("basename:behind.jpg"), 0);
    let r = ok_json(post_json(
        &s,
        "/v2/files/search/reindex",
        Some(&t),
        &json!({}),
    ));
    assert_eq!(r["files"], 33);
    assert_eq!(find("basename:behind.jpg"), 1);
    // …or a SIGHUP (`systemctl reload`).
    std::fs::write(root.join("s/hangup.jpg"), b"h").unwrap();
    assert_eq!(find("basename:hangup.jpg"), 0);
    let hup = Command::new("kill")
        .args(["-HUP", &s.pid().to_string()])
        .status()
        .unwrap();
    assert!(hup.success());
    let started = Instant::now();
    while find("basename:hangup.jpg") == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "SIGHUP did not rebuild the index"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // Storage in use comes from the index.
    let st = ok_json(get(&s, &t, "/v2/account/storage"));
    assert_eq!(st["files"], 34);
}

fn wait_for_job(s: &Server, t: &str, target: &str) -> Value {
    let started = Instant::now();
    loop {
        let v = ok_json(get(s, t, target));
        if v["status"] == "completed" {
            assert_eq!(v["progress"], 100);
            return v;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "job never finished: {v}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn folders_batches_and_zips_on_s3() {
    let Some((_s3, s)) = on_s3("max_folder_files = 5\nmax_zip_bytes = \"2MiB\"", "") else {
        return;
    };
    let t = token(&s);
    for name in [
        "/f/a/1.txt",
        "/f/a/2.txt",
        "/f/a/3.txt",
        "/f/a/sub/4.txt",
        "/f/a/sub/5.txt",
        "/f/c/x.txt",
    ] {
        assert_eq!(upload(&s, &t, name, name.as_bytes()).status, 200);
    }
    let r = call(
        &s,
        &t,
        "POST",
        "/v2/files/meta/title?filename=%2Ff%2Fa%2F1.txt",
        Some(&json!({"title": "One"})),
    );
    assert_eq!(r.status, 200);
    let stat = |name: &str| get(&s, &t, &format!("/v2/files/stat?filename={}", enc(name))).status;

    // Folder rename: everything moves, metadata too; never into itself or
    // onto a folder that exists.
    let rename = |from: &str, to: &str| {
        post_json(
            &s,
            &format!("/v2/files/rename?from={}&to={}", enc(from), enc(to)),
            Some(&t),
            &json!({}),
        )
    };
    let r = rename("/f/a", "/f/b");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(stat("/f/b/sub/5.txt"), 200);
    assert_eq!(stat("/f/a/1.txt"), 404);
    assert_eq!(
        ok_json(get(
            &s,
            &t,
            "/v2/files/meta/title?filename=%2Ff%2Fb%2F1.txt"
        ))["title"],
        "One"
    );
    assert_json_error(&rename("/f/b", "/f/b/inner"), 400);
    assert_json_error(&rename("/f/b", "/f/c"), 409);
    assert_eq!(stat("/f/b/1.txt"), 200);

    // Past the cap, a folder delete is refused whole.
    assert_eq!(upload(&s, &t, "/f/b/6.txt", b"6").status, 200);
    let r = call(&s, &t, "POST", "/v2/files/delete?filename=%2Ff%2Fb", None);
    assert_json_error(&r, 409);
    assert!(json_of(&r)["message"]
        .as_str()
        .unwrap()
        .contains("max_folder_files"));
    assert_eq!(stat("/f/b/6.txt"), 200);

    // A batch delete: each name gets its result.
    let r = ok_json(post_json(
        &s,
        "/v2/files/batch/delete",
        Some(&t),
        &json!({"filenames": ["/f/b/6.txt", "/f/b/", "/f/missing.txt", "/../x"]}),
    ));
    let id = r["id"].as_str().unwrap().to_owned();
    let done = wait_for_job(&s, &t, &format!("/v2/files/batch/delete?id={id}"));
    let results = done["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    assert_eq!(
        (
            results[0]["success"].as_bool(),
            results[1]["success"].as_bool()
        ),
        (Some(true), Some(true))
    );
    assert_eq!(results[2]["success"], false);
    assert_eq!(results[3]["success"], false);
    assert_eq!(stat("/f/b/1.txt"), 404);
    let f = ok_json(get(&s, &t, "/v2/files/readdir?dirname=%2Ff"));
    let names: Vec<&str> = f["contents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["filename"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["c"], "the folder is gone");
    assert_eq!(stat("/f/c/x.txt"), 200);
    let many: Vec<String> = (0..1001).map(|i| format!("/f/{i}")).collect();
    assert_json_error(
        &post_json(
            &s,
            "/v2/files/batch/delete",
            Some(&t),
            &json!({"filenames": many}),
        ),
        413,
    );
    assert_json_error(
        &post_json(
            &s,
            "/v2/files/batch/delete",
            Some(&t),
            &json!({"filenames": "/f/c"}),
        ),
        400,
    );
    assert_json_error(&get(&s, &t, "/v2/files/batch/delete?id=nosuchjob"), 404);

    // A zip of a file and a folder, streamed from the bucket.
    assert_eq!(upload(&s, &t, "/z/photo.jpg", PHOTO).status, 200);
    assert_eq!(upload(&s, &t, "/z/d/notes.txt", b"notes").status, 200);
    assert_eq!(upload(&s, &t, "/z/d/e/deeper.txt", b"deeper").status, 200);
    let r = ok_json(post_json(
        &s,
        "/v2/files/zip",
        Some(&t),
        &json!({"filenames": ["/z/photo.jpg", "/z/d"], "zipFilename": "pack.zip"}),
    ));
    let id = r["id"].as_str().unwrap().to_owned();
    let v = ok_json(get(&s, &t, &format!("/v2/files/zip?id={id}")));
    let result = &v["result"][0];
    assert_eq!(result["filename"], "pack.zip");
    let url = result["url"].as_str().unwrap();
    let target = &url[url.find("/v2/").unwrap()..];
    assert_json_error(&request(&s.admin, "GET", target, &[]), 401);
    let r = get(&s, &t, target);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/zip"));
    assert_eq!(r.body.len() as u64, result["size"].as_u64().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("pack.zip");
    std::fs::write(&zip, &r.body).unwrap();
    let out = Command::new("python3")
        .args(["-c", "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nz.extractall(sys.argv[2])\nprint(sorted(z.namelist()))"])
        .arg(&zip)
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "['d/e/deeper.txt', 'd/notes.txt', 'photo.jpg']"
    );
    assert_eq!(
        std::fs::read(dir.path().join("out/photo.jpg")).unwrap(),
        PHOTO
    );
    assert_eq!(
        std::fs::read(dir.path().join("out/d/e/deeper.txt")).unwrap(),
        b"deeper"
    );
    // Past the archive cap or the file cap: 409 at once, no job.
    assert_eq!(
        upload(&s, &t, "/z/big.bin", &vec![0u8; 3 << 20]).status,
        200
    );
    assert_json_error(
        &post_json(
            &s,
            "/v2/files/zip",
            Some(&t),
            &json!({"filenames": ["/z/big.bin"]}),
        ),
        409,
    );
    for i in 0..6 {
        assert_eq!(upload(&s, &t, &format!("/zz/{i}.txt"), b"x").status, 200);
    }
    assert_json_error(
        &post_json(
            &s,
            "/v2/files/zip",
            Some(&t),
            &json!({"filenames": ["/zz/"]}),
        ),
        409,
    );
    assert_json_error(
        &post_json(
            &s,
            "/v2/files/zip",
            Some(&t),
            &json!({"filenames": ["/z/photo.jpg"], "zipFilename": "../x.zip"}),
        ),
        400,
    );
}

#[test]
fn the_api_is_rate_limited_per_client_and_speaks_cors() {
    let media = tempfile::tempdir().unwrap();
    let s = Server::start(&config(
        media.path(),
        &api_table("rate_limit = 5\ncors_origins = [\"https://app.example\"]"),
    ));
    let t = token(&s); // 1
    let mut remaining = Vec::new();
    for _ in 0..4 {
        let r = get(&s, &t, "/v2/files/readdir?dirname=%2F");
        assert_eq!(r.status, 200);
        assert_eq!(r.header("x-ratelimit-limit"), Some("5"));
        remaining.push(r.header("x-ratelimit-remaining").unwrap().to_owned());
    }
    assert_eq!(remaining, ["3", "2", "1", "0"]);
    let r = get(&s, &t, "/v2/files/readdir?dirname=%2F");
    assert_json_error(&r, 429);
    let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=720).contains(&wait), "{wait}");
    assert!(
        r.header("x-ratelimit-reset")
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > crate::harness::now() as u64
    );
    // The limit is per endpoint family, not per listener: media is not limited.
    assert_ne!(s.get("/nothing.jpg").status, 429);

    // CORS: the listed origin only; preflights answered (and not counted).
    let preflight = request(
        &s.admin,
        "OPTIONS",
        "/v2/files/stat",
        &[
            ("Origin", "https://app.example"),
            ("Access-Control-Request-Method", "GET"),
            ("Access-Control-Request-Headers", "authorization"),
        ],
    );
    assert_eq!(preflight.status, 204);
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    assert!(preflight
        .header("access-control-allow-headers")
        .unwrap()
        .contains("authorization"));
    let other = request(
        &s.admin,
        "OPTIONS",
        "/v2/files/stat",
        &[("Origin", "https://evil.example")],
    );
    assert_eq!(other.header("access-control-allow-origin"), None);
    let r = request(
        &s.admin,
        "GET",
        "/v2/files/stat?filename=%2Fa",
        &[("Origin", "https://app.example")],
    );
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    assert!(r
        .header("access-control-expose-headers")
        .unwrap()
        .contains("x-ratelimit-remaining"));
}

#[test]
fn stat_and_readdir_give_a_videos_length_and_size() {
    let ready = Command::new("ffmpeg")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !signet_testkit::require_peer("Debian's ffmpeg", ready, "run `make test-deps`") {
        return;
    }
    let media = tempfile::tempdir().unwrap();
    std::fs::create_dir(media.path().join("v")).unwrap();
    for (name, extra) in [
        ("fast.mp4", &["-movflags", "+faststart"][..]),
        ("late.mp4", &[][..]),
    ] {
        let status = Command::new("ffmpeg")
            .args([
                "-v",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                "testsrc=size=320x240:rate=10:duration=3",
            ])
            .args(["-c:v", "libx264", "-pix_fmt", "yuv420p"])
            .args(extra)
            .arg(media.path().join("v").join(name))
            .status()
            .unwrap();
        assert!(status.success());
    }
    let s = Server::start(&config(media.path(), &api_table("")));
    let t = token(&s);
    let meta = ok_json(get(&s, &t, "/v2/files/stat?filename=%2Fv%2Ffast.mp4"))["meta"].clone();
    assert_eq!(
        (meta["width"].as_u64(), meta["height"].as_u64()),
        (Some(320), Some(240)),
        "{meta}"
    );
    assert!(
        (meta["duration"].as_f64().unwrap() - 3.0).abs() < 0.05,
        "{meta}"
    );
    // Its index at the end but within the first MiB read: found there too.
    let late = ok_json(get(&s, &t, "/v2/files/stat?filename=%2Fv%2Flate.mp4"));
    assert_eq!(late["meta"], meta);
    let listing = ok_json(get(&s, &t, "/v2/files/readdir?dirname=%2Fv"));
    assert_eq!(listing["contents"][0]["meta"], meta);
}
