//! Number conversions: XPath number<->string, format-number(), xsl:number formatting.

/// XPath `string(number)`, matching libxslt digit for digit in the range
/// 1e-5..1e9 (15 significant digits). Outside it libxslt switches to
/// exponent notation; we keep the spec's plain decimal form instead.
pub fn num_to_string(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    if x == 0.0 {
        return "0".into();
    }
    if x.fract() == 0.0 && x.abs() < 2147483647.0 {
        return format!("{}", x as i64);
    }
    let abs = x.abs();
    if (1e-5..=1e9).contains(&abs) {
        let ip = abs.log10() as i32; // truncation toward zero, as C's (int) cast
        let frac = if ip > 0 { 15 - ip - 1 } else { 15 - ip };
        let frac = frac.clamp(0, 40) as usize;
        let s = format!("{:.*}", frac, x);
        return strip_zeros(s);
    }
    // 15 significant digits laid out positionally.
    let e = format!("{:.14e}", abs);
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    let mut out = String::new();
    if x < 0.0 {
        out.push('-');
    }
    if exp >= 0 {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            out.push_str(digits);
            for _ in digits.len()..int_len {
                out.push('0');
            }
        } else {
            out.push_str(&digits[..int_len]);
            out.push('.');
            out.push_str(&digits[int_len..]);
        }
    } else {
        out.push_str("0.");
        for _ in 0..(-exp - 1) {
            out.push('0');
        }
        out.push_str(digits);
    }
    out
}

fn strip_zeros(s: String) -> String {
    if !s.contains('.') {
        return s;
    }
    let t = s.trim_end_matches('0').trim_end_matches('.');
    if t == "-0" || t.is_empty() {
        return "0".into();
    }
    t.to_string()
}

/// XPath `number(string)`: optional whitespace, optional minus, digits with
/// optional fraction; like libxml2 an exponent is also accepted.
pub fn string_to_num(s: &str) -> f64 {
    let t = s.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r'));
    if t.is_empty() {
        return f64::NAN;
    }
    let b = t.as_bytes();
    let mut i = 0;
    if b[0] == b'-' {
        i = 1;
    }
    let ds = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut nd = i - ds;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let fs = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        nd += i - fs;
    }
    if nd == 0 {
        return f64::NAN;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let mut j = i + 1;
        if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
            j += 1;
        }
        let es = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        if j == es {
            return f64::NAN;
        }
        i = j;
    }
    if i != b.len() {
        return f64::NAN;
    }
    t.parse::<f64>().unwrap_or(f64::NAN)
}

/// XPath round(): nearest integer, halves toward positive infinity; keeps -0.
pub fn xpath_round(x: f64) -> f64 {
    if x.is_nan() || x.is_infinite() || x == 0.0 {
        return x;
    }
    if (-0.5..0.0).contains(&x) {
        return -0.0;
    }
    (x + 0.5).floor()
}

/// Symbols of an xsl:decimal-format.
#[derive(Clone, Debug, PartialEq)]
pub struct DecimalFormat {
    pub decimal_separator: char,
    pub grouping_separator: char,
    pub infinity: String,
    pub minus_sign: char,
    pub nan: String,
    pub percent: char,
    pub per_mille: char,
    pub zero_digit: char,
    pub digit: char,
    pub pattern_separator: char,
}

impl Default for DecimalFormat {
    fn default() -> Self {
        DecimalFormat {
            decimal_separator: '.',
            grouping_separator: ',',
            infinity: "Infinity".into(),
            minus_sign: '-',
            nan: "NaN".into(),
            percent: '%',
            per_mille: '\u{2030}',
            zero_digit: '0',
            digit: '#',
            pattern_separator: ';',
        }
    }
}

struct SubPattern {
    prefix: String,
    suffix: String,
    min_int: usize,
    min_frac: usize,
    max_frac: usize,
    group: usize,
    multiplier: f64,
}

fn parse_sub(p: &[char], df: &DecimalFormat) -> Result<SubPattern, String> {
    let mut i = 0;
    let is_special = |c: char| {
        c == df.digit
            || c == df.zero_digit
            || c == df.decimal_separator
            || c == df.grouping_separator
    };
    let mut prefix = String::new();
    let mut multiplier = 1.0;
    // prefix: until a digit-ish char
    while i < p.len() && !is_special(p[i]) {
        let c = p[i];
        if c == '\'' {
            i += 1;
            while i < p.len() && p[i] != '\'' {
                prefix.push(p[i]);
                i += 1;
            }
            i += 1;
            continue;
        }
        if c == df.percent {
            multiplier = 100.0;
        } else if c == df.per_mille {
            multiplier = 1000.0;
        }
        prefix.push(c);
        i += 1;
    }
    let mut min_int = 0;
    let mut group = 0;
    let mut since_group: Option<usize> = None;
    let mut seen_zero = false;
    // The decimal separator wins when it equals the grouping separator (libxslt).
    while i < p.len()
        && p[i] != df.decimal_separator
        && (p[i] == df.digit || p[i] == df.zero_digit || p[i] == df.grouping_separator)
    {
        let c = p[i];
        if c == df.grouping_separator {
            since_group = Some(0);
        } else {
            if c == df.zero_digit {
                seen_zero = true;
                min_int += 1;
            } else if seen_zero {
                return Err("'#' after '0' in integer part".into());
            }
            if let Some(g) = since_group.as_mut() {
                *g += 1;
            }
        }
        i += 1;
    }
    if let Some(g) = since_group {
        group = g;
    }
    let mut min_frac = 0;
    let mut max_frac = 0;
    if i < p.len() && p[i] == df.decimal_separator {
        i += 1;
        let mut seen_hash = false;
        while i < p.len() && (p[i] == df.digit || p[i] == df.zero_digit) {
            if p[i] == df.zero_digit {
                if seen_hash {
                    return Err("'0' after '#' in fraction part".into());
                }
                min_frac += 1;
            } else {
                seen_hash = true;
            }
            max_frac += 1;
            i += 1;
        }
    }
    let mut suffix = String::new();
    while i < p.len() {
        let c = p[i];
        if c == '\'' {
            i += 1;
            while i < p.len() && p[i] != '\'' {
                suffix.push(p[i]);
                i += 1;
            }
            i += 1;
            continue;
        }
        if is_special(c) {
            return Err(format!("unexpected '{c}' in suffix"));
        }
        if c == df.percent {
            multiplier = 100.0;
        } else if c == df.per_mille {
            multiplier = 1000.0;
        }
        suffix.push(c);
        i += 1;
    }
    Ok(SubPattern {
        prefix,
        suffix,
        min_int,
        min_frac,
        max_frac,
        group,
        multiplier,
    })
}

/// XSLT format-number().
pub fn format_number(x: f64, pattern: &str, df: &DecimalFormat) -> Result<String, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let (pos_p, neg_p) = match chars.iter().position(|&c| c == df.pattern_separator) {
        Some(k) => (&chars[..k], Some(&chars[k + 1..])),
        None => (&chars[..], None),
    };
    let mut pos = parse_sub(pos_p, df)?;
    // libxslt: a pattern with no '0' at all still prints one integer digit.
    if pos.min_int == 0 && pos.min_frac == 0 {
        pos.min_int = 1;
    }
    if x.is_nan() {
        return Ok(df.nan.clone());
    }
    // -0 formats like 0 (libxslt).
    let negative = x < 0.0;
    let (prefix, suffix) = if negative {
        match neg_p {
            Some(n) if !n.is_empty() => {
                let ns = parse_sub(n, df)?;
                (ns.prefix, ns.suffix)
            }
            _ => (
                format!("{}{}", df.minus_sign, pos.prefix),
                pos.suffix.clone(),
            ),
        }
    } else {
        (pos.prefix.clone(), pos.suffix.clone())
    };
    if x.is_infinite() {
        return Ok(format!("{prefix}{}{suffix}", df.infinity));
    }
    let mut v = x.abs() * pos.multiplier;
    let scale = 10f64.powi(pos.max_frac as i32);
    v = (v * scale + 0.5).floor() / scale;
    if v.is_infinite() {
        return Ok(format!("{prefix}{}{suffix}", df.infinity));
    }
    // Digits of the rounded value.
    let s = format!("{:.*}", pos.max_frac, v);
    let (ip, fp) = s.split_once('.').unwrap_or((&s, ""));
    let mut int_digits: String = ip.trim_start_matches('0').to_string();
    while int_digits.len() < pos.min_int {
        int_digits.insert(0, '0');
    }
    let mut frac: String = fp.to_string();
    while frac.len() > pos.min_frac && frac.ends_with('0') {
        frac.pop();
    }
    let zero = df.zero_digit as u32;
    let map_digit = |c: char| -> char {
        let d = c as u32 - '0' as u32;
        char::from_u32(zero + d).unwrap_or(c)
    };
    let mut out = prefix;
    let n = int_digits.len();
    for (k, c) in int_digits.chars().enumerate() {
        out.push(map_digit(c));
        let rem = n - k - 1;
        if pos.group > 0 && rem > 0 && rem.is_multiple_of(pos.group) {
            out.push(df.grouping_separator);
        }
    }
    if !frac.is_empty() {
        out.push(df.decimal_separator);
        for c in frac.chars() {
            out.push(map_digit(c));
        }
    }
    out.push_str(&suffix);
    Ok(out)
}

/// One formatting token of xsl:number's format attribute.
#[derive(Clone, Debug)]
pub enum NumToken {
    /// Decimal digits of the family whose zero is `zero`, padded to `width`.
    Decimal {
        width: usize,
        zero: char,
    },
    Alpha(bool),
    Roman(bool),
}

/// Parsed xsl:number format: leading text, (token, following separator)…, trailing text.
#[derive(Clone, Debug)]
pub struct NumberFormat {
    pub prefix: String,
    pub tokens: Vec<(NumToken, String)>,
    pub suffix: String,
}

pub fn parse_number_format(f: &str) -> NumberFormat {
    let chars: Vec<char> = f.chars().collect();
    let mut i = 0;
    let mut prefix = String::new();
    while i < chars.len() && !chars[i].is_alphanumeric() {
        prefix.push(chars[i]);
        i += 1;
    }
    let mut items: Vec<(NumToken, String)> = Vec::new();
    let mut suffix = String::new();
    while i < chars.len() {
        let st = i;
        while i < chars.len() && chars[i].is_alphanumeric() {
            i += 1;
        }
        let tok: String = chars[st..i].iter().collect();
        let sep_start = i;
        while i < chars.len() && !chars[i].is_alphanumeric() {
            i += 1;
        }
        let sep: String = chars[sep_start..i].iter().collect();
        let t = classify_token(&tok);
        if i >= chars.len() {
            suffix = sep;
            items.push((t, String::new()));
        } else {
            items.push((t, sep));
        }
    }
    NumberFormat {
        prefix,
        tokens: items,
        suffix,
    }
}

/// The zero of every Unicode decimal digit family (general category Nd, Unicode 14).
/// XSLT 1.0 §7.7.1: a token whose last character has decimal digit value 1 and
/// whose other characters are that family's zero is a decimal format.
const DIGIT_ZEROS: [u32; 66] = [
    0x30, 0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66, 0xBE6, 0xC66, 0xCE6, 0xD66,
    0xDE6, 0xE50, 0xED0, 0xF20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90,
    0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10,
    0x104A0, 0x10D30, 0x11066, 0x110F0, 0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0, 0x11650,
    0x116C0, 0x11730, 0x118E0, 0x11950, 0x11C50, 0x11D50, 0x11DA0, 0x16A60, 0x16AC0, 0x16B50,
    0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0, 0x1E950, 0x1FBF0,
];

/// The zero of the digit family `c` belongs to, if `c` is a decimal digit.
fn digit_zero(c: char) -> Option<char> {
    let v = c as u32;
    let i = DIGIT_ZEROS.partition_point(|&z| z <= v).checked_sub(1)?;
    let zero = DIGIT_ZEROS[i];
    (v - zero < 10).then(|| char::from_u32(zero)).flatten()
}

fn classify_token(t: &str) -> NumToken {
    // As libxslt: zeros then a one of the same family start a decimal token whose
    // width is their count; the rest of the token is ignored.
    if let Some(first) = t.chars().next()
        && let Some(zero) = digit_zero(first)
    {
        let zeros = t.chars().take_while(|&c| c == zero).count();
        if t.chars()
            .nth(zeros)
            .is_some_and(|c| c as u32 == zero as u32 + 1)
        {
            return NumToken::Decimal {
                width: zeros + 1,
                zero,
            };
        }
    }
    match t {
        "a" => NumToken::Alpha(false),
        "A" => NumToken::Alpha(true),
        "i" => NumToken::Roman(false),
        "I" => NumToken::Roman(true),
        _ => NumToken::Decimal {
            width: 1,
            zero: '0',
        },
    }
}

/// libxslt's alphabetic numbering, on the double itself so values beyond 2^64
/// give its letters too (at most 64 of them).
fn alpha(mut n: f64, upper: bool) -> String {
    let base = if upper { b'A' } else { b'a' };
    let mut v = Vec::new();
    while v.len() < 64 {
        n -= 1.0;
        v.push((base + (n % 26.0) as u8) as char);
        n /= 26.0;
        if n < 1.0 {
            break;
        }
    }
    v.iter().rev().collect()
}

fn roman(n: u64, upper: bool) -> String {
    let table = [
        (1000, "m"),
        (900, "cm"),
        (500, "d"),
        (400, "cd"),
        (100, "c"),
        (90, "xc"),
        (50, "l"),
        (40, "xl"),
        (10, "x"),
        (9, "ix"),
        (5, "v"),
        (4, "iv"),
        (1, "i"),
    ];
    let mut n = n;
    let mut s = String::new();
    for (v, r) in table {
        while n >= v {
            s.push_str(r);
            n -= v;
        }
    }
    if upper { s.to_uppercase() } else { s }
}

/// Formats a list of numbers with an xsl:number format and grouping.
pub fn format_number_list(
    nums: &[f64],
    fmt: &NumberFormat,
    grouping: Option<(char, usize)>,
) -> String {
    let mut out = String::new();
    if nums.is_empty() {
        out.push_str(&fmt.prefix);
        out.push_str(&fmt.suffix);
        return out;
    }
    out.push_str(&fmt.prefix);
    let default_tok = (
        NumToken::Decimal {
            width: 1,
            zero: '0',
        },
        ".".to_string(),
    );
    for (k, &n) in nums.iter().enumerate() {
        let (tok, _) = if fmt.tokens.is_empty() {
            &default_tok
        } else {
            fmt.tokens
                .get(k)
                .unwrap_or_else(|| fmt.tokens.last().unwrap_or(&default_tok))
        };
        if k > 0 {
            // separator: the one following the previous token, or the last separator
            let sep = if fmt.tokens.is_empty() {
                "."
            } else if k - 1 < fmt.tokens.len().saturating_sub(1) {
                fmt.tokens[k - 1].1.as_str()
            } else if fmt.tokens.len() >= 2 {
                fmt.tokens[fmt.tokens.len() - 2].1.as_str()
            } else {
                "."
            };
            out.push_str(sep);
        }
        out.push_str(&format_one(n, tok, grouping));
    }
    out.push_str(&fmt.suffix);
    out
}

fn format_one(n: f64, tok: &NumToken, grouping: Option<(char, usize)>) -> String {
    if n.is_nan() || n == f64::INFINITY {
        return num_to_string(n);
    }
    // libxslt formats negative numbers (also -Infinity) as 0.
    let n = if n < 0.0 { 0.0 } else { n };
    let (width, zero) = match *tok {
        NumToken::Alpha(u) if n >= 1.0 => return alpha(n, u),
        // libxslt writes Roman numerals up to 5000 (mmmmm), decimal beyond.
        NumToken::Roman(u) if (1.0..=5000.0).contains(&n) => return roman(n as u64, u),
        NumToken::Decimal { width, zero } => (width, zero),
        NumToken::Alpha(_) | NumToken::Roman(_) => (1, '0'),
    };
    // Integers beyond u64 keep their XPath digits instead of saturating.
    let ascii = if n < 1.8e19 {
        (n as u64).to_string()
    } else {
        num_to_string(n)
    };
    let digits: Vec<char> = ascii
        .chars()
        .map(|c| {
            let d = c.to_digit(10).unwrap_or(0);
            char::from_u32(zero as u32 + d).unwrap_or(c)
        })
        .collect();
    let pad = width.saturating_sub(digits.len());
    let padded: Vec<char> = std::iter::repeat_n(zero, pad).chain(digits).collect();
    match grouping {
        Some((sep, size)) if size > 0 => {
            let mut o = String::new();
            let len = padded.len();
            for (k, c) in padded.iter().enumerate() {
                o.push(*c);
                let rem = len - k - 1;
                if rem > 0 && rem.is_multiple_of(size) {
                    o.push(sep);
                }
            }
            o
        }
        _ => padded.into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn numbers() {
        assert_eq!(num_to_string(1.0 / 3.0), "0.333333333333333");
        assert_eq!(num_to_string(0.1 + 0.2), "0.3");
        assert_eq!(num_to_string(-0.0), "0");
        assert_eq!(num_to_string(2.2), "2.2");
        assert_eq!(num_to_string(115.0), "115");
        assert_eq!(num_to_string(1e21), "1000000000000000000000");
        assert_eq!(num_to_string(1e-7), "0.0000001");
        assert_eq!(num_to_string(-1.5), "-1.5");
        assert_eq!(string_to_num(" 12.5 "), 12.5);
        assert!(string_to_num("+5").is_nan());
        assert_eq!(string_to_num(".5"), 0.5);
        assert_eq!(string_to_num("5."), 5.0);
        assert_eq!(xpath_round(-0.5), 0.0);
        assert!(xpath_round(-0.5).is_sign_negative());
        assert_eq!(xpath_round(2.5), 3.0);
    }
    #[test]
    fn fmt_number() {
        let d = DecimalFormat::default();
        assert_eq!(format_number(1234.5, "#,##0.00", &d).unwrap(), "1,234.50");
        assert_eq!(format_number(-3.0, "0", &d).unwrap(), "-3");
        assert_eq!(format_number(0.5, "#.00", &d).unwrap(), ".50");
        assert_eq!(format_number(0.4, "#.##", &d).unwrap(), "0.4");
        assert_eq!(format_number(0.25, "0%", &d).unwrap(), "25%");
    }
}
