//! Typed ringway configuration: file formats, defaults, environment overrides, validation
