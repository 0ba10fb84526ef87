//! Every validation rule reports the offending field.

use ringway_model::{
    Admin, ApiKey, BaseVirtualFolder, FsProvider, Group, GroupMapping, PatternsFilter, Role,
    Secret, User, ValidationError, VirtualFolder, from_json,
};

use super::backup;

/// A valid user to break one field at a time.
fn user() -> User {
    from_json(
        br#"{"username": "dave", "status": 1, "home_dir": "/srv/dave", "permissions": {"/": ["*"]}}"#,
    )
    .unwrap()
}

/// Asserts that validation fails on `field`, and returns the error.
#[track_caller]
fn fails_on(result: Result<(), ValidationError>, field: &str) -> ValidationError {
    let err = result.expect_err("validation should fail");
    assert_eq!(err.field, field, "wrong field in: {err}");
    assert_eq!(
        err.to_string(),
        format!("invalid field \"{field}\": {}", err.message)
    );
    err
}

fn with_user(change: impl FnOnce(&mut User)) -> Result<(), ValidationError> {
    let mut u = user();
    change(&mut u);
    u.validate()
}

#[test]
fn base_user_is_valid() {
    user().validate().unwrap();
}

#[test]
fn usernames() {
    let long = "x".repeat(256);
    for bad in [
        "",
        "a/b",
        "nul\0l",
        ".",
        "..",
        " dave",
        "dave ",
        "a:b",
        "a\u{200b}b",
        "CON",
        "com1.txt",
        &long,
    ] {
        fails_on(with_user(|u| u.username = bad.to_owned()), "username");
    }
    let err = fails_on(with_user(|u| u.username = "__system__".into()), "username");
    assert!(err.message.contains("reserved"), "{err}");
    for good in [
        "dave",
        "Dave.O'Neil",
        "дейв",
        "user@example.com",
        "a b",
        &"x".repeat(255),
    ] {
        with_user(|u| u.username = good.to_owned()).unwrap();
    }
}

#[test]
fn user_permissions() {
    fails_on(with_user(|u| u.permissions.clear()), "permissions");
    fails_on(
        with_user(|u| {
            u.permissions.remove("/");
            u.permissions.insert("/dir".into(), vec!["list".into()]);
        }),
        "permissions",
    );
    fails_on(
        with_user(|u| {
            u.permissions.insert("dir".into(), vec!["list".into()]);
        }),
        "permissions.dir",
    );
    fails_on(
        with_user(|u| {
            u.permissions.insert("/.".into(), vec!["list".into()]);
        }),
        "permissions./.",
    );
    fails_on(
        with_user(|u| {
            u.permissions.insert("/dir".into(), vec!["list".into()]);
            u.permissions.insert("/dir/".into(), vec!["list".into()]);
        }),
        "permissions./dir/",
    );
    let err = fails_on(
        with_user(|u| {
            u.permissions
                .insert("/dir".into(), vec!["list".into(), "execute".into()]);
        }),
        "permissions./dir[1]",
    );
    assert!(err.message.contains("\"execute\""), "{err}");
    fails_on(
        with_user(|u| {
            u.permissions.insert("/".into(), vec![]);
        }),
        "permissions./",
    );
    // Accepted like the reference: `*` with other names, and an empty list below the root.
    with_user(|u| {
        u.permissions
            .insert("/".into(), vec!["*".into(), "list".into()]);
        u.permissions.insert("/private".into(), vec![]);
    })
    .unwrap();
}

#[test]
fn status_and_limits() {
    fails_on(with_user(|u| u.status = 2), "status");
    fails_on(with_user(|u| u.quota_size = -1), "quota_size");
    fails_on(with_user(|u| u.quota_files = -1), "quota_files");
    fails_on(with_user(|u| u.upload_bandwidth = -5), "upload_bandwidth");
    fails_on(
        with_user(|u| u.total_data_transfer = -1),
        "total_data_transfer",
    );
    fails_on(with_user(|u| u.uid = -1), "uid");
    fails_on(with_user(|u| u.gid = 1 << 31), "gid");
    fails_on(with_user(|u| u.home_dir = "srv/dave".into()), "home_dir");
    with_user(|u| u.home_dir.clear()).unwrap();
    fails_on(with_user(|u| u.email = "not-an-address".into()), "email");
}

#[test]
fn filters() {
    fails_on(
        with_user(|u| u.filters.denied_protocols = vec!["SSH".into(), "SMTP".into()]),
        "filters.denied_protocols[1]",
    );
    fails_on(
        with_user(|u| {
            u.filters.denied_protocols = ["SSH", "FTP", "DAV", "HTTP"].map(String::from).to_vec()
        }),
        "filters.denied_protocols",
    );
    fails_on(
        with_user(|u| u.filters.denied_login_methods = vec!["otp".into()]),
        "filters.denied_login_methods[0]",
    );
    fails_on(
        with_user(|u| u.filters.two_factor_protocols = vec!["DAV".into()]),
        "filters.two_factor_protocols[0]",
    );
    fails_on(
        with_user(|u| u.filters.allowed_ip = vec!["192.0.2.0/24".into(), "300.1.1.1".into()]),
        "filters.allowed_ip[1]",
    );
    fails_on(
        with_user(|u| u.filters.denied_ip = vec!["10.0.0.0/33".into()]),
        "filters.denied_ip[0]",
    );
    with_user(|u| u.filters.allowed_ip = vec!["127.0.0.1".into(), "::1/128".into()]).unwrap();
    fails_on(
        with_user(|u| u.filters.web_client = vec!["read-only".into()]),
        "filters.web_client[0]",
    );
    fails_on(
        with_user(|u| u.filters.tls_username = "SerialNumber".into()),
        "filters.tls_username",
    );
    fails_on(
        with_user(|u| {
            u.filters.default_shares_expiration = 10;
            u.filters.max_shares_expiration = 5;
        }),
        "filters.default_shares_expiration",
    );
    fails_on(
        with_user(|u| u.filters.additional_emails = vec!["a@example.com".into(), "nope".into()]),
        "filters.additional_emails[1]",
    );
    fails_on(
        with_user(|u| {
            u.filters.totp_config.enabled = true;
            u.filters.totp_config.config_name = "Default".into();
            u.filters.totp_config.secret = Some(Secret::plain("JBSWY3DPEHPK3PXP"));
        }),
        "filters.totp_config.protocols",
    );
    let limits: User = from_json(
        br#"{"username": "d", "permissions": {"/": ["*"]},
             "filters": {"bandwidth_limits": [{"sources": ["10.0.0.0/8", "bad"]}]}}"#,
    )
    .unwrap();
    fails_on(limits.validate(), "filters.bandwidth_limits[0].sources[1]");
    let times: User = from_json(
        br#"{"username": "d", "permissions": {"/": ["*"]},
             "filters": {"access_time": [{"day_of_week": 7, "from": "08:00", "to": "09:00"}]}}"#,
    )
    .unwrap();
    fails_on(times.validate(), "filters.access_time[0].day_of_week");
}

#[test]
fn file_patterns() {
    let pattern = |path: &str, denied: &[&str], policy: i32| PatternsFilter {
        path: path.into(),
        denied_patterns: denied.iter().map(|p| (*p).to_owned()).collect(),
        deny_policy: policy,
        ..PatternsFilter::default()
    };
    with_user(|u| u.filters.file_patterns = vec![pattern("/", &["*.exe"], 1)]).unwrap();
    fails_on(
        with_user(|u| u.filters.file_patterns = vec![pattern("uploads", &["*.exe"], 0)]),
        "filters.file_patterns[0].path",
    );
    fails_on(
        with_user(|u| u.filters.file_patterns = vec![pattern("/", &["*.exe"], 2)]),
        "filters.file_patterns[0].deny_policy",
    );
    fails_on(
        with_user(|u| u.filters.file_patterns = vec![pattern("/", &["*.exe", "[a-"], 0)]),
        "filters.file_patterns[0].denied_patterns[1]",
    );
    fails_on(
        with_user(|u| u.filters.file_patterns = vec![pattern("/", &[], 0)]),
        "filters.file_patterns[0]",
    );
    fails_on(
        with_user(|u| {
            u.filters.file_patterns = vec![pattern("/a", &["*.x"], 0), pattern("/a/", &["*.y"], 0)]
        }),
        "filters.file_patterns[1].path",
    );
}

#[test]
fn group_mappings() {
    let mapping = |name: &str, group_type| GroupMapping {
        name: name.into(),
        group_type,
    };
    with_user(|u| u.groups = vec![mapping("a", 1), mapping("b", 2), mapping("c", 3)]).unwrap();
    fails_on(
        with_user(|u| u.groups = vec![mapping("a", 4)]),
        "groups[0].type",
    );
    fails_on(
        with_user(|u| u.groups = vec![mapping("a", 1), mapping("b", 1)]),
        "groups[1].type",
    );
    fails_on(
        with_user(|u| u.groups = vec![mapping("a", 2), mapping("a", 3)]),
        "groups[1].name",
    );
    fails_on(
        with_user(|u| u.groups = vec![mapping("", 2)]),
        "groups[0].name",
    );
}

#[test]
fn folder_mappings() {
    let mount = |name: &str, path: &str, size: i64, files: i64| VirtualFolder {
        quota_size: size,
        quota_files: files,
        ..VirtualFolder::mount(
            BaseVirtualFolder {
                name: name.into(),
                ..BaseVirtualFolder::default()
            },
            path,
        )
    };
    with_user(|u| u.virtual_folders = vec![mount("f", "/f", -1, -1), mount("g", "/f/g", 100, 0)])
        .unwrap();
    fails_on(
        with_user(|u| u.virtual_folders = vec![mount("f", "/f", 0, -2)]),
        "virtual_folders[0].quota_files",
    );
    fails_on(
        with_user(|u| u.virtual_folders = vec![mount("f", "/f", -1, 0)]),
        "virtual_folders[0].quota_files",
    );
    fails_on(
        with_user(|u| u.virtual_folders = vec![mount("f", "f", 0, 0)]),
        "virtual_folders[0].virtual_path",
    );
    fails_on(
        with_user(|u| u.virtual_folders = vec![mount("f", "/a", 0, 0), mount("g", "/a/", 0, 0)]),
        "virtual_folders[1].virtual_path",
    );
    fails_on(
        with_user(|u| u.virtual_folders = vec![mount("f", "/a", 0, 0), mount("f", "/b", 0, 0)]),
        "virtual_folders[1].name",
    );
    fails_on(
        with_user(|u| u.virtual_folders = vec![mount("f", "/a", 0, 0), mount("f", "/b", 5, 0)]),
        "virtual_folders[1].quota_size",
    );
    fails_on(
        with_user(|u| {
            let mut m = mount("f", "/a", 0, 0);
            m.subpath = "/x/../y".into();
            u.virtual_folders = vec![m];
        }),
        "virtual_folders[0].subpath",
    );
    with_user(|u| {
        let mut m = mount("f", "/b", 0, 0);
        m.subpath = "/x".into();
        u.virtual_folders = vec![mount("f", "/a", 0, 0), m];
    })
    .unwrap();
}

#[test]
fn filesystems() {
    fails_on(
        with_user(|u| u.filesystem.provider = FsProvider::S3),
        "filesystem.s3config.bucket",
    );
    fails_on(
        with_user(|u| u.filesystem.osconfig.write_buffer_size = 11),
        "filesystem.osconfig.write_buffer_size",
    );
    fails_on(
        with_user(|u| u.filesystem.provider = FsProvider::Crypt),
        "filesystem.cryptconfig.passphrase",
    );
    with_user(|u| {
        u.filesystem.provider = FsProvider::Crypt;
        u.filesystem.cryptconfig.passphrase = Some(Secret::plain("correct horse battery staple"));
    })
    .unwrap();
    fails_on(
        with_user(|u| {
            u.filesystem.provider = FsProvider::Http;
            u.filesystem.httpconfig.endpoint = "ftp://x".into();
        }),
        "filesystem.httpconfig.endpoint",
    );
}

#[test]
fn groups() {
    let mut group: Group = backup().groups.remove(0);
    group.validate().unwrap();
    group.name = "eng/ops".into();
    fails_on(group.validate(), "name");
    let mut group: Group = backup().groups.remove(0);
    group
        .user_settings
        .permissions
        .insert("projects".into(), vec!["list".into()]);
    fails_on(group.validate(), "user_settings.permissions.projects");
    let mut group: Group = backup().groups.remove(0);
    group.user_settings.home_dir = "data".into();
    fails_on(group.validate(), "user_settings.home_dir");
    let mut group: Group = backup().groups.remove(0);
    group.user_settings.filters.denied_protocols = vec!["SFTP".into()];
    fails_on(
        group.validate(),
        "user_settings.filters.denied_protocols[0]",
    );
    let mut group: Group = backup().groups.remove(0);
    group.virtual_folders[0].quota_size = -7;
    fails_on(group.validate(), "virtual_folders[0].quota_size");
}

#[test]
fn folders() {
    let mut folder: BaseVirtualFolder = backup().folders.remove(0);
    folder.validate().unwrap();
    folder.mapped_path = "relative/dir".into();
    fails_on(folder.validate(), "mapped_path");
    folder.mapped_path.clear();
    fails_on(folder.validate(), "mapped_path");
    folder.name = "..".into();
    fails_on(folder.validate(), "name");
    // A remote folder needs no mapped path.
    backup().folders[1].validate().unwrap();
}

#[test]
fn admins() {
    let admin = || -> Admin { backup().admins.remove(1) };
    admin().validate().unwrap();
    let mut a = admin();
    a.permissions.push("manage_admins".into());
    fails_on(
        a.validate(),
        &format!("permissions[{}]", a.permissions.len() - 1),
    );
    let mut a = admin();
    a.permissions = vec!["*".into()];
    let err = fails_on(a.validate(), "permissions[0]");
    assert!(err.message.contains("role"), "{err}");
    let mut a = admin();
    a.permissions.clear();
    fails_on(a.validate(), "permissions");
    let mut a = admin();
    a.filters.allow_list = vec!["10.0.0.0/8".into(), "10.0.0.0/64".into()];
    fails_on(a.validate(), "filters.allow_list[1]");
    let mut a = admin();
    a.groups[0].options.add_to_users_as = 3;
    fails_on(a.validate(), "groups[0].options.add_to_users_as");
    let mut a = admin();
    a.status = -1;
    fails_on(a.validate(), "status");
    let mut a = admin();
    a.username = "__self__".into();
    fails_on(a.validate(), "username");
}

#[test]
fn api_keys_and_roles() {
    let key = || -> ApiKey { backup().api_keys.remove(0) };
    key().validate().unwrap();
    let mut k = key();
    k.scope = 3;
    fails_on(k.validate(), "scope");
    let mut k = key();
    k.user = "alice".into();
    fails_on(k.validate(), "admin");
    let mut k = key();
    k.name = String::new();
    fails_on(k.validate(), "name");

    let mut role: Role = backup().roles.remove(0);
    role.validate().unwrap();
    role.name = "ops|dev".into();
    fails_on(role.validate(), "name");
}

#[test]
fn backup_errors_carry_the_object_index() {
    let mut data = backup();
    data.users[1].status = 5;
    fails_on(data.validate(), "users[1].status");
    let mut data = backup();
    data.admins[0].filters.allow_list.push("x".into());
    fails_on(data.validate(), "admins[0].filters.allow_list[2]");
}
