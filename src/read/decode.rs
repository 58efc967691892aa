//! Decoding a spec's bytes: UTF-8 text with no binary content.

use std::path::Path;

use crate::diagnostic::{Code, Diagnostic, Lines};

/// UTF-8 text with no binary content; a leading byte-order mark is dropped.
pub(super) fn decode<'a>(path: &Path, bytes: &'a [u8]) -> Result<&'a str, Diagnostic> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let valid = std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default();
            let lines = Lines::new(valid);
            let pos = lines.pos_of_byte(valid.len());
            let byte = bytes[e.valid_up_to()];
            let d = lines.diagnostic(
                path,
                crate::diagnostic::Span::at(pos),
                Code::NotUtf8,
                format!("not UTF-8 text: byte 0x{byte:02x}"),
            );
            return Err(d.with_hint("save the file as UTF-8"));
        }
    };
    if let Some((offset, c)) = text.char_indices().find(|&(_, c)| is_non_printable(c)) {
        let lines = Lines::new(text);
        let pos = lines.pos_of_byte(offset);
        let what = if c == '\0' {
            "a NUL byte".to_owned()
        } else if c == '\u{85}' {
            // YAML 1.2 allows it, but Kubernetes' reader (go-yaml, through
            // kustomize) turns it into a space: the cluster would not get this text.
            "the next-line character NEL (U+0085), which Kubernetes' YAML reader changes".to_owned()
        } else {
            format!("control character U+{:04X}", u32::from(c))
        };
        let d = lines.diagnostic(
            path,
            crate::diagnostic::Span::at(pos),
            Code::ControlChar,
            format!("{what}: this looks like binary data, not YAML"),
        );
        return Err(
            d.with_hint("YAML text may hold tabs and line breaks but no other control characters")
        );
    }
    Ok(text)
}

/// Outside YAML's printable set (tab, line breaks, and the rest of Unicode but C0/C1 controls),
/// or NEL, which YAML 1.2 prints but go-yaml does not keep.
fn is_non_printable(c: char) -> bool {
    matches!(c, '\0'..='\x08' | '\x0b' | '\x0c' | '\x0e'..='\x1f' | '\x7f'..='\u{9f}' | '\u{fffe}' | '\u{ffff}')
        || (('\u{80}'..='\u{9f}').contains(&c) && c != '\u{85}')
}
