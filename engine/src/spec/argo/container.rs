//! Argo `container`, `script` and `http` templates -> what the executor runs.

use std::collections::BTreeMap;

use super::{placeholders, workflow};
use crate::spec::{Arg, Container, Daemon, Probe, Resources, SpecError, quantity};

/// An `http` template as the request it sends, placeholders parsed.
pub(super) fn http_call(t: &workflow::Template) -> Result<crate::spec::HttpCall, SpecError> {
    let http = t.http.as_ref().expect("checked by the caller");
    let pieces = |field: &str, text: &str| {
        placeholders::parse_pieces(text).map_err(|e| SpecError::component(&t.name, format!("http.{field}"), e))
    };
    if let Some(condition) = &http.success_condition {
        crate::runs::expr::compile(condition).map_err(|e| SpecError::component(&t.name, "http.successCondition", e))?;
    }
    Ok(crate::spec::HttpCall {
        method: http.method.clone().unwrap_or_else(|| "GET".into()).to_uppercase(),
        url: pieces("url", &http.url)?,
        headers: http
            .headers
            .iter()
            .map(|h| Ok((h.name.clone(), pieces(&format!("headers.{}", h.name), h.value.as_str())?)))
            .collect::<Result<_, SpecError>>()?,
        body: http.body.as_deref().map(|b| pieces("body", b)).transpose()?,
        success_condition: http.success_condition.clone(),
        timeout_seconds: http.timeout_seconds.unwrap_or(30).clamp(1, 3600),
    })
}

/// A `container` or `script` template as the process it runs.
pub(super) fn container(
    template: &str,
    c: &workflow::ContainerTemplate,
    script: Option<&str>,
) -> Result<Container, SpecError> {
    let script = script
        .map(|source| {
            placeholders::parse_pieces(source).map_err(|e| SpecError::component(template, "script.source", e))
        })
        .transpose()?;
    let argv = c
        .command
        .iter()
        .map(|a| ("command", a))
        .chain(c.args.iter().map(|a| ("args", a)))
        .map(|(field, raw)| {
            placeholders::parse_pieces(raw).map(Arg::Concat).map_err(|e| SpecError::component(template, field, e))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let env = c
        .env
        .iter()
        .map(|v| {
            placeholders::parse_pieces(v.value.as_str())
                .map(|p| (v.name.clone(), p))
                .map_err(|e| SpecError::component(template, format!("env.{}", v.name), e))
        })
        .collect::<Result<_, _>>()?;
    Ok(Container {
        image: c.image.clone(),
        argv,
        env,
        resources: convert_resources(template, &c.resources)?,
        script,
        stdout_result: true,
        daemon: None,
    })
}

/// A `daemon: true` container's readiness: its probe, run against the
/// local process (ports are this machine's).
pub(super) fn daemon(template: &str, c: &workflow::ContainerTemplate) -> Result<Daemon, SpecError> {
    let Some(probe) = &c.readiness_probe else {
        return Ok(Daemon::default());
    };
    let here = |problem: String| SpecError::component(template, "readinessProbe", problem);
    let port = |port: &crate::spec::text::Text| -> Result<u16, SpecError> {
        port.0.parse::<u16>().ok().filter(|p| *p > 0).map_or_else(
            || {
                c.ports
                    .iter()
                    .find(|p| p.name.as_deref() == Some(port.0.as_str()))
                    .map(|p| p.container_port)
                    .ok_or_else(|| here(format!("port {:?} is neither a number nor a named container port", port.0)))
            },
            Ok,
        )
    };
    let check = match (&probe.http_get, &probe.tcp_socket, &probe.exec) {
        (Some(http), None, None) => {
            let path = if http.path.is_empty() { "/".to_owned() } else { http.path.clone() };
            if !path.starts_with('/') {
                return Err(here(format!("httpGet.path {path:?} must start with /")));
            }
            Probe::Http { path, port: port(&http.port)? }
        }
        (None, Some(tcp), None) => Probe::Tcp { port: port(&tcp.port)? },
        (None, None, Some(exec)) if !exec.command.is_empty() => Probe::Exec { argv: exec.command.clone() },
        _ => return Err(here("needs exactly one of httpGet, tcpSocket, exec (with a command)".into())),
    };
    Ok(Daemon { probe: Some(check), initial_delay_seconds: probe.initial_delay_seconds })
}

fn convert_resources(template: &str, r: &workflow::Resources) -> Result<Resources, SpecError> {
    let get = |key: &str| r.requests.get(key).or_else(|| r.limits.get(key)).map(|v| v.0.clone());
    let bad = |field: &str, v: &str| {
        SpecError::component(template, format!("resources.{field}"), format!("{v:?} is not a quantity"))
    };
    Ok(Resources {
        from_inputs: BTreeMap::new(),
        cpu_milli: get("cpu").map(|c| quantity::cpu_milli(&c).ok_or_else(|| bad("cpu", &c))).transpose()?,
        memory_bytes: get("memory").map(|m| quantity::bytes(&m).ok_or_else(|| bad("memory", &m))).transpose()?,
        gpus: get("nvidia.com/gpu")
            .or_else(|| get("amd.com/gpu"))
            .map(|g| g.parse().map_err(|_| bad("gpu", &g)))
            .transpose()?
            .unwrap_or(0),
    })
}
