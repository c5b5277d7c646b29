//! Derive macros of `wharf-guest` (use them through its re-exports).
//!
//! * `#[derive(TaskSettings)]` on a struct with named fields: each field is one setting (or, with
//!   `#[setting(flatten)]`, a group of them); the macro writes both the setting specs a
//!   component's `describe` returns and the typed `parse` its `run` starts with.
//! * `#[derive(SettingChoice)]` on an enum of unit variants: a `choice` setting's values.
//!
//! The generated code names only `::wharf_guest` items; the rules (kinds, defaults, error
//! wording) live in `wharf_guest::settings`, so this crate only turns attributes into calls.

use proc_macro::TokenStream;
use proc_macro2::TokenStream as Tokens;
use quote::{ToTokens, quote};
use syn::{
    Attribute, Data, DeriveInput, Expr, ExprLit, ExprRange, ExprUnary, Fields, Lit, LitStr,
    RangeLimits, UnOp, parse_macro_input, spanned::Spanned,
};

/// Declares a task's settings once. See `wharf_guest::TaskSettings` for the attributes.
#[proc_macro_derive(TaskSettings, attributes(setting))]
pub fn derive_task_settings(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    task_settings(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Declares the values of a `choice` setting. See `wharf_guest::SettingChoice`.
#[proc_macro_derive(SettingChoice, attributes(choice))]
pub fn derive_setting_choice(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    setting_choice(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// What one field's `#[setting(...)]` attributes say.
#[derive(Default)]
struct FieldOptions {
    rename: Option<String>,
    default: Option<String>,
    minimum: Option<Expr>,
    maximum: Option<Expr>,
    non_empty: bool,
    kind: Option<Tokens>,
    flatten: bool,
    skip: bool,
    doc: Option<Expr>,
}

fn task_settings(input: &DeriveInput) -> syn::Result<Tokens> {
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new(
            input.span(),
            "TaskSettings is derived for a struct with named fields",
        ));
    };
    let Fields::Named(fields) = &data.fields else {
        return Err(syn::Error::new(
            input.span(),
            "TaskSettings is derived for a struct with named fields",
        ));
    };
    let name = &input.ident;
    let (impl_generics, type_generics, where_clause) = input.generics.split_for_impl();
    let mut specs = Vec::new();
    let mut reads = Vec::new();
    for field in &fields.named {
        let ident = field.ident.as_ref().expect("named field");
        let ty = &field.ty;
        let options = field_options(&field.attrs)?;
        if options.skip {
            reads.push(quote! {
                #ident: ::std::default::Default::default(),
            });
            continue;
        }
        if options.flatten {
            specs.push(quote! {
                specs.extend(<#ty as ::wharf_guest::TaskSettings>::specs());
            });
            reads.push(quote! {
                #ident: <#ty as ::wharf_guest::TaskSettings>::parse(settings)?,
            });
            continue;
        }
        let setting_name = options
            .rename
            .clone()
            .unwrap_or_else(|| ident.to_string().trim_start_matches("r#").replace('_', "-"));
        let doc = match &options.doc {
            Some(expr) => quote!(#expr),
            None => {
                let text = doc_text(&field.attrs);
                if text.is_empty() {
                    return Err(syn::Error::new(
                        field.span(),
                        "a setting needs a doc comment (or `#[setting(doc = ...)]`): it is the setting's documentation in `wharf tasks`",
                    ));
                }
                quote!(#text)
            }
        };
        let default = option_tokens(options.default.as_ref().map(|d| quote!(#d)));
        let minimum = option_tokens(options.minimum.as_ref().map(|e| quote!((#e) as i64)));
        let maximum = option_tokens(options.maximum.as_ref().map(|e| quote!((#e) as i64)));
        let kind = option_tokens(options.kind.clone());
        let non_empty = options.non_empty;
        let field_const = quote! {
            ::wharf_guest::settings::Field {
                name: #setting_name,
                doc: #doc,
                default: #default,
                minimum: #minimum,
                maximum: #maximum,
                non_empty: #non_empty,
                kind: #kind,
            }
        };
        specs.push(quote! {
            specs.push(::wharf_guest::settings::Field::spec::<#ty>(&#field_const));
        });
        reads.push(quote! {
            #ident: ::wharf_guest::settings::Field::read::<#ty>(&#field_const, settings)?,
        });
    }
    Ok(quote! {
        impl #impl_generics ::wharf_guest::TaskSettings for #name #type_generics #where_clause {
            fn specs() -> ::std::vec::Vec<::wharf_guest::SettingSpec> {
                let mut specs = ::std::vec::Vec::new();
                #(#specs)*
                specs
            }

            fn parse(
                settings: &::wharf_guest::Settings,
            ) -> ::std::result::Result<Self, ::wharf_guest::SettingError> {
                ::std::result::Result::Ok(Self { #(#reads)* })
            }
        }
    })
}

fn option_tokens(value: Option<Tokens>) -> Tokens {
    match value {
        Some(value) => quote!(::std::option::Option::Some(#value)),
        None => quote!(::std::option::Option::None),
    }
}

fn field_options(attrs: &[Attribute]) -> syn::Result<FieldOptions> {
    let mut options = FieldOptions::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("setting")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                options.rename = Some(meta.value()?.parse::<LitStr>()?.value());
            } else if meta.path.is_ident("default") {
                let expr: Expr = meta.value()?.parse()?;
                options.default = Some(literal_text(&expr)?);
            } else if meta.path.is_ident("range") {
                let expr: Expr = meta.value()?.parse()?;
                let Expr::Range(ExprRange {
                    start, limits, end, ..
                }) = &expr
                else {
                    return Err(syn::Error::new(
                        expr.span(),
                        "expected a range: `1..=8`, `1..` or `..=8`",
                    ));
                };
                if end.is_some() && matches!(limits, RangeLimits::HalfOpen(_)) {
                    return Err(syn::Error::new(
                        expr.span(),
                        "write the range with its last value included: `1..=8`",
                    ));
                }
                options.minimum = start.as_deref().cloned();
                options.maximum = end.as_deref().cloned();
            } else if meta.path.is_ident("non_empty") {
                options.non_empty = true;
            } else if meta.path.is_ident("flatten") {
                options.flatten = true;
            } else if meta.path.is_ident("skip") {
                options.skip = true;
            } else if meta.path.is_ident("doc") {
                options.doc = Some(meta.value()?.parse()?);
            } else if meta.path.is_ident("kind") {
                let kind: syn::Ident = meta.value()?.parse()?;
                let variant = match kind.to_string().as_str() {
                    "text" => quote!(Text),
                    "file" => quote!(File),
                    "folder" => quote!(Folder),
                    "integer" => quote!(Integer),
                    "boolean" => quote!(Boolean),
                    "choice" => quote!(Choice),
                    "date_time" => quote!(DateTime),
                    _ => {
                        return Err(syn::Error::new(
                            kind.span(),
                            "kinds: text, file, folder, integer, boolean, choice, date_time",
                        ));
                    }
                };
                options.kind = Some(quote!(::wharf_guest::SettingKind::#variant));
            } else {
                return Err(meta.error(
                    "unknown setting attribute (rename, default, range, non_empty, kind, flatten, skip, doc)",
                ));
            }
            Ok(())
        })?;
    }
    Ok(options)
}

/// A default's text as the host shows and passes it: `200`, `-1`, `true`, `Number`.
fn literal_text(expr: &Expr) -> syn::Result<String> {
    match expr {
        Expr::Lit(ExprLit { lit, .. }) => match lit {
            Lit::Str(text) => Ok(text.value()),
            Lit::Int(number) => Ok(number.base10_digits().to_owned()),
            Lit::Bool(flag) => Ok(flag.value.to_string()),
            _ => Err(syn::Error::new(
                lit.span(),
                "a default is a string, a whole number or a bool",
            )),
        },
        Expr::Unary(ExprUnary {
            op: UnOp::Neg(_),
            expr,
            ..
        }) => Ok(format!("-{}", literal_text(expr)?)),
        _ => Err(syn::Error::new(
            expr.span(),
            "a default is a string, a whole number or a bool",
        )),
    }
}

/// The doc comment's lines joined by single spaces: one line of text for `wharf tasks`.
fn doc_text(attrs: &[Attribute]) -> String {
    let mut lines = Vec::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident("doc")) {
        if let syn::Meta::NameValue(pair) = &attr.meta
            && let Expr::Lit(ExprLit {
                lit: Lit::Str(text),
                ..
            }) = &pair.value
        {
            let line = text.value();
            let line = line.trim();
            if !line.is_empty() {
                lines.push(line.to_owned());
            }
        }
    }
    lines.join(" ")
}

fn setting_choice(input: &DeriveInput) -> syn::Result<Tokens> {
    let Data::Enum(data) = &input.data else {
        return Err(syn::Error::new(
            input.span(),
            "SettingChoice is derived for an enum of unit variants",
        ));
    };
    let name = &input.ident;
    let mut variants = Vec::new();
    let mut spellings = Vec::new();
    for variant in &data.variants {
        if !matches!(variant.fields, Fields::Unit) {
            return Err(syn::Error::new(
                variant.span(),
                "a choice is a unit variant (no fields)",
            ));
        }
        let mut spelling = variant.ident.to_string();
        for attr in variant.attrs.iter().filter(|a| a.path().is_ident("choice")) {
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("rename") {
                    spelling = meta.value()?.parse::<LitStr>()?.value();
                    Ok(())
                } else {
                    Err(meta.error("unknown choice attribute (rename)"))
                }
            })?;
        }
        variants.push(variant.ident.to_token_stream());
        spellings.push(spelling);
    }
    Ok(quote! {
        impl #name {
            /// Every value, in the order `describe` lists them.
            pub const ALL: &'static [#name] = &[#(#name::#variants),*];

            /// The value as workflows spell it.
            pub fn as_str(self) -> &'static str {
                match self { #(#name::#variants => #spellings,)* }
            }
        }

        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::wharf_guest::SettingChoice for #name {
            const SPELLINGS: &'static [&'static str] = &[#(#spellings),*];

            fn from_index(index: usize) -> ::std::option::Option<Self> {
                #name::ALL.get(index).copied()
            }
        }

        impl ::wharf_guest::SettingValue for #name {
            const KIND: ::wharf_guest::SettingKind = ::wharf_guest::SettingKind::Choice;

            fn allowed_values() -> ::std::vec::Vec<::std::string::String> {
                <Self as ::wharf_guest::SettingChoice>::SPELLINGS
                    .iter()
                    .map(|spelling| (*spelling).to_owned())
                    .collect()
            }

            fn parse_value(value: &str) -> ::std::result::Result<Self, ::std::string::String> {
                ::wharf_guest::settings::parse_choice::<Self>(value)
            }
        }
    })
}
