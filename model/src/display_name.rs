//! Names people give runs, experiments and pipelines: free text, but one
//! line of it, without characters that hide or reorder what is shown.

/// Longest display name, in characters.
pub const MAX_DISPLAY_NAME_CHARS: usize = 256;

/// Why a display name was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DisplayNameError {
    /// Nothing but spaces.
    #[error("must not be empty")]
    Empty,
    /// Over [`MAX_DISPLAY_NAME_CHARS`].
    #[error("is {0} characters long; the limit is {MAX_DISPLAY_NAME_CHARS}")]
    TooLong(usize),
    /// A control character (NUL, newline, tab, ...).
    #[error("must not contain control characters (found U+{0:04X})")]
    Control(u32),
    /// A character that reorders or hides text (bidi overrides, isolates, marks).
    #[error("must not contain bidirectional formatting characters (found U+{0:04X})")]
    Bidi(u32),
    /// `/`, `.` or `..`, where a name becomes part of a path.
    #[error("must not be '.', '..' or contain '/'")]
    PathLike,
}

/// Whether `c` changes the direction or visibility of the text around it.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `text` trimmed, or why it cannot be a display name.
///
/// ```
/// assert_eq!(model::display_name("  train v2 ").unwrap(), "train v2");
/// assert!(model::display_name("a\u{202E}b").is_err());
/// ```
pub fn display_name(text: &str) -> Result<String, DisplayNameError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(DisplayNameError::Empty);
    }
    if let Some(c) = trimmed.chars().find(|c| c.is_control()) {
        return Err(DisplayNameError::Control(c as u32));
    }
    if let Some(c) = trimmed.chars().find(|c| is_bidi_control(*c)) {
        return Err(DisplayNameError::Bidi(c as u32));
    }
    let chars = trimmed.chars().count();
    if chars > MAX_DISPLAY_NAME_CHARS {
        return Err(DisplayNameError::TooLong(chars));
    }
    Ok(trimmed.to_owned())
}

/// A display name that is also used as one segment of a path (experiments).
pub fn path_safe_display_name(text: &str) -> Result<String, DisplayNameError> {
    let name = display_name(text)?;
    if name == "." || name == ".." || name.contains('/') {
        return Err(DisplayNameError::PathLike);
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_are_refused_with_the_reason() {
        assert_eq!(display_name("a\0b"), Err(DisplayNameError::Control(0)));
        assert_eq!(display_name("a\nb"), Err(DisplayNameError::Control(10)));
        assert_eq!(display_name("evil\u{202E}gpj.exe"), Err(DisplayNameError::Bidi(0x202E)));
        assert_eq!(display_name(&"x".repeat(300)), Err(DisplayNameError::TooLong(300)));
        assert_eq!(display_name(&"é".repeat(256)).unwrap().chars().count(), 256);
        assert_eq!(display_name("   "), Err(DisplayNameError::Empty));
        assert_eq!(path_safe_display_name("a/b"), Err(DisplayNameError::PathLike));
        assert_eq!(path_safe_display_name(".."), Err(DisplayNameError::PathLike));
        assert_eq!(path_safe_display_name(" my experiment ").unwrap(), "my experiment");
    }
}
