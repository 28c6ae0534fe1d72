//! The value forms a config file may use: durations (`"30s"`, `"365d"`, a
//! number of seconds), byte sizes (`"512MiB"`, `"100MB"`, a number of bytes)
//! and socket addresses, each with an error that shows the expected form.

/// Durations as `"30s"`, `"365d"`, `"1h 30m"` or a number of seconds.
pub(super) mod duration {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer};

    pub(in crate::config) fn serialize<S: serde::Serializer>(
        d: &Duration,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_str(&humantime::format_duration(*d).to_string())
    }

    pub(in crate::config) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Duration, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Secs(u64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Secs(n) => Ok(Duration::from_secs(n)),
            Raw::Text(t) => humantime::parse_duration(t.trim()).map_err(|e| {
                serde::de::Error::custom(format!("`{t}` is not a duration like 30s or 365d ({e})"))
            }),
        }
    }
}

/// Byte sizes as `"512MiB"`, `"100MB"`, `"64k"` or a number of bytes.
pub(super) mod bytesize {
    use serde::{Deserialize, Deserializer};

    pub(in crate::config) fn serialize<S: serde::Serializer>(
        n: &u64,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_u64(*n)
    }

    pub(in crate::config) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Bytes(u64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Bytes(n) => Ok(n),
            Raw::Text(t) => parse_size(&t).ok_or_else(|| {
                serde::de::Error::custom(format!("`{t}` is not a size like 512MiB or 100MB"))
            }),
        }
    }

    pub(in crate::config) fn parse_size(t: &str) -> Option<u64> {
        let t = t.trim();
        let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let (num, unit) = t.split_at(split);
        let n: u64 = num.parse().ok()?;
        let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
            "" | "b" => 1,
            "k" | "kb" => 1_000,
            "kib" => 1 << 10,
            "m" | "mb" => 1_000_000,
            "mib" => 1 << 20,
            "g" | "gb" => 1_000_000_000,
            "gib" => 1 << 30,
            _ => return None,
        };
        n.checked_mul(mult)
    }
}

/// `"127.0.0.1:8080"`, `"[::1]:0"`.
pub(super) mod address {
    use std::net::{AddrParseError, SocketAddr};

    use serde::{Deserialize, Deserializer};

    /// Why `value` is not an address, in the words every source uses.
    pub(in crate::config) fn problem(value: &str, e: &AddrParseError) -> String {
        format!("`{value}` is not an address like 127.0.0.1:8080 ({e})")
    }

    pub(in crate::config) fn serialize<S: serde::Serializer>(
        a: &SocketAddr,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_str(a)
    }

    pub(in crate::config) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<SocketAddr, D::Error> {
        let text = String::deserialize(d)?;
        text.parse()
            .map_err(|e| serde::de::Error::custom(problem(&text, &e)))
    }
}
