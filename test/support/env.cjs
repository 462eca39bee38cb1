// Loaded by mocha before any test file (.mocharc.json "require"): settings the libraries read when they load.
// grpc-js-xds enforces the RBAC HTTP filter (AuthorizationPolicy on xDS-enabled gRPC servers) only with this on.
process.env.GRPC_XDS_EXPERIMENTAL_RBAC ??= 'true';
