//! The test images built by scripts/build-test-images. (being written)
