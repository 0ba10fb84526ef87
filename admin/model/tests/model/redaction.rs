//! API output hides passwords, key hashes and secret key material; `Debug` never shows them.

use ringway_model::{SECRET_STATUS_REDACTED, Secret, Sensitive};

use super::backup;

#[test]
fn user_redaction_hides_the_password() {
    let data = backup();
    let alice = &data.users[0];
    let hash = alice.password.clone().unwrap();
    let shown = alice.redacted();
    assert_eq!(shown.password, None);
    assert!(shown.has_password);
    let json = serde_json::to_string(&shown).unwrap();
    assert!(!json.contains("\"password\""), "{json}");
    assert!(!json.contains(hash.expose()), "{json}");
    // The backup form keeps the hash.
    assert!(
        serde_json::to_string(alice)
            .unwrap()
            .contains(hash.expose())
    );
}

#[test]
fn debug_output_hides_credentials() {
    let data = backup();
    let debug = format!("{data:?}");
    for user in &data.users {
        assert!(
            !debug.contains(user.password.as_deref().unwrap()),
            "password hash in Debug output"
        );
    }
    let secret = data.folders[1]
        .filesystem
        .s3config
        .access_secret
        .as_ref()
        .unwrap();
    assert!(!debug.contains(&secret.payload));
    assert!(!debug.contains(&secret.key));
    assert!(!debug.contains(data.api_keys[0].key.as_deref().unwrap()));
    assert_eq!(format!("{:?}", Sensitive::new("hunter2")), "<redacted>");
}

#[test]
fn encrypted_secrets_lose_their_key_material() {
    let data = backup();
    let folder = data.folders[1].redacted();
    let stored = data.folders[1]
        .filesystem
        .s3config
        .access_secret
        .clone()
        .unwrap();
    let shown = folder.filesystem.s3config.access_secret.unwrap();
    assert_eq!(shown.status, stored.status);
    assert_eq!(shown.payload, stored.payload);
    assert!(shown.key.is_empty());
    assert!(shown.additional_data.is_empty());
}

#[test]
fn plain_secrets_are_replaced() {
    let mut data = backup();
    let mut user = data.users.remove(1);
    user.filters.totp_config.secret = Some(Secret::plain("JBSWY3DPEHPK3PXP"));
    user.filesystem.sftpconfig.password = Some(Secret::plain("remote-password"));
    user.virtual_folders = data.groups[0].virtual_folders.clone();
    user.virtual_folders[0].filesystem.cryptconfig.passphrase =
        Some(Secret::plain("crypt-pass-77"));
    let shown = user.redacted();
    for secret in [
        shown.filters.totp_config.secret.as_ref(),
        shown.filesystem.sftpconfig.password.as_ref(),
        shown.virtual_folders[0]
            .filesystem
            .cryptconfig
            .passphrase
            .as_ref(),
    ] {
        assert_eq!(
            secret,
            Some(&Secret {
                status: SECRET_STATUS_REDACTED.to_owned(),
                ..Secret::default()
            })
        );
    }
    let json = serde_json::to_string(&shown).unwrap();
    for plain in ["JBSWY3DPEHPK3PXP", "remote-password", "crypt-pass-77"] {
        assert!(!json.contains(plain), "{plain} leaked: {json}");
    }
}

#[test]
fn empty_secrets_disappear() {
    let data = backup();
    let bob = &data.users[1];
    assert!(bob.filters.totp_config.secret.is_some());
    assert_eq!(bob.redacted().filters.totp_config.secret, None);
}

#[test]
fn admin_and_api_key_redaction() {
    let data = backup();
    let mut admin = data.admins[0].clone();
    admin.filters.totp_config.secret = Some(Secret::plain("JBSWY3DPEHPK3PXP"));
    let shown = admin.redacted();
    assert_eq!(shown.password, None);
    assert!(
        shown
            .filters
            .totp_config
            .secret
            .as_ref()
            .is_some_and(Secret::is_redacted)
    );
    let json = serde_json::to_string(&shown).unwrap();
    assert!(!json.contains("\"password\""), "{json}");

    let key = data.api_keys[0].redacted();
    assert_eq!(key.key, None);
    assert!(!serde_json::to_string(&key).unwrap().contains("\"key\""));
}
