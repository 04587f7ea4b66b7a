//! End-to-end: `drydock lint` as a user runs it — files and standard input, exit codes, config discovery
//! and precedence, every output format, and `--image` mappings onto the real test images.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use drydock_testkit::images;
use serde_json::Value;

/// Runs drydock in `dir` with `args`, feeding `stdin` when given.
fn run_in(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_drydock"));
    cmd.args(args)
        .current_dir(dir)
        .env(
            "DRYDOCK_CACHE_DIR",
            std::env::temp_dir().join("drydock-cli-lint-test-cache"),
        )
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("drydock runs");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    child.wait_with_output().expect("drydock finishes")
}

fn run(args: &[&str]) -> Output {
    run_in(&std::env::temp_dir(), args, None)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json_findings(out: &Output) -> Vec<Value> {
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("JSON on stdout ({e}): {}", stderr(out)));
    assert_eq!(v["schema"], "drydock-lint/1");
    v["findings"].as_array().expect("findings").clone()
}

fn codes(findings: &[Value]) -> Vec<String> {
    findings
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

/// A temporary directory that is the root of a repository (it has `.git`), so config discovery never
/// looks above it.
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    dir
}

fn write(path: &Path, text: &str) -> PathBuf {
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).unwrap();
    }
    std::fs::write(path, text).unwrap();
    path.to_path_buf()
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

fn oci(name: &str) -> String {
    format!("oci:{}", images::layout(name).display())
}

/// The manifest digest an OCI layout's `index.json` names for its image.
fn layout_digest(name: &str) -> String {
    let index: Value = serde_json::from_str(
        &std::fs::read_to_string(images::layout(name).join("index.json")).unwrap(),
    )
    .unwrap();
    index["manifests"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string()
}

/// `python:3.12-slim` pinned by digest, a shell-form CMD and a curl health check: what the facts say
/// about the base decides DD013/DD014.
fn pinned_dockerfile(dir: &Path, pin: &str) -> String {
    s(&write(
        &dir.join("Dockerfile"),
        &format!(
            "FROM python:3.12-slim@{pin}\nHEALTHCHECK CMD [\"curl\", \"-f\", \"http://localhost/\"]\nCMD python3 -m http.server\n"
        ),
    ))
}

#[test]
fn images_lint_mapping_applies_to_digest_pinned_references() {
    let dir = repo();
    let digest = layout_digest("distroless");
    let path = pinned_dockerfile(dir.path(), &digest);
    // The bundled table: python:3.12-slim has a shell, so no DD013.
    let out = run(&["lint", "--format", "json", &path]);
    assert!(!codes(&json_findings(&out)).contains(&"DD013".to_string()));
    // Mapped by repository and tag, the real (shell-less) image's facts apply to the pinned FROM,
    // and the pin is that image's digest: no warning.
    let mapping = format!("python:3.12-slim={}", oci("distroless"));
    let out = run(&["lint", "--format", "json", "--image", &mapping, &path]);
    let findings = json_findings(&out);
    let shell = findings
        .iter()
        .find(|f| f["code"] == "DD013")
        .unwrap_or_else(|| panic!("mapping not applied: {findings:?}"));
    assert!(
        shell["fact_source"]
            .as_str()
            .unwrap()
            .starts_with("image oci:"),
        "{shell}"
    );
    assert_eq!(stderr(&out), "", "matching pin: no warning");
    // A mapping written with the digest matches that exact pin...
    let exact = format!("python:3.12-slim@{digest}={}", oci("distroless"));
    let out = run(&["lint", "--format", "json", "--image", &exact, &path]);
    assert!(codes(&json_findings(&out)).contains(&"DD013".to_string()));
    // ...and not another one.
    let other = format!("sha256:{}", "0".repeat(64));
    let other_path = pinned_dockerfile(dir.path(), &other);
    let out = run(&["lint", "--format", "json", "--image", &exact, &other_path]);
    assert!(!codes(&json_findings(&out)).contains(&"DD013".to_string()));
}

#[test]
fn images_lint_mapping_warns_when_the_pin_is_another_image() {
    let dir = repo();
    let pin = format!("sha256:{}", "0".repeat(64));
    let path = pinned_dockerfile(dir.path(), &pin);
    let mapping = format!("python:3.12-slim={}", oci("distroless"));
    let out = run(&["lint", "--format", "json", "--image", &mapping, &path]);
    // The mapping still applies (the user asked for it), with one clear warning line.
    assert!(codes(&json_findings(&out)).contains(&"DD013".to_string()));
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(lines[0].starts_with("drydock: warning: --image python:3.12-slim="));
    assert!(lines[0].contains(&layout_digest("distroless")), "{err}");
    assert!(lines[0].contains(&pin), "{err}");
}

#[test]
fn lint_unreadable_mapping_is_an_error() {
    let dir = repo();
    let path = pinned_dockerfile(dir.path(), &format!("sha256:{}", "0".repeat(64)));
    let missing = dir.path().join("no-such-layout");
    let mapping = format!("python:3.12-slim=oci:{}", missing.display());
    let out = run(&["lint", "--format", "json", "--image", &mapping, &path]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(lines[0].starts_with("drydock: error: --image "), "{err}");
    assert!(lines[0].contains(&mapping), "names the mapping: {err}");
    assert!(out.stdout.is_empty(), "no report on an error");
    // A mapping that is not REF=SOURCE, or whose REF is not a reference, is an error too.
    for bad in ["python:3.12-slim", "Not A Ref=oci:/x"] {
        let out = run(&["lint", "--image", bad, &path]);
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", stderr(&out));
        assert_eq!(stderr(&out).lines().count(), 1, "{bad}");
    }
}

/// Warnings (DD003, DD040) and a note (DD049), no error.
const WARN: &str = "FROM python:3.12-slim\nUSER app\nCMD python app.py\n";

/// Several findings, one of them on a RUN with a continuation line.
const MULTI_LINE: &str = "FROM python:3.12-slim\nRUN apt-get update && \\\n    apt-get install -y curl\nUSER root\nCMD python app.py\n";

/// Nothing to report: pinned, non-root, shell-less base (no health check expected), exec form.
fn clean() -> String {
    format!(
        "FROM gcr.io/distroless/static-debian12:nonroot@sha256:{}\nCOPY app /app\nENTRYPOINT [\"/app\"]\n",
        "a".repeat(64)
    )
}

#[test]
fn lint_clean_file_exits_0_and_prints_nothing() {
    let dir = repo();
    let path = s(&write(&dir.path().join("Dockerfile"), &clean()));
    let out = run(&["lint", &path]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(stderr(&out), "");
    let out = run(&["lint", "--format", "json", &path]);
    assert_eq!(out.status.code(), Some(0));
    assert!(json_findings(&out).is_empty());
}

#[test]
fn lint_standard_input() {
    let dir = repo();
    let out = run_in(dir.path(), &["lint", "--format", "json", "-"], Some(WARN));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let findings = json_findings(&out);
    assert!(!findings.is_empty());
    assert!(findings.iter().all(|f| f["file"] == "-"), "{findings:?}");
    assert!(codes(&findings).contains(&"DD003".to_string()));
    let out = run_in(dir.path(), &["lint", "-"], Some(&clean()));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // Standard input finds its config from the working directory.
    write(
        &dir.path().join(".drydock.toml"),
        "[lint]\nignore = [\"DD003\", \"DD040\", \"DD049\"]\n",
    );
    let out = run_in(dir.path(), &["lint", "--format", "json", "-"], Some(WARN));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(json_findings(&out).is_empty());
    // A parse error on standard input names `-`.
    let out = run_in(dir.path(), &["lint", "-"], Some("FROM alpine\nENV PATH\n"));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("-:2"), "{}", stderr(&out));
}

#[test]
fn lint_exit_code_follows_the_threshold() {
    let dir = repo();
    let path = s(&write(&dir.path().join("Dockerfile"), WARN));
    // Default threshold `info`: the warnings fail the run.
    assert_eq!(run(&["lint", &path]).status.code(), Some(1));
    assert_eq!(
        run(&["lint", "--failure-threshold", "warning", &path])
            .status
            .code(),
        Some(1),
        "at the threshold"
    );
    assert_eq!(
        run(&["lint", "--failure-threshold", "error", &path])
            .status
            .code(),
        Some(0),
        "below the threshold"
    );
    // The flag overrides the config, both ways.
    write(
        &dir.path().join(".drydock.toml"),
        "[lint]\nfailure-threshold = \"error\"\n",
    );
    assert_eq!(run(&["lint", &path]).status.code(), Some(0));
    assert_eq!(
        run(&["lint", "--failure-threshold", "warning", &path])
            .status
            .code(),
        Some(1)
    );
    write(
        &dir.path().join(".drydock.toml"),
        "[lint]\nfailure-threshold = \"info\"\n",
    );
    assert_eq!(
        run(&["lint", "--failure-threshold", "error", &path])
            .status
            .code(),
        Some(0)
    );
    // Severity overrides from the config count against the threshold.
    write(
        &dir.path().join(".drydock.toml"),
        "[lint]\nfailure-threshold = \"error\"\n[lint.severity]\nDD040 = \"error\"\n",
    );
    assert_eq!(run(&["lint", &path]).status.code(), Some(1));
    let out = run(&["lint", "--failure-threshold", "loud", &path]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--failure-threshold"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn lint_config_discovery_through_the_cli() {
    let outer = tempfile::tempdir().unwrap();
    // Above the repository root: never read.
    write(
        &outer.path().join(".drydock.toml"),
        "[lint]\nignore = [\"DD003\"]\n",
    );
    let root = outer.path().join("repo");
    std::fs::create_dir_all(root.join(".git")).unwrap();
    let top = s(&write(&root.join("Dockerfile"), WARN));
    let out = run(&["lint", "--format", "json", &top]);
    assert!(
        codes(&json_findings(&out)).contains(&"DD003".to_string()),
        "the config above the repository root was used"
    );
    // The repository's own config, and a nearer one in a subdirectory: the nearest wins, whole.
    write(
        &root.join(".drydock.toml"),
        "[lint]\nignore = [\"DD040\"]\n",
    );
    write(
        &root.join("svc/.drydock.toml"),
        "[lint]\nignore = [\"DD049\"]\n",
    );
    let nested = s(&write(&root.join("svc/app/Dockerfile"), WARN));
    let found = codes(&json_findings(&run(&["lint", "--format", "json", &nested])));
    assert!(!found.contains(&"DD049".to_string()), "{found:?}");
    assert!(
        found.contains(&"DD040".to_string()),
        "configs are not merged: {found:?}"
    );
    let found = codes(&json_findings(&run(&["lint", "--format", "json", &top])));
    assert!(!found.contains(&"DD040".to_string()) && found.contains(&"DD049".to_string()));
    // --config beats every discovered file.
    let explicit = s(&write(
        &outer.path().join("explicit.toml"),
        "[lint]\nignore = [\"DD003\"]\n",
    ));
    let found = codes(&json_findings(&run(&[
        "lint", "--format", "json", "--config", &explicit, &nested,
    ])));
    assert!(!found.contains(&"DD003".to_string()), "{found:?}");
    assert!(found.contains(&"DD049".to_string()) && found.contains(&"DD040".to_string()));
    // An invalid config is an error naming it.
    let bad = s(&write(
        &outer.path().join("bad.toml"),
        "[lint]\nbogus = 1\n",
    ));
    let out = run(&["lint", "--config", &bad, &nested]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("bad.toml"), "{}", stderr(&out));
}

#[test]
fn lint_many_files_and_stdin_in_one_run() {
    let dir = repo();
    let a = s(&write(&dir.path().join("a.Dockerfile"), WARN));
    let b = s(&write(&dir.path().join("b.Dockerfile"), &clean()));
    let out = run_in(
        dir.path(),
        &["lint", "--format", "json", &a, "-", &b],
        Some(MULTI_LINE),
    );
    assert_eq!(out.status.code(), Some(1));
    let findings = json_findings(&out);
    let files: std::collections::BTreeSet<&str> = findings
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert_eq!(files, [a.as_str(), "-"].into_iter().collect());
    // A missing file is an error line; the others are still reported.
    let missing = s(&dir.path().join("missing.Dockerfile"));
    let out = run(&["lint", "--format", "json", &missing, &a]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("missing.Dockerfile"));
    assert!(!json_findings(&out).is_empty());
}

/// The findings the library reports for `text` under `label` with the default config.
fn library_findings(label: &str, text: &str) -> Vec<drydock_lint::Finding> {
    drydock_lint::lint_source(
        label,
        text,
        &drydock_lint::Config::default(),
        &drydock_lint::BundledResolver,
    )
    .unwrap()
}

#[test]
fn lint_sarif_output() {
    let dir = repo();
    let path = s(&write(&dir.path().join("Dockerfile"), MULTI_LINE));
    let out = run(&["lint", "--format", "sarif", &path]);
    assert_eq!(out.status.code(), Some(1));
    // Byte for byte what the library's SARIF writer renders; that writer's output is validated against
    // the SARIF 2.1.0 schema in drydock-lint's conformance_sarif test.
    let findings = library_findings(&path, MULTI_LINE);
    let mut want = Vec::new();
    drydock_lint::output::write(drydock_lint::Format::Sarif, &findings, &[], &mut want).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&want)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["version"], "2.1.0");
    let run0 = &doc["runs"][0];
    assert_eq!(run0["tool"]["driver"]["name"], "drydock");
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run0["results"].as_array().unwrap();
    assert_eq!(results.len(), findings.len());
    for r in results {
        let idx = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], r["ruleId"]);
        assert!(["error", "warning", "note"].contains(&r["level"].as_str().unwrap()));
        let loc = &r["locations"][0]["physicalLocation"];
        assert!(
            loc["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .ends_with("/Dockerfile")
        );
        assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1);
    }
    // The RUN with a continuation line ends on line 3.
    let apt = results.iter().find(|r| r["ruleId"] == "DD020").unwrap();
    let region = &apt["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        (region["startLine"].as_u64(), region["endLine"].as_u64()),
        (Some(2), Some(3))
    );
}

/// An XML element: its name and its attributes (values as written, entities not decoded).
type Element = (String, Vec<(String, String)>);

/// The elements of a well-formed XML document (name and attributes, in document order), or what is
/// wrong with it. Enough XML for Checkstyle reports: declaration, elements, attributes, entities.
fn parse_xml(doc: &str) -> Result<Vec<Element>, String> {
    fn check_text(t: &str) -> Result<(), String> {
        let mut rest = t;
        while let Some(i) = rest.find('&') {
            rest = &rest[i + 1..];
            let end = rest
                .find(';')
                .ok_or(format!("unterminated entity in {t:?}"))?;
            let ent = &rest[..end];
            let ok = matches!(ent, "amp" | "lt" | "gt" | "quot" | "apos")
                || ent
                    .strip_prefix('#')
                    .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
            if !ok {
                return Err(format!("bad entity &{ent}; in {t:?}"));
            }
        }
        if t.contains('<') {
            return Err(format!("raw < in {t:?}"));
        }
        Ok(())
    }
    let mut rest = doc.trim_start();
    if let Some(r) = rest.strip_prefix("<?xml") {
        rest = &r[r.find("?>").ok_or("unterminated declaration")? + 2..];
    }
    let mut stack: Vec<String> = Vec::new();
    let mut elements = Vec::new();
    let mut roots = 0;
    loop {
        let Some(open) = rest.find('<') else {
            if !rest.trim().is_empty() {
                return Err(format!("text after the root: {rest:?}"));
            }
            break;
        };
        let text = &rest[..open];
        if stack.is_empty() && !text.trim().is_empty() {
            return Err(format!("text outside the root: {text:?}"));
        }
        check_text(text)?;
        rest = &rest[open + 1..];
        if let Some(r) = rest.strip_prefix('/') {
            let close = r.find('>').ok_or("unterminated end tag")?;
            let name = r[..close].trim();
            if stack.pop().as_deref() != Some(name) {
                return Err(format!("mismatched </{name}>"));
            }
            rest = &r[close + 1..];
            continue;
        }
        let name_end = rest
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .ok_or("unterminated tag")?;
        let name = rest[..name_end].to_string();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(format!("bad element name {name:?}"));
        }
        rest = &rest[name_end..];
        let mut attrs: Vec<(String, String)> = Vec::new();
        let self_closing = loop {
            rest = rest.trim_start();
            if let Some(r) = rest.strip_prefix("/>") {
                rest = r;
                break true;
            }
            if let Some(r) = rest.strip_prefix('>') {
                rest = r;
                break false;
            }
            let eq = rest
                .find('=')
                .ok_or(format!("attribute without value in <{name}>"))?;
            let key = rest[..eq].trim().to_string();
            if key.is_empty() || key.contains(char::is_whitespace) {
                return Err(format!("bad attribute name {key:?} in <{name}>"));
            }
            let r = rest[eq + 1..].trim_start();
            let quote = r.chars().next().filter(|&c| c == '"' || c == '\'');
            let quote = quote.ok_or(format!("unquoted attribute {key} in <{name}>"))?;
            let body = &r[1..];
            let end = body
                .find(quote)
                .ok_or(format!("unterminated attribute {key}"))?;
            check_text(&body[..end])?;
            if attrs.iter().any(|(k, _)| *k == key) {
                return Err(format!("duplicate attribute {key} in <{name}>"));
            }
            attrs.push((key, body[..end].to_string()));
            rest = &body[end + 1..];
        };
        if stack.is_empty() {
            roots += 1;
        }
        elements.push((name.clone(), attrs));
        if !self_closing {
            stack.push(name);
        }
    }
    if !stack.is_empty() {
        return Err(format!("unclosed elements {stack:?}"));
    }
    if roots != 1 {
        return Err(format!("{roots} root elements"));
    }
    Ok(elements)
}

#[test]
fn lint_checkstyle_output_is_well_formed() {
    // The checker itself rejects what it should.
    for bad in [
        "<a><b></a></b>",
        "<a x=\"1\" x=\"2\"/>",
        "<a x=\"<\"/>",
        "<a>&bogus;</a>",
        "<a/><b/>",
        "<a x=1/>",
    ] {
        assert!(parse_xml(bad).is_err(), "accepted {bad}");
    }
    let dir = repo();
    let a = s(&write(&dir.path().join("a & <b>.Dockerfile"), MULTI_LINE));
    let b = s(&write(&dir.path().join("b.Dockerfile"), WARN));
    let out = run(&["lint", "--format", "checkstyle", &a, &b]);
    assert_eq!(out.status.code(), Some(1));
    let xml = String::from_utf8(out.stdout.clone()).unwrap();
    let elements = parse_xml(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    assert_eq!(elements[0].0, "checkstyle");
    assert!(elements[0].1.contains(&("version".into(), "4.3".into())));
    let files: Vec<&Vec<(String, String)>> = elements
        .iter()
        .filter(|(n, _)| n == "file")
        .map(|(_, a)| a)
        .collect();
    assert_eq!(files.len(), 2);
    assert!(
        files[0].contains(&(
            "name".into(),
            a.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
        ))
    );
    let errors: Vec<&Vec<(String, String)>> = elements
        .iter()
        .filter(|(n, _)| n == "error")
        .map(|(_, a)| a)
        .collect();
    let json = run(&["lint", "--format", "json", &a, &b]);
    assert_eq!(errors.len(), json_findings(&json).len());
    for e in errors {
        let get = |k: &str| {
            e.iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.as_str())
                .unwrap_or_else(|| panic!("no {k} in {e:?}"))
        };
        assert!(get("line").parse::<usize>().unwrap() >= 1);
        assert!(get("column").parse::<usize>().unwrap() >= 1);
        assert!(["error", "warning", "info"].contains(&get("severity")));
        assert!(!get("message").is_empty());
        let source = get("source");
        assert!(
            source.starts_with("drydock.DD") && source.len() == "drydock.DD000".len(),
            "{source}"
        );
    }
}

#[test]
fn lint_github_annotations() {
    let dir = repo();
    let path = s(&write(
        &dir.path().join("svc,1").join("Dockerfile"),
        MULTI_LINE,
    ));
    let out = run(&["lint", "--format", "github", &path]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    let json = json_findings(&run(&["lint", "--format", "json", &path]));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), json.len());
    for (line, f) in lines.iter().zip(&json) {
        let (cmd, rest) = line
            .strip_prefix("::")
            .and_then(|l| l.split_once(' '))
            .unwrap_or_else(|| panic!("not a workflow command: {line}"));
        let want = match f["severity"].as_str().unwrap() {
            "error" => "error",
            "warning" => "warning",
            _ => "notice",
        };
        assert_eq!(cmd, want, "{line}");
        let (props, message) = rest.split_once("::").unwrap();
        assert!(!message.is_empty() && !message.contains('\n'));
        let props: Vec<(&str, &str)> = props
            .split(',')
            .map(|p| p.split_once('=').unwrap_or_else(|| panic!("{p} in {line}")))
            .collect();
        let get = |k: &str| props.iter().find(|(n, _)| *n == k).map(|(_, v)| *v);
        // `,` in the path is escaped so the property list still splits.
        assert_eq!(get("file"), Some(path.replace(',', "%2C").as_str()));
        assert_eq!(get("line"), Some(f["span"]["line"].to_string().as_str()));
        assert_eq!(get("col"), Some(f["span"]["col"].to_string().as_str()));
        assert_eq!(
            get("title"),
            Some(
                format!(
                    "{} {}",
                    f["code"].as_str().unwrap(),
                    f["name"].as_str().unwrap()
                )
                .as_str()
            )
        );
        if let Some(end) = f["span"]["end_line"].as_u64() {
            assert_eq!(get("endLine"), Some(end.to_string().as_str()));
        }
    }
    assert!(text.contains(",endLine=3,"), "the multi-line RUN: {text}");
}

#[test]
fn images_lint_real_facts_replace_the_table() {
    let dir = repo();
    // The table says golang:1.22 brings compilers; the real image standing in for it has none.
    let go = s(&write(
        &dir.path().join("go.Dockerfile"),
        "FROM golang:1.22\nCOPY app /app\nCMD [\"/app\"]\n",
    ));
    let table = json_findings(&run(&["lint", "--format", "json", &go]));
    let dd011 = table
        .iter()
        .find(|f| f["code"] == "DD011")
        .expect("table: DD011");
    assert_eq!(dd011["fact_source"], "bundled table: golang");
    let mapping = format!("golang:1.22={}", oci("python"));
    let real = json_findings(&run(&[
        "lint", "--format", "json", "--image", &mapping, &go,
    ]));
    assert!(real.iter().all(|f| f["code"] != "DD011"), "{real:?}");
    // The real app image sets a HEALTHCHECK in its config: it counts; the python image sets none.
    let hc = s(&write(
        &dir.path().join("hc.Dockerfile"),
        "FROM registry.example/app:1\nCMD [\"/app\"]\n",
    ));
    let with = json_findings(&run(&[
        "lint",
        "--format",
        "json",
        "--image",
        &format!("registry.example/app:1={}", oci("app")),
        &hc,
    ]));
    assert!(with.iter().all(|f| f["code"] != "DD049"), "{with:?}");
    let without = json_findings(&run(&[
        "lint",
        "--format",
        "json",
        "--image",
        &format!("registry.example/app:1={}", oci("python")),
        &hc,
    ]));
    let note = without
        .iter()
        .find(|f| f["code"] == "DD049")
        .expect("no healthcheck");
    assert!(
        note["fact_source"]
            .as_str()
            .unwrap()
            .starts_with("image oci:")
    );
}
