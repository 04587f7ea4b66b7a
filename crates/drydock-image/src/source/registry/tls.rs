//! Which certificates a registry connection trusts, and which client certificate it presents.
//!
//! Roots: the system bundle (`$SSL_CERT_FILE`, else the distribution's CA bundle), so CAs an
//! organisation installed are trusted as `curl`, Docker and skopeo trust them; Mozilla's roots (built
//! in) only when no bundle exists. Per registry, as Docker and the containers tools do:
//! `certs.d/<host[:port]>/*.crt` are extra CAs and a `*.cert` with its `*.key` is a client certificate,
//! looked up in `/etc/containers/certs.d`, `/etc/docker/certs.d`, `~/.config/containers/certs.d` and
//! `~/.docker/certs.d`.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use ureq::tls::{Certificate, ClientCert, PemItem, PrivateKey, RootCerts, TlsConfig};

/// Largest certificate file read.
const MAX_PEM_FILE: u64 = 16 << 20;

/// The certs.d directories, most specific last.
pub(crate) fn default_cert_dirs() -> Vec<PathBuf> {
    let mut dirs = vec![
        PathBuf::from("/etc/containers/certs.d"),
        PathBuf::from("/etc/docker/certs.d"),
    ];
    if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        let home = PathBuf::from(home);
        dirs.push(home.join(".config/containers/certs.d"));
        dirs.push(home.join(".docker/certs.d"));
    }
    dirs
}

fn read_pem(path: &Path) -> Vec<PemItem<'static>> {
    let mut bytes = Vec::new();
    let ok = std::fs::File::open(path)
        .and_then(|f| f.take(MAX_PEM_FILE).read_to_end(&mut bytes))
        .is_ok();
    if !ok {
        return Vec::new();
    }
    // Unparsable items are skipped: one odd file must not make every registry unreachable.
    ureq::tls::parse_pem(&bytes)
        .filter_map(Result::ok)
        .collect()
}

fn certs_of(path: &Path) -> Vec<Certificate<'static>> {
    read_pem(path)
        .into_iter()
        .filter_map(|item| match item {
            PemItem::Certificate(c) => Some(c),
            _ => None,
        })
        .collect()
}

/// The system CA bundle, read once per run.
fn system_roots() -> Arc<Vec<Certificate<'static>>> {
    static ROOTS: OnceLock<Arc<Vec<Certificate<'static>>>> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let from_env = std::env::var_os("SSL_CERT_FILE").map(PathBuf::from);
            let candidates = from_env.into_iter().chain(
                [
                    "/etc/ssl/certs/ca-certificates.crt",
                    "/etc/pki/tls/certs/ca-bundle.crt",
                    "/etc/ssl/ca-bundle.pem",
                    "/etc/ssl/cert.pem",
                ]
                .map(PathBuf::from),
            );
            let certs = candidates.map(|p| certs_of(&p)).find(|c| !c.is_empty());
            Arc::new(certs.unwrap_or_default())
        })
        .clone()
}

/// Extra CAs and a client certificate for `host` (`name[:port]`) from the certs.d directories.
fn per_registry(host: &str, dirs: &[PathBuf]) -> (Vec<Certificate<'static>>, Option<ClientCert>) {
    let mut cas = Vec::new();
    let mut client = None;
    // `host` comes from a validated reference (no `/`), so it names one directory.
    for dir in dirs.iter().map(|d| d.join(host)) {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut names: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        names.sort();
        for path in names {
            match path.extension().and_then(|e| e.to_str()) {
                Some("crt") => cas.extend(certs_of(&path)),
                Some("cert") => {
                    let chain = certs_of(&path);
                    let key = read_pem(&path.with_extension("key"))
                        .into_iter()
                        .find_map(|item| match item {
                            PemItem::PrivateKey(k) => Some(k),
                            _ => None,
                        });
                    if let (false, Some(key)) = (chain.is_empty(), key) {
                        client = Some(ClientCert::new_with_certs(
                            &chain,
                            PrivateKey::to_owned(&key),
                        ));
                    }
                }
                _ => {}
            }
        }
    }
    (cas, client)
}

/// The TLS settings for connections to `host` (`None`: any other host, system roots only); `verify: false` only for registries the user allowed
/// over plain HTTP (loopback or `insecure_registries`), where an unverified TLS link is still better.
pub(crate) fn config_for(host: Option<&str>, dirs: &[PathBuf], verify: bool) -> TlsConfig {
    let (cas, client) = host.map(|h| per_registry(h, dirs)).unwrap_or_default();
    let builder = TlsConfig::builder().client_cert(client);
    if !verify {
        return builder.disable_verification(true).build();
    }
    let system = system_roots();
    if system.is_empty() && cas.is_empty() {
        return builder.build();
    }
    let mut roots: Vec<Certificate<'static>> = system.as_ref().clone();
    roots.extend(cas);
    builder.root_certs(RootCerts::from(roots)).build()
}
