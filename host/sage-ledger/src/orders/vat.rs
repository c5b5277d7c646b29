//! VAT Settings: tax codes chosen by destination (docs/zynk-reference.md §5.6, §5.9).

use serde::{Deserialize, Serialize};

use crate::reference::{is_eu_country, is_known_country};

/// One destination rule: the sales and carriage tax codes to use, when enabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VatRule {
    pub enabled: bool,
    pub sales: i32,
    pub carriage: i32,
}

/// `VatSettings/{Base,Eu,EuVatReg,Row}`; defaults 1/1, 1/1, 4/4, 0/0, all disabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct VatSettings {
    /// Delivery to the company's own country.
    pub base: VatRule,
    /// Delivery to an EU country.
    pub eu: VatRule,
    /// Delivery to an EU country for a customer with a VAT number (docs/zynk-reference.md §6.40, assumed meaning).
    pub eu_vat_reg: VatRule,
    /// Rest of the world.
    pub row: VatRule,
}

impl Default for VatSettings {
    fn default() -> Self {
        let rule = |code| VatRule {
            enabled: false,
            sales: code,
            carriage: code,
        };
        VatSettings {
            base: rule(1),
            eu: rule(1),
            eu_vat_reg: rule(4),
            row: rule(0),
        }
    }
}

/// Which kind of amount a tax code is wanted for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Charge {
    Goods,
    Carriage,
}

impl VatSettings {
    /// The tax code the destination imposes, if a matching rule is enabled.
    ///
    /// "Same as company address" (docs/zynk-reference.md §6.40) is read as "same country as the company". Rules apply
    /// only to country codes in Sage's country list (docs/zynk-reference.md §5.9).
    pub(crate) fn code_for(
        &self,
        destination_country: &str,
        company_country: &str,
        customer_has_vat_number: bool,
        charge: Charge,
    ) -> Option<i32> {
        let country = destination_country.trim().to_ascii_uppercase();
        if country.is_empty() || !is_known_country(&country) {
            return None;
        }
        let rule = if country.eq_ignore_ascii_case(company_country.trim()) {
            self.base
        } else if is_eu_country(&country) {
            if customer_has_vat_number && self.eu_vat_reg.enabled {
                self.eu_vat_reg
            } else {
                self.eu
            }
        } else {
            self.row
        };
        rule.enabled.then_some(match charge {
            Charge::Goods => rule.sales,
            Charge::Carriage => rule.carriage,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enabled() -> VatSettings {
        let mut settings = VatSettings::default();
        settings.base.enabled = true;
        settings.eu.enabled = true;
        settings.eu_vat_reg.enabled = true;
        settings.row.enabled = true;
        settings
    }

    #[test]
    fn destination_picks_the_rule() {
        let settings = enabled();
        assert_eq!(settings.code_for("GB", "GB", false, Charge::Goods), Some(1));
        assert_eq!(settings.code_for("FR", "GB", false, Charge::Goods), Some(1));
        assert_eq!(
            settings.code_for("fr", "GB", true, Charge::Carriage),
            Some(4)
        );
        assert_eq!(settings.code_for("US", "GB", true, Charge::Goods), Some(0));
        assert_eq!(
            settings.code_for("QQ", "GB", false, Charge::Goods),
            None,
            "unknown country"
        );
        assert_eq!(
            VatSettings::default().code_for("US", "GB", false, Charge::Goods),
            None
        );
    }
}
