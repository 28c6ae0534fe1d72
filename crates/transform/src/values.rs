//! Option value types: colours and gravities in every spelling Sirv accepts.

/// An RGBA colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Color {
    pub r: u8,
    pub g: u8,
    pub b: u8,
    pub a: u8,
}

impl Color {
    pub const WHITE: Color = Color {
        r: 255,
        g: 255,
        b: 255,
        a: 255,
    };
    pub const BLACK: Color = Color {
        r: 0,
        g: 0,
        b: 0,
        a: 255,
    };

    /// Parses `RRGGBB`, `RRGGBBAA`, `RGB`, each with or without `#`,
    /// `rgb(r,g,b)`, `rgba(r,g,b,a)` (a as 0–1) or a CSS colour name.
    pub fn parse(s: &str) -> Option<Color> {
        let s = s.trim();
        let lower = s.to_ascii_lowercase();
        if let Some(inner) = lower
            .strip_prefix("rgba(")
            .and_then(|r| r.strip_suffix(')'))
        {
            let parts: Vec<&str> = inner.split(',').map(str::trim).collect();
            let [r, g, b, a] = parts.as_slice() else {
                return None;
            };
            let a: f64 = a.parse().ok()?;
            if !(0.0..=1.0).contains(&a) {
                return None;
            }
            return Some(Color {
                r: r.parse().ok()?,
                g: g.parse().ok()?,
                b: b.parse().ok()?,
                a: (a * 255.0).round() as u8,
            });
        }
        if let Some(inner) = lower.strip_prefix("rgb(").and_then(|r| r.strip_suffix(')')) {
            let parts: Vec<&str> = inner.split(',').map(str::trim).collect();
            let [r, g, b] = parts.as_slice() else {
                return None;
            };
            return Some(Color {
                r: r.parse().ok()?,
                g: g.parse().ok()?,
                b: b.parse().ok()?,
                a: 255,
            });
        }
        if let Some(c) = named(&lower) {
            return Some(c);
        }
        let hex = lower.strip_prefix('#').unwrap_or(&lower);
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
        let nibble = |i: usize| u8::from_str_radix(&hex[i..=i], 16).ok().map(|n| n * 17);
        match hex.len() {
            3 => Some(Color {
                r: nibble(0)?,
                g: nibble(1)?,
                b: nibble(2)?,
                a: 255,
            }),
            6 => Some(Color {
                r: byte(0)?,
                g: byte(2)?,
                b: byte(4)?,
                a: 255,
            }),
            8 => Some(Color {
                r: byte(0)?,
                g: byte(2)?,
                b: byte(4)?,
                a: byte(6)?,
            }),
            _ => None,
        }
    }

    /// Canonical spelling: `rrggbbaa`.
    pub fn canonical(&self) -> String {
        format!("{:02x}{:02x}{:02x}{:02x}", self.r, self.g, self.b, self.a)
    }
}

fn named(name: &str) -> Option<Color> {
    let (r, g, b, a) = match name {
        "black" => (0, 0, 0, 255),
        "white" => (255, 255, 255, 255),
        "red" => (255, 0, 0, 255),
        "lime" => (0, 255, 0, 255),
        "green" => (0, 128, 0, 255),
        "blue" => (0, 0, 255, 255),
        "yellow" => (255, 255, 0, 255),
        "cyan" | "aqua" => (0, 255, 255, 255),
        "magenta" | "fuchsia" => (255, 0, 255, 255),
        "gray" | "grey" => (128, 128, 128, 255),
        "silver" => (192, 192, 192, 255),
        "maroon" => (128, 0, 0, 255),
        "olive" => (128, 128, 0, 255),
        "navy" => (0, 0, 128, 255),
        "purple" => (128, 0, 128, 255),
        "teal" => (0, 128, 128, 255),
        "orange" => (255, 165, 0, 255),
        "pink" => (255, 192, 203, 255),
        "brown" => (165, 42, 42, 255),
        "transparent" => (0, 0, 0, 0),
        _ => return None,
    };
    Some(Color { r, g, b, a })
}

/// Where to place something on a canvas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Gravity {
    Center,
    North,
    NorthEast,
    East,
    SouthEast,
    South,
    SouthWest,
    West,
    NorthWest,
}

impl Gravity {
    pub fn parse(s: &str) -> Option<Gravity> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "center" | "centre" => Gravity::Center,
            "north" => Gravity::North,
            "northeast" => Gravity::NorthEast,
            "east" => Gravity::East,
            "southeast" => Gravity::SouthEast,
            "south" => Gravity::South,
            "southwest" => Gravity::SouthWest,
            "west" => Gravity::West,
            "northwest" => Gravity::NorthWest,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Gravity::Center => "center",
            Gravity::North => "north",
            Gravity::NorthEast => "northeast",
            Gravity::East => "east",
            Gravity::SouthEast => "southeast",
            Gravity::South => "south",
            Gravity::SouthWest => "southwest",
            Gravity::West => "west",
            Gravity::NorthWest => "northwest",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colors() {
        let red = Some(Color {
            r: 255,
            g: 0,
            b: 0,
            a: 255,
        });
        for s in [
            "ff0000",
            "#FF0000",
            "f00",
            "#f00",
            "ff0000ff",
            "rgb(255,0,0)",
            "rgba(255, 0, 0, 1)",
            "red",
            "RED",
        ] {
            assert_eq!(Color::parse(s), red, "{s}");
        }
        assert_eq!(Color::parse("rgba(0,0,0,0.5)").unwrap().a, 128);
        assert_eq!(Color::parse("00000080").unwrap().a, 0x80);
        for bad in [
            "",
            "ff00",
            "gg0000",
            "rgb(256,0,0)",
            "rgba(0,0,0,2)",
            "rgb(1,2)",
            "notacolor",
            "#ff00000",
        ] {
            assert_eq!(Color::parse(bad), None, "{bad}");
        }
        assert_eq!(Color::parse("white").unwrap().canonical(), "ffffffff");
    }

    #[test]
    fn gravities() {
        for g in [
            "center",
            "north",
            "northeast",
            "east",
            "southeast",
            "south",
            "southwest",
            "west",
            "northwest",
        ] {
            assert_eq!(Gravity::parse(g).unwrap().as_str(), g);
        }
        assert_eq!(Gravity::parse("NorthWest"), Some(Gravity::NorthWest));
        assert_eq!(Gravity::parse("middle"), None);
    }
}
