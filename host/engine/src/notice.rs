//! A workflow's `on-failure:` block: who hears about a failed run, by e-mail through a named
//! SMTP connection and by a webhook POST through a named HTTP connection (docs/notify.md).
//! The host sends them once the run has ended; this is only what the workflow says.

use serde::Deserialize;

/// `on-failure:` as written and checked.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct OnFailure {
    pub email: Option<EmailNotice>,
    pub webhook: Option<WebhookNotice>,
    /// Where `wharf serve` is reached, for the link to the run's page (default: the
    /// `WHARF_SERVE_URL` environment variable, else serve's own default address).
    pub link: Option<String>,
}

/// A failure e-mail: the SMTP connection (`email:` in the connections file) and recipients.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct EmailNotice {
    pub connection: String,
    #[serde(deserialize_with = "one_or_many")]
    pub to: Vec<String>,
    /// The subject; default "<workflow>: <result>".
    pub subject: Option<String>,
}

/// A failure webhook: a JSON POST to a path under an HTTP connection's `base-url`, which also
/// supplies its credentials.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct WebhookNotice {
    pub connection: String,
    #[serde(default)]
    pub path: String,
}

fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(one) => vec![one],
        OneOrMany::Many(many) => many,
    })
}

impl OnFailure {
    /// Problems a run could only find when it fails, each naming its field.
    pub(crate) fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.email.is_none() && self.webhook.is_none() {
            out.push("on-failure: give `email:`, `webhook:` or both".into());
        }
        if let Some(email) = &self.email {
            if email.to.iter().all(|a| a.trim().is_empty()) {
                out.push("on-failure.email.to: give at least one address".into());
            }
            if email.connection.trim().is_empty() {
                out.push("on-failure.email.connection: name an `email:` connection".into());
            }
        }
        if let Some(hook) = &self.webhook
            && hook.connection.trim().is_empty()
        {
            out.push("on-failure.webhook.connection: name an `http:` connection".into());
        }
        if let Some(link) = &self.link
            && !(link.starts_with("http://") || link.starts_with("https://"))
        {
            out.push(format!(
                "on-failure.link: `{link}` is not an http:// or https:// address"
            ));
        }
        out
    }
}
