//! Three-way patch computation for client-side apply.
