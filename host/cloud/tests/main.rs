//! wharf-cloud's tests: the bucket layout, `deploy` and the Lambda's fetcher against a real moto
//! server (one per test binary, a bucket per test), and the runtime's precompiled files.

mod support;

mod deploy;
mod fetch;
mod layout;
mod precompiled;
