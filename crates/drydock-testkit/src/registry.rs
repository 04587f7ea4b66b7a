//! A real docker-registry on loopback, pushes with skopeo, auth set-ups, fault stubs. (being written)
