//! The file-transfer protocol sections: `sftpd`, `ftpd`, `webdavd` and `httpd`.

use serde::{Deserialize, Serialize};

/// The `sftpd` section: the SFTP/SCP server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SftpdConfig {
    /// Addresses and ports the SSH server listens on; a binding with port 0 is disabled.
    /// Default: one binding on port 2022, all addresses.
    pub bindings: Vec<SftpdBinding>,
    /// Authentication attempts allowed per connection; 0 or less uses the server's built-in limit. Default: 0.
    pub max_auth_tries: i32,
    /// Paths of the SSH host private keys, relative to the configuration directory unless absolute; empty lets
    /// the server use its default host keys. Default: `[]`.
    pub host_keys: Vec<String>,
    /// Key-exchange algorithms offered, in order of preference; empty uses the built-in modern defaults.
    /// Default: `[]`.
    pub kex_algorithms: Vec<String>,
    /// Ciphers offered, in order of preference; empty uses the built-in modern defaults. Default: `[]`.
    pub ciphers: Vec<String>,
    /// MAC algorithms offered, in order of preference; empty uses the built-in modern defaults. Default: `[]`.
    pub macs: Vec<String>,
    /// Host key signature algorithms offered; empty uses the built-in modern defaults. Default: `[]`.
    pub host_key_algorithms: Vec<String>,
    /// Public key algorithms accepted for user authentication; empty uses the built-in modern defaults.
    /// Default: `[]`.
    pub public_key_algorithms: Vec<String>,
    /// File whose content is sent to clients before authentication; empty sends no banner. Default: `""`.
    pub login_banner_file: String,
    /// SSH commands clients may run besides the SFTP subsystem.
    /// Default: `["md5sum", "sha1sum", "sha256sum", "cd", "pwd", "scp"]`.
    pub enabled_ssh_commands: Vec<String>,
    /// Allow the keyboard-interactive authentication method. Default: `true`.
    pub keyboard_interactive_authentication: bool,
    /// Allow the password authentication method. Default: `true`.
    pub password_authentication: bool,
}

impl Default for SftpdConfig {
    fn default() -> Self {
        Self {
            bindings: vec![SftpdBinding::default()],
            max_auth_tries: 0,
            host_keys: Vec::new(),
            kex_algorithms: Vec::new(),
            ciphers: Vec::new(),
            macs: Vec::new(),
            host_key_algorithms: Vec::new(),
            public_key_algorithms: Vec::new(),
            login_banner_file: String::new(),
            enabled_ssh_commands: ["md5sum", "sha1sum", "sha256sum", "cd", "pwd", "scp"]
                .into_iter()
                .map(str::to_owned)
                .collect(),
            keyboard_interactive_authentication: true,
            password_authentication: true,
        }
    }
}

/// One listening socket of the SFTP server (`sftpd.bindings[N]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SftpdBinding {
    /// TCP port; 0 disables the binding. Default: 2022.
    pub port: u16,
    /// IP address or host name to listen on; empty means all addresses. Default: `""`.
    pub address: String,
    /// Accept the PROXY protocol header on this binding when the proxy settings allow it. Default: `true`.
    pub apply_proxy_config: bool,
}

impl Default for SftpdBinding {
    fn default() -> Self {
        Self {
            port: 2022,
            address: String::new(),
            apply_proxy_config: true,
        }
    }
}

/// The `ftpd` section: the FTP and FTPS server. Disabled by default (its one binding has port 0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FtpdConfig {
    /// Addresses and ports the FTP server listens on; a binding with port 0 is disabled.
    /// Default: one binding with port 0.
    pub bindings: Vec<FtpdBinding>,
    /// File whose content is sent as the greeting after connecting; empty uses the built-in one. Default: `""`.
    pub banner_file: String,
    /// Ports used for passive-mode data connections. Default: 50000 to 50100.
    pub passive_port_range: PassivePortRange,
    /// Refuse active-mode data connections (`PORT`/`EPRT`). Default: `false`.
    pub disable_active_mode: bool,
    /// TLS certificate (PEM) used by bindings that do not set their own; empty means none. Default: `""`.
    pub certificate_file: String,
    /// Private key (PEM) of `certificate_file`. Default: `""`.
    pub certificate_key_file: String,
}

impl Default for FtpdConfig {
    fn default() -> Self {
        Self {
            bindings: vec![FtpdBinding::default()],
            banner_file: String::new(),
            passive_port_range: PassivePortRange::default(),
            disable_active_mode: false,
            certificate_file: String::new(),
            certificate_key_file: String::new(),
        }
    }
}

/// One listening socket of the FTP server (`ftpd.bindings[N]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FtpdBinding {
    /// TCP port; 0 disables the binding. Default: 0.
    pub port: u16,
    /// IP address or host name to listen on; empty means all addresses. Default: `""`.
    pub address: String,
    /// Accept the PROXY protocol header on this binding when the proxy settings allow it. Default: `true`.
    pub apply_proxy_config: bool,
    /// 0: plain FTP, explicit TLS (`AUTH TLS`) allowed if a certificate is configured; 1: explicit TLS required;
    /// 2: implicit TLS. Default: 0.
    pub tls_mode: u8,
    /// TLS certificate (PEM) for this binding; empty uses `ftpd.certificate_file`. Default: `""`.
    pub certificate_file: String,
    /// Private key (PEM) of this binding's `certificate_file`. Default: `""`.
    pub certificate_key_file: String,
    /// IP address announced in passive-mode replies instead of the local one, e.g. the public address behind
    /// NAT; empty announces the address the client connected to. Default: `""`.
    pub force_passive_ip: String,
}

impl Default for FtpdBinding {
    fn default() -> Self {
        Self {
            port: 0,
            address: String::new(),
            apply_proxy_config: true,
            tls_mode: 0,
            certificate_file: String::new(),
            certificate_key_file: String::new(),
            force_passive_ip: String::new(),
        }
    }
}

/// The inclusive port range for FTP passive-mode data connections (`ftpd.passive_port_range`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PassivePortRange {
    /// First port of the range. Default: 50000.
    pub start: u16,
    /// Last port of the range, not below `start`. Default: 50100.
    pub end: u16,
}

impl Default for PassivePortRange {
    fn default() -> Self {
        Self {
            start: 50000,
            end: 50100,
        }
    }
}

/// The `webdavd` section: the WebDAV server. Disabled by default (its one binding has port 0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebdavdConfig {
    /// Addresses and ports the WebDAV server listens on; a binding with port 0 is disabled.
    /// Default: one binding with port 0.
    pub bindings: Vec<WebdavdBinding>,
    /// TLS certificate (PEM) used by HTTPS bindings that do not set their own. Default: `""`.
    pub certificate_file: String,
    /// Private key (PEM) of `certificate_file`. Default: `""`.
    pub certificate_key_file: String,
}

impl Default for WebdavdConfig {
    fn default() -> Self {
        Self {
            bindings: vec![WebdavdBinding::default()],
            certificate_file: String::new(),
            certificate_key_file: String::new(),
        }
    }
}

/// One listening socket of the WebDAV server (`webdavd.bindings[N]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebdavdBinding {
    /// TCP port; 0 disables the binding. Default: 0.
    pub port: u16,
    /// IP address or host name to listen on; empty means all addresses. Default: `""`.
    pub address: String,
    /// Serve HTTPS instead of plain HTTP. Default: `false`.
    pub enable_https: bool,
    /// TLS certificate (PEM) for this binding; empty uses `webdavd.certificate_file`. Default: `""`.
    pub certificate_file: String,
    /// Private key (PEM) of this binding's `certificate_file`. Default: `""`.
    pub certificate_key_file: String,
    /// URL path prefix under which WebDAV is served, e.g. `"/dav"`; empty serves from the root. Default: `""`.
    pub prefix: String,
}

#[expect(
    clippy::derivable_impls,
    reason = "project rule: every configuration struct has a hand-written Default"
)]
impl Default for WebdavdBinding {
    fn default() -> Self {
        Self {
            port: 0,
            address: String::new(),
            enable_https: false,
            certificate_file: String::new(),
            certificate_key_file: String::new(),
            prefix: String::new(),
        }
    }
}

/// The `httpd` section: the admin REST API, the web admin interface and the web client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpdConfig {
    /// Addresses and ports the HTTP server listens on; a binding with port 0 is disabled.
    /// Default: one binding on 127.0.0.1 port 8080.
    pub bindings: Vec<HttpdBinding>,
    /// Key used to sign the JWT tokens of the API and the web interfaces; empty means a random key is generated
    /// once and persisted. Default: `""`.
    pub signing_passphrase: String,
    /// Minutes a token issued by the API or the web interfaces stays valid. Default: 20.
    pub token_validity: u64,
}

impl Default for HttpdConfig {
    fn default() -> Self {
        Self {
            bindings: vec![HttpdBinding::default()],
            signing_passphrase: String::new(),
            token_validity: 20,
        }
    }
}

/// One listening socket of the HTTP server (`httpd.bindings[N]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpdBinding {
    /// TCP port; 0 disables the binding. Default: 8080.
    pub port: u16,
    /// IP address or host name to listen on; empty means all addresses.
    ///
    /// Default: `"127.0.0.1"`. SFTPGo defaults to `""` (all addresses); ringway deliberately listens on loopback
    /// only, so the administration interface is not reachable from the network until someone decides it should be.
    pub address: String,
    /// Serve the web admin interface. Default: `true`.
    pub enable_web_admin: bool,
    /// Serve the web client for end users. Default: `true`.
    pub enable_web_client: bool,
    /// Serve the REST API. Default: `true`.
    pub enable_rest_api: bool,
    /// Serve HTTPS instead of plain HTTP. Default: `false`.
    pub enable_https: bool,
    /// TLS certificate (PEM) for this binding. Default: `""`.
    pub certificate_file: String,
    /// Private key (PEM) of `certificate_file`. Default: `""`.
    pub certificate_key_file: String,
}

impl Default for HttpdBinding {
    fn default() -> Self {
        Self {
            port: 8080,
            address: "127.0.0.1".to_owned(),
            enable_web_admin: true,
            enable_web_client: true,
            enable_rest_api: true,
            enable_https: false,
            certificate_file: String::new(),
            certificate_key_file: String::new(),
        }
    }
}
