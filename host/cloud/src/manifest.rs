//! The signed component manifest: what `wharf deploy` put under `<customer>/components/`, each
//! object by its SHA-256, signed with an asymmetric KMS key. The Lambda checks every component
//! and every precompiled (native) component against it before using one, so an object written
//! by anyone but a deployer holding the key is refused before it runs — even one that carries
//! matching `wharf-sha256` metadata, which whoever writes an object sets.
//!
//! The manifest and its signature are one object (`manifest.json`), so a reader never pairs a
//! new manifest with an old signature. The signature is over the SHA-256 of the payload's bytes
//! (KMS `Sign` with `MessageType=DIGEST`, `ECDSA_SHA_256`); the verifier asks KMS with the key
//! *it* was configured with, never with the key the object names.

use aws_sdk_kms::Client;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{MessageType, SigningAlgorithmSpec};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// The signing algorithm: an ECC_NIST_P256 key (see `infra/`).
pub const ALGORITHM: &str = "ECDSA_SHA_256";

/// What the manifest vouches for: object key (under the customer's prefix) → SHA-256 (hex),
/// and what each component says about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub customer: String,
    pub objects: BTreeMap<String, String>,
    /// Component object key → its `describe` answer, for the component with that SHA-256: the
    /// function checks a workflow's tasks against these and loads a component only when a task
    /// first calls it. Absent from manifests written before it (and by older deployers, which
    /// drop it when they re-sign): the function then loads such a component to describe it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub descriptions: BTreeMap<String, Description>,
}

/// A component's description as deployed: its SHA-256 (hex) and what it said about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Description {
    pub sha256: String,
    pub info: wharf_engine::runtime::TaskInfo,
}

/// The stored object: the manifest as signed text, and its signature.
#[derive(Debug, Serialize, Deserialize)]
struct Signed {
    payload: String,
    key_id: String,
    algorithm: String,
    signature: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error(
        "no signed component manifest at s3://{bucket}/{key}: deploy with `wharf deploy --signing-key` (the function's WHARF_SIGNING_KEY)"
    )]
    Missing { bucket: String, key: String },
    #[error("the component manifest is not valid JSON: {0}")]
    Malformed(String),
    #[error(
        "the component manifest's signature does not verify with the signing key {key_id}: it was not written by a deployer holding that key; nothing from it is used"
    )]
    BadSignature { key_id: String },
    #[error("the component manifest is for customer `{found}`, not `{expected}`")]
    WrongCustomer { expected: String, found: String },
    #[error("KMS {operation} with key {key_id}: {message}")]
    Kms {
        operation: &'static str,
        key_id: String,
        message: String,
    },
    #[error(
        "s3://{bucket}/{key} is not in the signed component manifest: refused (redeploy with `wharf deploy --signing-key`)"
    )]
    NotListed { bucket: String, key: String },
    #[error(
        "s3://{bucket}/{key} does not match the signed component manifest (SHA-256 {found}, signed {expected}): refused, it was changed after deployment"
    )]
    Mismatch {
        bucket: String,
        key: String,
        expected: String,
        found: String,
    },
}

impl Manifest {
    pub const FORMAT: u32 = 1;

    pub fn new(customer: &str) -> Self {
        Manifest {
            format: Self::FORMAT,
            customer: customer.to_string(),
            objects: BTreeMap::new(),
            descriptions: BTreeMap::new(),
        }
    }

    /// What the component at `key` says about itself, if the manifest describes the component
    /// it vouches for there (a description of other content, left by an earlier deploy, is
    /// not used).
    pub fn description(&self, key: &str) -> Option<&Description> {
        let d = self.descriptions.get(key)?;
        (self.objects.get(key) == Some(&d.sha256)).then_some(d)
    }

    /// Checks that `sha256` is what the manifest holds for `key`.
    pub fn check(&self, bucket: &str, key: &str, sha256: &str) -> Result<(), ManifestError> {
        match self.objects.get(key) {
            None => Err(ManifestError::NotListed {
                bucket: bucket.to_string(),
                key: key.to_string(),
            }),
            Some(expected) if expected != sha256 => Err(ManifestError::Mismatch {
                bucket: bucket.to_string(),
                key: key.to_string(),
                expected: expected.clone(),
                found: sha256.to_string(),
            }),
            Some(_) => Ok(()),
        }
    }
}

/// Signs (at deploy) and verifies (in the Lambda) manifests with one KMS key.
#[derive(Debug, Clone)]
pub struct ManifestKey {
    kms: Client,
    key_id: String,
    /// The last stored object that verified (its SHA-256) and its manifest, shared by the
    /// clones of this key: a warm function asks KMS again only when the object changed.
    verified: Arc<Mutex<Option<VerifiedManifest>>>,
}

/// A stored manifest object's SHA-256 and the manifest it verified as.
type VerifiedManifest = ([u8; 32], Manifest);

impl ManifestKey {
    pub fn new(kms: Client, key_id: impl Into<String>) -> Self {
        ManifestKey {
            kms,
            key_id: key_id.into(),
            verified: Arc::default(),
        }
    }

    /// A KMS client on Wharf's shared SDK configuration; `endpoint_url` for a KMS-compatible
    /// server (tests), else the SDK's own resolution.
    pub async fn client(region: Option<&str>, endpoint_url: Option<&str>) -> Client {
        Self::client_from(&wharf_s3_store::sdk_config(region).await, endpoint_url)
    }

    /// [`ManifestKey::client`] on an SDK configuration the caller loaded and shares.
    pub fn client_from(sdk: &wharf_s3_store::SdkConfig, endpoint_url: Option<&str>) -> Client {
        let mut config = aws_sdk_kms::config::Builder::from(sdk);
        if let Some(url) = endpoint_url {
            config = config.endpoint_url(url);
        }
        Client::from_conf(config.build())
    }

    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    fn kms_error<E>(
        &self,
        operation: &'static str,
        e: aws_sdk_kms::error::SdkError<E>,
    ) -> ManifestError
    where
        E: aws_sdk_kms::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        ManifestError::Kms {
            operation,
            key_id: self.key_id.clone(),
            message: wharf_s3_store::Cause::of(&e).text,
        }
    }

    /// The stored object for `manifest`.
    pub async fn sign(&self, manifest: &Manifest) -> Result<Vec<u8>, ManifestError> {
        let payload = serde_json::to_string_pretty(manifest)
            .map_err(|e| ManifestError::Malformed(e.to_string()))?;
        let digest = Sha256::digest(payload.as_bytes());
        let out = self
            .kms
            .sign()
            .key_id(&self.key_id)
            .message(Blob::new(digest.to_vec()))
            .message_type(MessageType::Digest)
            .signing_algorithm(SigningAlgorithmSpec::EcdsaSha256)
            .send()
            .await
            .map_err(|e| self.kms_error("Sign", e))?;
        let signature = out
            .signature()
            .map(|b| b.as_ref().to_vec())
            .unwrap_or_default();
        let signed = Signed {
            payload,
            key_id: out.key_id().unwrap_or(&self.key_id).to_string(),
            algorithm: ALGORITHM.to_string(),
            signature: base64::engine::general_purpose::STANDARD.encode(signature),
        };
        serde_json::to_vec_pretty(&signed).map_err(|e| ManifestError::Malformed(e.to_string()))
    }

    /// The manifest in a stored object, if its signature verifies with this key and it is for
    /// `customer`.
    /// The same bytes verified before (by this key or a clone) are not sent to KMS again:
    /// their signature cannot have changed.
    pub async fn verify(&self, object: &[u8], customer: &str) -> Result<Manifest, ManifestError> {
        let object_digest: [u8; 32] = Sha256::digest(object).into();
        let known = self
            .verified
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .filter(|(d, _)| *d == object_digest)
            .map(|(_, m)| m.clone());
        let manifest = match known {
            Some(manifest) => manifest,
            None => {
                let manifest = self.verify_with_kms(object).await?;
                *self.verified.lock().unwrap_or_else(|p| p.into_inner()) =
                    Some((object_digest, manifest.clone()));
                manifest
            }
        };
        if manifest.customer != customer {
            return Err(ManifestError::WrongCustomer {
                expected: customer.to_string(),
                found: manifest.customer,
            });
        }
        Ok(manifest)
    }

    /// The manifest in a stored object, if KMS says its signature is this key's.
    async fn verify_with_kms(&self, object: &[u8]) -> Result<Manifest, ManifestError> {
        let signed: Signed =
            serde_json::from_slice(object).map_err(|e| ManifestError::Malformed(e.to_string()))?;
        let bad = || ManifestError::BadSignature {
            key_id: self.key_id.clone(),
        };
        if signed.algorithm != ALGORITHM {
            return Err(bad());
        }
        let signature = base64::engine::general_purpose::STANDARD
            .decode(signed.signature.as_bytes())
            .map_err(|_| bad())?;
        let digest = Sha256::digest(signed.payload.as_bytes());
        let verified = self
            .kms
            .verify()
            .key_id(&self.key_id)
            .message(Blob::new(digest.to_vec()))
            .message_type(MessageType::Digest)
            .signature(Blob::new(signature))
            .signing_algorithm(SigningAlgorithmSpec::EcdsaSha256)
            .send()
            .await;
        match verified {
            Ok(out) if out.signature_valid() => {}
            Ok(_) => return Err(bad()),
            // KMS answers an invalid signature with KMSInvalidSignatureException.
            Err(e)
                if aws_sdk_kms::error::ProvideErrorMetadata::code(&e)
                    == Some("KMSInvalidSignatureException") =>
            {
                return Err(bad());
            }
            Err(e) => return Err(self.kms_error("Verify", e)),
        }
        serde_json::from_str(&signed.payload).map_err(|e| ManifestError::Malformed(e.to_string()))
    }
}
