//! The package model shared by every cataloger and SBOM writer.

use std::collections::BTreeMap;

use serde::Serialize;

/// Which ecosystem a package belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PackageType {
    Deb,
    Apk,
    Rpm,
    /// OpenWrt's opkg.
    Opkg,
    Python,
    Npm,
    Golang,
    Cargo,
    Maven,
}

impl PackageType {
    /// The package-URL type.
    pub fn purl_type(self) -> &'static str {
        match self {
            PackageType::Deb => "deb",
            PackageType::Apk => "apk",
            PackageType::Rpm => "rpm",
            PackageType::Opkg => "opkg",
            PackageType::Python => "pypi",
            PackageType::Npm => "npm",
            PackageType::Golang => "golang",
            PackageType::Cargo => "cargo",
            PackageType::Maven => "maven",
        }
    }

    /// Whether the package is an operating-system package.
    pub fn is_os(self) -> bool {
        matches!(
            self,
            PackageType::Deb | PackageType::Apk | PackageType::Rpm | PackageType::Opkg
        )
    }
}

/// One package found in an image.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Package {
    pub name: String,
    pub version: String,
    #[serde(rename = "type")]
    pub kind: PackageType,
    /// Package URL, e.g. `pkg:deb/debian/libssl3@3.0.15-1~deb12u1?arch=amd64&distro=debian-12`.
    pub purl: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// Source package (dpkg `Source:`, apk origin, rpm source rpm).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_version: Option<String>,
    /// License strings as found; `license_expression` holds an SPDX expression when they parse as one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub licenses: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license_expression: Option<String>,
    /// Files the package owns (absolute image paths), where the database says.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
    /// The file(s) the package was found in (database or metadata file).
    pub locations: Vec<String>,
    /// Index of the layer that introduced the package (bottom = 0), and its digest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer_digest: Option<String>,
    /// Whether that layer belongs to the base image (None when the base is unknown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_base_image: Option<bool>,
    /// Ecosystem-specific extras (maintainer, epoch, release, Go version, main module…).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, String>,
    /// Purls of the packages in the same image this one needs, where its database says
    /// (dpkg `Depends`/`Pre-Depends`, apk `D:`), resolved against what is installed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
}

impl Package {
    /// A package with the required fields and nothing else.
    pub fn new(
        kind: PackageType,
        name: impl Into<String>,
        version: impl Into<String>,
        purl: impl Into<String>,
    ) -> Package {
        Package {
            name: name.into(),
            version: version.into(),
            kind,
            purl: purl.into(),
            arch: None,
            source_name: None,
            source_version: None,
            licenses: Vec::new(),
            license_expression: None,
            files: Vec::new(),
            locations: Vec::new(),
            layer: None,
            layer_digest: None,
            in_base_image: None,
            metadata: BTreeMap::new(),
            depends_on: Vec::new(),
        }
    }
}
