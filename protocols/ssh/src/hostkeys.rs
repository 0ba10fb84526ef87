//! Host keys: the configured files, or the default trio generated in the config dir at first start.

use std::path::{Path, PathBuf};

use russh::keys::ssh_key::private::{EcdsaKeypair, RsaKeypair};
use russh::keys::ssh_key::{self, LineEnding};
use russh::keys::{Algorithm, EcdsaCurve, HashAlg, PrivateKey};

use crate::SetupError;

/// The default host keys, in the order they are offered: file name and how to make one.
const DEFAULT_KEYS: [(&str, KeyKind); 3] = [
    ("id_ed25519", KeyKind::Ed25519),
    ("id_ecdsa", KeyKind::EcdsaP256),
    ("id_rsa", KeyKind::Rsa3072),
];

#[derive(Debug, Clone, Copy)]
enum KeyKind {
    Ed25519,
    EcdsaP256,
    Rsa3072,
}

impl KeyKind {
    fn generate(self) -> Result<PrivateKey, ssh_key::Error> {
        let mut rng = rand::rng();
        match self {
            Self::Ed25519 => PrivateKey::random(&mut rng, Algorithm::Ed25519),
            Self::EcdsaP256 => {
                EcdsaKeypair::random(&mut rng, EcdsaCurve::NistP256).map(PrivateKey::from)
            }
            Self::Rsa3072 => RsaKeypair::random(&mut rng, 3072).map(PrivateKey::from),
        }
    }
}

/// Loads the host keys named in `sftpd.host_keys` (relative to `config_dir` unless absolute), or, when the list
/// is empty, the default keys in `config_dir`, generating each missing one (OpenSSH format, mode 0600).
///
/// # Errors
/// [`SetupError::HostKey`] naming the file that is missing, unreadable, encrypted or cannot be written.
pub fn load_host_keys(
    configured: &[String],
    config_dir: &Path,
) -> Result<Vec<PrivateKey>, SetupError> {
    let mut keys = Vec::new();
    if configured.is_empty() {
        for (name, kind) in DEFAULT_KEYS {
            let path = config_dir.join(name);
            let key = if path.exists() {
                read_key(&path)?
            } else {
                let key = kind.generate().map_err(|e| host_key_error(&path, &e))?;
                write_key(&path, &key)?;
                tracing::info!(path = %path.display(), "generated SSH host key");
                key
            };
            keys.push(key);
        }
    } else {
        for name in configured {
            let path = if Path::new(name).is_absolute() {
                PathBuf::from(name)
            } else {
                config_dir.join(name)
            };
            keys.push(read_key(&path)?);
        }
    }
    for key in &keys {
        tracing::info!(
            algorithm = %key.algorithm().as_str(),
            fingerprint = %key.fingerprint(HashAlg::Sha256),
            "SSH host key"
        );
    }
    Ok(keys)
}

fn host_key_error(path: &Path, cause: &dyn std::fmt::Display) -> SetupError {
    SetupError::HostKey {
        path: path.to_path_buf(),
        cause: cause.to_string(),
    }
}

fn read_key(path: &Path) -> Result<PrivateKey, SetupError> {
    let key = PrivateKey::read_openssh_file(path).map_err(|e| host_key_error(path, &e))?;
    if key.is_encrypted() {
        return Err(host_key_error(
            path,
            &"the key is encrypted with a passphrase",
        ));
    }
    Ok(key)
}

fn write_key(path: &Path, key: &PrivateKey) -> Result<(), SetupError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let text = key
        .to_openssh(LineEnding::LF)
        .map_err(|e| host_key_error(path, &e))?;
    // create_new: never overwrite a key another process wrote meanwhile.
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| host_key_error(path, &e))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| host_key_error(path, &e))?;
    let public = key
        .public_key()
        .to_openssh()
        .map_err(|e| host_key_error(path, &e))?;
    let pub_path = path.with_extension("pub");
    if let Err(e) = std::fs::write(&pub_path, format!("{public}\n")) {
        tracing::warn!(path = %pub_path.display(), cause = %e, "cannot write the public half of a host key");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn generates_once_then_reuses() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_host_keys(&[], dir.path()).unwrap();
        assert_eq!(first.len(), 3);
        assert_eq!(first[0].algorithm(), Algorithm::Ed25519);
        assert_eq!(
            first[1].algorithm(),
            Algorithm::Ecdsa {
                curve: EcdsaCurve::NistP256
            }
        );
        assert!(first[2].algorithm().is_rsa());
        let mode = std::fs::metadata(dir.path().join("id_rsa"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let again = load_host_keys(&[], dir.path()).unwrap();
        for (a, b) in first.iter().zip(&again) {
            assert_eq!(
                a.fingerprint(HashAlg::Sha256),
                b.fingerprint(HashAlg::Sha256)
            );
        }
    }

    #[test]
    fn configured_missing_key_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let err = load_host_keys(&["nope_key".to_owned()], dir.path()).unwrap_err();
        assert!(err.to_string().contains("nope_key"), "{err}");
    }

    #[test]
    fn configured_relative_key_is_loaded() {
        let dir = tempfile::tempdir().unwrap();
        load_host_keys(&[], dir.path()).unwrap();
        let keys = load_host_keys(&["id_ed25519".to_owned()], dir.path()).unwrap();
        assert_eq!(keys.len(), 1);
    }
}
