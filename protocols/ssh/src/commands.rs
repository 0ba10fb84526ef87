//! SSH exec commands: parse the command line a client asked to run, without running anything.
//!
//! Only `pwd` is served so far (every user starts at the root of their virtual filesystem); SCP and the hash
//! and `cd` commands arrive with the VFS-backed engine. Nothing here ever reaches a shell.

/// What an exec request turns into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Command {
    /// Print the working directory.
    Pwd,
    /// Not served: `message` goes to the client's stderr with exit status 1.
    Refused {
        /// The command's first word, for the log (never the whole line: it may carry secrets).
        name: String,
        /// What the client is told.
        message: String,
    },
}

/// Parses an exec request's command line. `enabled` is `sftpd.enabled_ssh_commands`.
pub(crate) fn parse(data: &[u8], enabled: &[String]) -> Command {
    let line = String::from_utf8_lossy(data);
    let mut words = line.split_whitespace();
    let name = words.next().unwrap_or_default().to_owned();
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
    match name.as_str() {
        "pwd" if words.next().is_none() => Command::Pwd,
        "pwd" => refused("ringway: pwd takes no arguments\n".to_owned()),
        _ => refused(format!(
            "ringway: command {name:?} is not supported yet; only pwd is available\n"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enabled() -> Vec<String> {
        ["md5sum", "pwd", "scp"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect()
    }

    #[test]
    fn pwd_is_served() {
        assert_eq!(parse(b"pwd", &enabled()), Command::Pwd);
        assert_eq!(parse(b"  pwd \n", &enabled()), Command::Pwd);
    }

    #[test]
    fn others_are_refused_with_a_message() {
        for (line, needle) in [
            (&b"ls -l"[..], "not allowed"),
            (b"md5sum /x", "not supported yet"),
            (b"scp -t /", "not supported yet"),
            (b"", "empty"),
            (b"pwd /etc", "no arguments"),
            (b"\xff\xfe", "not allowed"),
        ] {
            match parse(line, &enabled()) {
                Command::Refused { message, .. } => assert!(message.contains(needle), "{message}"),
                Command::Pwd => panic!("{line:?} was served"),
            }
        }
        assert!(matches!(parse(b"pwd", &[]), Command::Refused { .. }));
    }
}
