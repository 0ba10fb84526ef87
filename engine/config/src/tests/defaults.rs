use super::load_env;
use crate::{Config, IoMode};

#[test]
fn defaults_match_the_documented_values() {
    let c = Config::default();
    assert_eq!(c.common.idle_timeout, 15);
    assert_eq!(
        c.common.upload_mode, 1,
        "ringway defaults to atomic uploads"
    );
    assert_eq!(c.common.max_per_host_connections, 20);
    assert_eq!(c.engine.io, IoMode::Uring);
    assert_eq!(c.engine.ring_entries, 256);
    assert_eq!(c.engine.control_plane_threads, 2);
    assert_eq!(c.engine.grace_time, 15);
    assert!(c.engine.pin_workers);

    assert_eq!(c.sftpd.bindings.len(), 1);
    assert_eq!(c.sftpd.bindings[0].port, 2022);
    assert_eq!(c.sftpd.bindings[0].address, "");
    assert!(c.sftpd.bindings[0].apply_proxy_config);
    assert_eq!(
        c.sftpd.enabled_ssh_commands,
        ["md5sum", "sha1sum", "sha256sum", "cd", "pwd", "scp"]
    );

    assert_eq!(c.ftpd.bindings.len(), 1);
    assert_eq!(c.ftpd.bindings[0].port, 0, "FTP is disabled by default");
    assert_eq!(
        (
            c.ftpd.passive_port_range.start,
            c.ftpd.passive_port_range.end
        ),
        (50000, 50100)
    );
    assert_eq!(c.webdavd.bindings.len(), 1);
    assert_eq!(
        c.webdavd.bindings[0].port, 0,
        "WebDAV is disabled by default"
    );

    assert_eq!(c.httpd.bindings.len(), 1);
    assert_eq!(c.httpd.bindings[0].port, 8080);
    assert_eq!(
        c.httpd.bindings[0].address, "127.0.0.1",
        "the admin side listens on loopback only"
    );
    assert_eq!(c.httpd.token_validity, 20);

    assert_eq!(c.data_provider.driver, "sqlite");
    assert_eq!(c.data_provider.name, "ringway.db");
    assert_eq!(c.data_provider.track_quota, 2);
    assert_eq!(c.data_provider.password_hashing.algo, "argon2id");
    assert_eq!(
        c.data_provider.password_hashing.argon2_options.memory,
        65536
    );
    assert_eq!(c.data_provider.password_hashing.bcrypt_options.cost, 10);
    assert_eq!(c.telemetry.bind_port, 0);
    assert_eq!(c.telemetry.bind_address, "127.0.0.1");
}

#[test]
fn defaults_are_valid_and_what_load_returns_without_file_or_env() {
    Config::default().validate().expect("defaults are valid");
    assert_eq!(load_env(&[]).expect("load"), Config::default());
}

#[test]
fn io_mode_is_written_in_lowercase() {
    let json = serde_json::to_value(Config::default()).expect("serialize");
    assert_eq!(json["engine"]["io"], "uring");
    let c: Config = serde_json::from_str(r#"{"engine": {"io": "threadpool"}}"#).expect("parse");
    assert_eq!(c.engine.io, IoMode::ThreadPool);
}

#[test]
fn a_config_survives_a_round_trip_through_every_format() {
    let mut c = Config::default();
    c.sftpd.ciphers = vec!["aes128-gcm@openssh.com".to_owned()];
    c.engine.io = IoMode::ThreadPool;
    let toml_text = toml::to_string(&c).expect("toml");
    let yaml_text = serde_yaml_ng::to_string(&c).expect("yaml");
    let json_text = serde_json::to_string(&c).expect("json");
    assert_eq!(
        super::load_text("a.toml", &toml_text, &[]).expect("toml load"),
        c
    );
    assert_eq!(
        super::load_text("a.yaml", &yaml_text, &[]).expect("yaml load"),
        c
    );
    assert_eq!(
        super::load_text("a.json", &json_text, &[]).expect("json load"),
        c
    );
}
