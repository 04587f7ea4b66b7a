use crate::ctx::{Ctx, Sink};
use crate::imageref::ImageRef;

crate::rules::declare_rule! {
    /// ## What it does
    /// When `trusted-registries` is set in `.drydock.toml`, flags images pulled from any other registry
    /// (in `FROM`, `COPY --from=` and `RUN --mount=from=`). Docker Hub is `docker.io`; `*.example.com`
    /// trusts every subdomain. Silent when the list is not set.
    ///
    /// ## Why is this bad?
    /// A base from an unvetted registry bypasses the mirror, scanning and signing that the trusted ones get.
    ///
    /// ## Example
    /// ```dockerfile
    /// # .drydock.toml: [lint] trusted-registries = ["cgr.dev", "docker.io"]
    /// FROM quay.io/someone/python:3.12
    /// ```
    ///
    /// ## How to fix
    /// Pull through a trusted registry or mirror, or add the registry to the list.
    ///
    /// Overlaps hadolint DL3026 (`trustedRegistries`). Difference: hadolint's list matches the registry
    /// host exactly (`*.` wildcards aside); drydock treats `docker.io`, `index.docker.io` and
    /// `registry-1.docker.io` as one.
    code: "DD006",
    name: "untrusted-registry",
    severity: Warning,
    hadolint: ["DL3026"],
    check: check,
}

fn check(ctx: &Ctx<'_>, out: &mut Sink) {
    if ctx.config.trusted_registries.is_none() {
        return;
    }
    for u in ctx.image_uses() {
        let r = ImageRef::parse(&u.image);
        let reg = r.registry_or_default();
        if !ctx.config.registry_trusted(reg) {
            out.emit(
                &RULE,
                u.span,
                format!(
                    "`{}` comes from `{reg}`, which is not in trusted-registries",
                    u.image
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{BundledResolver, Config, lint_source};

    #[test]
    fn hits_and_misses() {
        let cfg = Config::from_toml(
            "[lint]\ntrusted-registries = [\"docker.io\", \"*.corp.example\"]\n",
            None,
        )
        .unwrap();
        let t = "FROM x.com/debian:1\nFROM debian:12\nFROM reg.corp.example/a:1\nCOPY --from=evil.io/a:1 /a /b\n";
        let f = lint_source("D", t, &cfg, &BundledResolver).unwrap();
        let lines: Vec<_> = f
            .iter()
            .filter(|f| f.code == "DD006")
            .map(|f| f.span.line)
            .collect();
        assert_eq!(lines, [1, 4]);
        let none = lint_source("D", t, &Config::default(), &BundledResolver).unwrap();
        assert!(none.iter().all(|f| f.code != "DD006"));
    }
}
