//! The HTTP admin listener on the control plane: health check now, the REST API later
