//! The reference backup decodes, validates and writes back unchanged.

use ringway_model::{
    BackupData, DUMP_VERSION, FsProvider, GROUP_TYPE_MEMBERSHIP, GROUP_TYPE_PRIMARY,
    SECRET_STATUS_AES_256_GCM, User, from_json,
};
use serde_json::Value;

use super::{FIXTURE, backup};

#[test]
fn fixture_decodes() {
    let data = backup();
    assert_eq!(data.version, DUMP_VERSION);
    assert_eq!(data.users.len(), 2);
    assert_eq!(data.groups.len(), 1);
    assert_eq!(data.folders.len(), 2);
    assert_eq!(data.admins.len(), 2);
    assert_eq!(data.api_keys.len(), 1);
    assert_eq!(data.roles.len(), 1);
    assert_eq!(data.shares.len(), 1);
    assert_eq!(data.event_actions.len(), 1);
    assert_eq!(data.event_rules.len(), 1);
    assert_eq!(data.ip_lists.len(), 1);
    assert!(data.configs.is_some());

    let alice = &data.users[0];
    assert_eq!(alice.username, "alice");
    assert!(
        alice
            .password
            .as_deref()
            .is_some_and(|p| p.starts_with("$2a$10$"))
    );
    assert_eq!(alice.permissions["/"], ["*"]);
    assert_eq!(alice.primary_group(), Some("engineering"));
    assert_eq!(alice.filters.file_patterns[0].deny_policy, 1);
    assert_eq!(alice.filters.denied_protocols, ["FTP"]);
    assert_eq!(alice.virtual_folders[0].virtual_path, "/shared");
    assert_eq!(alice.virtual_folders[0].quota_files, -1);
    assert_eq!(alice.filesystem.provider, FsProvider::Local);
    assert_eq!(alice.filesystem.osconfig.read_buffer_size, 2);

    let bob = &data.users[1];
    assert!(
        bob.password
            .as_deref()
            .is_some_and(|p| p.starts_with("$6$"))
    );
    assert_eq!(bob.groups[0].group_type, GROUP_TYPE_MEMBERSHIP);
    assert_eq!(bob.permissions["/private"], Vec::<String>::new());
    assert!(
        bob.filters
            .totp_config
            .secret
            .as_ref()
            .is_some_and(|s| s.is_empty())
    );

    let group = &data.groups[0];
    assert_eq!(group.virtual_folders[0].subpath, "/engineering");
    assert_eq!(group.user_settings.expires_in, 365);
    assert_eq!(data.users[0].groups[0].group_type, GROUP_TYPE_PRIMARY);

    let archive = &data.folders[1];
    assert_eq!(archive.filesystem.provider, FsProvider::S3);
    let secret = archive.filesystem.s3config.access_secret.as_ref().unwrap();
    assert_eq!(secret.status, SECRET_STATUS_AES_256_GCM);
    assert_eq!(secret.additional_data, "folder_archive");

    assert_eq!(data.admins[1].role, "ops");
    assert_eq!(data.admins[1].groups[0].options.add_to_users_as, 1);
    assert_eq!(data.api_keys[0].admin, "admin");
}

#[test]
fn fixture_is_valid() {
    backup().validate().unwrap();
}

#[test]
fn round_trip_is_lossless() {
    let original: Value = serde_json::from_slice(FIXTURE).unwrap();
    let data = backup();
    let written = serde_json::to_value(&data).unwrap();
    assert_eq!(
        written, original,
        "re-serialised backup differs from the fixture"
    );
    let again: BackupData = from_json(&serde_json::to_vec_pretty(&data).unwrap()).unwrap();
    assert_eq!(again, data);
}

#[test]
fn empty_user_gets_reference_defaults() {
    let user: User = from_json(br#"{"username": "carol"}"#).unwrap();
    let written = serde_json::to_value(&user).unwrap();
    let expected = serde_json::json!({
        "id": 0, "status": 0, "username": "carol", "home_dir": "", "uid": 0, "gid": 0, "max_sessions": 0,
        "quota_size": 0, "quota_files": 0, "permissions": {}, "upload_data_transfer": 0,
        "download_data_transfer": 0, "total_data_transfer": 0, "created_at": 0, "updated_at": 0,
        "filters": {
            "hooks": {"external_auth_disabled": false, "pre_login_disabled": false, "check_password_disabled": false},
            "totp_config": {}
        },
        "filesystem": {
            "provider": 0, "osconfig": {}, "s3config": {}, "gcsconfig": {}, "azblobconfig": {}, "cryptconfig": {},
            "sftpconfig": {}, "httpconfig": {}
        }
    });
    assert_eq!(written, expected);
}

#[test]
fn go_nulls_read_as_empty() {
    let data: BackupData = from_json(
        br#"{"users": null, "groups": null, "folders": null, "admins": [{"username": "a", "permissions": null,
            "filters": {"allow_list": null, "recovery_codes": [{"secret": null}]}}],
            "api_keys": null, "shares": null, "event_actions": null, "event_rules": null, "roles": null,
            "ip_lists": null, "configs": null, "version": 17}"#,
    )
    .unwrap();
    assert!(data.users.is_empty());
    assert!(data.admins[0].permissions.is_empty());
    assert_eq!(data.admins[0].filters.recovery_codes[0].secret, None);
    let written = serde_json::to_value(&data).unwrap();
    assert_eq!(written["users"], serde_json::json!([]));
    assert_eq!(written["configs"], Value::Null);
    assert_eq!(
        written["admins"][0]["filters"]["recovery_codes"][0]["secret"],
        Value::Null
    );
}

#[test]
fn sunday_is_omitted_like_the_reference() {
    let filters: ringway_model::UserFilters = from_json(
        br#"{"access_time": [{"day_of_week": 0, "from": "08:00", "to": "09:00"}, {"day_of_week": 6, "from": "10:00", "to": "11:00"}]}"#,
    )
    .unwrap();
    assert_eq!(filters.access_time[0].day_of_week, 0);
    let written = serde_json::to_value(&filters).unwrap();
    assert_eq!(
        written["access_time"],
        serde_json::json!([{"from": "08:00", "to": "09:00"}, {"day_of_week": 6, "from": "10:00", "to": "11:00"}])
    );
}
