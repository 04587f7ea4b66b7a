//! Registry credentials and authentication challenges.
//!
//! Credentials come from the files Docker and Podman write, in the order the containers tools use:
//! `auth.json` (`$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`,
//! `~/.config/containers/auth.json`), then Docker's `config.json` (`$DOCKER_CONFIG/config.json`,
//! `~/.docker/config.json`). When `OpenOptions` names a file, only the named files are read. In each file
//! `credHelpers` (per registry) and `credsStore` (default) run `docker-credential-<name> get`; `auths`
//! entries hold `auth` (base64 `user:pass`), `username`/`password`, `identitytoken` (an OAuth2 refresh
//! token) or `registrytoken` (a bearer token used as it is).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;

use crate::error::{Error, Result};
use crate::image::OpenOptions;
use crate::reference::DEFAULT_REGISTRY;

/// Largest credentials file read.
const MAX_CONFIG_FILE: u64 = 4 << 20;
/// Largest output taken from a credential helper.
const MAX_HELPER_OUTPUT: u64 = 256 << 10;
/// A credential helper that has not answered by then is killed.
const HELPER_TIMEOUT: Duration = Duration::from_secs(30);
/// The key Docker files use for Docker Hub.
const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";

/// What to authenticate with.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Credentials {
    /// A user name and password (or personal access token).
    Basic { username: String, password: String },
    /// An OAuth2 refresh token (Docker's `identitytoken`), exchanged at the token realm.
    IdentityToken { username: String, token: String },
    /// A bearer token to send as it is.
    RegistryToken(String),
}

impl std::fmt::Debug for Credentials {
    // Secrets never reach logs or error messages.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::Basic { username, .. } => write!(f, "Basic({username}, ***)"),
            Credentials::IdentityToken { username, .. } => {
                write!(f, "IdentityToken({username}, ***)")
            }
            Credentials::RegistryToken(_) => write!(f, "RegistryToken(***)"),
        }
    }
}

impl Credentials {
    /// The user name, for token requests and cache keys.
    pub(crate) fn username(&self) -> &str {
        match self {
            Credentials::Basic { username, .. } | Credentials::IdentityToken { username, .. } => {
                username
            }
            Credentials::RegistryToken(_) => "",
        }
    }

    /// The secret part, for telling credentials apart (never shown).
    pub(crate) fn secret(&self) -> &str {
        match self {
            Credentials::Basic { password, .. } => password,
            Credentials::IdentityToken { token, .. } | Credentials::RegistryToken(token) => token,
        }
    }

    /// The `Authorization` value for Basic auth, when these credentials allow it.
    pub(crate) fn basic_header(&self) -> Option<String> {
        match self {
            Credentials::Basic { username, password } => Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"))
            )),
            _ => None,
        }
    }
}

fn explicit(opts: &OpenOptions) -> bool {
    opts.auth_file.is_some() || opts.docker_config.is_some()
}

/// The files to look in, in order.
fn candidate_files(opts: &OpenOptions) -> Vec<PathBuf> {
    if explicit(opts) {
        return opts
            .auth_file
            .iter()
            .chain(opts.docker_config.iter())
            .cloned()
            .collect();
    }
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let home = env("HOME");
    let mut files = Vec::new();
    if let Some(f) = env("REGISTRY_AUTH_FILE") {
        files.push(f);
    }
    if let Some(d) = env("XDG_RUNTIME_DIR") {
        files.push(d.join("containers/auth.json"));
    }
    if let Some(d) = env("XDG_CONFIG_HOME").or_else(|| home.as_ref().map(|h| h.join(".config"))) {
        files.push(d.join("containers/auth.json"));
    }
    if let Some(d) = env("DOCKER_CONFIG") {
        files.push(d.join("config.json"));
    } else if let Some(h) = &home {
        files.push(h.join(".docker/config.json"));
    }
    files
}

/// Finds credentials for `registry` (as in the reference) and `repository`.
pub(crate) fn lookup(
    registry: &str,
    repository: &str,
    opts: &OpenOptions,
) -> Result<Option<Credentials>> {
    for file in candidate_files(opts) {
        let path = if file.is_dir() {
            file.join("config.json")
        } else {
            file
        };
        if !path.is_file() {
            // A file the user named must exist; the default places usually do not.
            if explicit(opts) {
                return Err(Error::NotFound(format!(
                    "credentials file {}",
                    path.display()
                )));
            }
            continue;
        }
        if let Some(c) = lookup_in_file(&path, registry, repository)? {
            return Ok(Some(c));
        }
    }
    Ok(None)
}

#[derive(serde::Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ConfigFile {
    #[serde(default)]
    auths: std::collections::BTreeMap<String, AuthEntry>,
    #[serde(default)]
    cred_helpers: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    creds_store: Option<String>,
}

#[derive(serde::Deserialize, Default)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
    #[serde(default)]
    registrytoken: Option<String>,
}

fn lookup_in_file(path: &Path, registry: &str, repository: &str) -> Result<Option<Credentials>> {
    let what = format!("credentials file {}", path.display());
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_CONFIG_FILE + 1).read_to_end(&mut bytes))
        .map_err(|e| Error::io(format!("reading {what}"), e))?;
    if bytes.len() as u64 > MAX_CONFIG_FILE {
        return Err(Error::malformed(what, "larger than 4 MiB"));
    }
    let config: ConfigFile =
        serde_json::from_slice(&bytes).map_err(|e| Error::malformed(&what, e))?;

    let helper = config
        .cred_helpers
        .iter()
        .find(|(k, _)| normalise_key(k) == registry)
        .map(|(_, v)| v.clone());
    if let Some(helper) = helper {
        return run_helper(&helper, registry);
    }

    // The most specific `auths` key wins: `host/ns/repo` over `host/ns` over `host`.
    let best = config
        .auths
        .iter()
        .filter_map(|(k, entry)| {
            let key = normalise_key(k);
            let matches = key == registry
                || key
                    .strip_prefix(registry)
                    .and_then(|rest| rest.strip_prefix('/'))
                    .is_some_and(|ns| {
                        repository == ns || repository.starts_with(&format!("{ns}/"))
                    });
            matches.then_some((key.len(), entry))
        })
        .max_by_key(|(len, _)| *len)
        .map(|(_, e)| e);
    let inline = match best {
        Some(entry) => from_entry(entry, &what)?,
        None => None,
    };
    if inline.is_some() {
        return Ok(inline);
    }
    if let Some(store) = &config.creds_store {
        return run_helper(store, registry);
    }
    Ok(None)
}

fn from_entry(entry: &AuthEntry, what: &str) -> Result<Option<Credentials>> {
    let (mut user, mut pass) = (entry.username.clone(), entry.password.clone());
    if let Some(auth) = entry.auth.as_deref().filter(|a| !a.is_empty()) {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(auth.trim())
            .map_err(|_| Error::malformed(what, "an `auth` entry is not base64"))?;
        let decoded = String::from_utf8(decoded)
            .map_err(|_| Error::malformed(what, "an `auth` entry is not UTF-8"))?;
        let (u, p) = decoded
            .split_once(':')
            .ok_or_else(|| Error::malformed(what, "an `auth` entry is not user:password"))?;
        user = Some(u.to_string());
        pass = Some(p.to_string());
    }
    if let Some(token) = entry.identitytoken.as_deref().filter(|t| !t.is_empty()) {
        return Ok(Some(Credentials::IdentityToken {
            username: user.unwrap_or_default(),
            token: token.to_string(),
        }));
    }
    if let Some(token) = entry.registrytoken.as_deref().filter(|t| !t.is_empty()) {
        return Ok(Some(Credentials::RegistryToken(token.to_string())));
    }
    match (user, pass) {
        (Some(username), Some(password)) if !username.is_empty() => {
            Ok(Some(Credentials::Basic { username, password }))
        }
        _ => Ok(None),
    }
}

/// `https://index.docker.io/v1/` → `docker.io`, `http://host:5000/` → `host:5000`, `host/ns` stays.
pub(crate) fn normalise_key(key: &str) -> String {
    let k = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let k = k.trim_end_matches('/');
    let k = k
        .strip_suffix("/v1")
        .or_else(|| k.strip_suffix("/v2"))
        .unwrap_or(k);
    let (host, rest) = match k.split_once('/') {
        Some((h, r)) => (h, Some(r)),
        None => (k, None),
    };
    let host = match host {
        "index.docker.io" | "registry-1.docker.io" | "docker.io" => DEFAULT_REGISTRY,
        h => h,
    };
    match rest {
        Some(r) => format!("{host}/{r}"),
        None => host.to_string(),
    }
}

/// Runs `docker-credential-<name> get` with the server URL on stdin.
fn run_helper(name: &str, registry: &str) -> Result<Option<Credentials>> {
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    {
        return Err(Error::Usage(format!(
            "credential helper name {name:?} is not a plain program name"
        )));
    }
    let server = if registry == DEFAULT_REGISTRY {
        DOCKER_HUB_KEY
    } else {
        registry
    };
    run_helper_program(Path::new(&format!("docker-credential-{name}")), server)
}

/// Runs a credential helper program (`<program> get`, server URL on stdin) and reads its answer.
fn run_helper_program(program: &Path, server: &str) -> Result<Option<Credentials>> {
    let program_name = program.display().to_string();
    let program = &program_name;
    let mut child = Command::new(program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| Error::io(format!("running credential helper {program}"), e))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A helper that exits without reading is judged by its exit status below.
        let _ = stdin.write_all(server.as_bytes());
    }
    let mut stdout = child.stdout.take().expect("stdout was piped");
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = (&mut stdout).take(MAX_HELPER_OUTPUT).read_to_end(&mut out);
        out
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > HELPER_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Error::Usage(format!(
                    "credential helper {program} did not answer within {}s",
                    HELPER_TIMEOUT.as_secs()
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => {
                return Err(Error::io(
                    format!("waiting for credential helper {program}"),
                    e,
                ));
            }
        }
    };
    let out = reader.join().unwrap_or_default();
    if !status.success() {
        // Helpers say "credentials not found in native keychain" this way: anonymous access then.
        return Ok(None);
    }
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct HelperAnswer {
        #[serde(default)]
        username: String,
        #[serde(default)]
        secret: String,
    }
    let answer: HelperAnswer = serde_json::from_slice(&out)
        .map_err(|e| Error::malformed(format!("answer of credential helper {program}"), e))?;
    if answer.secret.is_empty() {
        return Ok(None);
    }
    Ok(Some(if answer.username == "<token>" {
        Credentials::IdentityToken {
            username: String::new(),
            token: answer.secret,
        }
    } else {
        Credentials::Basic {
            username: answer.username,
            password: answer.secret,
        }
    }))
}

/// A parsed `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Challenge {
    /// `bearer` or `basic`, lower-cased.
    pub scheme: String,
    pub params: Vec<(String, String)>,
}

impl Challenge {
    /// A parameter's value by (case-insensitive) name.
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Parses `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`.
pub(crate) fn parse_challenge(header: &str) -> Option<Challenge> {
    let header = header.trim();
    let (scheme, rest) = header
        .split_once(char::is_whitespace)
        .unwrap_or((header, ""));
    if scheme.is_empty() {
        return None;
    }
    let mut params = Vec::new();
    let mut s = rest.trim_start();
    while !s.is_empty() {
        let eq = s.find('=')?;
        let key = s[..eq].trim().to_string();
        s = s[eq + 1..].trim_start();
        let value;
        if let Some(quoted) = s.strip_prefix('"') {
            let mut v = String::new();
            let mut chars = quoted.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, n)) = chars.next() {
                            v.push(n);
                        }
                    }
                    '"' => {
                        end = Some(i);
                        break;
                    }
                    c => v.push(c),
                }
            }
            value = v;
            s = &quoted[end? + 1..];
        } else {
            let end = s.find(',').unwrap_or(s.len());
            value = s[..end].trim().to_string();
            s = &s[end..];
        }
        params.push((key, value));
        s = s.trim_start().strip_prefix(',').unwrap_or(s).trim_start();
    }
    Some(Challenge {
        scheme: scheme.to_ascii_lowercase(),
        params,
    })
}

/// Percent-encodes a query value.
pub(crate) fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges() {
        let c = parse_challenge(
            r#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull""#,
        )
        .unwrap();
        assert_eq!(c.scheme, "bearer");
        assert_eq!(c.param("realm"), Some("https://auth.example/token"));
        assert_eq!(c.param("service"), Some("registry.example"));
        assert_eq!(c.param("scope"), Some("repository:a/b:pull"));
        let c = parse_challenge(r#"Basic realm="Registry Realm""#).unwrap();
        assert_eq!(c.scheme, "basic");
        assert_eq!(c.param("realm"), Some("Registry Realm"));
        assert!(parse_challenge(r#"Bearer realm="unterminated"#).is_none());
        // Hostile or broken headers never panic.
        for h in [
            "",
            " ",
            "=",
            "Bearer =",
            "Bearer a=\"\\",
            "Bearer a=\"é\\é\"",
            "Bearer ,,,",
            "Bearer a=b c=d",
            "Basic realm=\"x\", Bearer realm=\"y\"",
            "Bearer a=\"\"\"",
            "\u{1F600} a=b",
        ] {
            let _ = parse_challenge(h);
        }
        let c = parse_challenge(r#"Bearer realm="a\"b",error="insufficient_scope""#).unwrap();
        assert_eq!(c.param("realm"), Some(r#"a"b"#));
        assert_eq!(c.param("error"), Some("insufficient_scope"));
    }

    #[test]
    fn keys() {
        assert_eq!(normalise_key("https://index.docker.io/v1/"), "docker.io");
        assert_eq!(normalise_key("http://localhost:5000"), "localhost:5000");
        assert_eq!(normalise_key("quay.io/team/app"), "quay.io/team/app");
    }

    #[test]
    fn files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        let auth = base64::engine::general_purpose::STANDARD.encode("alice:s3cret");
        std::fs::write(
            &path,
            format!(
                r#"{{"auths":{{"https://index.docker.io/v1/":{{"auth":"{auth}"}},
                "quay.io/team":{{"username":"bob","password":"pw"}},
                "quay.io":{{"identitytoken":"refresh"}}}}}}"#
            ),
        )
        .unwrap();
        let opts = OpenOptions {
            docker_config: Some(path.clone()),
            ..Default::default()
        };
        assert_eq!(
            lookup("docker.io", "library/alpine", &opts).unwrap(),
            Some(Credentials::Basic {
                username: "alice".into(),
                password: "s3cret".into()
            })
        );
        assert_eq!(
            lookup("quay.io", "team/app", &opts).unwrap(),
            Some(Credentials::Basic {
                username: "bob".into(),
                password: "pw".into()
            })
        );
        assert!(matches!(
            lookup("quay.io", "other/app", &opts).unwrap(),
            Some(Credentials::IdentityToken { .. })
        ));
        assert_eq!(lookup("ghcr.io", "x/y", &opts).unwrap(), None);
        std::fs::write(&path, "{not json").unwrap();
        let e = lookup("ghcr.io", "x/y", &opts).unwrap_err().to_string();
        assert!(e.contains("config.json"), "{e}");
    }

    #[test]
    #[cfg(unix)]
    fn credential_helpers() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let script = |name: &str, body: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
            p
        };
        // Answers only for the server it is asked about, as real helpers do.
        let ok = script(
            "docker-credential-ok",
            r#"read server; [ "$1" = get ] && [ "$server" = "reg.example:5000" ] || exit 1
printf '{"ServerURL":"%s","Username":"helper-user","Secret":"helper-pass"}' "$server""#,
        );
        assert_eq!(
            run_helper_program(&ok, "reg.example:5000").unwrap(),
            Some(Credentials::Basic {
                username: "helper-user".into(),
                password: "helper-pass".into()
            })
        );
        assert_eq!(run_helper_program(&ok, "other.example").unwrap(), None);
        let token = script(
            "docker-credential-token",
            r#"cat >/dev/null; printf '{"Username":"<token>","Secret":"refresh-me"}'"#,
        );
        assert!(matches!(
            run_helper_program(&token, "x").unwrap(),
            Some(Credentials::IdentityToken { token, .. }) if token == "refresh-me"
        ));
        let garbage = script("docker-credential-garbage", "cat >/dev/null; echo not json");
        let e = run_helper_program(&garbage, "x").unwrap_err().to_string();
        assert!(e.contains("docker-credential-garbage"), "{e}");
        assert!(run_helper("../evil", "x").is_err());
    }
}
