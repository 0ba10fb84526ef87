//! Algorithm lists: modern defaults, or the configured names validated against what russh implements.

use std::borrow::Cow;

use russh::keys::{Algorithm, EcdsaCurve, HashAlg};
use russh::{Preferred, cipher, kex, mac};

use crate::SetupError;

/// Key exchange, best first: the hybrid post-quantum one, then X25519.
const DEFAULT_KEX: [kex::Name; 3] = [
    kex::MLKEM768X25519_SHA256,
    kex::CURVE25519,
    kex::CURVE25519_PRE_RFC_8731,
];

/// Ciphers, best first. AES-GCM leads: it is the cheapest per byte on CPUs with AES-NI/PMULL.
const DEFAULT_CIPHERS: [cipher::Name; 5] = [
    cipher::AES_128_GCM,
    cipher::AES_256_GCM,
    cipher::CHACHA20_POLY1305,
    cipher::AES_128_CTR,
    cipher::AES_256_CTR,
];

/// MACs (only used with the CTR ciphers): encrypt-then-MAC only.
const DEFAULT_MACS: [mac::Name; 2] = [mac::HMAC_SHA256_ETM, mac::HMAC_SHA512_ETM];

/// Host key signature algorithms, best first.
const DEFAULT_HOST_KEY_ALGORITHMS: [Algorithm; 4] = [
    Algorithm::Ed25519,
    Algorithm::Ecdsa {
        curve: EcdsaCurve::NistP256,
    },
    Algorithm::Rsa {
        hash: Some(HashAlg::Sha512),
    },
    Algorithm::Rsa {
        hash: Some(HashAlg::Sha256),
    },
];

/// User key signature algorithms accepted by default (advertised in `server-sig-algs`).
const DEFAULT_USER_KEY_ALGORITHMS: [Algorithm; 6] = [
    Algorithm::Ed25519,
    Algorithm::Ecdsa {
        curve: EcdsaCurve::NistP256,
    },
    Algorithm::Ecdsa {
        curve: EcdsaCurve::NistP384,
    },
    Algorithm::Ecdsa {
        curve: EcdsaCurve::NistP521,
    },
    Algorithm::Rsa {
        hash: Some(HashAlg::Sha512),
    },
    Algorithm::Rsa {
        hash: Some(HashAlg::Sha256),
    },
];

/// The extension pseudo-algorithms every server KEXINIT carries: `ext-info-s` and strict KEX (the Terrapin
/// fix). russh only negotiates strict KEX when its own list names it.
const KEX_EXTENSIONS: [kex::Name; 2] = [
    kex::EXTENSION_SUPPORT_AS_SERVER,
    kex::EXTENSION_OPENSSH_STRICT_KEX_AS_SERVER,
];

/// Names that parse but that this server refuses to offer.
const REFUSED: [&str; 4] = [
    "none",
    "clear",
    "ext-info-s",
    "kex-strict-s-v00@openssh.com",
];

fn parse_list<T: Clone>(
    setting: &'static str,
    configured: &[String],
    defaults: &[T],
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Vec<T>, SetupError> {
    if configured.is_empty() {
        return Ok(defaults.to_vec());
    }
    configured
        .iter()
        .map(|name| {
            let name = name.trim();
            if REFUSED.contains(&name) {
                return Err(SetupError::Algorithm {
                    setting,
                    name: name.to_owned(),
                });
            }
            parse(name).ok_or_else(|| SetupError::Algorithm {
                setting,
                name: name.to_owned(),
            })
        })
        .collect()
}

fn parse_key_algorithm(name: &str) -> Option<Algorithm> {
    let algo = Algorithm::new(name).ok()?;
    match algo {
        Algorithm::Ed25519 | Algorithm::Rsa { .. } | Algorithm::Ecdsa { .. } => Some(algo),
        _ => None,
    }
}

/// Builds russh's preference lists from the `sftpd` settings.
///
/// russh uses one list, `Preferred::key`, both for the host key algorithms it offers (those it has a key for)
/// and for the `server-sig-algs` it advertises for user keys; so the list is the host key algorithms followed
/// by the user key algorithms, and [`host_key_allowed`] keeps host keys of other types out.
///
/// # Errors
/// [`SetupError::Algorithm`] naming the first algorithm russh does not implement.
pub fn preferred(sftpd: &ringway_config::SftpdConfig) -> Result<Preferred, SetupError> {
    let mut kex = parse_list("kex_algorithms", &sftpd.kex_algorithms, &DEFAULT_KEX, |n| {
        let name = kex::Name::try_from(n).ok()?;
        kex::ALL_KEX_ALGORITHMS.contains(&&name).then_some(name)
    })?;
    kex.extend(KEX_EXTENSIONS);
    let ciphers = parse_list("ciphers", &sftpd.ciphers, &DEFAULT_CIPHERS, |n| {
        cipher::Name::try_from(n).ok()
    })?;
    let macs = parse_list("macs", &sftpd.macs, &DEFAULT_MACS, |n| {
        mac::Name::try_from(n).ok()
    })?;
    let mut key = parse_list(
        "host_key_algorithms",
        &sftpd.host_key_algorithms,
        &DEFAULT_HOST_KEY_ALGORITHMS,
        parse_key_algorithm,
    )?;
    for algo in public_key_algorithms(sftpd)? {
        if !key.contains(&algo) {
            key.push(algo);
        }
    }
    Ok(Preferred {
        kex: Cow::Owned(kex),
        key: Cow::Owned(key),
        cipher: Cow::Owned(ciphers),
        mac: Cow::Owned(macs),
        ..Preferred::DEFAULT
    })
}

/// Whether a host key may be used under the configured `host_key_algorithms` (all may when it is empty).
///
/// # Errors
/// [`SetupError::Algorithm`] naming the first unknown algorithm.
pub fn host_key_allowed(
    sftpd: &ringway_config::SftpdConfig,
    key: &russh::keys::PrivateKey,
) -> Result<bool, SetupError> {
    if sftpd.host_key_algorithms.is_empty() {
        return Ok(true);
    }
    let algos = parse_list(
        "host_key_algorithms",
        &sftpd.host_key_algorithms,
        &[],
        parse_key_algorithm,
    )?;
    let have = key.algorithm();
    Ok(algos.iter().any(|a| match a {
        Algorithm::Rsa { .. } => matches!(have, Algorithm::Rsa { .. }),
        a => *a == have,
    }))
}

/// The signature algorithms accepted for user public keys: the configured ones, or the modern defaults (no
/// SHA-1 `ssh-rsa`).
///
/// # Errors
/// [`SetupError::Algorithm`] naming the first unknown algorithm.
pub fn public_key_algorithms(
    sftpd: &ringway_config::SftpdConfig,
) -> Result<Vec<Algorithm>, SetupError> {
    parse_list(
        "public_key_algorithms",
        &sftpd.public_key_algorithms,
        &DEFAULT_USER_KEY_ALGORITHMS,
        parse_key_algorithm,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ringway_config::SftpdConfig;

    #[test]
    fn defaults_are_modern() {
        let p = preferred(&SftpdConfig::default()).unwrap();
        assert_eq!(p.kex[0].as_ref(), "mlkem768x25519-sha256");
        assert!(
            p.kex
                .iter()
                .any(|k| k.as_ref() == "kex-strict-s-v00@openssh.com")
        );
        assert_eq!(p.cipher[0].as_ref(), "aes128-gcm@openssh.com");
        assert!(
            p.mac
                .iter()
                .all(|m| m.as_ref().ends_with("-etm@openssh.com"))
        );
    }

    #[test]
    fn user_key_algorithms_follow_the_host_key_ones() {
        let cfg = SftpdConfig {
            host_key_algorithms: vec!["ssh-ed25519".into()],
            public_key_algorithms: vec!["rsa-sha2-512".into()],
            ..SftpdConfig::default()
        };
        let p = preferred(&cfg).unwrap();
        let names: Vec<String> = p.key.iter().map(ToString::to_string).collect();
        assert_eq!(names, ["ssh-ed25519", "rsa-sha2-512"]);
        let ed = russh::keys::PrivateKey::random(&mut rand::rng(), Algorithm::Ed25519).unwrap();
        assert!(host_key_allowed(&cfg, &ed).unwrap());
        let cfg = SftpdConfig {
            host_key_algorithms: vec!["rsa-sha2-256".into()],
            ..SftpdConfig::default()
        };
        assert!(!host_key_allowed(&cfg, &ed).unwrap());
        assert!(host_key_allowed(&SftpdConfig::default(), &ed).unwrap());
    }

    #[test]
    fn configured_lists_are_honoured() {
        let cfg = SftpdConfig {
            ciphers: vec!["aes256-ctr".into()],
            kex_algorithms: vec!["curve25519-sha256".into()],
            ..SftpdConfig::default()
        };
        let p = preferred(&cfg).unwrap();
        assert_eq!(p.cipher.len(), 1);
        assert_eq!(p.kex[0].as_ref(), "curve25519-sha256");
    }

    #[test]
    fn unknown_algorithm_is_named() {
        for (field, cfg) in [
            (
                "ciphers",
                SftpdConfig {
                    ciphers: vec!["aes128-gcm@openssh.com".into(), "rot13".into()],
                    ..SftpdConfig::default()
                },
            ),
            (
                "kex_algorithms",
                SftpdConfig {
                    kex_algorithms: vec!["sntrup761x25519-sha512".into()],
                    ..SftpdConfig::default()
                },
            ),
            (
                "macs",
                SftpdConfig {
                    macs: vec!["umac-64".into()],
                    ..SftpdConfig::default()
                },
            ),
            (
                "host_key_algorithms",
                SftpdConfig {
                    host_key_algorithms: vec!["ssh-dss".into()],
                    ..SftpdConfig::default()
                },
            ),
            (
                "ciphers",
                SftpdConfig {
                    ciphers: vec!["none".into()],
                    ..SftpdConfig::default()
                },
            ),
        ] {
            let err = preferred(&cfg).unwrap_err().to_string();
            assert!(err.contains(field), "{err}");
        }
    }
}
