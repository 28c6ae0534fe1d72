//! Profiles: named option sets stored as `/Profiles/{name}.json`, flat
//! (`{"w": 400, "text.color": "fff"}`) or nested (`{"scale": {"width": 400},
//! "text": {"text": "Hi", "color": "fff"}}`), optionally wrapped in
//! `{"image": …}` as Sirv writes them.

use serde_json::Value;
use signet_transform::{parse_options, Options, MAX_LAYERS};

/// The storage path of a profile.
pub(crate) fn path(name: &str) -> String {
    format!("/Profiles/{name}.json")
}

/// Parses a profile document into validated options, or says what is wrong
/// (one line per problem).
pub(crate) fn parse(bytes: &[u8]) -> Result<Options, Vec<String>> {
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| vec![format!("not valid JSON: {e}")])?;
    let value = match value {
        Value::Object(mut map) if map.len() == 1 && map.contains_key("image") => {
            map.remove("image").unwrap_or(Value::Null)
        }
        other => other,
    };
    let Value::Object(map) = value else {
        return Err(vec!["expected a JSON object of options".to_owned()]);
    };
    let mut pairs = Vec::new();
    let mut errors = Vec::new();
    for (k, v) in &map {
        flatten(k, v, &mut pairs, &mut errors);
    }
    if pairs.iter().any(|(n, _)| n == "profile") {
        errors.push("profile: a profile cannot name another profile".to_owned());
    }
    let parsed = parse_options(pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    match parsed {
        Ok(options) if errors.is_empty() => Ok(options),
        Ok(_) => Err(errors),
        Err(bad) => {
            errors.extend(bad.iter().map(ToString::to_string));
            Err(errors)
        }
    }
}

/// Flattens nested objects into dotted names. Inside an object, a key equal
/// to the object's own last name segment (or `value`) names the object
/// itself: `{"text": {"text": "Hi"}}` is `text=Hi`, and so is
/// `{"watermark": {"image": "/w.png"}}` for `watermark`. A list of text
/// layers or watermarks (Sirv's `"text": [{…}, {…}]`) gives one numbered
/// layer per element (`text.0.…`, `text.1.…`); any other list contributes
/// its first element.
fn flatten(name: &str, value: &Value, out: &mut Vec<(String, String)>, errors: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            let last = name.rsplit('.').next().unwrap_or(name);
            for (k, v) in map {
                let itself = k == last || k == "value" || (name == "watermark" && k == "image");
                let child = if itself {
                    name.to_owned()
                } else {
                    format!("{name}.{k}")
                };
                flatten(&child, v, out, errors);
            }
        }
        Value::Array(items) if name == "text" || name == "watermark" => {
            if items.len() > MAX_LAYERS {
                errors.push(format!("{name}: at most {MAX_LAYERS} layers"));
            }
            for (i, item) in items.iter().take(MAX_LAYERS).enumerate() {
                flatten(&format!("{name}.{i}"), item, out, errors);
            }
        }
        Value::Array(items) => match items.first() {
            Some(first) => flatten(name, first, out, errors),
            None => errors.push(format!("{name}: empty list")),
        },
        Value::String(s) => out.push((name.to_owned(), s.clone())),
        Value::Number(n) => out.push((name.to_owned(), n.to_string())),
        Value::Bool(b) => out.push((name.to_owned(), b.to_string())),
        Value::Null => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(json: &str) -> Result<String, Vec<String>> {
        parse(json.as_bytes()).map(|o| o.canonical_string())
    }

    #[test]
    fn flat_nested_and_wrapped_profiles_mean_the_same() {
        let want = "q=70&text=Hi&text.color=ffffffff&w=400";
        for json in [
            r#"{"w": 400, "q": 70, "text": "Hi", "text.color": "fff"}"#,
            r##"{"scale": {"width": 400}, "q": "70", "text": {"text": "Hi", "color": "#ffffff"}}"##,
            r#"{"image": {"w": 400, "quality": 70, "text": [{"value": "Hi", "color": "white"}]}}"#,
        ] {
            assert_eq!(canon(json).as_deref(), Ok(want), "{json}");
        }
    }

    #[test]
    fn bad_profiles_say_every_problem() {
        let errs = canon(r#"{"w": "wide", "blurry": 1, "profile": "x"}"#).unwrap_err();
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert!(errs.iter().any(|e| e.starts_with("w=wide")));
        assert!(errs
            .iter()
            .any(|e| e.starts_with("blurry=1: unknown option")));
        assert!(canon("[1, 2]").is_err());
        assert!(canon("{not json").unwrap_err()[0].contains("not valid JSON"));
    }

    #[test]
    fn lists_of_text_layers_and_watermarks_keep_every_element() {
        let json = r#"{"text": [{"text": "Top", "position": "north"}, {"text": "Bottom", "color": "red"}],
                      "watermark": [{"image": "/a.png"}, {"image": "/b.png", "opacity": 50}]}"#;
        assert_eq!(
            canon(json).as_deref(),
            Ok("text=Top&text.1.color=ff0000ff&text.1.text=Bottom&text.position=north&watermark=/a.png&watermark.1.image=/b.png&watermark.1.opacity=50")
        );
        let many = format!(r#"{{"text": [{}]}}"#, [r#"{"text": "x"}"#; 11].join(","));
        assert!(canon(&many).unwrap_err()[0].contains("at most 10 layers"));
    }
}
