//! A web that answers every request with one response, for native unit tests.

use std::path::Path;

use super::{Header, HttpFailure, Request, RequestBody, Response, Web};

/// Answers every request with a fixed response (or failure), writing the body to the request's
/// output file as the host does, and remembers the requests.
#[derive(Debug, Clone)]
pub struct FakeWeb {
    /// The status every answer has.
    pub status: u16,
    /// The answer's headers.
    pub headers: Vec<(String, String)>,
    /// The answer's body.
    pub body: Vec<u8>,
    /// When set, every request fails so instead.
    pub failure: Option<HttpFailure>,
    /// The requests sent, oldest first.
    pub sent: Vec<Request>,
    /// The URL the answers name.
    pub url: String,
}

impl FakeWeb {
    /// A web answering `status` with `body`.
    pub fn answering(status: u16, body: &[u8]) -> Self {
        FakeWeb {
            status,
            headers: Vec::new(),
            body: body.to_vec(),
            failure: None,
            sent: Vec::new(),
            url: "http://shop.test/".into(),
        }
    }

    /// Adds a header to the answers.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

impl Web for FakeWeb {
    fn send(&mut self, request: Request) -> Result<Response, HttpFailure> {
        if let RequestBody::File(path) = &request.body
            && !Path::new(path).is_file()
        {
            return Err(HttpFailure {
                kind: super::FailureKind::Failed,
                message: format!("the body file `{path}` does not exist"),
            });
        }
        let output = request.output_file.clone();
        self.sent.push(request);
        if let Some(failure) = self.failure.clone() {
            return Err(failure);
        }
        if let Some(output) = output
            && let Err(e) = std::fs::write(&output, &self.body)
        {
            return Err(HttpFailure {
                kind: super::FailureKind::Failed,
                message: format!("cannot write `{output}`: {e}"),
            });
        }
        Ok(Response {
            status: self.status,
            headers: self
                .headers
                .iter()
                .map(|(name, value)| Header {
                    name: name.clone(),
                    value: value.clone(),
                })
                .collect(),
            body_length: self.body.len() as u64,
            body_start: self.body.clone(),
            url: self.url.clone(),
        })
    }
}

/// A web whose started requests are sent only when finished, as the host may answer them late
/// (native tests of tasks that start requests ahead): wraps another stand-in.
#[derive(Debug)]
pub struct Deferred<W> {
    /// The web the requests go to.
    pub web: W,
    started: Vec<Option<Request>>,
    /// The most requests that were started and not finished at once.
    pub most_started: usize,
}

impl<W: Web> Deferred<W> {
    /// `web`, its started requests deferred.
    pub fn new(web: W) -> Self {
        Deferred {
            web,
            started: Vec::new(),
            most_started: 0,
        }
    }
}

impl<W: Web> Web for Deferred<W> {
    fn send(&mut self, request: Request) -> Result<Response, HttpFailure> {
        self.web.send(request)
    }

    fn start(&mut self, request: Request) -> super::Pending {
        self.started.push(Some(request));
        let open = self.started.iter().filter(|r| r.is_some()).count();
        self.most_started = self.most_started.max(open);
        super::Pending::Host(self.started.len() as u32 - 1)
    }

    fn finish(&mut self, pending: super::Pending) -> Result<Response, HttpFailure> {
        match pending {
            super::Pending::Answered(answer) => answer,
            super::Pending::Host(n) => {
                let request = self
                    .started
                    .get_mut(n as usize)
                    .and_then(Option::take)
                    .expect("each started request is finished once");
                self.web.send(request)
            }
        }
    }
}
