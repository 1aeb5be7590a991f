//! Patch metadata (merge keys, patch strategies) read from the cluster's OpenAPI v3.
