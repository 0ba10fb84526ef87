//! Per-core workers, balanced SO_REUSEPORT listeners, the session registry and graceful shutdown
