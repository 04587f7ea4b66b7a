//! SBOM writers: CycloneDX 1.6 JSON, SPDX 2.3 JSON, drydock JSON and a table.
