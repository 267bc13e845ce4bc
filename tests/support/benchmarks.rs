//! What the bench binaries share: their section of BENCHMARKS.md.

use std::path::PathBuf;

/// Replaces the section of BENCHMARKS.md between `<!-- {name}:begin -->` and
/// `<!-- {name}:end -->` with `md`.
pub fn write_section(name: &str, md: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("BENCHMARKS.md");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return;
    };
    let (begin, end) = (
        format!("<!-- {name}:begin -->"),
        format!("<!-- {name}:end -->"),
    );
    if let (Some(a), Some(b)) = (text.find(&begin), text.find(&end)) {
        let updated = format!("{}{begin}\n{md}{}", &text[..a], &text[b..]);
        if let Err(e) = std::fs::write(&path, updated) {
            eprintln!("writing {}: {e}", path.display());
        }
    }
}
