//! The moto server the tests run against, and helpers to look into the bucket directly.
//!
//! One moto server per test binary, started on first use on a free port of 127.0.0.1, through
//! peers/moto_server_atomic.py: moto's own server with its check-then-write conditional requests
//! serialised, as S3 decides them (plain moto lets two racing `If-None-Match: *` writers both
//! win now and then, which the lock race tests catch). Every test
//! works in a bucket of its own, so tests run in parallel without resetting each other. The
//! server runs under a small shell watchdog that stops it as soon as this process's end of its
//! stdin pipe closes: when the guard is dropped, and also when the test process exits or is
//! killed (a `static` is never dropped).

use std::path::PathBuf;
use wharf_s3_store::{S3Store, S3StoreConfig};

pub const CUSTOMER: &str = "acme";
pub const REGION: &str = "eu-west-1";
/// moto accepts any credentials; a distinctive secret lets tests check it never shows in errors.
pub const SECRET: &str = "wharf-secret-7f3a9c";

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub use wharf_test_peers::Moto;

/// The shared moto server; the first call also sets the AWS environment the SDK reads, moto
/// and [`REGION`] included.
pub fn moto() -> &'static Moto {
    wharf_test_peers::moto_with_aws_env(SECRET, Some(REGION))
}

pub use wharf_test_peers::unique;

/// A store in `bucket` that finds moto through `AWS_ENDPOINT_URL` (as a deployment would).
pub fn store(bucket: &str, workflow: &str) -> S3Store {
    moto();
    let mut cfg = S3StoreConfig::new(bucket, CUSTOMER, workflow);
    cfg.force_path_style = true;
    S3Store::new(cfg).expect("S3 store")
}

/// A store whose requests go to `endpoint` (a fault proxy).
pub fn store_at(endpoint: &str, bucket: &str, workflow: &str) -> S3Store {
    moto();
    let mut cfg = S3StoreConfig::new(bucket, CUSTOMER, workflow);
    cfg.force_path_style = true;
    cfg.endpoint_url = Some(endpoint.to_string());
    cfg.region = Some(REGION.to_string());
    S3Store::new(cfg).expect("S3 store")
}

/// Direct access to the bucket, bypassing the store's logic.
pub struct Bucket {
    pub name: String,
    store: S3Store,
    rt: tokio::runtime::Runtime,
}

/// Creates a fresh bucket (with a LocationConstraint, as outside us-east-1 on AWS).
pub fn bucket(prefix: &str) -> Bucket {
    let name = unique(prefix);
    let b = Bucket {
        store: store(&name, "inspect"),
        name,
        rt: tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap(),
    };
    b.create_bucket();
    b
}

pub struct Object {
    pub key: String,
    pub size: u64,
    pub etag: String,
    pub last_modified: aws_sdk_s3::primitives::DateTime,
}

impl Bucket {
    fn block<F, Fut, T>(&self, f: F) -> T
    where
        F: FnOnce(aws_sdk_s3::Client, String) -> Fut,
        Fut: std::future::Future<Output = T>,
    {
        self.rt
            .block_on(f(self.store.client().clone(), self.name.clone()))
    }

    pub fn create_bucket(&self) {
        self.block(
            |c, name| async move { wharf_test_peers::create_bucket(&c, &name, REGION).await },
        );
    }

    /// Deletes the (empty) bucket.
    pub fn delete_bucket(&self) {
        self.block(|c, name| async move {
            c.delete_bucket()
                .bucket(name)
                .send()
                .await
                .expect("delete bucket");
        });
    }

    pub fn put(&self, key: &str, body: impl Into<Vec<u8>>) {
        let body = body.into();
        self.block(|c, b| async move {
            c.put_object()
                .bucket(b)
                .key(key)
                .body(body.into())
                .send()
                .await
                .expect("put");
        });
    }

    pub fn get(&self, key: &str) -> Option<Vec<u8>> {
        self.block(|c, b| async move {
            match c.get_object().bucket(b).key(key).send().await {
                Ok(o) => Some(o.body.collect().await.expect("body").into_bytes().to_vec()),
                Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => None,
                Err(e) => panic!("get {key}: {e:?}"),
            }
        })
    }

    /// Every object under `prefix`, in key order.
    pub fn objects(&self, prefix: &str) -> Vec<Object> {
        self.block(|c, b| async move {
            let mut out = Vec::new();
            let mut pages = c
                .list_objects_v2()
                .bucket(b)
                .prefix(prefix)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                for o in page.expect("list").contents() {
                    out.push(Object {
                        key: o.key().unwrap().to_string(),
                        size: o.size().unwrap_or(0) as u64,
                        etag: o.e_tag().unwrap_or_default().to_string(),
                        last_modified: *o.last_modified().unwrap(),
                    });
                }
            }
            out
        })
    }

    /// Keys under `prefix`, relative to it.
    pub fn keys(&self, prefix: &str) -> Vec<String> {
        self.objects(prefix)
            .into_iter()
            .map(|o| o.key[prefix.len()..].to_string())
            .collect()
    }

    /// Multipart uploads started and never completed or aborted.
    pub fn open_uploads(&self) -> usize {
        self.block(|c, b| async move {
            c.list_multipart_uploads()
                .bucket(b)
                .send()
                .await
                .expect("list uploads")
                .uploads()
                .len()
        })
    }
}

/// Deterministic, incompressible-enough content of `len` bytes.
pub fn content(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}
