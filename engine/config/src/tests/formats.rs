use std::path::Path;

use super::{error_text, file, load_text, vars};
use crate::{
    Config, ConfigError, FileFormat, IoMode, Origin, SftpdBinding, find_config_file, load,
};

const TOML_SAMPLE: &str = r#"
[common]
idle_timeout = 5
upload_mode = 2

[engine]
io = "threadpool"
ring_entries = 1024

[sftpd]
ciphers = ["aes128-gcm@openssh.com", "chacha20-poly1305@openssh.com"]

[[sftpd.bindings]]
port = 2222
address = "127.0.0.1"

[[sftpd.bindings]]
port = 2223

[httpd]
token_validity = 30

[[httpd.bindings]]
port = 9090
address = "::1"

[data_provider]
driver = "memory"

[data_provider.password_hashing]
algo = "bcrypt"

[data_provider.password_hashing.bcrypt_options]
cost = 12
"#;

const YAML_SAMPLE: &str = r#"
common:
  idle_timeout: 5
  upload_mode: 2
engine:
  io: threadpool
  ring_entries: 1024
sftpd:
  ciphers: [aes128-gcm@openssh.com, chacha20-poly1305@openssh.com]
  bindings:
    - port: 2222
      address: 127.0.0.1
    - port: 2223
httpd:
  token_validity: 30
  bindings:
    - port: 9090
      address: "::1"
data_provider:
  driver: memory
  password_hashing:
    algo: bcrypt
    bcrypt_options:
      cost: 12
"#;

const JSON_SAMPLE: &str = r#"{
  "common": {"idle_timeout": 5, "upload_mode": 2},
  "engine": {"io": "threadpool", "ring_entries": 1024},
  "sftpd": {
    "ciphers": ["aes128-gcm@openssh.com", "chacha20-poly1305@openssh.com"],
    "bindings": [{"port": 2222, "address": "127.0.0.1"}, {"port": 2223}]
  },
  "httpd": {"token_validity": 30, "bindings": [{"port": 9090, "address": "::1"}]},
  "data_provider": {"driver": "memory", "password_hashing": {"algo": "bcrypt", "bcrypt_options": {"cost": 12}}}
}"#;

/// What every sample describes.
fn expected() -> Config {
    let mut c = Config::default();
    c.common.idle_timeout = 5;
    c.common.upload_mode = 2;
    c.engine.io = IoMode::ThreadPool;
    c.engine.ring_entries = 1024;
    c.sftpd.ciphers = vec![
        "aes128-gcm@openssh.com".to_owned(),
        "chacha20-poly1305@openssh.com".to_owned(),
    ];
    c.sftpd.bindings = vec![
        SftpdBinding {
            port: 2222,
            address: "127.0.0.1".to_owned(),
            ..SftpdBinding::default()
        },
        SftpdBinding {
            port: 2223,
            ..SftpdBinding::default()
        },
    ];
    c.httpd.token_validity = 30;
    c.httpd.bindings[0].port = 9090;
    c.httpd.bindings[0].address = "::1".to_owned();
    c.data_provider.driver = "memory".to_owned();
    c.data_provider.password_hashing.algo = "bcrypt".to_owned();
    c.data_provider.password_hashing.bcrypt_options.cost = 12;
    c
}

#[test]
fn toml_yaml_and_json_samples_load_to_the_same_config() {
    assert_eq!(
        load_text("ringway.toml", TOML_SAMPLE, &[]).expect("toml"),
        expected()
    );
    assert_eq!(
        load_text("ringway.yaml", YAML_SAMPLE, &[]).expect("yaml"),
        expected()
    );
    assert_eq!(
        load_text("ringway.yml", YAML_SAMPLE, &[]).expect("yml"),
        expected()
    );
    assert_eq!(
        load_text("ringway.json", JSON_SAMPLE, &[]).expect("json"),
        expected()
    );
    assert_eq!(
        load_text("RINGWAY.TOML", TOML_SAMPLE, &[]).expect("extension case"),
        expected()
    );
}

#[test]
fn an_unknown_top_level_section_is_named_in_every_format() {
    for (name, text) in [
        ("c.toml", "[sftpdd]\nmax_auth_tries = 3\n"),
        ("c.yaml", "sftpdd:\n  max_auth_tries: 3\n"),
        ("c.json", r#"{"sftpdd": {"max_auth_tries": 3}}"#),
    ] {
        let err = load_text(name, text, &[]).expect_err(name);
        assert_eq!(err.key(), Some("sftpdd"), "{name}: {err}");
        let text = err.to_string();
        assert!(
            text.starts_with("sftpdd: unknown field `sftpdd`, expected one of"),
            "{name}: {text}"
        );
        assert!(text.contains("(in "), "{name}: the file is named: {text}");
    }
}

#[test]
fn an_unknown_nested_key_is_named_with_its_path_in_every_format() {
    for (name, text) in [
        ("c.toml", "[[sftpd.bindings]]\nprot = 22\n"),
        ("c.yaml", "sftpd:\n  bindings:\n    - prot: 22\n"),
        ("c.json", r#"{"sftpd": {"bindings": [{"prot": 22}]}}"#),
    ] {
        let text = error_text(load_text(name, text, &[]));
        assert!(
            text.starts_with(
                "sftpd.bindings[0].prot: unknown field `prot`, expected one of `port`, `address`"
            ),
            "{name}: {text}"
        );
    }
}

#[test]
fn a_wrong_type_names_the_path_in_every_format() {
    for (name, text) in [
        ("c.toml", "[[sftpd.bindings]]\nport = \"x\"\n"),
        ("c.yaml", "sftpd:\n  bindings:\n    - port: x\n"),
        ("c.json", r#"{"sftpd": {"bindings": [{"port": "x"}]}}"#),
    ] {
        let text = error_text(load_text(name, text, &[]));
        assert!(
            text.starts_with(r#"sftpd.bindings[0].port: invalid type: string "x", expected u16"#),
            "{name}: {text}"
        );
    }
    let text = error_text(load_text("c.toml", "[engine]\nio = \"epoll\"\n", &[]));
    assert!(
        text.starts_with("engine.io: unknown variant `epoll`, expected `uring` or `threadpool`"),
        "{text}"
    );
    let text = error_text(load_text("c.json", r#"{"sftpd": 5}"#, &[]));
    assert!(
        text.starts_with("sftpd: invalid type: integer `5`, expected struct SftpdConfig"),
        "{text}"
    );
}

#[test]
fn an_out_of_range_number_names_the_path_and_the_file() {
    let (_dir, path) = file("c.toml", "[httpd]\n[[httpd.bindings]]\nport = 70000\n");
    let err = load(Some(&path), vars(&[])).expect_err("port too large");
    match &err {
        ConfigError::Invalid { key, origin, .. } => {
            assert_eq!(key, "httpd.bindings[0].port");
            assert_eq!(origin, &Origin::File(path.clone()));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.to_string().contains("expected u16"), "{err}");
}

#[test]
fn unsupported_missing_and_malformed_files_name_the_file() {
    let text = error_text(load_text("ringway.ini", "[common]\n", &[]));
    assert!(
        text.contains("ringway.ini") && text.contains("unsupported format"),
        "{text}"
    );

    let missing = Path::new("/nonexistent/ringway.toml");
    let text = error_text(load(Some(missing), vars(&[])));
    assert!(
        text.starts_with("cannot read config file /nonexistent/ringway.toml"),
        "{text}"
    );

    let err = load_text("bad.toml", "[common\nidle_timeout = 1\n", &[]).expect_err("bad toml");
    assert!(
        matches!(
            err,
            ConfigError::Parse {
                format: FileFormat::Toml,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("bad.toml is not valid TOML"),
        "{err}"
    );
    let text = error_text(load_text("bad.yaml", "common: [1\n", &[]));
    assert!(text.contains("bad.yaml is not valid YAML"), "{text}");
    let text = error_text(load_text("bad.json", "{\"common\": }", &[]));
    assert!(
        text.contains("bad.json is not valid JSON") && text.contains("line 1"),
        "{text}"
    );
    let text = error_text(load_text("list.json", "[1, 2]", &[]));
    assert!(
        text.contains("the top level must be a table of sections, found a list"),
        "{text}"
    );
}

#[test]
fn empty_files_and_comment_only_yaml_mean_all_defaults() {
    for (name, text) in [
        ("e.toml", ""),
        ("e.json", "  \n"),
        ("e.yaml", "# nothing yet\n"),
        ("e.yml", "---\n"),
    ] {
        assert_eq!(
            load_text(name, text, &[]).expect(name),
            Config::default(),
            "{name}"
        );
    }
}

#[test]
fn find_config_file_prefers_toml_then_yaml_then_yml_then_json() {
    let dir = tempfile::tempdir().expect("temp dir");
    assert_eq!(find_config_file(dir.path()), None);
    let names = [
        "ringway.json",
        "ringway.yml",
        "ringway.yaml",
        "ringway.toml",
    ];
    for name in names {
        std::fs::write(dir.path().join(name), "").expect("write");
        assert_eq!(find_config_file(dir.path()), Some(dir.path().join(name)));
    }
    std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
    std::fs::create_dir(dir.path().join("sub/ringway.toml")).expect("mkdir");
    assert_eq!(
        find_config_file(&dir.path().join("sub")),
        None,
        "a directory is not a config file"
    );
}

#[test]
fn file_format_comes_from_the_extension() {
    assert_eq!(
        FileFormat::from_path(Path::new("a/b.toml")),
        Some(FileFormat::Toml)
    );
    assert_eq!(
        FileFormat::from_path(Path::new("b.YML")),
        Some(FileFormat::Yaml)
    );
    assert_eq!(
        FileFormat::from_path(Path::new("b.json")),
        Some(FileFormat::Json)
    );
    assert_eq!(FileFormat::from_path(Path::new("b.conf")), None);
    assert_eq!(FileFormat::from_path(Path::new("ringway")), None);
}
