//! Magento's search criteria: filter groups (filters inside a group are OR-ed, groups AND-ed),
//! sort orders, page size and page, as `searchCriteria[…]` query parameters.
//!
//! The `filter-groups` setting holds one group per line, its filters separated by ` OR `, each
//! `field Condition value` with the conditions the Zynk task names (`Equal`, `NotEqual`, `Like`,
//! `In`, `NotIn`, `Null`, `NotNull`, `GreaterThan`, `LessThan`, `GreaterThanOrEqual`,
//! `LessThanOrEqual`):
//!
//! ```text
//! status Equal pending OR status Equal processing
//! customer_email Like %@example.com
//! ```

use crate::encode;

/// One condition of a filter, by its Zynk name and Magento's `condition_type`.
const CONDITIONS: &[(&str, &str)] = &[
    ("Equal", "eq"),
    ("NotEqual", "neq"),
    ("Like", "like"),
    ("In", "in"),
    ("NotIn", "nin"),
    ("Null", "null"),
    ("NotNull", "notnull"),
    ("GreaterThan", "gt"),
    ("LessThan", "lt"),
    ("GreaterThanOrEqual", "gteq"),
    ("LessThanOrEqual", "lteq"),
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub field: String,
    /// Magento's `condition_type` (`eq`, `in`, …).
    pub condition: &'static str,
    pub value: String,
}

impl Filter {
    pub fn new(field: &str, condition: &'static str, value: impl Into<String>) -> Self {
        Filter {
            field: field.to_owned(),
            condition,
            value: value.into(),
        }
    }
}

/// Search criteria for a list endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Criteria {
    pub groups: Vec<Vec<Filter>>,
    pub sort: Vec<(String, &'static str)>,
    pub page_size: Option<u32>,
    pub current_page: Option<u32>,
}

impl Criteria {
    /// The query string (without `?`), in the spelling of Magento's published schema.
    pub fn query(&self) -> String {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for (g, group) in self.groups.iter().enumerate() {
            for (f, filter) in group.iter().enumerate() {
                let key =
                    |part: &str| format!("searchCriteria[filterGroups][{g}][filters][{f}][{part}]");
                pairs.push((key("field"), filter.field.clone()));
                if !matches!(filter.condition, "null" | "notnull") {
                    pairs.push((key("value"), filter.value.clone()));
                }
                pairs.push((key("conditionType"), filter.condition.to_owned()));
            }
        }
        for (s, (field, direction)) in self.sort.iter().enumerate() {
            pairs.push((
                format!("searchCriteria[sortOrders][{s}][field]"),
                field.clone(),
            ));
            pairs.push((
                format!("searchCriteria[sortOrders][{s}][direction]"),
                (*direction).to_owned(),
            ));
        }
        if let Some(size) = self.page_size {
            pairs.push(("searchCriteria[pageSize]".into(), size.to_string()));
        }
        if let Some(page) = self.current_page {
            pairs.push(("searchCriteria[currentPage]".into(), page.to_string()));
        }
        if pairs.is_empty() {
            // Magento wants search criteria on a list, even an empty one.
            pairs.push(("searchCriteria".into(), String::new()));
        }
        pairs
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// Parses the `filter-groups` setting; errors name the line and the cause.
pub fn parse_groups(text: &str) -> Result<Vec<Vec<Filter>>, String> {
    let mut groups = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut group = Vec::new();
        for part in line.split(" OR ") {
            group.push(parse_filter(part.trim()).map_err(|e| format!("line {}: {e}", n + 1))?);
        }
        groups.push(group);
    }
    Ok(groups)
}

fn parse_filter(text: &str) -> Result<Filter, String> {
    let mut words = text.splitn(3, char::is_whitespace);
    let field = words.next().unwrap_or_default().trim();
    let condition = words.next().unwrap_or_default().trim();
    let value = words.next().unwrap_or_default().trim();
    let names = || {
        CONDITIONS
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(", ")
    };
    if field.is_empty() || condition.is_empty() {
        return Err(format!(
            "`{text}` is not `field Condition value` (conditions: {})",
            names()
        ));
    }
    if !field
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    {
        return Err(format!("`{field}` is not a Magento field name"));
    }
    let Some((_, magento)) = CONDITIONS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(condition))
    else {
        return Err(format!(
            "`{condition}` is not a condition (one of {})",
            names()
        ));
    };
    let needs_value = !matches!(*magento, "null" | "notnull");
    if needs_value && value.is_empty() {
        return Err(format!("`{field} {condition}` needs a value"));
    }
    if !needs_value && !value.is_empty() {
        return Err(format!(
            "`{field} {condition}` takes no value, got `{value}`"
        ));
    }
    let value = if matches!(*magento, "in" | "nin") {
        // A comma list; spaces around the commas are not part of the values.
        value
            .split(',')
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect::<Vec<_>>()
            .join(",")
    } else {
        value.to_owned()
    };
    Ok(Filter::new(field, magento, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_lines_and_filters_are_or_ed_inside() {
        let groups = parse_groups(
            "status Equal pending OR status In processing , holded\n\n# a comment\ncustomer_email Like %@example.com\nshipping_description NotNull",
        )
        .unwrap();
        assert_eq!(
            groups,
            vec![
                vec![
                    Filter::new("status", "eq", "pending"),
                    Filter::new("status", "in", "processing,holded")
                ],
                vec![Filter::new("customer_email", "like", "%@example.com")],
                vec![Filter::new("shipping_description", "notnull", "")],
            ]
        );
    }

    #[test]
    fn bad_filters_say_what_is_wrong() {
        for (text, says) in [
            (
                "status Bigger 3",
                "`Bigger` is not a condition (one of Equal,",
            ),
            ("status", "is not `field Condition value`"),
            ("status Equal", "needs a value"),
            ("status Null x", "takes no value"),
            ("status; Equal x", "not a Magento field name"),
            ("a Equal 1\nb Equal 2 OR c Foo 3", "line 2:"),
        ] {
            let e = parse_groups(text).unwrap_err();
            assert!(e.contains(says), "{text}: {e}");
        }
    }

    #[test]
    fn the_query_uses_the_schemas_spelling_encoded_once() {
        let criteria = Criteria {
            groups: vec![vec![Filter::new(
                "updated_at",
                "gteq",
                "2026-01-02 03:04:05",
            )]],
            sort: vec![("entity_id".into(), "ASC")],
            page_size: Some(50),
            current_page: Some(1),
        };
        assert_eq!(
            criteria.query(),
            "searchCriteria%5BfilterGroups%5D%5B0%5D%5Bfilters%5D%5B0%5D%5Bfield%5D=updated_at&\
             searchCriteria%5BfilterGroups%5D%5B0%5D%5Bfilters%5D%5B0%5D%5Bvalue%5D=2026-01-02%2003%3A04%3A05&\
             searchCriteria%5BfilterGroups%5D%5B0%5D%5Bfilters%5D%5B0%5D%5BconditionType%5D=gteq&\
             searchCriteria%5BsortOrders%5D%5B0%5D%5Bfield%5D=entity_id&\
             searchCriteria%5BsortOrders%5D%5B0%5D%5Bdirection%5D=ASC&\
             searchCriteria%5BpageSize%5D=50&searchCriteria%5BcurrentPage%5D=1"
        );
        assert_eq!(Criteria::default().query(), "searchCriteria=");
    }
}
