//! A blocking HTTP client for one repository of one registry: auth challenges, redirects, retries.

use std::collections::HashMap;
use std::io::Read;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use ureq::http::{self, Response, StatusCode};

use super::auth::{self, Challenge, Credentials};
use super::tls;
use crate::error::{Error, Result};
use crate::image::OpenOptions;
use crate::reference::Reference;

/// Attempts per request when the registry answers 429/5xx or the connection drops.
pub(crate) const MAX_ATTEMPTS: u32 = 4;
/// Longest wait a `Retry-After` can ask for.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);
/// Redirects followed per request.
const MAX_REDIRECTS: u32 = 5;
/// Largest token response and error body read.
const MAX_SMALL_RESPONSE: u64 = 1 << 20;
/// Longest bearer token accepted.
const MAX_TOKEN_LEN: usize = 64 << 10;

/// Bearer tokens fetched in this run, by realm, service, scope and user.
fn token_cache() -> &'static Mutex<HashMap<String, String>> {
    static TOKENS: OnceLock<Mutex<HashMap<String, String>>> = OnceLock::new();
    TOKENS.get_or_init(Default::default)
}

/// Talks to one repository of one registry.
pub(crate) struct Client {
    /// For the registry's own origin (its certs.d CAs and client certificate; unverified TLS where
    /// plain HTTP would be allowed anyway).
    registry_agent: ureq::Agent,
    /// For every other origin: redirect targets, token services elsewhere.
    agent: ureq::Agent,
    /// The registry as the reference names it, for messages and credential look-up.
    registry: String,
    /// `host[:port]` of the API.
    host: String,
    /// Plain HTTP is allowed (loopback or listed insecure): HTTPS is tried first, then HTTP.
    plain_http: bool,
    /// `scheme://api-host`, decided at the first request.
    base: OnceLock<String>,
    repository: String,
    insecure: Vec<String>,
    opts: OpenOptions,
    credentials: OnceLock<Result<Option<Credentials>, String>>,
    /// The `Authorization` value that worked last (Basic or Bearer), sent only to the registry's host.
    authorization: Mutex<Option<String>>,
}

/// A request to the registry.
pub(crate) struct Request<'a> {
    /// Path below `/v2/<repo>/`, e.g. `manifests/latest`.
    pub path: String,
    pub accept: Option<&'a str>,
    /// Start offset (for resuming a blob).
    pub range_from: u64,
    /// What is requested, for error messages ("manifest latest of library/alpine at docker.io").
    pub what: &'a str,
}

fn agent_with(tls: ureq::tls::TlsConfig) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_connect(Some(Duration::from_secs(15)))
        .timeout_recv_response(Some(Duration::from_secs(60)))
        .timeout_recv_body(None)
        .timeout_per_read(Some(Duration::from_secs(60)))
        .user_agent(concat!("drydock/", env!("CARGO_PKG_VERSION")))
        .tls_config(tls)
        .build()
        .into()
}

impl Client {
    pub(crate) fn new(reference: &Reference, opts: &OpenOptions) -> Client {
        Client::with_cert_dirs(reference, opts, &tls::default_cert_dirs())
    }

    fn with_cert_dirs(reference: &Reference, opts: &OpenOptions, cert_dirs: &[PathBuf]) -> Client {
        let plain_http = reference.is_loopback()
            || opts
                .insecure_registries
                .iter()
                .any(|r| r == reference.registry() || r == reference.api_host());
        Client::build(reference, opts, cert_dirs, plain_http)
    }

    fn build(
        reference: &Reference,
        opts: &OpenOptions,
        cert_dirs: &[PathBuf],
        plain_http: bool,
    ) -> Client {
        Client {
            registry_agent: agent_with(tls::config_for(
                Some(reference.api_host()),
                cert_dirs,
                !plain_http,
            )),
            agent: agent_with(tls::config_for(None, cert_dirs, true)),
            registry: reference.registry().to_string(),
            host: reference.api_host().to_string(),
            plain_http,
            base: OnceLock::new(),
            repository: reference.repository().to_string(),
            insecure: opts.insecure_registries.clone(),
            opts: opts.clone(),
            credentials: OnceLock::new(),
            authorization: Mutex::new(None),
        }
    }

    /// `https://host`, or for registries allowed plain HTTP, whichever of HTTPS and HTTP answers
    /// (HTTPS first, as Docker does for insecure registries).
    fn base(&self) -> &str {
        self.base.get_or_init(|| {
            let https = format!("https://{}", self.host);
            if !self.plain_http {
                return https;
            }
            let probe = self
                .registry_agent
                .get(format!("{https}/v2/"))
                .config()
                .timeout_global(Some(Duration::from_secs(5)))
                .build()
                .call();
            match probe {
                Ok(_) => https,
                Err(_) => format!("http://{}", self.host),
            }
        })
    }

    /// The agent for a URL: the registry's own for its origin, the general one elsewhere.
    fn agent_for(&self, url: &str) -> &ureq::Agent {
        if origin(url) == origin(self.base()) {
            &self.registry_agent
        } else {
            &self.agent
        }
    }

    /// The registry, for messages.
    pub(crate) fn registry(&self) -> &str {
        &self.registry
    }

    fn credentials(&self) -> Result<Option<Credentials>> {
        self.credentials
            .get_or_init(|| {
                auth::lookup(&self.registry, &self.repository, &self.opts)
                    .map_err(|e| e.to_string())
            })
            .clone()
            .map_err(Error::Usage)
    }

    fn registry_error(&self, reason: impl Into<String>) -> Error {
        Error::Registry {
            registry: self.registry.clone(),
            reason: reason.into(),
        }
    }

    /// Sends a GET, answering auth challenges, following redirects and retrying transient failures.
    /// Returns only 2xx responses; every failure becomes an error that names the registry and `what`.
    pub(crate) fn get(&self, req: &Request<'_>) -> Result<Response<ureq::Body>> {
        let url = format!("{}/v2/{}/{}", self.base(), self.repository, req.path);
        let mut auth_tried = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let resp = match self.send_following(&url, req) {
                Ok(r) => r,
                Err(Failure::Transient(_)) if attempt < MAX_ATTEMPTS => {
                    std::thread::sleep(backoff(attempt));
                    continue;
                }
                Err(Failure::Transient(reason)) => {
                    return Err(Error::Unreachable {
                        registry: self.registry.clone(),
                        reason: format!(
                            "{reason} (after {attempt} attempts), fetching {}",
                            req.what
                        ),
                    });
                }
                Err(Failure::Fatal(e)) => return Err(e),
            };
            let status = resp.status();
            if status.is_success() {
                return Ok(resp);
            }
            match status.as_u16() {
                401 if !auth_tried => {
                    auth_tried = true;
                    self.authenticate(&resp, req.what)?;
                    attempt -= 1;
                }
                401 | 403 => {
                    let detail = error_detail(resp);
                    let who = match self.credentials().ok().flatten() {
                        Some(c) if !c.username().is_empty() => {
                            format!("user {} was refused", c.username())
                        }
                        Some(_) => "the configured token was refused".to_string(),
                        None => format!("no credentials are configured for {}", self.registry),
                    };
                    return Err(Error::Unauthorized {
                        registry: self.registry.clone(),
                        reason: format!(
                            "{who} ({} {} for {}{})",
                            status.as_u16(),
                            status.canonical_reason().unwrap_or(""),
                            req.what,
                            detail.map(|d| format!(": {d}")).unwrap_or_default()
                        ),
                    });
                }
                404 => return Err(Error::NotFound(req.what.to_string())),
                429 | 500 | 502 | 503 | 504 if attempt < MAX_ATTEMPTS => {
                    let wait = retry_after(&resp).unwrap_or_else(|| backoff(attempt));
                    drop(resp);
                    std::thread::sleep(wait);
                }
                code => {
                    let detail = error_detail(resp);
                    let tries = if matches!(code, 429 | 500 | 502 | 503 | 504) {
                        format!(" (after {attempt} attempts)")
                    } else {
                        String::new()
                    };
                    return Err(self.registry_error(format!(
                        "{}: HTTP {code} {}{}{tries}",
                        req.what,
                        status.canonical_reason().unwrap_or(""),
                        detail.map(|d| format!(": {d}")).unwrap_or_default(),
                    )));
                }
            }
        }
    }

    /// One request, following redirects; the registry's `Authorization` goes only to the registry's host.
    fn send_following(
        &self,
        url: &str,
        req: &Request<'_>,
    ) -> Result<Response<ureq::Body>, Failure> {
        let registry_origin = origin(self.base());
        let mut url = url.to_string();
        for _ in 0..=MAX_REDIRECTS {
            let mut builder = self
                .agent_for(&url)
                .get(&url)
                .header("Accept-Encoding", "identity");
            if let Some(accept) = req.accept {
                builder = builder.header("Accept", accept);
            }
            if req.range_from > 0 {
                builder = builder.header("Range", format!("bytes={}-", req.range_from));
            }
            if origin(&url) == registry_origin
                && let Some(a) = self.authorization.lock().expect("auth lock").clone()
            {
                builder = builder.header("Authorization", a);
            }
            let resp = builder
                .call()
                .map_err(|e| self.transport_failure(&url, req.what, e))?;
            if !resp.status().is_redirection() || resp.status() == StatusCode::NOT_MODIFIED {
                return Ok(resp);
            }
            let location = resp
                .headers()
                .get(http::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| {
                    Failure::Fatal(
                        self.registry_error(format!("{}: redirect without a Location", req.what)),
                    )
                })?;
            let next = resolve_location(&url, location);
            if next.starts_with("http://") && !self.plain_http_allowed(&next) {
                return Err(Failure::Fatal(self.registry_error(format!(
                    "{}: refusing to follow a redirect to plain HTTP ({})",
                    req.what,
                    origin(&next)
                ))));
            }
            if !next.starts_with("http://") && !next.starts_with("https://") {
                return Err(Failure::Fatal(self.registry_error(format!(
                    "{}: redirect to an unsupported URL",
                    req.what
                ))));
            }
            url = next;
        }
        Err(Failure::Fatal(self.registry_error(format!(
            "{}: too many redirects",
            req.what
        ))))
    }

    fn plain_http_allowed(&self, url: &str) -> bool {
        let host = origin(url);
        let host = host.split_once("://").map_or(host.as_str(), |(_, h)| h);
        let bare = host.rsplit_once(':').map_or(host, |(h, _)| h);
        matches!(bare, "localhost" | "[::1]")
            || bare
                .parse::<std::net::Ipv4Addr>()
                .is_ok_and(|ip| ip.is_loopback())
            || self.insecure.iter().any(|r| r == host)
    }

    fn transport_failure(&self, url: &str, what: &str, e: ureq::Error) -> Failure {
        let host = origin(url);
        let unreachable = |reason: String| {
            Failure::Fatal(Error::Unreachable {
                registry: self.registry.clone(),
                reason: format!("{reason} ({host}), fetching {what}"),
            })
        };
        match e {
            ureq::Error::HostNotFound => unreachable("host not found".to_string()),
            ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
                unreachable("connection refused".to_string())
            }
            ureq::Error::Io(io)
                if matches!(
                    io.kind(),
                    std::io::ErrorKind::ConnectionReset
                        | std::io::ErrorKind::ConnectionAborted
                        | std::io::ErrorKind::UnexpectedEof
                        | std::io::ErrorKind::BrokenPipe
                        | std::io::ErrorKind::TimedOut
                ) =>
            {
                Failure::Transient(io.to_string())
            }
            ureq::Error::Timeout(t) => Failure::Transient(format!("timed out ({t})")),
            ureq::Error::ConnectionFailed => unreachable("connection failed".to_string()),
            ureq::Error::Tls(reason) => unreachable(format!("TLS: {reason}")),
            // Name resolution and other failures before any answer: nothing was said by the registry.
            ureq::Error::Io(io) => unreachable(with_tls_hint(io.to_string(), &self.host)),
            other => Failure::Fatal(self.registry_error(format!("{what}: {other}"))),
        }
    }

    /// Answers a 401 challenge: Basic with credentials, or Bearer by fetching a token from the realm.
    fn authenticate(&self, resp: &Response<ureq::Body>, what: &str) -> Result<()> {
        let unauthorized = |reason: String| Error::Unauthorized {
            registry: self.registry.clone(),
            reason,
        };
        let challenge = resp
            .headers()
            .get_all(http::header::WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(auth::parse_challenge)
            .min_by_key(|c| if c.scheme == "bearer" { 0 } else { 1 })
            .ok_or_else(|| {
                unauthorized(format!(
                    "401 for {what} without a usable WWW-Authenticate challenge"
                ))
            })?;
        let creds = self.credentials()?;
        let header = match challenge.scheme.as_str() {
            "basic" => {
                let c = creds.as_ref().ok_or_else(|| {
                    unauthorized(format!(
                        "{what} needs credentials and none are configured for {}",
                        self.registry
                    ))
                })?;
                c.basic_header().ok_or_else(|| {
                    unauthorized(
                        "the registry wants Basic auth but the credentials are a token".to_string(),
                    )
                })?
            }
            "bearer" => {
                if let Some(Credentials::RegistryToken(t)) = &creds {
                    format!("Bearer {t}")
                } else {
                    format!("Bearer {}", self.fetch_token(&challenge, creds.as_ref())?)
                }
            }
            other => {
                return Err(unauthorized(format!(
                    "unsupported auth scheme {other:?} for {what}"
                )));
            }
        };
        *self.authorization.lock().expect("auth lock") = Some(header);
        Ok(())
    }

    /// Docker's token protocol: GET the realm (Basic auth with the user's credentials, if any), or POST an
    /// OAuth2 refresh-token grant when the credentials are an identity token.
    fn fetch_token(&self, challenge: &Challenge, creds: Option<&Credentials>) -> Result<String> {
        let unauthorized = |reason: String| Error::Unauthorized {
            registry: self.registry.clone(),
            reason,
        };
        let realm = challenge
            .param("realm")
            .ok_or_else(|| unauthorized("Bearer challenge without a realm".to_string()))?;
        let realm_ok = realm.starts_with("https://")
            || (realm.starts_with("http://") && self.plain_http_allowed(realm));
        if !realm_ok {
            return Err(unauthorized(format!(
                "refusing token realm {realm:?}: not HTTPS"
            )));
        }
        let service = challenge.param("service").unwrap_or("");
        let scope = challenge
            .param("scope")
            .map(str::to_string)
            .unwrap_or_else(|| format!("repository:{}:pull", self.repository));
        let user = creds.map(Credentials::username).unwrap_or("");
        // Keyed by a hash of the credentials, so a token got with one password never serves another.
        let key = format!(
            "{realm}\n{service}\n{scope}\n{}",
            creds
                .map(|c| crate::digest::Digest::sha256_of(
                    format!("{c:?}{}", c.secret()).as_bytes()
                )
                .to_string())
                .unwrap_or_default()
        );
        let cached = token_cache()
            .lock()
            .expect("token cache lock")
            .get(&key)
            .cloned();
        // A cached token that was just refused is fetched again.
        let refused = self.authorization.lock().expect("auth lock").clone();
        if let Some(t) = cached
            && refused.as_deref() != Some(&format!("Bearer {t}"))
        {
            return Ok(t);
        }

        let what = format!("token from {}", origin(realm));
        let result = match creds {
            Some(Credentials::IdentityToken { token, .. }) => {
                let body = format!(
                    "grant_type=refresh_token&service={}&scope={}&client_id=drydock&refresh_token={}",
                    auth::query_escape(service),
                    auth::query_escape(&scope),
                    auth::query_escape(token)
                );
                self.agent_for(realm)
                    .post(realm)
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .send(body)
            }
            _ => {
                let sep = if realm.contains('?') { '&' } else { '?' };
                let mut url = format!("{realm}{sep}scope={}", auth::query_escape(&scope));
                if !service.is_empty() {
                    url.push_str(&format!("&service={}", auth::query_escape(service)));
                }
                let mut b = self.agent_for(realm).get(&url);
                if let Some(c) = creds
                    && let Some(h) = c.basic_header()
                {
                    url.push_str(&format!("&account={}", auth::query_escape(c.username())));
                    b = self.agent_for(realm).get(&url).header("Authorization", h);
                }
                b.call()
            }
        };
        let resp = result.map_err(|e| match self.transport_failure(realm, &what, e) {
            Failure::Fatal(e) => e,
            Failure::Transient(r) => self.registry_error(format!("{what}: {r}")),
        })?;
        let status = resp.status();
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            return Err(unauthorized(format!(
                "the token service refused {} ({})",
                if user.is_empty() {
                    "anonymous access".to_string()
                } else {
                    format!("user {user}")
                },
                status.as_u16()
            )));
        }
        if !status.is_success() {
            return Err(self.registry_error(format!("{what}: HTTP {}", status.as_u16())));
        }
        #[derive(serde::Deserialize)]
        struct TokenResponse {
            #[serde(default)]
            token: Option<String>,
            #[serde(default)]
            access_token: Option<String>,
        }
        let bytes = resp
            .into_body()
            .into_with_config()
            .limit(MAX_SMALL_RESPONSE)
            .read_to_vec()
            .map_err(|e| self.registry_error(format!("{what}: {e}")))?;
        let parsed: TokenResponse = serde_json::from_slice(&bytes)
            .map_err(|e| self.registry_error(format!("{what}: malformed response: {e}")))?;
        let token = parsed
            .token
            .filter(|t| !t.is_empty())
            .or(parsed.access_token.filter(|t| !t.is_empty()))
            .ok_or_else(|| self.registry_error(format!("{what}: response holds no token")))?;
        if token.len() > MAX_TOKEN_LEN || !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(self.registry_error(format!("{what}: token is too long or not printable")));
        }
        token_cache()
            .lock()
            .expect("token cache lock")
            .insert(key, token.clone());
        Ok(token)
    }
}

/// Says what to do about the TLS failures users can fix themselves.
fn with_tls_hint(reason: String, host: &str) -> String {
    let hint = if reason.contains("UnknownIssuer") || reason.contains("invalid peer certificate") {
        format!(
            "; if the registry uses a private CA, put it in /etc/docker/certs.d/{host}/ca.crt or the system CA bundle"
        )
    } else if reason.contains("BadCertificate") || reason.contains("CertificateRequired") {
        format!(
            "; the registry may want a client certificate: /etc/docker/certs.d/{host}/client.cert and client.key"
        )
    } else {
        return reason;
    };
    format!("{reason}{hint}")
}

/// Why a single send failed.
enum Failure {
    /// Worth another attempt (connection reset, timeout).
    Transient(String),
    Fatal(Error),
}

/// 0.5 s, 1 s, 2 s…
fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(500u64 << attempt.saturating_sub(1).min(6))
}

/// `Retry-After` in seconds, capped.
fn retry_after(resp: &Response<ureq::Body>) -> Option<Duration> {
    let value = resp
        .headers()
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?;
    parse_retry_after(value, std::time::SystemTime::now()).map(|d| d.min(MAX_RETRY_AFTER))
}

/// `Retry-After` is seconds or an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`).
fn parse_retry_after(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let mut it = value.split_whitespace().skip(1);
    let day: i64 = it.next()?.parse().ok()?;
    let month = match it.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i64 = it.next()?.parse().ok()?;
    let mut hms = it.next()?.split(':').map(|x| x.parse::<i64>().ok());
    let (h, m, sec) = (hms.next()??, hms.next()??, hms.next()??);
    if it.next()? != "GMT" || !(1..=31).contains(&day) || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    // Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
    let (y, mo) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * mo + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let at = u64::try_from(days * 86_400 + h * 3600 + m * 60 + sec).ok()?;
    let now = now.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    Some(Duration::from_secs(at.saturating_sub(now)))
}

/// The first message of a registry's JSON error body, if it has one.
fn error_detail(resp: Response<ureq::Body>) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Errors {
        errors: Vec<ErrorEntry>,
    }
    #[derive(serde::Deserialize)]
    struct ErrorEntry {
        #[serde(default)]
        code: String,
        #[serde(default)]
        message: String,
    }
    let mut bytes = Vec::new();
    resp.into_body()
        .into_reader()
        .take(64 << 10)
        .read_to_end(&mut bytes)
        .ok()?;
    let e: Errors = serde_json::from_slice(&bytes).ok()?;
    let first = e.errors.into_iter().next()?;
    let msg: String = format!("{} {}", first.code, first.message)
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(300)
        .collect();
    Some(msg).filter(|m| !m.is_empty())
}

/// `scheme://host[:port]` of a URL.
fn origin(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    format!(
        "{}://{}",
        scheme.to_ascii_lowercase(),
        host.to_ascii_lowercase()
    )
}

/// Resolves a `Location` against the URL that answered.
fn resolve_location(current: &str, location: &str) -> String {
    if location.contains("://") {
        location.to_string()
    } else if location.starts_with("//") {
        let scheme = current.split_once("://").map_or("https", |(s, _)| s);
        format!("{scheme}:{location}")
    } else if location.starts_with('/') {
        format!("{}{location}", origin(current))
    } else {
        let base = current.rsplit_once('/').map_or(current, |(b, _)| b);
        format!("{base}/{location}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        let now = std::time::UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(
            parse_retry_after("Sun, 06 Foo 1994 08:49:47 GMT", now),
            None
        );
    }

    #[test]
    fn plain_http_only_where_allowed() {
        let opts = OpenOptions {
            insecure_registries: vec!["registry.internal:5000".into()],
            ..Default::default()
        };
        let client = |r: &str| Client::with_cert_dirs(&r.parse().unwrap(), &opts, &[]);
        assert!(client("registry.internal:5000/team/app").plain_http);
        assert!(client("127.0.0.1:5000/team/app").plain_http);
        assert!(client("localhost/app").plain_http);
        assert!(!client("registry.internal:5001/team/app").plain_http);
        assert!(!client("ghcr.io/team/app").plain_http);
        // HTTPS-only registries are decided without touching the network; Docker Hub's API host is used.
        let hub = client("alpine");
        assert_eq!(hub.base(), "https://registry-1.docker.io");
        assert_eq!(hub.registry(), "docker.io");
        assert!(!hub.plain_http_allowed("http://cdn.example/blob"));
        assert!(hub.plain_http_allowed("http://127.0.0.1:9/blob"));
        assert!(
            client("registry.internal:5001/x")
                .plain_http_allowed("http://registry.internal:5000/x")
        );
    }

    fn tiny_registry_image(reg: &drydock_testkit::registry::Registry, dir: &std::path::Path) {
        let layout = drydock_testkit::registry::tiny_layout(dir, "amd64", "tls\n");
        reg.push_layout(&layout, "tls/app:1", drydock_testkit::registry::Format::Oci);
    }

    #[test]
    fn client_certificate_from_certs_d() {
        let tmp = tempfile::tempdir().unwrap();
        let reg = drydock_testkit::registry::Registry::start_mtls();
        tiny_registry_image(&reg, tmp.path());
        let reference: Reference = reg.reference("tls/app:1").parse().unwrap();
        let req = Request {
            path: "manifests/1".into(),
            accept: Some(crate::oci::media::MANIFEST_ACCEPT),
            range_from: 0,
            what: "manifest 1",
        };
        let certs_d = tmp.path().join("certs.d");
        let host_dir = certs_d.join(reg.host());
        std::fs::create_dir_all(&host_dir).unwrap();
        for f in ["ca.crt", "client.cert", "client.key"] {
            std::fs::copy(reg.client_cert_dir().unwrap().join(f), host_dir.join(f)).unwrap();
        }
        let with_cert = Client::build(
            &reference,
            &OpenOptions::default(),
            std::slice::from_ref(&certs_d),
            false,
        );
        assert!(with_cert.get(&req).unwrap().status().is_success());

        std::fs::remove_file(host_dir.join("client.cert")).unwrap();
        let without = Client::build(
            &reference,
            &OpenOptions::default(),
            std::slice::from_ref(&certs_d),
            false,
        );
        let err = without.get(&req).unwrap_err();
        assert!(matches!(err, Error::Unreachable { .. }), "{err}");
        assert!(err.to_string().contains("client.cert"), "{err}");
    }

    #[test]
    fn verified_tls_trusts_certs_d_and_nothing_else() {
        let tmp = tempfile::tempdir().unwrap();
        let reg = drydock_testkit::registry::Registry::start_tls();
        tiny_registry_image(&reg, tmp.path());
        let reference: Reference = reg.reference("tls/app:1").parse().unwrap();
        let opts = OpenOptions::default();
        let req = Request {
            path: "manifests/1".into(),
            accept: Some(crate::oci::media::MANIFEST_ACCEPT),
            range_from: 0,
            what: "manifest 1",
        };

        // Verification on (as for any non-loopback registry), the CA only in certs.d/<host:port>/.
        let certs_d = tmp.path().join("certs.d");
        std::fs::create_dir_all(certs_d.join(reg.host())).unwrap();
        std::fs::copy(
            reg.tls_ca().unwrap(),
            certs_d.join(reg.host()).join("ca.crt"),
        )
        .unwrap();
        let trusted = Client::build(&reference, &opts, std::slice::from_ref(&certs_d), false);
        let resp = trusted.get(&req).unwrap();
        assert!(resp.status().is_success());

        let untrusted = Client::build(&reference, &opts, &[], false);
        let err = untrusted.get(&req).unwrap_err();
        assert!(matches!(err, Error::Unreachable { .. }), "{err}");
        assert!(err.to_string().contains("ca.crt"), "{err}");
    }

    #[test]
    fn urls() {
        assert_eq!(
            origin("https://Reg.io:5000/v2/a/blobs/x"),
            "https://reg.io:5000"
        );
        assert_eq!(
            resolve_location("https://reg.io/v2/a/blobs/x", "/store/x"),
            "https://reg.io/store/x"
        );
        assert_eq!(
            resolve_location("https://reg.io/v2/a/blobs/x", "https://cdn.example/x?sig=1"),
            "https://cdn.example/x?sig=1"
        );
        assert_eq!(
            resolve_location("https://reg.io/v2/a/blobs/x", "//cdn.example/x"),
            "https://cdn.example/x"
        );
        assert_eq!(backoff(1), Duration::from_millis(500));
        assert_eq!(backoff(3), Duration::from_secs(2));
    }
}
