//! SSH exec commands: parse the command line a client asked to run, without running anything.
//!
//! Served: `pwd` and `cd` (every user stays at the root of their virtual filesystem), the hash commands
//! (`hashsum.rs`) and `scp -t`/`scp -f` (`scp.rs`), each only when listed in `sftpd.enabled_ssh_commands`.
//! The line is split into words as a POSIX shell would quote them (single and double quotes, backslashes),
//! since clients quote paths for a remote shell; nothing here ever reaches a shell.

use crate::hashsum::HashAlgorithm;
use crate::scp_proto::{self, ScpArgs};

/// What an exec request turns into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Command {
    /// Print the working directory.
    Pwd,
    /// Change directory: accepted, with no effect (every command starts at the root).
    Cd,
    /// Hash files.
    Hash {
        algorithm: HashAlgorithm,
        paths: Vec<String>,
    },
    /// The legacy scp protocol.
    Scp(ScpArgs),
    /// Not served: `message` goes to the client's stderr with exit status 1.
    Refused {
        /// The command's first word, for the log (never the whole line: it may carry secrets).
        name: String,
        /// What the client is told.
        message: String,
    },
}

/// Splits a command line into words, honouring quotes and backslashes; `None` for an unterminated quote.
fn split_words(line: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '\'' => break,
                        c => word.push(c),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => match chars.next()? {
                            c @ ('"' | '\\' | '$' | '`') => word.push(c),
                            '\n' => {}
                            c => {
                                word.push('\\');
                                word.push(c);
                            }
                        },
                        c => word.push(c),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some('\n') | None => {}
                    Some(c) => word.push(c),
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Some(words)
}

/// Parses an exec request's command line. `enabled` is `sftpd.enabled_ssh_commands`.
pub(crate) fn parse(data: &[u8], enabled: &[String]) -> Command {
    let line = String::from_utf8_lossy(data);
    let words = split_words(&line).unwrap_or_default();
    let name = words.first().cloned().unwrap_or_default();
    let args = words.get(1..).unwrap_or_default();
    let is_enabled = enabled.iter().any(|c| *c == name || c == "*");
    let refused = |message: String| Command::Refused {
        name: name.clone(),
        message,
    };
    if name.is_empty() {
        return refused("ringway: empty command\n".to_owned());
    }
    if !is_enabled {
        return refused(format!(
            "ringway: command {name:?} is not allowed on this server\n"
        ));
    }
    if let Some(algorithm) = HashAlgorithm::from_command(&name) {
        if args.is_empty() {
            return refused(format!("{name}: a file name is required\n"));
        }
        if args.iter().any(|a| a.starts_with('-')) {
            return refused(format!("{name}: options are not supported\n"));
        }
        return Command::Hash {
            algorithm,
            paths: args.to_vec(),
        };
    }
    match name.as_str() {
        "pwd" if args.is_empty() => Command::Pwd,
        "pwd" => refused("ringway: pwd takes no arguments\n".to_owned()),
        "cd" => Command::Cd,
        "scp" => match scp_proto::parse_args(args) {
            Ok(a) => Command::Scp(a),
            Err(e) => refused(format!("scp: {e}\n")),
        },
        _ => refused(format!(
            "ringway: command {name:?} is not supported; available: pwd, cd, scp, md5sum, sha1sum, \
             sha256sum, sha384sum, sha512sum\n"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enabled() -> Vec<String> {
        ["md5sum", "sha384sum", "pwd", "scp", "cd", "ls"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect()
    }

    #[test]
    fn served_commands() {
        assert_eq!(parse(b"pwd", &enabled()), Command::Pwd);
        assert_eq!(parse(b"  pwd \n", &enabled()), Command::Pwd);
        assert_eq!(parse(b"cd /x", &enabled()), Command::Cd);
        assert_eq!(
            parse(b"sha384sum '/a b' /c", &enabled()),
            Command::Hash {
                algorithm: HashAlgorithm::Sha384,
                paths: vec!["/a b".into(), "/c".into()]
            }
        );
        match parse(br#"scp -t -- "/my dir/x""#, &enabled()) {
            Command::Scp(a) => assert_eq!(a.paths, ["/my dir/x"]),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn words_are_split_like_a_shell() {
        assert_eq!(
            split_words(r#"a 'b c' "d \"e\"" f\ g h'i'"j""#).unwrap(),
            ["a", "b c", "d \"e\"", "f g", "hij"]
        );
        assert_eq!(split_words("''").unwrap(), [""]);
        assert!(split_words("'open").is_none());
    }

    #[test]
    fn others_are_refused_with_a_message() {
        for (line, needle) in [
            (&b"rm -rf /"[..], "not allowed"),
            (b"ls -l", "not supported"),
            (b"sha256sum /x", "not allowed"),
            (b"md5sum", "file name is required"),
            (b"md5sum -c x", "options"),
            (b"scp -x /", "unsupported option"),
            (b"scp /", "-t and -f"),
            (b"", "empty"),
            (b"'unterminated", "empty"),
            (b"pwd /etc", "no arguments"),
            (b"\xff\xfe", "not allowed"),
        ] {
            match parse(line, &enabled()) {
                Command::Refused { message, .. } => assert!(message.contains(needle), "{message}"),
                other => panic!("{line:?} was served: {other:?}"),
            }
        }
        assert!(matches!(parse(b"pwd", &[]), Command::Refused { .. }));
    }
}
