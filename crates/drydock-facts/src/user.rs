//! The config's `USER` resolved through `/etc/passwd` and `/etc/group` the way a runtime does.

use crate::report::User;

/// One `/etc/passwd` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PasswdEntry {
    pub name: String,
    pub uid: u64,
    pub gid: u64,
    pub home: String,
    pub shell: String,
}

/// One `/etc/group` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct GroupEntry {
    pub name: String,
    pub gid: u64,
}

/// The fields of each entry of a colon-separated database (`/etc/passwd`, `/etc/group`); blank lines,
/// comments and NIS compat lines (`+`/`-`) are not entries.
fn colon_records(text: &str) -> impl Iterator<Item = Vec<&str>> {
    text.lines()
        .map(|line| line.trim_end_matches('\r'))
        .filter(|line| {
            !(line.trim().is_empty()
                || line.starts_with('#')
                || line.starts_with('+')
                || line.starts_with('-'))
        })
        .map(|line| line.split(':').collect())
}

/// Parses passwd text; malformed lines are skipped and counted.
pub(crate) fn parse_passwd(text: &str) -> (Vec<PasswdEntry>, usize) {
    let mut bad = 0;
    let mut out = Vec::new();
    for f in colon_records(text) {
        let parsed = (f.len() == 7 && !f[0].is_empty())
            .then(|| Some((f[2].parse::<u64>().ok()?, f[3].parse::<u64>().ok()?)))
            .flatten();
        match parsed {
            Some((uid, gid)) => out.push(PasswdEntry {
                name: f[0].to_string(),
                uid,
                gid,
                home: f[5].to_string(),
                shell: f[6].to_string(),
            }),
            None => bad += 1,
        }
    }
    (out, bad)
}

/// Parses group text; malformed lines are skipped and counted.
pub(crate) fn parse_group(text: &str) -> (Vec<GroupEntry>, usize) {
    let mut bad = 0;
    let mut out = Vec::new();
    for f in colon_records(text) {
        match (f.len() == 4 && !f[0].is_empty())
            .then(|| f[2].parse::<u64>().ok())
            .flatten()
        {
            Some(gid) => out.push(GroupEntry {
                name: f[0].to_string(),
                gid,
            }),
            None => bad += 1,
        }
    }
    (out, bad)
}

/// Gids of the groups that list `name` as a member (its supplementary groups).
pub(crate) fn member_gids(group_text: &str, name: &str) -> Vec<u64> {
    group_text
        .lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.trim_end_matches('\r').split(':').collect();
            if f.len() != 4 || !f[3].split(',').any(|m| m.trim() == name) {
                return None;
            }
            f[2].parse().ok()
        })
        .collect()
}

/// Resolves `USER` (`name`, `uid`, `name:group`, `uid:gid`, empty = root) as runc does: names must
/// be in the files, numeric ids need not be.
pub(crate) fn resolve(
    spec: &str,
    passwd: Option<&[PasswdEntry]>,
    group: Option<&[GroupEntry]>,
) -> User {
    let spec_trim = spec.trim();
    let (user_part, group_part) = match spec_trim.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec_trim, None),
    };
    let mut out = User {
        spec: spec.to_string(),
        resolved: true,
        ..User::default()
    };
    let passwd = passwd.unwrap_or(&[]);
    let group = group.unwrap_or(&[]);
    let mut problems: Vec<String> = Vec::new();

    let entry = if user_part.is_empty() {
        out.uid = Some(0);
        passwd.iter().find(|e| e.uid == 0)
    } else if let Ok(uid) = user_part.parse::<u64>() {
        out.uid = Some(uid);
        passwd.iter().find(|e| e.uid == uid)
    } else {
        let e = passwd.iter().find(|e| e.name == user_part);
        match e {
            Some(e) => out.uid = Some(e.uid),
            None => problems.push(format!(
                "user {user_part:?} is not in /etc/passwd; the container will not start"
            )),
        }
        e
    };
    if let Some(e) = entry {
        out.in_passwd = true;
        out.name = Some(e.name.clone());
        out.gid = Some(e.gid);
        out.home = Some(e.home.clone()).filter(|h| !h.is_empty());
        out.login_shell = Some(e.shell.clone()).filter(|s| !s.is_empty());
    } else if out.uid.is_some() {
        // A numeric user without an entry runs with gid 0, as runc does.
        out.gid = Some(0);
    }
    match group_part {
        Some("") | None => {}
        Some(g) => {
            if let Ok(gid) = g.parse::<u64>() {
                out.gid = Some(gid);
            } else if let Some(ge) = group.iter().find(|e| e.name == g) {
                out.gid = Some(ge.gid);
            } else {
                out.gid = None;
                problems.push(format!(
                    "group {g:?} is not in /etc/group; the container will not start"
                ));
            }
        }
    }
    if let Some(gid) = out.gid {
        out.group = group.iter().find(|e| e.gid == gid).map(|e| e.name.clone());
    }
    out.is_root = out.uid == Some(0);
    if !problems.is_empty() {
        out.resolved = false;
        out.why = Some(problems.join("; "));
    } else if !out.in_passwd && out.uid.is_some_and(|u| u != 0) {
        out.why = Some(
            "numeric uid without an /etc/passwd entry (valid; no name or home directory)".into(),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\n# comment\nbroken line\nbad:x:notanumber:0::/:/bin/sh\n\napp:x:1000:1000:App:/home/app:/usr/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n";
    const GROUP: &str = "root:x:0:\nstaff:x:50:\napp:x:1000:\nnonroot:x:65532:\nbroken\n";

    fn r(spec: &str) -> User {
        let (p, bad) = parse_passwd(PASSWD);
        assert_eq!(bad, 2);
        let (g, gbad) = parse_group(GROUP);
        assert_eq!(gbad, 1);
        resolve(spec, Some(&p), Some(&g))
    }

    #[test]
    fn users() {
        let u = r("");
        assert!(u.is_root && u.resolved && u.in_passwd);
        assert_eq!(u.name.as_deref(), Some("root"));
        let u = r("root");
        assert!(u.is_root && u.resolved);
        let u = r("app");
        assert_eq!(
            (u.uid, u.gid, u.is_root, u.resolved),
            (Some(1000), Some(1000), false, true)
        );
        assert_eq!(u.home.as_deref(), Some("/home/app"));
        assert_eq!(u.group.as_deref(), Some("app"));
        let u = r("1000:1000");
        assert_eq!(
            (u.name.as_deref(), u.uid, u.gid),
            (Some("app"), Some(1000), Some(1000))
        );
        let u = r("65532");
        assert_eq!(
            (u.name.as_deref(), u.gid, u.resolved),
            (Some("nonroot"), Some(65532), true)
        );
        let u = r("4242");
        assert!(u.resolved && !u.in_passwd && !u.is_root);
        assert_eq!(u.gid, Some(0));
        assert!(u.why.is_some());
        let u = r("app:staff");
        assert_eq!((u.gid, u.group.as_deref()), (Some(50), Some("staff")));
        let u = r("ghost");
        assert!(!u.resolved);
        assert!(u.why.unwrap().contains("ghost"));
        let u = r("app:nogroup");
        assert!(!u.resolved);
        // Malformed entries are not matched by name.
        assert!(!r("bad").resolved);
    }

    #[test]
    fn without_passwd() {
        let u = resolve("", None, None);
        assert!(u.is_root && u.resolved && !u.in_passwd);
        let u = resolve("65532:65532", None, None);
        assert!(u.resolved && !u.is_root);
        assert_eq!(u.gid, Some(65532));
        assert!(!resolve("app", None, None).resolved);
    }
}
