//! Amazon marketplaces by the short names Zynk's channels use (UK, US, DE …) and by id.

/// Name, marketplace id, currency.
const MARKETPLACES: &[(&str, &str, &str)] = &[
    ("US", "ATVPDKIKX0DER", "USD"),
    ("CA", "A2EUQ1WTGCTBG2", "CAD"),
    ("MX", "A1AM78C64UM0Y8", "MXN"),
    ("BR", "A2Q3Y263D00KWC", "BRL"),
    ("UK", "A1F83G8C2ARO7P", "GBP"),
    ("IE", "A28R8C7NBKEWEA", "EUR"),
    ("DE", "A1PA6795UKMFR9", "EUR"),
    ("FR", "A13V1IB3VIYZZH", "EUR"),
    ("IT", "APJ6JRA9NG5V4", "EUR"),
    ("ES", "A1RKKUPIHCS9HS", "EUR"),
    ("NL", "A1805IZSGTT6HS", "EUR"),
    ("BE", "AMEN7PMS3EDWL", "EUR"),
    ("SE", "A2NODRKZP88ZB9", "SEK"),
    ("PL", "A1C3SOZRARQ6R3", "PLN"),
    ("TR", "A33AVAJ2PDY3EV", "TRY"),
    ("IN", "A21TJRUUN4KGV", "INR"),
    ("JP", "A1VC38T7YXB528", "JPY"),
    ("AU", "A39IBJ37TRP1C6", "AUD"),
    ("SG", "A19VAU5U5O7RUS", "SGD"),
    ("AE", "A2VIGQ35RCS4UG", "AED"),
];

/// One marketplace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marketplace {
    /// The short name (`UK`), or the id when it is not one Wharf knows by name.
    pub name: String,
    pub id: String,
    /// Its currency, when known.
    pub currency: Option<&'static str>,
}

/// A marketplace by short name (`UK`, `GB` for the UK too) or by id; an unknown id is taken as
/// given (Amazon opens marketplaces), an unknown short name is an error.
pub fn marketplace(given: &str) -> Result<Marketplace, String> {
    let given = given.trim();
    let upper = given.to_ascii_uppercase();
    let name = if upper == "GB" { "UK" } else { upper.as_str() };
    if let Some((name, id, currency)) = MARKETPLACES
        .iter()
        .find(|(n, id, _)| *n == name || *id == given)
    {
        return Ok(Marketplace {
            name: (*name).into(),
            id: (*id).into(),
            currency: Some(currency),
        });
    }
    // Marketplace ids are upper-case letters and digits, 9 to 14 characters.
    if (9..=14).contains(&given.len())
        && given
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    {
        return Ok(Marketplace {
            name: given.into(),
            id: given.into(),
            currency: None,
        });
    }
    let known: Vec<&str> = MARKETPLACES.iter().map(|(n, _, _)| *n).collect();
    Err(format!(
        "`{given}` is not a marketplace: give a name ({}) or a marketplace id",
        known.join(", ")
    ))
}

/// A comma- or space-separated list of marketplaces, in order, without repeats.
pub fn marketplaces(list: &str) -> Result<Vec<Marketplace>, String> {
    let mut found: Vec<Marketplace> = Vec::new();
    for item in list.split([',', ' ', ';']).filter(|s| !s.trim().is_empty()) {
        let m = marketplace(item)?;
        if !found.iter().any(|f| f.id == m.id) {
            found.push(m);
        }
    }
    if found.is_empty() {
        return Err("no marketplace given".into());
    }
    Ok(found)
}
