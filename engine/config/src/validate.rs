//! [`Config::validate`]: the constraints the types alone cannot express.

use std::net::IpAddr;

use crate::provider::{DRIVERS, HASH_ALGOS};
use crate::{Config, ConfigError};

/// Smallest accepted `engine.ring_entries`.
const MIN_RING_ENTRIES: u32 = 8;
/// Largest accepted `engine.ring_entries` (the kernel's limit for a submission queue).
const MAX_RING_ENTRIES: u32 = 32768;

impl Config {
    /// Checks the constraints the types alone cannot express:
    ///
    /// - `common.upload_mode` is 0, 1 or 2;
    /// - `engine.ring_entries` is a power of two between 8 and 32768, `engine.control_plane_threads` is 1 to 4;
    /// - every `ftpd.bindings[N].tls_mode` is 0, 1 or 2, and `ftpd.passive_port_range` has `start <= end`;
    /// - `data_provider.driver` is one of `sqlite`, `postgresql`, `mysql`, `memory`; `track_quota` is 0, 1 or 2;
    /// - `data_provider.password_hashing.algo` is `argon2id` or `bcrypt`, the bcrypt cost is 4 to 31, and the
    ///   argon2 options have at least one iteration, one lane and 8 KiB of memory per lane;
    /// - no two enabled listeners (bindings with a port other than 0, and the telemetry endpoint) share a port on
    ///   overlapping addresses. The empty address and `::` overlap every address, `0.0.0.0` every IPv4 address.
    ///
    /// [`load`](crate::load) calls it; call it yourself on a `Config` built or changed in code.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Invalid`] for the first violated constraint, naming its key, e.g.
    /// `engine.ring_entries: must be a power of two between 8 and 32768, got 100`.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.validate_common()?;
        self.validate_engine()?;
        self.validate_ftpd()?;
        self.validate_data_provider()?;
        validate_listeners(&self.listeners())
    }

    fn validate_common(&self) -> Result<(), ConfigError> {
        let mode = self.common.upload_mode;
        if mode > 2 {
            return Err(ConfigError::invalid(
                "common.upload_mode",
                format!("must be 0 (direct), 1 (atomic) or 2 (atomic with resume), got {mode}"),
            ));
        }
        Ok(())
    }

    fn validate_engine(&self) -> Result<(), ConfigError> {
        let entries = self.engine.ring_entries;
        if !entries.is_power_of_two() || !(MIN_RING_ENTRIES..=MAX_RING_ENTRIES).contains(&entries) {
            return Err(ConfigError::invalid(
                "engine.ring_entries",
                format!(
                    "must be a power of two between {MIN_RING_ENTRIES} and {MAX_RING_ENTRIES}, got {entries}"
                ),
            ));
        }
        let threads = self.engine.control_plane_threads;
        if !(1..=4).contains(&threads) {
            return Err(ConfigError::invalid(
                "engine.control_plane_threads",
                format!("must be between 1 and 4, got {threads}"),
            ));
        }
        Ok(())
    }

    fn validate_ftpd(&self) -> Result<(), ConfigError> {
        for (i, binding) in self.ftpd.bindings.iter().enumerate() {
            if binding.tls_mode > 2 {
                return Err(ConfigError::invalid(
                    format!("ftpd.bindings[{i}].tls_mode"),
                    format!(
                        "must be 0 (TLS optional), 1 (explicit TLS required) or 2 (implicit TLS), got {}",
                        binding.tls_mode
                    ),
                ));
            }
        }
        let range = &self.ftpd.passive_port_range;
        if range.start > range.end {
            return Err(ConfigError::invalid(
                "ftpd.passive_port_range",
                format!(
                    "start ({}) must not be above end ({})",
                    range.start, range.end
                ),
            ));
        }
        Ok(())
    }

    fn validate_data_provider(&self) -> Result<(), ConfigError> {
        let provider = &self.data_provider;
        if !DRIVERS.contains(&provider.driver.as_str()) {
            return Err(ConfigError::invalid(
                "data_provider.driver",
                format!(
                    "unknown driver {:?}, expected one of {}",
                    provider.driver,
                    DRIVERS.join(", ")
                ),
            ));
        }
        if provider.track_quota > 2 {
            return Err(ConfigError::invalid(
                "data_provider.track_quota",
                format!(
                    "must be 0 (disabled), 1 (always) or 2 (only with quota limits), got {}",
                    provider.track_quota
                ),
            ));
        }
        let hashing = &provider.password_hashing;
        if !HASH_ALGOS.contains(&hashing.algo.as_str()) {
            return Err(ConfigError::invalid(
                "data_provider.password_hashing.algo",
                format!(
                    "unknown algorithm {:?}, expected one of {}",
                    hashing.algo,
                    HASH_ALGOS.join(", ")
                ),
            ));
        }
        let cost = hashing.bcrypt_options.cost;
        if !(4..=31).contains(&cost) {
            return Err(ConfigError::invalid(
                "data_provider.password_hashing.bcrypt_options.cost",
                format!("must be between 4 and 31, got {cost}"),
            ));
        }
        let argon2 = &hashing.argon2_options;
        let prefix = "data_provider.password_hashing.argon2_options";
        if argon2.iterations == 0 {
            return Err(ConfigError::invalid(
                format!("{prefix}.iterations"),
                "must be at least 1, got 0",
            ));
        }
        if argon2.parallelism == 0 {
            return Err(ConfigError::invalid(
                format!("{prefix}.parallelism"),
                "must be at least 1, got 0",
            ));
        }
        if u64::from(argon2.memory) < 8 * u64::from(argon2.parallelism) {
            return Err(ConfigError::invalid(
                format!("{prefix}.memory"),
                format!(
                    "must be at least 8 KiB per lane ({} for parallelism {}), got {}",
                    8 * u64::from(argon2.parallelism),
                    argon2.parallelism,
                    argon2.memory
                ),
            ));
        }
        Ok(())
    }

    /// Every enabled listener, in section order.
    fn listeners(&self) -> Vec<Listener<'_>> {
        let mut listeners = Vec::new();
        push_bindings(
            &mut listeners,
            "sftpd",
            self.sftpd
                .bindings
                .iter()
                .map(|b| (b.port, b.address.as_str())),
        );
        push_bindings(
            &mut listeners,
            "ftpd",
            self.ftpd
                .bindings
                .iter()
                .map(|b| (b.port, b.address.as_str())),
        );
        push_bindings(
            &mut listeners,
            "webdavd",
            self.webdavd
                .bindings
                .iter()
                .map(|b| (b.port, b.address.as_str())),
        );
        push_bindings(
            &mut listeners,
            "httpd",
            self.httpd
                .bindings
                .iter()
                .map(|b| (b.port, b.address.as_str())),
        );
        let telemetry = &self.telemetry;
        if telemetry.bind_port != 0 {
            listeners.push(Listener {
                owner: "telemetry".to_owned(),
                port_key: "telemetry.bind_port".to_owned(),
                port: telemetry.bind_port,
                address: &telemetry.bind_address,
            });
        }
        listeners
    }
}

/// An enabled listening socket and the keys that configure it.
struct Listener<'a> {
    /// The binding's key, e.g. `sftpd.bindings[0]`.
    owner: String,
    /// The key of its port, e.g. `sftpd.bindings[0].port`.
    port_key: String,
    port: u16,
    address: &'a str,
}

/// Appends the enabled ones of a section's `(port, address)` bindings.
fn push_bindings<'a>(
    out: &mut Vec<Listener<'a>>,
    section: &str,
    bindings: impl Iterator<Item = (u16, &'a str)>,
) {
    for (i, (port, address)) in bindings.enumerate() {
        if port != 0 {
            let owner = format!("{section}.bindings[{i}]");
            out.push(Listener {
                port_key: format!("{owner}.port"),
                owner,
                port,
                address,
            });
        }
    }
}

/// Rejects two listeners on the same port with overlapping addresses, naming the later one's port key.
fn validate_listeners(listeners: &[Listener<'_>]) -> Result<(), ConfigError> {
    for (j, later) in listeners.iter().enumerate() {
        let clash = listeners[..j]
            .iter()
            .find(|earlier| earlier.port == later.port && overlap(earlier.address, later.address));
        if let Some(earlier) = clash {
            return Err(ConfigError::invalid(
                later.port_key.clone(),
                format!(
                    "port {} on {} is already used by {} (on {}); every enabled listener needs its own address and port",
                    later.port,
                    describe(later.address),
                    earlier.owner,
                    describe(earlier.address)
                ),
            ));
        }
    }
    Ok(())
}

/// Whether two listen addresses can collide on the same port. Host names other than identical ones are assumed
/// not to, since they are not resolved here.
fn overlap(a: &str, b: &str) -> bool {
    if a == b || a.is_empty() || b.is_empty() {
        return true;
    }
    match (parse_ip(a), parse_ip(b)) {
        (Some(x), Some(y)) => x == y || wildcard_covers(x, y) || wildcard_covers(y, x),
        (Some(x), None) | (None, Some(x)) => x.is_unspecified(),
        (None, None) => false,
    }
}

/// Whether the address `wildcard`, if unspecified, also takes `other`: `::` takes everything (dual-stack),
/// `0.0.0.0` every IPv4 address.
fn wildcard_covers(wildcard: IpAddr, other: IpAddr) -> bool {
    match wildcard {
        IpAddr::V6(w) => w.is_unspecified(),
        IpAddr::V4(w) => w.is_unspecified() && other.is_ipv4(),
    }
}

/// Parses an IP address, also in the bracketed IPv6 form `[::1]`.
fn parse_ip(address: &str) -> Option<IpAddr> {
    let bare = address
        .strip_prefix('[')
        .and_then(|a| a.strip_suffix(']'))
        .unwrap_or(address);
    bare.parse().ok()
}

/// An address for messages.
fn describe(address: &str) -> String {
    if address.is_empty() {
        "all addresses".to_owned()
    } else {
        address.to_owned()
    }
}
