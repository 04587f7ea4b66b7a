//! Every package in an image, from one pass over its files.
//!
//! Each ecosystem is one [`Cataloger`]: a [`drydock_image::FileVisitor`] with a cheap `wants` test,
//! offered the files it asks for during the single walk of the merged view, then asked to `finish`.

pub mod catalog;
pub mod lang;
pub mod license;
pub mod os;
pub mod package;
pub mod purl;
pub mod sbom;

pub use catalog::{
    Catalog, Error, Options, Subject, catalog_dir, catalog_image, catalog_image_with, catalog_with,
};
pub use package::{Package, PackageType};

use drydock_image::FileVisitor;
use drydock_image::osrelease::OsRelease;

/// What a cataloger knows once the walk is over.
#[derive(Clone, Debug, Default)]
pub struct Context {
    /// The image's os-release, if it has one (purl `distro` qualifiers, OS package namespaces).
    pub os: Option<OsRelease>,
    /// Layer digests, bottom first (to name the layer that introduced a package).
    pub layers: Vec<drydock_image::Digest>,
    /// How many bottom layers belong to the base image, when known.
    pub base_layers: Option<usize>,
}

/// A problem with one file that did not stop the run.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Warning {
    pub cataloger: &'static str,
    pub path: String,
    pub message: String,
}

/// One ecosystem's cataloger.
pub trait Cataloger: FileVisitor {
    /// A short unique name (`dpkg`, `apk`, `python`…).
    fn name(&self) -> &'static str;
    /// The packages found, and warnings about files that could not be read.
    fn finish(self: Box<Self>, ctx: &Context) -> (Vec<Package>, Vec<Warning>);
}

/// Every cataloger drydock has, OS ones first. Names are unique (a test checks).
pub fn all_catalogers() -> Vec<Box<dyn Cataloger>> {
    let mut all = os::catalogers();
    all.extend(lang::catalogers());
    all
}

#[cfg(test)]
mod tests {
    #[test]
    fn cataloger_names_are_unique() {
        let all = super::all_catalogers();
        let mut names: Vec<&str> = all.iter().map(|c| c.name()).collect();
        assert!(names.contains(&"dpkg") && names.contains(&"apk") && names.contains(&"rpm"));
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n, "two catalogers share a name: {names:?}");
    }
}
