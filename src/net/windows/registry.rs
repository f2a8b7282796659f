//! Reads the SCHANNEL branch, the .NET Framework keys and the release name
//! from this machine's HKLM through `windows-registry` (read-only access:
//! `KEY_READ`, nothing is ever written). Decoding and auditing are
//! `schannel::live`'s; this module only walks keys and copies raw values.

use windows_registry::{Key, LOCAL_MACHINE};

use crate::net::registry::{
    export_from_keys, LiveError, LiveKey, LocalRegistry, OsInfo, CURRENT_VERSION_PATH,
    DOTNET_PATHS, MAX_DEPTH, MAX_KEYS, MAX_VALUES, SCHANNEL_PATH,
};

/// HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND): the key does not exist.
const NOT_FOUND: i32 = 0x8007_0002_u32 as i32;
/// HRESULT_FROM_WIN32(ERROR_ACCESS_DENIED).
const ACCESS_DENIED: i32 = 0x8007_0005_u32 as i32;

/// Reads everything `schannel --local` audits.
pub fn read_local() -> Result<LocalRegistry, LiveError> {
    let mut keys = Vec::new();
    match open(SCHANNEL_PATH)? {
        Some(root) => walk(&root, SCHANNEL_PATH.to_owned(), 0, &mut keys)?,
        // Schannel keeps its own values here on every Windows; a machine
        // without the key has no settings at all, so the defaults apply.
        None => keys.push(LiveKey {
            path: SCHANNEL_PATH.to_owned(),
            values: Vec::new(),
        }),
    }
    let mut dotnet_installed = false;
    for (i, path) in DOTNET_PATHS.iter().enumerate() {
        if let Some(key) = open(path)? {
            // The first two are the roots.
            dotnet_installed |= i < 2;
            keys.push(LiveKey {
                path: (*path).to_owned(),
                values: values(&key, path)?,
            });
        }
    }
    Ok(LocalRegistry {
        export: export_from_keys(keys),
        os: os_info()?,
        dotnet_installed,
    })
}

/// What a failed registry call means; `code` is its HRESULT.
fn error(path: &str, code: i32, message: String) -> LiveError {
    if code == ACCESS_DENIED {
        LiveError::AccessDenied {
            path: path.to_owned(),
        }
    } else {
        LiveError::Read {
            path: path.to_owned(),
            message: format!("{message} (0x{code:08x})"),
        }
    }
}

/// Opens HKLM\`path` for reading; `None` when it does not exist.
fn open(path: &str) -> Result<Option<Key>, LiveError> {
    match LOCAL_MACHINE.options().read().open(path) {
        Ok(key) => Ok(Some(key)),
        Err(e) if e.code().0 == NOT_FOUND => Ok(None),
        Err(e) => Err(error(path, e.code().0, e.message())),
    }
}

/// The key's values, at most [`MAX_VALUES`], as raw type code and bytes.
fn values(key: &Key, path: &str) -> Result<Vec<(String, u32, Vec<u8>)>, LiveError> {
    let iter = key
        .values()
        .map_err(|e| error(path, e.code().0, e.message()))?;
    Ok(iter
        .take(MAX_VALUES)
        .map(|(name, value)| (name, u32::from(value.ty()), value.to_vec()))
        .collect())
}

/// Reads `key` and its subkeys, depth first, within the bounds.
fn walk(key: &Key, path: String, depth: usize, out: &mut Vec<LiveKey>) -> Result<(), LiveError> {
    if out.len() >= MAX_KEYS {
        return Err(LiveError::Read {
            path,
            message: format!("more than {MAX_KEYS} keys under SCHANNEL; export it instead"),
        });
    }
    out.push(LiveKey {
        values: values(key, &path)?,
        path: path.clone(),
    });
    if depth >= MAX_DEPTH {
        return Ok(());
    }
    let names: Vec<String> = key
        .keys()
        .map_err(|e| error(&path, e.code().0, e.message()))?
        .collect();
    for name in names {
        let sub_path = format!("{path}\\{name}");
        match key.options().read().open(&name) {
            Ok(sub) => walk(&sub, sub_path, depth + 1, out)?,
            // Deleted between listing and opening: nothing to read.
            Err(e) if e.code().0 == NOT_FOUND => {}
            Err(e) => return Err(error(&sub_path, e.code().0, e.message())),
        }
    }
    Ok(())
}

/// ProductName, CurrentBuildNumber and InstallationType; absent or
/// unreadable values stay `None` (the audit then asks for `--os`).
fn os_info() -> Result<OsInfo, LiveError> {
    let Some(key) = open(CURRENT_VERSION_PATH)? else {
        return Ok(OsInfo::default());
    };
    let text = |name: &str| key.get_string(name).ok().filter(|s| !s.is_empty());
    Ok(OsInfo {
        product_name: text("ProductName"),
        build: text("CurrentBuildNumber").or_else(|| text("CurrentBuild")),
        installation_type: text("InstallationType"),
    })
}
