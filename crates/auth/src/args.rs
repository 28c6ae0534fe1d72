//! Flattening of the JWT `args` claim into dotted `name=value` pairs.

use serde_json::{Map, Value};

use crate::Failure;

/// Nesting deeper than this is refused (`{"a":{"b":{…}}}`): options are at most
/// three levels deep (`text.background.color`).
const MAX_DEPTH: usize = 6;

/// Flattens a JSON object into sorted `(dotted.name, value)` pairs:
/// `{"text":{"size":20}}` → `text.size=20`. Strings stay as they are; numbers and
/// booleans become their JSON text. `null`, arrays, and nesting past six
/// levels make the whole claim invalid, as does a name produced twice
/// (`{"a.b":1,"a":{"b":2}}`).
pub fn flatten_args(args: &Map<String, Value>) -> Result<Vec<(String, String)>, Failure> {
    let mut out = Vec::new();
    flatten_into(args, "", 1, &mut out)?;
    out.sort();
    if out.windows(2).any(|w| w[0].0 == w[1].0) {
        return Err(Failure::InvalidPayload);
    }
    Ok(out)
}

fn flatten_into(
    obj: &Map<String, Value>,
    prefix: &str,
    depth: usize,
    out: &mut Vec<(String, String)>,
) -> Result<(), Failure> {
    if depth > MAX_DEPTH {
        return Err(Failure::InvalidPayload);
    }
    for (name, value) in obj {
        if name.is_empty() {
            return Err(Failure::InvalidPayload);
        }
        let full = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        match value {
            Value::String(s) => out.push((full, s.clone())),
            Value::Number(n) => out.push((full, n.to_string())),
            Value::Bool(b) => out.push((full, b.to_string())),
            Value::Object(inner) => flatten_into(inner, &full, depth + 1, out)?,
            Value::Null | Value::Array(_) => return Err(Failure::InvalidPayload),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    type Flat = Result<Vec<(String, String)>, Failure>;

    fn flat(v: Value) -> Flat {
        match v {
            Value::Object(m) => flatten_args(&m),
            _ => unreachable!("test input is an object"),
        }
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn flatten_table() {
        let cases: Vec<(Value, Flat)> = vec![
            (json!({}), Ok(vec![])),
            (json!({"text": "Hello"}), Ok(pairs(&[("text", "Hello")]))),
            (
                json!({"text": {"size": 20}}),
                Ok(pairs(&[("text.size", "20")])),
            ),
            (
                json!({"w": 300, "grayscale": true, "q": 80.5}),
                Ok(pairs(&[("grayscale", "true"), ("q", "80.5"), ("w", "300")])),
            ),
            (
                json!({"text": {"background": {"color": "ff0000"}}, "text.size": "10"}),
                Ok(pairs(&[
                    ("text.background.color", "ff0000"),
                    ("text.size", "10"),
                ])),
            ),
            (
                json!({"a.b": 1, "a": {"b": 2}}),
                Err(Failure::InvalidPayload),
            ),
            (json!({"w": null}), Err(Failure::InvalidPayload)),
            (json!({"w": [1, 2]}), Err(Failure::InvalidPayload)),
            (json!({"": 1}), Err(Failure::InvalidPayload)),
            (
                json!({"a":{"b":{"c":{"d":{"e":{"f":{"g":1}}}}}}}),
                Err(Failure::InvalidPayload),
            ),
            (
                json!({"a":{"b":{"c":{"d":{"e":{"f":1}}}}}}),
                Ok(pairs(&[("a.b.c.d.e.f", "1")])),
            ),
        ];
        for (input, want) in cases {
            assert_eq!(flat(input.clone()), want, "input {input}");
        }
    }
}
