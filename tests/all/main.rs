//! Wharf's integration tests: one binary, a module per area. The components and hostile guests
//! they load are built by the `wharf-test-artifacts` dev-dependency (tests/artifacts) before
//! this compiles, or already by `make components guests`.

mod shop_harness;
mod support;

mod amazon;
mod auto_mapper;
mod bigcommerce;
mod bounds;
mod cli;
mod cloud;
mod components;
mod deploy;
mod documents;
mod email;
mod flow;
mod ftp;
mod history;
mod http;
mod kill_anywhere;
mod magento;
mod notify;
mod operate;
mod safety;
mod sage;
mod sage_ledger_tasks;
mod sage_safety;
mod sandbox;
mod schedule;
mod serve;
mod sftp;
mod sftp_to_sage;
mod sshd;
mod suspend;
mod templates;
mod website_to_sage;
mod wkf;
mod workflow_cases;
