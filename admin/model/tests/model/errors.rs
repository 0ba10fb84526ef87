//! Decoding errors name the offending field.

use ringway_model::{BackupData, FieldError, Group, User, from_json};

fn user_error(json: &str) -> FieldError {
    from_json::<User>(json.as_bytes()).unwrap_err()
}

#[test]
fn unknown_field_names_its_path() {
    let err = user_error(r#"{"username": "x", "quota_sizee": 1}"#);
    assert_eq!(err.field, "quota_sizee");
    assert!(err.is_unknown_field());
    assert_eq!(err.to_string(), "unknown field \"quota_sizee\"");

    let err = user_error(r#"{"filters": {"hooks": {"pre_login": true}}}"#);
    assert_eq!(err.field, "filters.hooks.pre_login");
    assert_eq!(err.to_string(), "unknown field \"filters.hooks.pre_login\"");

    let err = from_json::<BackupData>(
        br#"{"users": [{}, {"filesystem": {"s3config": {"buckett": "b"}}}]}"#,
    )
    .unwrap_err();
    assert_eq!(err.field, "users[1].filesystem.s3config.buckett");

    let err = from_json::<BackupData>(br#"{"version": 17, "extra": []}"#).unwrap_err();
    assert_eq!(err.field, "extra");
}

#[test]
fn user_only_filters_are_unknown_in_groups() {
    let err =
        from_json::<Group>(br#"{"user_settings": {"filters": {"totp_config": {}}}}"#).unwrap_err();
    assert_eq!(err.field, "user_settings.filters.totp_config");
    assert!(err.is_unknown_field());
}

#[test]
fn ill_typed_field_names_its_path() {
    let err = user_error(r#"{"quota_size": "x"}"#);
    assert_eq!(err.field, "quota_size");
    assert!(
        err.to_string()
            .starts_with("invalid field \"quota_size\": invalid type: string \"x\", expected i64"),
        "{err}"
    );

    let err = user_error(r#"{"filters": {"denied_protocols": ["SSH", 3]}}"#);
    assert_eq!(err.field, "filters.denied_protocols[1]");

    let err = user_error(r#"{"permissions": {"/dir": ["list", 1]}}"#);
    assert_eq!(err.field, "permissions./dir[1]");

    let err = user_error(r#"{"virtual_folders": [{"name": "f", "quota_files": 1.5}]}"#);
    assert_eq!(err.field, "virtual_folders[0].quota_files");

    let err = user_error(r#"{"password": 12}"#);
    assert_eq!(err.field, "password");
}

#[test]
fn unknown_provider_is_refused_with_the_accepted_values() {
    let err = user_error(r#"{"filesystem": {"provider": 9}}"#);
    assert_eq!(err.field, "filesystem.provider");
    assert!(
        err.message.contains("invalid filesystem provider 9"),
        "{err}"
    );
    assert!(err.to_string().contains("6 (HTTP)"), "{err}");
}

#[test]
fn syntax_errors_have_no_field() {
    let err = user_error(r#"{"username": "x""#);
    assert_eq!(err.field, "");
    assert!(err.to_string().starts_with("invalid document: "), "{err}");

    let err = user_error(r#"{"username": "x"} trailing"#);
    assert_eq!(err.field, "");

    let err = user_error(r#""alice""#);
    assert_eq!(err.field, "");
    assert!(err.message.contains("expected struct User"), "{err}");
}
