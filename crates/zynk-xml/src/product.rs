//! `Products/Product`, the stock record (docs/zynk-reference.md §3.5).

use crate::codec::XmlDateTime;
use crate::contact::{CustomField, ZynkError};
use crate::record::zynk_record;
use crate::sales_order::ItemType;
use crate::tree::Element;

zynk_record! {
    /// `ProductQtyBreaks/ProductQtyBreak`: one level of a discount table.
    pub struct ProductQtyBreak = "ProductQtyBreak", key "Reference" {
        /// Discount table A–E.
        value "Reference" reference: Option<String>,
        value "Quantity" quantity: Option<f64>,
        value "DiscountPercentage" discount_percentage: Option<f64>,
    }
}

zynk_record! {
    /// `ProductBoms/ProductBom`.
    pub struct ProductBom = "ProductBom", key "Sku" {
        value "Sku" sku: Option<String>,
        value "Quantity" quantity: Option<f64>,
    }
}

zynk_record! {
    /// `Attributes/Attribute`.
    pub struct ProductAttribute = "Attribute", key "Name" {
        value "Name" name: Option<String>,
        value "Value" value: Option<String>,
    }
}

zynk_record! {
    /// `Attachments/Attachment` (only with Export Attachments).
    pub struct Attachment = "Attachment", key "Name" {
        value "Name" name: Option<String>,
        /// Base64 file content.
        value "File" file: Option<String>,
    }
}

zynk_record! {
    /// A stock record (docs/zynk-reference.md §3.5). Written in the order of the Sage 50 product exports.
    pub struct Product = "Product", key "Sku" {
        errors "Errors" errors: Vec<ZynkError> ["Error"],
        /// Product code (key).
        value "Sku" sku: Option<String>,
        /// `[X]` = Sku in exports.
        value "UniqueId" unique_id: Option<String>,
        /// XSD 1.1 only; kept as text because files leave it empty.
        value "Id" id: Option<String>,
        value "Barcode" barcode: Option<String>,
        /// Sage "Description".
        value "Name" name: Option<String>,
        /// Web description.
        value "Description" description: Option<String>,
        /// Web details.
        value "LongDescription" long_description: Option<String>,
        value "ImageUrl" image_url: Option<String>,
        value "ThumbnailUrl" thumbnail_url: Option<String>,
        value "Custom1" custom1: Option<String>,
        value "Custom2" custom2: Option<String>,
        value "Custom3" custom3: Option<String>,
        value "SalePrice" sale_price: Option<f64>,
        value "UnitWeight" unit_weight: Option<f64>,
        /// On create only: the opening balance. Never changes existing stock.
        value "QtyInStock" qty_in_stock: Option<f64>,
        value "QtyOnOrder" qty_on_order: Option<f64>,
        value "ReorderQty" reorder_qty: Option<f64>,
        value "ReorderLvl" reorder_level: Option<f64>,
        value "TaxCode" tax_code: Option<i32>,
        /// Stock category number.
        value "GroupCode" group_code: Option<i32>,
        value "GroupName" group_name: Option<String>,
        value "Department" department: Option<i32>,
        value "UnitOfSale" unit_of_sale: Option<String>,
        /// Sales nominal.
        value "NominalCode" nominal_code: Option<String>,
        /// Sage "Publish to Web".
        value "Publish" publish: Option<bool>,
        value "ProductLevel" product_level: Option<i32>,
        value "SpecialOffer" special_offer: Option<bool>,
        value "QtyAllocated" qty_allocated: Option<f64>,
        value "ImageName" image_name: Option<String>,
        value "LastCostPrice" last_cost_price: Option<f64>,
        value "LastCostPriceDiscounted" last_cost_price_discounted: Option<f64>,
        value "QtyLastOrder" qty_last_order: Option<f64>,
        value "AverageCostPrice" average_cost_price: Option<f64>,
        value "StandardCostPrice" standard_cost_price: Option<f64>,
        value "RRPPrice" rrp_price: Option<f64>,
        value "ItemType" item_type: Option<ItemType>,
        list "Attachments" attachments: Vec<Attachment> ["Attachment"],
        value "DateModified" date_modified: Option<XmlDateTime>,
        value "InactiveDate" inactive_date: Option<XmlDateTime>,
        value "IsActive" is_active: Option<bool>,
        raw "Dimensions" dimensions: Option<Element>,
        list "ProductBoms" product_boms: Vec<ProductBom> ["ProductBom"],
        raw "RelatedProducts" related_products: Option<Element>,
        raw "AlternativeProducts" alternative_products: Option<Element>,
        value "SupplierAccountRef" supplier_account_ref: Option<String>,
        value "SupplierDepartment" supplier_department: Option<i32>,
        list "ProductQtyBreaks" qty_breaks: Vec<ProductQtyBreak> ["ProductQtyBreak"],
        value "CommodityCode" commodity_code: Option<String>,
        value "IntrastatCommodityCode" intrastat_commodity_code: Option<String>,
        value "PurchaseNominalCode" purchase_nominal_code: Option<String>,
        value "Memo" memo: Option<String>,
        value "SupplierPartNo" supplier_part_no: Option<String>,
        value "Location" location: Option<String>,
        value "AllowSalesOrder" allow_sales_order: Option<bool>,
        list "Attributes" attributes: Vec<ProductAttribute> ["Attribute"],
        raw "UnitsOfMeasure" units_of_measure: Option<Element>,
        value "UseDescriptionOnDocs" use_description_on_docs: Option<bool>,
        raw "ProductSuppliers" product_suppliers: Option<Element>,
        list "CustomFields" custom_fields: Vec<CustomField> ["CustomField"],
        raw "AnalysisCodes" analysis_codes: Option<Element>,
        raw "SearchCategories" search_categories: Option<Element>,
    }
}
