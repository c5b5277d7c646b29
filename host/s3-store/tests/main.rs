//! The S3 backend against a real moto server on 127.0.0.1 (no mocks). Install moto first with
//! `bash host/s3-store/peers/install-moto.sh`; the workflow test also needs the components
//! (`make components guests`).

mod archive;
mod checkpoint;
mod faults;
mod lock;
mod prefetch;
mod proxy {
    pub use wharf_test_peers::proxy::*;
}
mod records;
mod run_cache;
mod staging;
mod support;
mod truth;
mod workflow;
