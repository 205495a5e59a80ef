//! countersign-model.
