//! Per-path allowed and denied shell patterns on file names (case-insensitive, as the reference product).
//!
//! A rule configured on a directory applies to the entries of that directory and of every directory below it,
//! unless a deeper rule overrides it (the longest path wins). The last component of a file path is checked
//! against both lists; directory components only against the denied list (an allow-list such as `*.jpg` names
//! files, not the folders that hold them), so a denied directory cannot be entered by naming something inside it.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use crate::path::VirtualPath;

/// What a client sees of a name that a rule denies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DenyPolicy {
    /// Listed, but every operation on it is refused (`deny_policy` 0).
    #[default]
    Visible,
    /// Not listed and reported as not existing (`deny_policy` 1).
    Hidden,
}

/// One rule: patterns checked against names in `path` and below.
#[derive(Debug, Clone)]
pub struct PatternRule {
    path: VirtualPath,
    allowed: Option<GlobSet>,
    denied: Option<GlobSet>,
    policy: DenyPolicy,
}

/// The verdict on a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatternDecision {
    /// No rule refuses it.
    Allowed,
    /// A rule refuses it; with [`DenyPolicy::Hidden`] it must look absent.
    Denied(DenyPolicy),
}

fn build_set(patterns: &[String], path: &VirtualPath) -> Result<Option<GlobSet>, String> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut b = GlobSetBuilder::new();
    for pat in patterns {
        let glob = GlobBuilder::new(pat)
            .case_insensitive(true)
            .literal_separator(true)
            .build()
            .map_err(|e| format!("file pattern {pat:?} for {path}: {e}"))?;
        b.add(glob);
    }
    b.build()
        .map(Some)
        .map_err(|e| format!("file patterns for {path}: {e}"))
}

impl PatternRule {
    /// Compiles a rule.
    ///
    /// # Errors
    /// A message naming the path or the pattern that does not parse.
    pub fn new(
        path: &str,
        allowed: &[String],
        denied: &[String],
        policy: DenyPolicy,
    ) -> Result<Self, String> {
        let path =
            VirtualPath::parse(path).map_err(|e| format!("file patterns path {path:?}: {e}"))?;
        Ok(Self {
            allowed: build_set(allowed, &path)?,
            denied: build_set(denied, &path)?,
            path,
            policy,
        })
    }

    fn allows(&self, name: &str, is_dir: bool) -> bool {
        if self.denied.as_ref().is_some_and(|d| d.is_match(name)) {
            return false;
        }
        is_dir || self.allowed.as_ref().is_none_or(|a| a.is_match(name))
    }
}

/// All pattern rules of a user.
#[derive(Debug, Clone, Default)]
pub struct FilePatterns {
    /// Sorted deepest first, so the first rule that contains a directory is the longest match.
    rules: Vec<PatternRule>,
}

impl FilePatterns {
    /// Collects rules; later rules for the same path replace earlier ones.
    #[must_use]
    pub fn new(rules: Vec<PatternRule>) -> Self {
        let mut rules = rules;
        rules.sort_by_key(|r| std::cmp::Reverse(r.path.depth()));
        Self { rules }
    }

    /// True when there are no rules at all (the common case, checked first on hot paths).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    fn rule_for(&self, dir: &VirtualPath) -> Option<&PatternRule> {
        self.rules.iter().find(|r| dir.starts_with(&r.path))
    }

    /// Decides whether the file or directory at `path` may be touched: each component is checked against the
    /// rule of its parent; the last one as a file unless `is_dir`.
    #[must_use]
    pub fn decide(&self, path: &VirtualPath, is_dir: bool) -> PatternDecision {
        if self.rules.is_empty() {
            return PatternDecision::Allowed;
        }
        let mut cur = path.clone();
        let mut as_dir = is_dir;
        while let (Some(name), Some(parent)) = (cur.file_name(), cur.parent()) {
            if let Some(rule) = self.rule_for(&parent)
                && !rule.allows(name, as_dir)
            {
                return PatternDecision::Denied(rule.policy);
            }
            cur = parent;
            as_dir = true;
        }
        PatternDecision::Allowed
    }

    /// True when an entry `name` of directory `dir` should appear in a listing.
    #[must_use]
    pub fn is_listed(&self, dir: &VirtualPath, name: &str, is_dir: bool) -> bool {
        match self.rule_for(dir) {
            Some(rule) => rule.policy == DenyPolicy::Visible || rule.allows(name, is_dir),
            None => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vp(s: &str) -> VirtualPath {
        VirtualPath::parse(s).unwrap()
    }

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn deny_and_allow_case_insensitive() {
        let pats = FilePatterns::new(vec![
            PatternRule::new("/", &[], &s(&["*.exe"]), DenyPolicy::Visible).unwrap(),
            PatternRule::new("/photos", &s(&["*.jpg", "*.png"]), &[], DenyPolicy::Hidden).unwrap(),
        ]);
        assert_eq!(pats.decide(&vp("/a.txt"), false), PatternDecision::Allowed);
        assert_eq!(
            pats.decide(&vp("/A.EXE"), false),
            PatternDecision::Denied(DenyPolicy::Visible)
        );
        assert_eq!(
            pats.decide(&vp("/photos/x.JPG"), false),
            PatternDecision::Allowed
        );
        assert_eq!(
            pats.decide(&vp("/photos/sub/x.png"), false),
            PatternDecision::Allowed
        );
        assert_eq!(
            pats.decide(&vp("/photos/sub"), true),
            PatternDecision::Allowed
        );
        assert_eq!(
            pats.decide(&vp("/photos/sub/x.txt"), false),
            PatternDecision::Denied(DenyPolicy::Hidden)
        );
        // The deeper rule replaces the root one inside /photos, so *.exe is not allowed there either (not an image).
        assert_eq!(
            pats.decide(&vp("/photos/a.exe"), false),
            PatternDecision::Denied(DenyPolicy::Hidden)
        );
        // A denied directory cannot be entered.
        assert_eq!(
            pats.decide(&vp("/bin.exe/inner.txt"), false),
            PatternDecision::Denied(DenyPolicy::Visible)
        );
        assert!(pats.is_listed(&vp("/"), "a.exe", false));
        assert!(!pats.is_listed(&vp("/photos"), "a.txt", false));
        assert!(pats.is_listed(&vp("/photos"), "album", true));
        assert!(pats.is_listed(&vp("/photos"), "a.png", false));
    }

    #[test]
    fn bad_pattern_is_named() {
        let err = PatternRule::new("/", &s(&["[a"]), &[], DenyPolicy::Visible).unwrap_err();
        assert!(err.contains("[a"), "{err}");
    }
}
