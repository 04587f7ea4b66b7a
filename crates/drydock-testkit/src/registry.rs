//! A real registry (Debian's `docker-registry`, CNCF Distribution 2.8) on a free loopback port with
//! temporary storage, pushes with `skopeo`, Basic (htpasswd) and bearer-token set-ups with a token
//! service served here, tiny OCI layouts made with `umoci`, and a stub server for the faults a real
//! registry cannot produce (wrong bytes, truncation, 500s, 429 with `Retry-After`, redirects).
//!
//! Everything a [`Registry`] or [`Stub`] starts is stopped when it is dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;

/// The service name the token set-up's registry expects in the `aud` claim.
pub const TOKEN_SERVICE: &str = "drydock-test-registry";
/// The issuer the token set-up's registry trusts.
pub const TOKEN_ISSUER: &str = "drydock-test-issuer";

/// The manifest format `skopeo` pushes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// OCI image manifest (and index).
    Oci,
    /// Docker schema2 (`--format v2s2`).
    V2s2,
}

/// A running `docker-registry` on `127.0.0.1:<port>`.
pub struct Registry {
    child: Option<Child>,
    dir: tempfile::TempDir,
    port: u16,
    creds: Option<(String, String)>,
    token: Option<TokenServer>,
    /// The CA that signed the registry's TLS certificate, when it serves HTTPS.
    ca: Option<PathBuf>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("binding a free loopback port")
        .port()
}

fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

impl Registry {
    /// An open registry (anonymous pull and push).
    pub fn start() -> Registry {
        Registry::launch(None, None, |_, _| String::new())
    }

    /// A registry that wants HTTP Basic auth with this user and password (htpasswd, bcrypt).
    pub fn start_htpasswd(user: &str, pass: &str) -> Registry {
        Registry::launch(Some((user.into(), pass.into())), None, |dir, _| {
            let line = run(Command::new("htpasswd").args(["-Bbn", user, pass]));
            let path = dir.join("htpasswd");
            std::fs::write(&path, line).expect("writing htpasswd");
            format!(
                "auth:\n  htpasswd:\n    realm: drydock-test\n    path: {}\n",
                path.display()
            )
        })
    }

    /// An open registry serving HTTPS only, with a certificate for `127.0.0.1` and `localhost` signed
    /// by a CA made now with `openssl` ([`Registry::tls_ca`]).
    pub fn start_tls() -> Registry {
        Registry::launch(None, None, |dir, _| tls_setup(dir, false))
    }

    /// Like [`Registry::start_tls`], and the registry also wants a client certificate signed by the same
    /// CA: [`Registry::client_cert_dir`] holds one as `client.cert`/`client.key`, with the CA as `ca.crt`
    /// (the `certs.d/<host>` layout of Docker, skopeo and drydock).
    pub fn start_mtls() -> Registry {
        Registry::launch(None, None, |dir, _| tls_setup(dir, true))
    }

    /// The `certs.d/<host>`-style directory of a [`Registry::start_mtls`] registry's client.
    pub fn client_cert_dir(&self) -> Option<PathBuf> {
        let d = self.dir.path().join("client-certs");
        d.is_dir().then_some(d)
    }

    /// The CA certificate (PEM) of a [`Registry::start_tls`] registry.
    pub fn tls_ca(&self) -> Option<&Path> {
        self.ca.as_deref()
    }

    /// A registry using Distribution's token auth, with a token service (served here, RS256 JWTs signed
    /// by a key made with `openssl` now) that gives `user`/`pass` pull and push, anonymous callers
    /// nothing, and answers 401 to a wrong password.
    pub fn start_token(user: &str, pass: &str) -> Registry {
        Registry::start_token_public(user, pass, &[])
    }

    /// Like [`Registry::start_token`], and the token service also grants anonymous callers `pull` on
    /// the `public` repositories, as Docker Hub does for public images.
    pub fn start_token_public(user: &str, pass: &str, public: &[&str]) -> Registry {
        let dir = tempfile::tempdir().expect("temp dir");
        let public = public.iter().map(|r| r.to_string()).collect();
        let token = TokenServer::start(dir.path(), user, pass, public);
        let realm = format!("http://127.0.0.1:{}/token", token.port);
        let cert = token.cert.clone();
        Registry::launch_in(
            dir,
            Some((user.into(), pass.into())),
            Some(token),
            move |_, _| {
                format!(
                    "auth:\n  token:\n    realm: {realm}\n    service: {TOKEN_SERVICE}\n    issuer: {TOKEN_ISSUER}\n    rootcertbundle: {}\n",
                    cert.display()
                )
            },
        )
    }

    fn launch(
        creds: Option<(String, String)>,
        token: Option<TokenServer>,
        auth: impl FnOnce(&Path, u16) -> String,
    ) -> Registry {
        Registry::launch_in(tempfile::tempdir().expect("temp dir"), creds, token, auth)
    }

    fn launch_in(
        dir: tempfile::TempDir,
        creds: Option<(String, String)>,
        token: Option<TokenServer>,
        auth: impl FnOnce(&Path, u16) -> String,
    ) -> Registry {
        let ca = dir.path().join("tls-ca.pem");
        let auth = auth(dir.path(), 0);
        let ca = ca.exists().then_some(ca);
        let mut reg = Registry {
            child: None,
            dir,
            port: 0,
            creds,
            token,
            ca,
        };
        // The free port is free when picked, not necessarily when the registry binds it: retry then.
        for attempt in 1..=3 {
            reg.port = free_port();
            let config = format!(
                "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{}\n  secret: drydock-test-secret\n{auth}",
                reg.dir.path().join("data").display(),
                reg.port
            );
            let config_path = reg.dir.path().join("config.yml");
            std::fs::write(&config_path, config).expect("writing registry config");
            let log =
                std::fs::File::create(reg.dir.path().join("registry.log")).expect("registry log");
            let child = Command::new("/usr/bin/docker-registry")
                .arg("serve")
                .arg(&config_path)
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("log"))
                .stderr(log)
                .spawn()
                .expect("starting /usr/bin/docker-registry (Debian package docker-registry)");
            reg.child = Some(child);
            match reg.wait_ready() {
                Ok(()) => return reg,
                Err(e) if attempt < 3 && e.contains("address already in use") => reg.stop(),
                Err(e) => panic!("{e}"),
            }
        }
        unreachable!("the loop returns or panics")
    }

    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                return Err(format!(
                    "docker-registry exited with {status}: {}",
                    self.log()
                ));
            }
            if let Some(status) = http_status(self.port, "/v2/")
                && (status == 200 || status == 401 || (status == 400 && self.ca.is_some()))
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("docker-registry did not answer: {}", self.log()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The registry's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    /// `127.0.0.1:<port>`, the registry part of references.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A full reference: `127.0.0.1:<port>/<repo_tag>`.
    pub fn reference(&self, repo_tag: &str) -> String {
        format!("{}/{repo_tag}", self.host())
    }

    /// Token requests the token service has answered (0 without token auth).
    pub fn token_requests(&self) -> usize {
        self.token
            .as_ref()
            .map_or(0, |t| t.requests.load(Ordering::SeqCst))
    }

    /// Pushes `src` to `<repo_tag>` in the given format. `src` is a skopeo source (`oci:/dir:latest`,
    /// `docker-archive:/x.tar`) or an OCI layout directory, whose `latest` is pushed.
    pub fn push(&self, src: &str, repo_tag: &str, format: Format) {
        self.copy(src, repo_tag, format, false);
    }

    /// Pushes every image of an index (`skopeo copy --all`).
    pub fn push_all(&self, src: &str, repo_tag: &str, format: Format) {
        self.copy(src, repo_tag, format, true);
    }

    /// Pushes an OCI layout directory's `latest` image.
    pub fn push_layout(&self, layout: &Path, repo_tag: &str, format: Format) {
        self.push(
            &format!("oci:{}:latest", layout.display()),
            repo_tag,
            format,
        );
    }

    fn copy(&self, src: &str, repo_tag: &str, format: Format, all: bool) {
        let src = if Path::new(src).is_dir() {
            format!("oci:{src}:latest")
        } else {
            src.to_string()
        };
        let mut cmd = Command::new("skopeo");
        cmd.args(["copy", "--quiet", "--dest-tls-verify=false"]);
        if all {
            cmd.arg("--all");
        }
        if format == Format::V2s2 {
            cmd.args(["--format", "v2s2"]);
        }
        if let Some((u, p)) = &self.creds {
            cmd.arg("--dest-creds").arg(format!("{u}:{p}"));
        }
        // Keep skopeo away from the host's own policy and credentials.
        let policy = self.dir.path().join("policy.json");
        if !policy.exists() {
            std::fs::write(
                &policy,
                r#"{"default":[{"type":"insecureAcceptAnything"}]}"#,
            )
            .expect("policy");
        }
        cmd.arg("--policy").arg(&policy);
        if let Some(certs) = self.client_cert_dir() {
            cmd.arg("--dest-cert-dir").arg(certs);
        }
        cmd.arg("--dest-authfile")
            .arg(self.dir.path().join("skopeo-auth.json"));
        cmd.arg(&src)
            .arg(format!("docker://{}", self.reference(repo_tag)));
        run(&mut cmd);
    }

    /// Writes a Docker `config.json` with `auths` for this registry (base64 `user:pass`) into `dir`.
    pub fn docker_config(&self, dir: &Path, user: &str, pass: &str) -> PathBuf {
        let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
        let path = dir.join("config.json");
        let json = serde_json::json!({ "auths": { self.host(): { "auth": auth } } });
        std::fs::write(&path, json.to_string()).expect("writing config.json");
        path
    }

    /// Stops the registry now (the temp storage stays until drop), e.g. to prove a cache works offline.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Makes a CA, a server certificate for `127.0.0.1`/`localhost` and, with `client_auth`, a client
/// certificate; returns the registry's `http.tls` configuration lines.
fn tls_setup(dir: &Path, client_auth: bool) -> String {
    let p = |name: &str| dir.join(name);
    run(Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .args(["-subj", "/CN=drydock-test-ca", "-keyout"])
        .arg(p("tls-ca.key"))
        .arg("-out")
        .arg(p("tls-ca.pem")));
    let issue = |name: &str, subject: &str, ext: &str| {
        run(Command::new("openssl")
            .args([
                "req", "-newkey", "rsa:2048", "-nodes", "-subj", subject, "-keyout",
            ])
            .arg(p(&format!("{name}.key")))
            .arg("-out")
            .arg(p(&format!("{name}.csr"))));
        std::fs::write(p(&format!("{name}.ext")), ext).expect("extfile");
        run(Command::new("openssl")
            .args(["x509", "-req", "-days", "2", "-CAcreateserial", "-in"])
            .arg(p(&format!("{name}.csr")))
            .arg("-CA")
            .arg(p("tls-ca.pem"))
            .arg("-CAkey")
            .arg(p("tls-ca.key"))
            .arg("-extfile")
            .arg(p(&format!("{name}.ext")))
            .arg("-out")
            .arg(p(&format!("{name}.pem"))));
    };
    issue(
        "tls",
        "/CN=127.0.0.1",
        "basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
    );
    let mut config = format!(
        "  tls:\n    certificate: {}\n    key: {}\n",
        p("tls.pem").display(),
        p("tls.key").display()
    );
    if client_auth {
        issue(
            "client",
            "/CN=drydock-test-client",
            "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n",
        );
        let certs = p("client-certs");
        std::fs::create_dir_all(&certs).expect("client certs dir");
        std::fs::copy(p("client.pem"), certs.join("client.cert")).expect("client cert");
        std::fs::copy(p("client.key"), certs.join("client.key")).expect("client key");
        std::fs::copy(p("tls-ca.pem"), certs.join("ca.crt")).expect("ca");
        config.push_str(&format!(
            "    clientcas:\n      - {}\n",
            p("tls-ca.pem").display()
        ));
    }
    config
}

/// The status code of a plain `GET path` on a loopback port, if anything answers.
fn http_status(port: u16, path: &str) -> Option<u16> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut line = String::new();
    BufReader::new(s).read_line(&mut line).ok()?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// One parsed HTTP request (GET or POST; bodies are read but only small ones are expected).
#[derive(Clone, Debug)]
pub struct Logged {
    pub method: String,
    /// Path and query.
    pub target: String,
    pub headers: Vec<(String, String)>,
}

impl Logged {
    /// A header's value by (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn read_request(stream: &mut TcpStream) -> Option<(Logged, Vec<u8>)> {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    // A TLS ClientHello (clients probing for HTTPS first) gets the connection closed, which is what
    // a server that does not speak TLS amounts to.
    let mut first = [0u8; 1];
    if stream.peek(&mut first).ok()? == 0 || first[0] == 0x16 {
        let _ = stream.shutdown(Shutdown::Both);
        return None;
    }
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).ok()? == 0 {
            break;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let req = Logged {
        method,
        target,
        headers,
    };
    let len: usize = req
        .header("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0)
        .min(1 << 20);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some((req, body))
}

fn respond(stream: &mut TcpStream, status: u16, headers: &[(&str, String)], body: &[u8]) {
    let mut head = format!(
        "HTTP/1.1 {status} X\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
    let _ = stream.flush();
}

/// A loopback accept loop running `handle` on a thread per connection until dropped.
struct Server {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    fn start(handle: impl Fn(TcpStream) + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding loopback");
        let port = listener.local_addr().expect("addr").port();
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let handle = Arc::new(handle);
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(conn) = conn {
                    let h = handle.clone();
                    std::thread::spawn(move || h(conn));
                }
            }
        });
        Server {
            port,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The OAuth2 refresh token (Docker's `identitytoken`) the token service of [`Registry::start_token`]
/// accepts for `user`.
pub fn refresh_token_for(user: &str) -> String {
    format!("drydock-test-refresh-{user}")
}

/// The token service of [`Registry::start_token`].
struct TokenServer {
    port: u16,
    cert: PathBuf,
    requests: Arc<AtomicUsize>,
    _server: Server,
}

impl TokenServer {
    fn start(dir: &Path, user: &str, pass: &str, public: Vec<String>) -> TokenServer {
        let key = dir.join("token-key.pem");
        let cert = dir.join("token-cert.pem");
        run(Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=drydock-test-token",
            ])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert));
        let der = run(Command::new("openssl")
            .args(["x509", "-outform", "der", "-in"])
            .arg(&cert));
        let x5c = base64::engine::general_purpose::STANDARD.encode(der);
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = requests.clone();
        let expected = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
        );
        let refresh = refresh_token_for(user);
        let user = user.to_string();
        let sign_dir = dir.to_path_buf();
        let server = Server::start(move |mut conn| {
            let Some((req, body)) = read_request(&mut conn) else {
                return;
            };
            counter.fetch_add(1, Ordering::SeqCst);
            // GET carries its parameters in the query; the OAuth2 POST in a form body.
            let post = req.method == "POST";
            let query = if post {
                String::from_utf8_lossy(&body).into_owned()
            } else {
                req.target
                    .split_once('?')
                    .map_or("", |(_, q)| q)
                    .to_string()
            };
            let query = query.as_str();
            let param = |name: &str| {
                query
                    .split('&')
                    .filter_map(|kv| kv.split_once('='))
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| percent_decode(v))
            };
            let (subject, granted) = if post {
                if param("grant_type").as_deref() == Some("refresh_token")
                    && param("refresh_token").as_deref() == Some(refresh.as_str())
                {
                    (user.clone(), true)
                } else {
                    respond(&mut conn, 401, &[], br#"{"error":"invalid_grant"}"#);
                    return;
                }
            } else {
                match req.header("authorization") {
                    Some(a) if a == expected => (user.clone(), true),
                    Some(_) => {
                        respond(&mut conn, 401, &[], br#"{"details":"wrong credentials"}"#);
                        return;
                    }
                    None => (String::new(), false),
                }
            };
            // Every scope asked for, each `repository:<name>:<actions>`.
            let access: Vec<serde_json::Value> = query
                .split('&')
                .filter_map(|kv| kv.split_once('='))
                .filter(|(k, _)| *k == "scope")
                .filter_map(|(_, v)| {
                    let scope = percent_decode(v);
                    let mut it = scope.splitn(3, ':');
                    let (kind, name) = (it.next()?.to_string(), it.next()?.to_string());
                    let asked = it.next()?.split(',').map(str::to_string);
                    let actions: Vec<String> = if granted {
                        asked.collect()
                    } else if kind == "repository" && public.contains(&name) {
                        // Anyone may pull a public repository, and do nothing else.
                        asked.filter(|a| a == "pull").collect()
                    } else {
                        Vec::new()
                    };
                    Some(serde_json::json!({"type": kind, "name": name, "actions": actions}))
                })
                .collect();
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .expect("clock")
                .as_secs();
            let header = serde_json::json!({"typ": "JWT", "alg": "RS256", "x5c": [x5c]});
            let claims = serde_json::json!({
                "iss": TOKEN_ISSUER,
                "sub": subject,
                "aud": param("service").unwrap_or_default(),
                "exp": now + 600,
                "nbf": now - 60,
                "iat": now - 60,
                "jti": format!("{now}-{}", counter.load(Ordering::SeqCst)),
                "access": access,
            });
            let b64 = |v: &serde_json::Value| {
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
            };
            let signing_input = format!("{}.{}", b64(&header), b64(&claims));
            let signature = sign_rs256(&sign_dir, &signing_input);
            let token = format!(
                "{signing_input}.{}",
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(signature)
            );
            let body =
                serde_json::json!({"token": token, "access_token": token, "expires_in": 600});
            respond(
                &mut conn,
                200,
                &[("Content-Type", "application/json".into())],
                body.to_string().as_bytes(),
            );
        });
        TokenServer {
            port: server.port,
            cert,
            requests,
            _server: server,
        }
    }
}

fn sign_rs256(dir: &Path, input: &str) -> Vec<u8> {
    let mut child = Command::new("openssl")
        .args(["dgst", "-sha256", "-sign"])
        .arg(dir.join("token-key.pem"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("running openssl dgst");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("writing to openssl");
    let out = child.wait_with_output().expect("openssl dgst");
    assert!(out.status.success(), "openssl dgst -sign failed");
    out.stdout
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                match std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or(())
                {
                    Ok(v) => out.push(v),
                    Err(_) => out.extend_from_slice(&b[i..i + 3]),
                }
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A tiny real OCI layout made with `umoci`: one layer holding `etc/hello` (with `content`) and
/// `etc/arch`, for the given architecture, tagged `latest`.
pub fn tiny_layout(dir: &Path, arch: &str, content: &str) -> PathBuf {
    let layout = dir.join(format!("layout-{arch}"));
    add_tiny_image(&layout, "latest", arch, content);
    layout
}

fn add_tiny_image(layout: &Path, tag: &str, arch: &str, content: &str) {
    let work = layout.with_extension(format!("work-{tag}"));
    let rootfs = work.join("rootfs");
    std::fs::create_dir_all(rootfs.join("etc")).expect("rootfs");
    std::fs::write(rootfs.join("etc/hello"), content).expect("file");
    std::fs::write(rootfs.join("etc/arch"), arch).expect("file");
    let tar = work.join("layer.tar");
    run(Command::new("tar")
        .arg("-C")
        .arg(&rootfs)
        .args(["--owner=0", "--group=0", "--mtime=@1735689600", "-cf"])
        .arg(&tar)
        .arg("."));
    if !layout.join("oci-layout").exists() {
        run(Command::new("umoci")
            .arg("init")
            .arg("--layout")
            .arg(layout));
    }
    let image = format!("{}:{tag}", layout.display());
    run(Command::new("umoci").args(["new", "--image", &image]));
    run(Command::new("umoci")
        .args(["raw", "add-layer", "--image", &image])
        .arg(&tar));
    run(Command::new("umoci").args([
        "config",
        "--image",
        &image,
        "--architecture",
        arch,
        "--os",
        "linux",
    ]));
    let _ = std::fs::remove_dir_all(&work);
}

/// An OCI layout whose tag `multi` is an image index over tiny images for each architecture (e.g.
/// `amd64`, `arm64`), ready for `skopeo copy --all oci:<layout>:multi`.
pub fn multi_layout(dir: &Path, arches: &[&str]) -> PathBuf {
    let layout = dir.join("layout-multi");
    for arch in arches {
        add_tiny_image(&layout, arch, arch, &format!("hello from {arch}\n"));
    }
    let index_path = layout.join("index.json");
    let mut index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&index_path).expect("index.json"))
            .expect("index.json JSON");
    let mut children = Vec::new();
    for entry in index["manifests"].as_array().expect("manifests") {
        let tag = entry["annotations"]["org.opencontainers.image.ref.name"]
            .as_str()
            .unwrap_or("");
        if arches.contains(&tag) {
            let mut child = entry.clone();
            child
                .as_object_mut()
                .expect("descriptor")
                .remove("annotations");
            child["mediaType"] = "application/vnd.oci.image.manifest.v1+json".into();
            child["platform"] = serde_json::json!({"architecture": tag, "os": "linux"});
            children.push(child);
        }
    }
    let blob = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": children,
    })
    .to_string();
    let hex = sha256_hex(blob.as_bytes());
    std::fs::write(layout.join("blobs/sha256").join(&hex), &blob).expect("index blob");
    index["manifests"]
        .as_array_mut()
        .expect("manifests")
        .push(serde_json::json!({
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "digest": format!("sha256:{hex}"),
            "size": blob.len(),
            "annotations": {"org.opencontainers.image.ref.name": "multi"},
        }));
    std::fs::write(&index_path, index.to_string()).expect("index.json");
    layout
}

fn sha256_hex(bytes: &[u8]) -> String {
    let mut child = Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("sha256sum");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(bytes)
        .expect("sha256sum stdin");
    let out = child.wait_with_output().expect("sha256sum");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .expect("sha256sum output")
        .to_string()
}

/// What a [`Stub`] does to matching requests.
#[derive(Clone, Debug)]
pub enum FaultKind {
    /// Answer with this status (and an empty JSON error body).
    Status(u16),
    /// 429 (or any status) with `Retry-After: <secs>`.
    RetryAfter(u16, u64),
    /// Send the content with its last byte changed.
    Corrupt,
    /// Announce the full length but send only half, then close.
    Truncate,
    /// Answer `307` to the same path on this base URL (e.g. `http://localhost:PORT`).
    Redirect(String),
    /// Close the connection without answering (a reset by a proxy or load balancer).
    Hangup,
    /// Answer 200 with this many bytes of JSON-ish filler (a hostile or broken server).
    Oversize(u64),
}

/// A fault for the next `times` requests whose path contains `path_contains`.
#[derive(Clone, Debug)]
pub struct Fault {
    pub path_contains: String,
    pub times: usize,
    pub kind: FaultKind,
}

struct StubState {
    layout: PathBuf,
    faults: Mutex<Vec<Fault>>,
    log: Mutex<Vec<Logged>>,
    basic: Option<String>,
}

/// A stub registry serving one OCI layout's `latest` image under any repository, with scripted faults.
/// Only for what a real registry cannot be made to do.
pub struct Stub {
    port: u16,
    state: Arc<StubState>,
    _server: Server,
}

impl Stub {
    /// Serves `layout` (tag `latest`, manifests and blobs by digest) anonymously.
    pub fn serve(layout: &Path) -> Stub {
        Stub::start(layout, None)
    }

    /// Like [`Stub::serve`] but `/v2/` paths want HTTP Basic auth with this user and password.
    pub fn serve_with_basic(layout: &Path, user: &str, pass: &str) -> Stub {
        let b = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
        Stub::start(layout, Some(format!("Basic {b}")))
    }

    fn start(layout: &Path, basic: Option<String>) -> Stub {
        let state = Arc::new(StubState {
            layout: layout.to_path_buf(),
            faults: Mutex::new(Vec::new()),
            log: Mutex::new(Vec::new()),
            basic,
        });
        let s = state.clone();
        let server = Server::start(move |mut conn| {
            if let Some((req, _)) = read_request(&mut conn) {
                stub_handle(&s, &mut conn, req);
            }
        });
        Stub {
            port: server.port,
            state,
            _server: server,
        }
    }

    /// `127.0.0.1:<port>`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Adds a fault.
    pub fn fault(&self, path_contains: &str, times: usize, kind: FaultKind) {
        self.state.faults.lock().expect("faults").push(Fault {
            path_contains: path_contains.to_string(),
            times,
            kind,
        });
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Logged> {
        self.state.log.lock().expect("log").clone()
    }
}

fn stub_handle(state: &StubState, conn: &mut TcpStream, req: Logged) {
    state.log.lock().expect("log").push(req.clone());
    let path = req.target.split('?').next().unwrap_or("").to_string();
    if let Some(expected) = &state.basic
        && path.starts_with("/v2/")
        && req.header("authorization") != Some(expected.as_str())
    {
        respond(
            conn,
            401,
            &[("WWW-Authenticate", "Basic realm=\"stub\"".into())],
            b"{}",
        );
        return;
    }
    let fault = {
        let mut faults = state.faults.lock().expect("faults");
        let found = faults
            .iter_mut()
            .find(|f| f.times > 0 && path.contains(&f.path_contains));
        found.map(|f| {
            f.times -= 1;
            f.kind.clone()
        })
    };
    match &fault {
        Some(FaultKind::Status(code)) => return respond(conn, *code, &[], b"{}"),
        Some(FaultKind::RetryAfter(code, secs)) => {
            return respond(conn, *code, &[("Retry-After", secs.to_string())], b"{}");
        }
        Some(FaultKind::Oversize(n)) => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nContent-Length: {n}\r\n\r\n"
            );
            let _ = conn.write_all(head.as_bytes());
            let chunk = vec![b' '; 64 << 10];
            let mut left = *n;
            while left > 0 {
                let k = left.min(chunk.len() as u64) as usize;
                if conn.write_all(&chunk[..k]).is_err() {
                    break;
                }
                left -= k as u64;
            }
            return;
        }
        Some(FaultKind::Hangup) => {
            let _ = conn.shutdown(Shutdown::Both);
            return;
        }
        Some(FaultKind::Redirect(base)) => {
            return respond(
                conn,
                307,
                &[("Location", format!("{base}{}", req.target))],
                b"",
            );
        }
        _ => {}
    }
    if path == "/v2/" || path == "/v2" {
        return respond(
            conn,
            200,
            &[("Content-Type", "application/json".into())],
            b"{}",
        );
    }
    let Some((kind, reference)) = path
        .rsplit_once("/manifests/")
        .map(|(_, r)| ("manifest", r.to_string()))
        .or_else(|| {
            path.rsplit_once("/blobs/")
                .map(|(_, r)| ("blob", r.to_string()))
        })
    else {
        return respond(conn, 404, &[], b"{}");
    };
    let (digest, media_type) = if reference.starts_with("sha256:") {
        (reference.clone(), None)
    } else {
        let index: serde_json::Value = match std::fs::read(state.layout.join("index.json"))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
        {
            Some(v) => v,
            None => return respond(conn, 500, &[], b"{}"),
        };
        let found = index["manifests"].as_array().and_then(|ms| {
            ms.iter().find(|m| {
                m["annotations"]["org.opencontainers.image.ref.name"].as_str()
                    == Some(reference.as_str())
            })
        });
        match found {
            Some(m) => (
                m["digest"].as_str().unwrap_or("").to_string(),
                m["mediaType"].as_str().map(str::to_string),
            ),
            None => {
                return respond(
                    conn,
                    404,
                    &[],
                    br#"{"errors":[{"code":"MANIFEST_UNKNOWN"}]}"#,
                );
            }
        }
    };
    let hex = digest.strip_prefix("sha256:").unwrap_or("");
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return respond(conn, 400, &[], b"{}");
    }
    let Ok(mut body) = std::fs::read(state.layout.join("blobs/sha256").join(hex)) else {
        return respond(conn, 404, &[], b"{}");
    };
    let mut headers = vec![("Docker-Content-Digest", digest.clone())];
    if kind == "manifest" {
        let mt = media_type.unwrap_or_else(|| "application/vnd.oci.image.manifest.v1+json".into());
        headers.push(("Content-Type", mt));
    } else {
        headers.push(("Content-Type", "application/octet-stream".into()));
    }
    match fault {
        Some(FaultKind::Corrupt) => {
            if let Some(last) = body.last_mut() {
                *last ^= 0x55;
            }
            respond(conn, 200, &headers, &body);
        }
        Some(FaultKind::Truncate) => {
            let mut head = format!(
                "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: {}\r\n",
                body.len()
            );
            for (k, v) in &headers {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            head.push_str("\r\n");
            let _ = conn.write_all(head.as_bytes());
            let _ = conn.write_all(&body[..body.len() / 2]);
            let _ = conn.flush();
            let _ = conn.shutdown(Shutdown::Both);
        }
        _ => respond(conn, 200, &headers, &body),
    }
}
