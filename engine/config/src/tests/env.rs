use super::{error_text, load_env, load_text};
use crate::{ConfigError, IoMode, Origin};

const TOML_ONE_BINDING: &str = "[[sftpd.bindings]]\nport = 2022\naddress = \"10.0.0.1\"\n";

#[test]
fn a_scalar_is_overridden_and_converted_to_the_key_type() {
    let c = load_text(
        "c.toml",
        "[common]\nidle_timeout = 5\n",
        &[
            ("RINGWAY_COMMON__IDLE_TIMEOUT", "30"),
            ("RINGWAY_ENGINE__PIN_WORKERS", "0"),
            ("RINGWAY_ENGINE__IO", "threadpool"),
            ("RINGWAY_SFTPD__MAX_AUTH_TRIES", "-1"),
            (
                "RINGWAY_DATA_PROVIDER__PASSWORD_HASHING__ARGON2_OPTIONS__MEMORY",
                "131072",
            ),
            ("RINGWAY_COMMON__UMASK", "022"),
        ],
    )
    .expect("load");
    assert_eq!(c.common.idle_timeout, 30);
    assert!(!c.engine.pin_workers);
    assert_eq!(c.engine.io, IoMode::ThreadPool);
    assert_eq!(c.sftpd.max_auth_tries, -1);
    assert_eq!(
        c.data_provider.password_hashing.argon2_options.memory,
        131_072
    );
    assert_eq!(
        c.common.umask, "022",
        "a string stays a string, leading zero included"
    );
}

#[test]
fn names_are_case_insensitive_and_booleans_accept_words_and_digits() {
    let c = load_env(&[
        ("ringway_httpd__bindings__0__enable_web_admin", "FALSE"),
        ("Ringway_Engine__Workers", "3"),
    ])
    .expect("load");
    assert!(!c.httpd.bindings[0].enable_web_admin);
    assert_eq!(c.engine.workers, 3);
    let text = error_text(load_env(&[("RINGWAY_ENGINE__PIN_WORKERS", "yes")]));
    assert!(
        text.starts_with(
            "environment variable RINGWAY_ENGINE__PIN_WORKERS: `engine.pin_workers` is a boolean"
        ),
        "{text}"
    );
}

#[test]
fn an_entry_of_the_file_list_is_overridden_in_place() {
    let c = load_text(
        "c.toml",
        TOML_ONE_BINDING,
        &[("RINGWAY_SFTPD__BINDINGS__0__PORT", "2200")],
    )
    .expect("load");
    assert_eq!(c.sftpd.bindings.len(), 1);
    assert_eq!(
        (
            c.sftpd.bindings[0].port,
            c.sftpd.bindings[0].address.as_str()
        ),
        (2200, "10.0.0.1")
    );
}

#[test]
fn an_index_past_the_file_list_adds_an_entry_with_defaults() {
    let c = load_text(
        "c.toml",
        TOML_ONE_BINDING,
        &[("RINGWAY_SFTPD__BINDINGS__1__PORT", "2200")],
    )
    .expect("load");
    assert_eq!(c.sftpd.bindings.len(), 2);
    assert_eq!(
        (
            c.sftpd.bindings[0].port,
            c.sftpd.bindings[0].address.as_str()
        ),
        (2022, "10.0.0.1")
    );
    assert_eq!(c.sftpd.bindings[1].port, 2200);
    assert_eq!(
        c.sftpd.bindings[1].address, "",
        "the new entry has the default address"
    );
    assert!(c.sftpd.bindings[1].apply_proxy_config);
}

#[test]
fn without_a_file_list_the_default_list_is_extended() {
    let c = load_env(&[
        ("RINGWAY_SFTPD__BINDINGS__2__PORT", "2202"),
        ("RINGWAY_SFTPD__BINDINGS__1__PORT", "2201"),
        ("RINGWAY_SFTPD__BINDINGS__0__ADDRESS", "127.0.0.1"),
    ])
    .expect("load");
    let ports: Vec<u16> = c.sftpd.bindings.iter().map(|b| b.port).collect();
    assert_eq!(
        ports,
        [2022, 2201, 2202],
        "index 0 is the default binding, lower indices are applied first"
    );
    assert_eq!(c.sftpd.bindings[0].address, "127.0.0.1");
    let c = load_env(&[("RINGWAY_FTPD__BINDINGS__0__PORT", "2121")]).expect("load");
    assert_eq!(c.ftpd.bindings.len(), 1);
    assert_eq!(c.ftpd.bindings[0].port, 2121);
    assert!(c.ftpd.bindings[0].apply_proxy_config);
}

#[test]
fn an_index_that_skips_entries_is_an_error() {
    let text = error_text(load_env(&[("RINGWAY_SFTPD__BINDINGS__3__PORT", "2200")]));
    assert!(text.contains("RINGWAY_SFTPD__BINDINGS__3__PORT"), "{text}");
    assert!(
        text.contains(
            "index 3 is past the end of `sftpd.bindings`, which has 1 entries; use index 1"
        ),
        "{text}"
    );
}

#[test]
fn a_comma_separated_value_sets_a_list_of_scalars() {
    let c = load_env(&[("RINGWAY_SFTPD__CIPHERS", "a,b")]).expect("load");
    assert_eq!(c.sftpd.ciphers, ["a", "b"]);
    let c = load_text(
        "c.yaml",
        "sftpd:\n  enabled_ssh_commands: [scp]\n",
        &[("RINGWAY_SFTPD__ENABLED_SSH_COMMANDS", " md5sum , pwd,,")],
    )
    .expect("load");
    assert_eq!(
        c.sftpd.enabled_ssh_commands,
        ["md5sum", "pwd"],
        "items are trimmed, empty items dropped"
    );
    let c = load_env(&[("RINGWAY_SFTPD__ENABLED_SSH_COMMANDS", "")]).expect("load");
    assert!(
        c.sftpd.enabled_ssh_commands.is_empty(),
        "an empty value is an empty list"
    );
}

#[test]
fn a_whole_list_of_tables_or_a_table_cannot_be_set_from_one_variable() {
    let text = error_text(load_env(&[("RINGWAY_SFTPD__BINDINGS", "2022")]));
    assert!(
        text.contains("`sftpd.bindings` is a list of tables and cannot be set from one variable"),
        "{text}"
    );
    let text = error_text(load_env(&[("RINGWAY_SFTPD__BINDINGS__0", "2022")]));
    assert!(text.contains("`sftpd.bindings[0]` is a table"), "{text}");
    let text = error_text(load_env(&[("RINGWAY_FTPD__PASSIVE_PORT_RANGE", "1-2")]));
    assert!(
        text.contains("`ftpd.passive_port_range` is a table"),
        "{text}"
    );
    let text = error_text(load_env(&[("RINGWAY_SFTPD__CIPHERS__0", "a")]));
    assert!(
        text.contains("`sftpd.ciphers` is a list of values, set it as a whole"),
        "{text}"
    );
}

#[test]
fn an_unknown_key_names_the_variable() {
    for (var, expected) in [
        (
            "RINGWAY_SFTPD__PROT",
            "unknown key `prot`, the keys of `sftpd` are:",
        ),
        (
            "RINGWAY_SFTPDD__PORT",
            "unknown key `sftpdd`, the sections are:",
        ),
        (
            "RINGWAY_SFTPD__BINDINGS__0__PROT",
            "unknown key `prot`, the keys of `sftpd.bindings[0]` are:",
        ),
        (
            "RINGWAY_COMMON__IDLE_TIMEOUT__X",
            "`common.idle_timeout` is a single value, it has no key `x`",
        ),
        (
            "RINGWAY_SFTPD__BINDINGS__X__PORT",
            "`sftpd.bindings` is a list, address its entries by number",
        ),
        ("RINGWAY_SFTPD__", "empty key name"),
    ] {
        let text = error_text(load_env(&[(var, "1")]));
        assert!(
            text.starts_with(&format!("environment variable {var}: ")),
            "{text}"
        );
        assert!(text.contains(expected), "{var}: {text}");
    }
}

#[test]
fn variables_that_are_not_config_keys_are_ignored() {
    let c = load_env(&[
        ("RINGWAY_DEFAULT_ADMIN_USERNAME", "admin"),
        ("RINGWAY_DEFAULT_ADMIN_PASSWORD", "secret"),
        ("RINGWAY_BIN", "/usr/bin/ringway"),
        ("RINGWAY_LOG_LEVEL", "debug"),
        ("RINGWAY_CONFIG_DIR", "/etc/ringway"),
        ("SFTPGO_SFTPD__BINDINGS__0__PORT", "1"),
        ("PATH", "/usr/bin"),
    ])
    .expect("load");
    assert_eq!(c, crate::Config::default());
}

#[test]
fn a_non_numeric_value_for_a_number_names_the_variable() {
    let err = load_env(&[("RINGWAY_SFTPD__BINDINGS__0__PORT", "x")]).expect_err("not a number");
    match &err {
        ConfigError::Env { var, message } => {
            assert_eq!(var, "RINGWAY_SFTPD__BINDINGS__0__PORT");
            assert_eq!(message, "`sftpd.bindings[0].port` is a number, got \"x\"");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn a_value_out_of_range_names_the_key_and_the_variable() {
    let err = load_env(&[("RINGWAY_SFTPD__BINDINGS__0__PORT", "70000")]).expect_err("too large");
    match &err {
        ConfigError::Invalid { key, origin, .. } => {
            assert_eq!(key, "sftpd.bindings[0].port");
            assert_eq!(
                origin,
                &Origin::Env("RINGWAY_SFTPD__BINDINGS__0__PORT".to_owned())
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.contains(
            "expected u16 (set by environment variable RINGWAY_SFTPD__BINDINGS__0__PORT)"
        ),
        "{text}"
    );
    let text = error_text(load_env(&[("RINGWAY_ENGINE__IO", "epoll")]));
    assert!(
        text.starts_with("engine.io: unknown variant `epoll`"),
        "{text}"
    );
    assert!(
        text.ends_with("(set by environment variable RINGWAY_ENGINE__IO)"),
        "{text}"
    );
}

#[test]
fn two_spellings_of_one_key_are_an_error() {
    let text = error_text(load_env(&[
        ("RINGWAY_ENGINE__WORKERS", "1"),
        ("ringway_engine__workers", "2"),
    ]));
    assert!(
        text.contains("sets the same key as RINGWAY_ENGINE__WORKERS"),
        "{text}"
    );
}

#[test]
fn an_override_below_a_value_of_the_wrong_type_in_the_file_is_an_error() {
    let text = error_text(load_text(
        "c.json",
        r#"{"sftpd": {"bindings": 5}}"#,
        &[("RINGWAY_SFTPD__BINDINGS__0__PORT", "1")],
    ));
    assert!(
        text.contains("`sftpd.bindings` in the config file is a number, not a list"),
        "{text}"
    );
}

#[test]
fn process_env_returns_only_prefixed_variables() {
    let vars = crate::process_env().expect("the test environment is UTF-8");
    for (name, _) in vars {
        assert!(
            name.to_ascii_uppercase().starts_with(crate::ENV_PREFIX),
            "{name}"
        );
    }
}
