//! Local disk backend on the per-core io_uring driver, with kernel-enforced path confinement
