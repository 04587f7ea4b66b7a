//! Recognising package-manager invocations inside RUN commands.

use crate::shell::Command;

/// A package-manager install (or other subcommand) found in a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PkgCmd {
    /// `apt-get`, `apt`, `apk`, `dnf`, `yum`, `microdnf`, `zypper`, `pip`, `npm`.
    pub manager: &'static str,
    /// The subcommand (`install`, `add`, `update`, `clean`…).
    pub sub: String,
    /// Option words (`-y`, `--no-cache`…), as written.
    pub options: Vec<String>,
    /// Non-option words after the subcommand (packages; for `clean`, what to clean).
    pub args: Vec<String>,
}

impl PkgCmd {
    /// True if an option equals one of `names` (exact) .
    pub fn has_opt(&self, names: &[&str]) -> bool {
        self.options.iter().any(|o| {
            let key = o.split('=').next().unwrap_or(o);
            names.contains(&o.as_str()) || names.contains(&key)
        })
    }

    /// The value of the first option named one of `names`: `--name=V`, or `--name V` (`-t V`) for an
    /// option that takes a separate value word.
    pub fn opt_value(&self, names: &[&str]) -> Option<&str> {
        let mut it = self.options.iter();
        while let Some(o) = it.next() {
            if let Some((key, v)) = o.split_once('=') {
                if names.contains(&key) {
                    return Some(v);
                }
            } else if takes_value(self.manager, o) {
                // The next word is this option's value (when there was one), never an option itself.
                let v = it.next();
                if names.contains(&o.as_str()) {
                    return v.map(String::as_str);
                }
            }
        }
        None
    }

    /// True if a short-option cluster (`-qy`) holds `c`.
    pub fn has_short(&self, c: char) -> bool {
        self.options
            .iter()
            .any(|o| o.starts_with('-') && !o.starts_with("--") && o[1..].contains(c))
    }

    /// True for install-like subcommands.
    pub fn installs(&self) -> bool {
        matches!(
            self.sub.as_str(),
            "install" | "add" | "groupinstall" | "localinstall" | "in"
        )
    }
}

/// Options that take a separate value word, per manager.
fn takes_value(manager: &str, opt: &str) -> bool {
    match manager {
        "apt-get" | "apt" => matches!(
            opt,
            "-o" | "-t" | "--target-release" | "-c" | "--option" | "--config-file"
        ),
        "apk" => matches!(
            opt,
            "-t" | "--virtual"
                | "-X"
                | "--repository"
                | "-p"
                | "--root"
                | "--arch"
                | "--repositories-file"
                | "--cache-dir"
        ),
        "dnf" | "yum" | "microdnf" => matches!(
            opt,
            "--setopt"
                | "--enablerepo"
                | "--disablerepo"
                | "--releasever"
                | "--installroot"
                | "-c"
                | "--config"
                | "--repo"
                | "--exclude"
                | "-x"
        ),
        "zypper" => matches!(opt, "-r" | "--repo" | "--from"),
        "pip" => matches!(
            opt,
            "-r" | "--requirement"
                | "-c"
                | "--constraint"
                | "-i"
                | "--index-url"
                | "--extra-index-url"
                | "-t"
                | "--target"
                | "--prefix"
                | "--root"
                | "-f"
                | "--find-links"
                | "--trusted-host"
                | "--cache-dir"
                | "-e"
                | "--editable"
                | "--platform"
                | "--python-version"
                | "--implementation"
                | "--abi"
                | "--only-binary"
                | "--no-binary"
                | "--progress-bar"
                | "--src"
                | "--upgrade-strategy"
                | "--global-option"
                | "--install-option"
                | "--config-settings"
                | "-C"
                | "--log"
                | "--timeout"
                | "--retries"
                | "--proxy"
                | "--cert"
                | "--client-cert"
        ),
        "npm" => matches!(
            opt,
            "--prefix" | "--registry" | "--cache" | "-w" | "--workspace"
        ),
        _ => false,
    }
}

/// Recognise `cmd` as a package-manager call.
pub fn parse(cmd: &Command) -> Option<PkgCmd> {
    let argv = cmd.argv();
    let prog = cmd.program()?;
    let (manager, rest): (&'static str, &[String]) = match prog {
        "apt-get" => ("apt-get", &argv[1..]),
        "apt" => ("apt", &argv[1..]),
        "apk" => ("apk", &argv[1..]),
        "dnf" | "dnf5" => ("dnf", &argv[1..]),
        "yum" => ("yum", &argv[1..]),
        "microdnf" => ("microdnf", &argv[1..]),
        "zypper" => ("zypper", &argv[1..]),
        "npm" => ("npm", &argv[1..]),
        p if matches!(p, "pip" | "pip2" | "pip3")
            || ((p.starts_with("pip3.") || p.starts_with("pip2.")) && p.len() <= 7) =>
        {
            ("pip", &argv[1..])
        }
        p if p.starts_with("python")
            && argv.get(1).map(String::as_str) == Some("-m")
            && matches!(argv.get(2).map(String::as_str), Some("pip") | Some("pip3")) =>
        {
            ("pip", &argv[3..])
        }
        _ => return None,
    };
    let mut sub = String::new();
    let mut options = Vec::new();
    let mut args = Vec::new();
    let mut i = 0;
    while i < rest.len() {
        let w = &rest[i];
        if w.starts_with('-') && w.len() > 1 {
            options.push(w.clone());
            if !w.contains('=')
                && takes_value(manager, w)
                && let Some(v) = rest.get(i + 1)
            {
                options.push(v.clone());
                i += 1;
            }
        } else if w.starts_with('>') || w.starts_with("2>") || w.starts_with("&>") || w == "<" {
            // Redirections end the argument list.
            break;
        } else if sub.is_empty() {
            sub = w.clone();
        } else {
            args.push(w.clone());
        }
        i += 1;
    }
    // `dnf module install x` installs like `dnf install x`.
    if sub == "module" && args.first().map(String::as_str) == Some("install") {
        sub = "install".to_string();
        args.remove(0);
    }
    Some(PkgCmd {
        manager,
        sub,
        options,
        args,
    })
}

/// Package names without version pins or other decoration.
pub fn package_name(pkg: &str, manager: &str) -> String {
    let p = match manager {
        "apt-get" | "apt" => pkg.split(['=', '/']).next().unwrap_or(pkg),
        "apk" => pkg.split(['=', '<', '>', '~']).next().unwrap_or(pkg),
        _ => pkg,
    };
    p.to_string()
}

/// Is a package argument version-pinned for its manager?
pub fn is_pinned(pkg: &str, manager: &str) -> bool {
    match manager {
        "apt-get" | "apt" => pkg.contains('=') || pkg.ends_with(".deb") || pkg.contains('/'),
        "apk" => {
            pkg.contains('=')
                || pkg.contains('<')
                || pkg.contains('>')
                || pkg.contains('~')
                || pkg.ends_with(".apk")
        }
        "dnf" | "yum" | "microdnf" | "zypper" => {
            // name-version (a `-` followed by a digit), or a path / URL / rpm file
            pkg.ends_with(".rpm")
                || pkg.contains('/')
                || pkg.contains(':')
                || pkg.contains('=')
                || pkg.contains('>')
                || pkg.contains('<')
                || pkg
                    .match_indices('-')
                    .any(|(i, _)| pkg[i + 1..].starts_with(|c: char| c.is_ascii_digit()))
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shell::split;

    #[test]
    fn apt_install() {
        let c = &split(
            "DEBIAN_FRONTEND=noninteractive apt-get -qq install -y --no-install-recommends -o Dpkg::Options::=--force-confold curl=7.1 git",
        )[0];
        let p = parse(c).unwrap();
        assert_eq!(p.manager, "apt-get");
        assert_eq!(p.sub, "install");
        assert!(p.installs());
        assert_eq!(p.args, ["curl=7.1", "git"]);
        assert!(p.has_opt(&["--no-install-recommends"]));
        assert!(is_pinned("curl=7.1", "apt-get"));
        assert!(!is_pinned("git", "apt-get"));
    }

    #[test]
    fn apk_and_pip() {
        let p = parse(&split("apk add --virtual .deps --no-cache gcc musl-dev")[0]).unwrap();
        assert_eq!(p.args, ["gcc", "musl-dev"]);
        let p = parse(&split("python3 -m pip install --no-cache-dir -r req.txt flask")[0]).unwrap();
        assert_eq!(p.manager, "pip");
        assert_eq!(p.args, ["flask"]);
        assert!(is_pinned("nginx-1.2", "yum"));
        assert!(!is_pinned("nginx", "yum"));
        assert!(parse(&split("echo apt-get install")[0]).is_none());
    }

    #[test]
    fn option_values() {
        let p =
            parse(&split("pip --no-cache-dir install -r req.txt --prefix=/install -t lib x")[0])
                .unwrap();
        assert_eq!(p.sub, "install");
        assert_eq!(p.opt_value(&["--prefix"]), Some("/install"));
        assert_eq!(p.opt_value(&["--target", "-t"]), Some("lib"));
        assert_eq!(p.opt_value(&["--root"]), None);
        // A value word is not read as an option, and an option without its value has none.
        let p = parse(&split("npm -w --prefix ci --prefix")[0]).unwrap();
        assert_eq!(p.opt_value(&["--prefix"]), None);
        let p = parse(&split("npm --prefix /app ci")[0]).unwrap();
        assert_eq!(
            (p.sub.as_str(), p.opt_value(&["--prefix"])),
            ("ci", Some("/app"))
        );
    }
}
