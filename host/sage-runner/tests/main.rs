//! The runner as a separate process against a real moto server (S3 and SQS) on 127.0.0.1, no
//! mocks. Install moto first with `bash host/s3-store/peers/install-moto.sh` (`make peers`);
//! the components must be built (`make components`).

mod concurrent;
mod config;
mod crash;
mod heartbeat;
mod queues;
mod refused;
mod sdo;
mod support;
