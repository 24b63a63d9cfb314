//! Argo `http` templates: one HTTP request, allowed only toward the hosts in
//! the `http_allow_hosts` setting (none by default, so a workflow cannot make
//! the server call into its network). The response body is the output
//! `result`; `successCondition` (an expression over `response.statusCode`,
//! `response.body`) decides, else any 2xx status succeeds.

use std::time::Duration;

use serde_json::{Value, json};

use super::{
    Progress, RunContext, State,
    executor::Outcome,
    record::{self, TaskKey},
    values::Values,
};

/// Most bytes of a response body kept.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A request as the template asks for it, placeholders filled.
#[derive(Debug)]
pub struct Request {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The URL.
    pub url: String,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// The body, if any.
    pub body: Option<String>,
    /// Argo's `successCondition`.
    pub success_condition: Option<String>,
    /// Seconds before the request is given up.
    pub timeout_seconds: u64,
}

/// Whether `url`'s host is one of `allowed` (`example.com`, or
/// `*.example.com` for its subdomains).
pub fn host_allowed(url: &str, allowed: &[String]) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("http: {url:?} is not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!("http: the {}:// scheme is not allowed", parsed.scheme()));
    }
    let host = parsed.host_str().unwrap_or_default();
    let ok = allowed.iter().any(|a| match a.strip_prefix("*.") {
        Some(domain) => host.ends_with(&format!(".{domain}")),
        None => host == a,
    });
    if ok { Ok(()) } else { Err(format!("http: host {host:?} is not in the setting `http_allow_hosts`")) }
}

/// Sends the request and records the task.
pub(super) async fn run(ctx: &RunContext, name: &str, path: &str, request: Request) -> Outcome {
    let key = TaskKey { run_id: &ctx.run_id, path, name };
    let result = send(ctx, &request).await;
    let (state, outputs, reason) = match result {
        Ok(body) => {
            let outputs =
                Values { parameters: [("result".to_owned(), Value::String(body))].into(), ..Values::default() };
            (State::Succeeded, outputs, None)
        }
        Err(reason) => (State::Failed, Values::default(), Some(reason)),
    };
    if let Err(e) = record::task_ended(&ctx.store, key, state, &json!(outputs), None, reason.as_deref()).await {
        return Outcome::failed(format!("{path}: cannot record the request: {e}"));
    }
    ctx.report(Progress { path, state, attempts: 0, cached: false });
    let reason = reason.map(|r| format!("{path}: {r}"));
    Outcome { state, outputs, reason, exit_code: None, iterations: None, omitted: false }
}

async fn send(ctx: &RunContext, request: &Request) -> Result<String, String> {
    host_allowed(&request.url, &ctx.http_allow_hosts)?;
    let method = reqwest::Method::from_bytes(request.method.as_bytes())
        .map_err(|_| format!("http: {:?} is not an HTTP method", request.method))?;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(request.timeout_seconds))
        .build()
        .map_err(|e| format!("http: {e}"))?;
    let mut call = client.request(method, &request.url);
    for (name, value) in &request.headers {
        call = call.header(name, value);
    }
    if let Some(body) = &request.body {
        call = call.body(body.clone());
    }
    let response = tokio::select! {
        response = call.send() => response.map_err(|e| format!("http: {e}"))?,
        () = ctx.cancel.cancelled() => return Err("run canceled".to_owned()),
    };
    let status = response.status().as_u16();
    let mut body = Vec::new();
    let mut stream = response;
    while let Some(chunk) = stream.chunk().await.map_err(|e| format!("http: {e}"))? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_BODY_BYTES {
            return Err(format!("http: the response is larger than {MAX_BODY_BYTES} bytes"));
        }
    }
    let body = String::from_utf8_lossy(&body).into_owned();
    let succeeded = match &request.success_condition {
        Some(condition) => {
            let variables = json!({"response": {"statusCode": status, "body": body}});
            super::expr::evaluate(condition, &variables)? == "true"
        }
        None => (200..300).contains(&status),
    };
    if succeeded { Ok(body) } else { Err(format!("http: {} answered {status}", request.url)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_allowed_hosts() {
        let allowed = ["hooks.example.com".to_owned(), "*.internal".to_owned()];
        assert!(host_allowed("https://hooks.example.com/x", &allowed).is_ok());
        assert!(host_allowed("http://api.internal:8080/y", &allowed).is_ok());
        assert_eq!(
            host_allowed("http://169.254.169.254/latest", &allowed).unwrap_err(),
            "http: host \"169.254.169.254\" is not in the setting `http_allow_hosts`"
        );
        assert!(host_allowed("https://example.com.evil/", &allowed).is_err());
        assert!(host_allowed("file:///etc/passwd", &allowed).unwrap_err().contains("file:// scheme"));
    }
}
