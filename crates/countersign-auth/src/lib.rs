//! countersign-auth.
