use super::{error_text, load_env};
use crate::{Config, ConfigError, FtpdBinding, Origin, WebdavdBinding};

/// The error message `validate` gives for the config `change` makes.
fn invalid(change: impl FnOnce(&mut Config)) -> String {
    let mut c = Config::default();
    change(&mut c);
    let err = c.validate().expect_err("invalid");
    assert!(
        matches!(
            err,
            ConfigError::Invalid {
                origin: Origin::Unknown,
                ..
            }
        ),
        "{err:?}"
    );
    err.to_string()
}

#[test]
fn ring_entries_must_be_a_power_of_two_in_range() {
    assert_eq!(
        invalid(|c| c.engine.ring_entries = 100),
        "engine.ring_entries: must be a power of two between 8 and 32768, got 100"
    );
    assert!(invalid(|c| c.engine.ring_entries = 4).starts_with("engine.ring_entries:"));
    assert!(invalid(|c| c.engine.ring_entries = 65536).starts_with("engine.ring_entries:"));
    for ok in [8, 32768] {
        let mut c = Config::default();
        c.engine.ring_entries = ok;
        c.validate().expect("in range");
    }
}

#[test]
fn control_plane_threads_and_upload_mode_are_bounded() {
    assert_eq!(
        invalid(|c| c.engine.control_plane_threads = 0),
        "engine.control_plane_threads: must be between 1 and 4, got 0"
    );
    assert!(
        invalid(|c| c.engine.control_plane_threads = 5)
            .starts_with("engine.control_plane_threads:")
    );
    assert!(
        invalid(|c| c.common.upload_mode = 3).starts_with("common.upload_mode: must be 0 (direct)")
    );
}

#[test]
fn driver_and_hashing_algorithm_must_be_known() {
    assert_eq!(
        invalid(|c| c.data_provider.driver = "bolt".to_owned()),
        r#"data_provider.driver: unknown driver "bolt", expected one of sqlite, postgresql, mysql, memory"#
    );
    assert_eq!(
        invalid(|c| c.data_provider.password_hashing.algo = "md5".to_owned()),
        r#"data_provider.password_hashing.algo: unknown algorithm "md5", expected one of argon2id, bcrypt"#
    );
    assert!(invalid(|c| c.data_provider.track_quota = 3).starts_with("data_provider.track_quota:"));
    assert!(
        invalid(|c| c.data_provider.password_hashing.bcrypt_options.cost = 3).starts_with(
            "data_provider.password_hashing.bcrypt_options.cost: must be between 4 and 31"
        )
    );
    assert!(
        invalid(|c| c.data_provider.password_hashing.argon2_options.parallelism = 0)
            .starts_with("data_provider.password_hashing.argon2_options.parallelism:")
    );
    assert!(
        invalid(|c| c.data_provider.password_hashing.argon2_options.memory = 15).starts_with(
            "data_provider.password_hashing.argon2_options.memory: must be at least 8 KiB per lane"
        )
    );
}

#[test]
fn ftp_settings_are_checked() {
    assert_eq!(
        invalid(|c| c.ftpd.passive_port_range.start = 60000),
        "ftpd.passive_port_range: start (60000) must not be above end (50100)"
    );
    assert!(invalid(|c| c.ftpd.bindings[0].tls_mode = 3).starts_with("ftpd.bindings[0].tls_mode:"));
}

#[test]
fn two_protocols_cannot_share_an_address_and_port() {
    let text = invalid(|c| c.ftpd.bindings[0].port = 2022);
    assert_eq!(
        text,
        "ftpd.bindings[0].port: port 2022 on all addresses is already used by sftpd.bindings[0] (on all addresses); \
         every enabled listener needs its own address and port"
    );
    // The sftpd binding listens on all addresses, so loopback collides too.
    let text = invalid(|c| c.httpd.bindings[0].port = 2022);
    assert!(text.starts_with(
        "httpd.bindings[0].port: port 2022 on 127.0.0.1 is already used by sftpd.bindings[0]"
    ));
    let text = invalid(|c| c.telemetry.bind_port = 8080);
    assert!(text.starts_with(
        "telemetry.bind_port: port 8080 on 127.0.0.1 is already used by httpd.bindings[0]"
    ));
    let text = invalid(|c| {
        c.webdavd.bindings = vec![
            WebdavdBinding {
                port: 8000,
                ..WebdavdBinding::default()
            },
            WebdavdBinding {
                port: 8000,
                ..WebdavdBinding::default()
            },
        ];
    });
    assert!(
        text.starts_with("webdavd.bindings[1].port:"),
        "the same protocol twice collides too: {text}"
    );
}

#[test]
fn distinct_addresses_ports_and_disabled_bindings_do_not_collide() {
    let mut c = Config::default();
    c.sftpd.bindings[0].address = "10.0.0.1".to_owned();
    c.ftpd.bindings = vec![
        FtpdBinding {
            port: 2022,
            address: "10.0.0.2".to_owned(),
            ..FtpdBinding::default()
        },
        FtpdBinding {
            port: 2021,
            ..FtpdBinding::default()
        },
        FtpdBinding {
            port: 0,
            ..FtpdBinding::default()
        },
    ];
    c.webdavd.bindings[0] = WebdavdBinding {
        port: 8080,
        address: "::1".to_owned(),
        ..WebdavdBinding::default()
    };
    c.telemetry.bind_port = 8080;
    c.telemetry.bind_address = "0.0.0.0".to_owned();
    let err = c.validate().expect_err("0.0.0.0 covers 127.0.0.1");
    assert_eq!(err.key(), Some("telemetry.bind_port"));
    c.telemetry.bind_address = "[::1]".to_owned();
    assert_eq!(
        c.validate().expect_err("same IPv6 address").key(),
        Some("telemetry.bind_port")
    );
    c.telemetry.bind_address = "localhost".to_owned();
    c.validate()
        .expect("host names are not resolved, 0.0.0.0 vs ::1 do not collide");
}

#[test]
fn load_names_the_variable_behind_a_validation_error() {
    let text = error_text(load_env(&[("RINGWAY_ENGINE__RING_ENTRIES", "100")]));
    assert_eq!(
        text,
        "engine.ring_entries: must be a power of two between 8 and 32768, got 100 \
         (set by environment variable RINGWAY_ENGINE__RING_ENTRIES)"
    );
    let text = error_text(super::load_text(
        "c.toml",
        "[engine]\ncontrol_plane_threads = 9\n",
        &[],
    ));
    assert!(
        text.starts_with("engine.control_plane_threads: must be between 1 and 4, got 9 (in "),
        "{text}"
    );
}
