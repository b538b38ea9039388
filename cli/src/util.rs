//! Small helpers: hex of field elements and points, tx ids, file I/O with clear errors, labels.

use anyhow::{anyhow, bail, Context, Result};
use std::path::Path;
use zkreg_verifier::{Transaction, TxId, MAX_TX_BYTES};

/// Hex of a field element's canonical encoding (the regulator library's one definition).
pub use zkreg_regulator::record::fr_hex;

/// Hex of a transaction id.
pub fn id_hex(id: &TxId) -> String {
    hex::encode(id)
}

/// Parses a transaction id (64 hex characters).
pub fn id_from_hex(text: &str) -> Result<TxId> {
    let b = hex::decode(text.trim())
        .map_err(|e| anyhow!("transaction id {:?} is not hex: {e}", text.trim()))?;
    b.try_into()
        .map_err(|_| anyhow!("a transaction id is 32 bytes (64 hex characters)"))
}

/// The first 12 hex characters of an id, for display.
pub fn short(hex: &str) -> String {
    hex.chars().take(12).collect()
}

/// Reads a file, naming it in the error.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Reads a UTF-8 file, naming it in the error.
pub fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Writes a file atomically (temporary file, then rename), naming it in the error.
pub fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    if !dir.is_dir() {
        bail!(
            "cannot write {}: no directory {}",
            path.display(),
            dir.display()
        );
    }
    let mut tmp = tempfile::NamedTempFile::new_in(&dir)
        .with_context(|| format!("cannot write into {}", dir.display()))?;
    std::io::Write::write_all(&mut tmp, bytes)
        .with_context(|| format!("cannot write {}", path.display()))?;
    tmp.persist(path)
        .map_err(|e| anyhow!("cannot write {}: {}", path.display(), e.error))?;
    Ok(())
}

/// Writes a file only the owner can read (key files, consent stores with grant secrets).
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    write(path, bytes)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("cannot restrict permissions of {}", path.display()))?;
    }
    Ok(())
}

/// Reads and decodes a transaction file (binary wire encoding).
pub fn read_tx(path: &Path) -> Result<(Vec<u8>, Transaction)> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    if meta.len() > MAX_TX_BYTES as u64 {
        bail!(
            "{}: {} bytes, more than a transaction can be ({MAX_TX_BYTES}); not a transaction file",
            path.display(),
            meta.len()
        );
    }
    let bytes = read(path)?;
    let tx = Transaction::decode(&bytes)
        .map_err(|e| anyhow!("{}: not a valid transaction: {e}", path.display()))?;
    Ok((bytes, tx))
}

/// Renders a byte count as "1.2 MB".
pub fn bytes_human(n: u64) -> String {
    let n = n as f64;
    if n >= 1e6 {
        format!("{:.1} MB", n / 1e6)
    } else if n >= 1e3 {
        format!("{:.1} KB", n / 1e3)
    } else {
        format!("{n} B")
    }
}

/// Checks a key name: letters, digits, `-`, `_`, `.` (not first), at most 64 characters.
pub fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    if !ok {
        bail!("invalid name {name:?}: use letters, digits, '-', '_' or '.' (at most 64, not starting with '.')");
    }
    Ok(())
}
