//! The moto server, a bucket per test, engines over the built components, and a folder to
//! write workflows into.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use wharf_cloud::{ComponentFetcher, Deployment, ManifestKey};
use wharf_engine::{ComponentSource, Engine, Runtime, RuntimeConfig};

pub const CUSTOMER: &str = "acme";
pub const REGION: &str = "eu-west-1";
/// moto accepts any credentials; a distinctive secret lets tests check it never shows in errors.
pub const SECRET: &str = "wharf-secret-5d81e2";

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The built components (`make components`).
pub fn components_dir() -> PathBuf {
    let dir = repo_root().join("target/components");
    assert!(
        dir.join("copy-file.wasm").is_file(),
        "{} has no components: build them first with `make components`",
        dir.display()
    );
    dir
}

pub fn component(task: &str) -> PathBuf {
    components_dir().join(format!("{task}.wasm"))
}

/// The shared moto server; the first call also sets the AWS environment the SDK reads, moto
/// and [`REGION`] included.
pub fn moto() -> &'static wharf_test_peers::Moto {
    wharf_test_peers::moto_with_aws_env(SECRET, Some(REGION))
}

pub use wharf_test_peers::unique;

/// The compiled-component cache the tests share (so each component compiles once).
pub fn shared_cache() -> PathBuf {
    repo_root().join("target/test-component-cache")
}

pub fn runtime(cache: Option<&Path>) -> Runtime {
    Runtime::new(RuntimeConfig {
        cache_dir: cache.map(Path::to_path_buf),
    })
    .expect("runtime")
}

/// An engine over the built components whose `sftp` capability knows the connections in
/// `connections` (a file, possibly missing), as `wharf deploy` builds it.
pub fn engine(connections: Option<&Path>) -> Engine {
    let conns = match connections {
        Some(p) => wharf_sftp::Connections::load(p).expect("connections"),
        None => wharf_sftp::Connections::default(),
    };
    let sftp = wharf_sftp::SftpCapability::new(conns).expect("sftp capability");
    let runtime = Runtime::with_capabilities(
        RuntimeConfig {
            cache_dir: Some(shared_cache()),
        },
        vec![Arc::new(wharf_archive::ArchiveCapability), Arc::new(sftp)],
    )
    .expect("runtime");
    Engine::new(
        runtime,
        ComponentSource {
            dirs: vec![components_dir()],
        },
    )
}

/// Where a test deploys: `bucket`, customer [`CUSTOMER`], moto found through the environment.
pub fn target(bucket: &str) -> Deployment {
    moto();
    let mut d = Deployment::new(bucket, CUSTOMER);
    d.force_path_style = true;
    d
}

pub fn fetcher(bucket: &str, folder: &Path) -> ComponentFetcher {
    ComponentFetcher::for_deployment(&target(bucket), folder).expect("fetcher")
}

/// Runs `fut` to its end on a runtime of its own (test set-up).
pub fn block_on<T>(fut: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(fut)
}

/// The KMS key (in moto) that signs the tests' component manifests, created once.
pub fn manifest_key() -> ManifestKey {
    static KEY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let endpoint = moto().endpoint();
    block_on(async {
        let kms = ManifestKey::client(Some(REGION), Some(&endpoint)).await;
        let id = match KEY.get() {
            Some(id) => id.clone(),
            None => KEY
                .get_or_init(|| {
                    let kms = kms.clone();
                    std::thread::spawn(move || block_on(wharf_test_peers::create_signing_key(&kms)))
                        .join()
                        .unwrap()
                })
                .clone(),
        };
        ManifestKey::new(kms, id)
    })
}

/// [`target`] with the manifest signed by [`manifest_key`].
pub fn signed_target(bucket: &str) -> Deployment {
    let mut d = target(bucket);
    d.signing_key = Some(manifest_key().key_id().to_string());
    d
}

/// [`fetcher`] that checks everything against the manifest [`manifest_key`] signed.
pub fn signed_fetcher(bucket: &str, folder: &Path) -> ComponentFetcher {
    fetcher(bucket, folder).verified_by(manifest_key())
}

/// Direct access to a bucket of the test's own, bypassing the crate.
pub struct Bucket {
    pub name: String,
    client: aws_sdk_s3::Client,
    rt: tokio::runtime::Runtime,
}

/// Creates a fresh bucket (with a LocationConstraint, as outside us-east-1 on AWS).
pub fn bucket(prefix: &str) -> Bucket {
    moto();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = rt
        .block_on(wharf_cloud::s3_client(None, true, None))
        .expect("client");
    let b = Bucket {
        name: unique(prefix),
        client,
        rt,
    };
    b.rt.block_on(wharf_test_peers::create_bucket(&b.client, &b.name, REGION));
    b
}

impl Bucket {
    /// Every key in the bucket, in order.
    pub fn keys(&self) -> Vec<String> {
        self.rt.block_on(async {
            let mut out = Vec::new();
            let mut pages = self
                .client
                .list_objects_v2()
                .bucket(&self.name)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                for o in page.expect("list").contents() {
                    out.push(o.key().unwrap().to_string());
                }
            }
            out
        })
    }

    pub fn get(&self, key: &str) -> Option<Vec<u8>> {
        self.rt.block_on(async {
            match self
                .client
                .get_object()
                .bucket(&self.name)
                .key(key)
                .send()
                .await
            {
                Ok(o) => Some(o.body.collect().await.expect("body").into_bytes().to_vec()),
                Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => None,
                Err(e) => panic!("get {key}: {e:?}"),
            }
        })
    }

    /// The object's `wharf-sha256` metadata.
    pub fn sha256_meta(&self, key: &str) -> Option<String> {
        self.rt.block_on(async {
            let h = self
                .client
                .head_object()
                .bucket(&self.name)
                .key(key)
                .send()
                .await
                .expect("head");
            h.metadata()
                .and_then(|m| m.get(wharf_cloud::SHA256_META))
                .cloned()
        })
    }

    /// Writes an object, tagged with its SHA-256 as the crate tags its own.
    pub fn put(&self, key: &str, bytes: Vec<u8>) {
        let sha = wharf_test_peers::sha256_hex(&bytes);
        self.rt
            .block_on(
                self.client
                    .put_object()
                    .bucket(&self.name)
                    .key(key)
                    .metadata(wharf_cloud::SHA256_META, sha)
                    .body(bytes.into())
                    .send(),
            )
            .expect("put");
    }

    pub fn delete(&self, key: &str) {
        self.rt
            .block_on(
                self.client
                    .delete_object()
                    .bucket(&self.name)
                    .key(key)
                    .send(),
            )
            .expect("delete");
    }
}

/// A folder to write a test's workflow, connections and mappings files into.
pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    pub fn new() -> Self {
        Project {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// A workflow granting the `shop` SFTP connection, with two components (one used twice).
pub const ORDERS: &str = r#"name: Orders
tasks:
  - task: sftp-download
    grants: ["sftp:shop"]
    settings: { directory: /download, filename: a.xml, output-file: a.xml }
  - task: copy-file
    settings: { input-file: a.xml, output-file: b.xml }
  - task: copy-file
    settings: { input-file: b.xml, output-file: c.xml }
"#;

/// A connections file with the `shop` connection; its secret is a reference.
pub const CONNECTIONS: &str = "sftp:
  shop:
    server: sftp.example.co.uk
    username: zynk
    password: { env: SHOP_SFTP_PASSWORD }
    host-key: \"SHA256:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG\"
";

pub const MAPPINGS: &str = "Carriers:\n  - [DHL, CARR01]\n  - [UPS, CARR02]\n";
