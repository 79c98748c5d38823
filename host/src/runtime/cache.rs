//! The on-disk cache of compiled components.
//!
//! Compiled code is native code: whatever `Component::deserialize` is given
//! runs in this process with the host's rights. So the cache trusts nothing
//! it did not write and cannot verify:
//!
//! - the directory must be a real directory (not a symbolic link), owned by
//!   the effective user and writable by no one else; one this process creates
//!   is made `0700`. Otherwise the cache is not used at all;
//! - every file is reached through that directory's descriptor, opened with
//!   `O_NOFOLLOW`, and must be a regular file owned by the user and writable
//!   by no one else;
//! - a secret key (`key`, 32 random bytes, mode `0600`) authenticates every
//!   entry: an entry is the serialized code followed by the keyed BLAKE3
//!   hash (a MAC) of engine ‖ component ‖ code, where engine is a digest of
//!   the engine's compatibility hash and component the BLAKE3 hash of the
//!   component's bytes. The tag is checked in constant time on the bytes read
//!   into memory, and exactly those bytes are deserialized. BLAKE3 rather
//!   than HMAC-SHA256 because a warm start hashes megabytes (the component
//!   and its compiled code) and this is most of what it does;
//! - entries are written to a new file with a random name (`O_CREAT |
//!   O_EXCL | O_NOFOLLOW`, mode `0600`), synced, then renamed over the entry's
//!   name, which replaces a symbolic link there rather than following it.
//!
//! The directory and owner checks keep other users out; the tag makes sure
//! that only bytes this host serialized, for this component and this engine,
//! are loaded: not another component's valid code put under this one's name,
//! an entry copied from another cache, a corrupted or truncated file. Entry
//! names stay derived from the component and the engine: they are not secret
//! and need not be, since an entry only loads with a valid tag. A refused
//! entry is reported (a warning naming the file and why), removed, compiled
//! again and rewritten.
//!
//! A cache that is unsafe or broken only costs time: the component is
//! compiled and the run goes on.

use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use rustix::fs::{AtFlags, CWD, Mode, OFlags};
use rustix::io::Errno;
use wasmtime::Engine;
use wasmtime::component::Component;

/// The length of the secret key and of an entry's tag.
const KEY_LEN: usize = 32;
const TAG_LEN: usize = 32;
/// The key's file name in the cache directory.
const KEY_FILE: &str = "key";
/// Separates these tags from any other use of the key.
const TAG_DOMAIN: &[u8] = b"cloudtrail-analyzer compiled-component cache v2\0";

/// A cache directory that passed the checks, and its key.
pub struct Cache {
    /// Every file is opened relative to this descriptor, so the directory
    /// that was checked is the one used, whatever happens to its path.
    dir: OwnedFd,
    path: PathBuf,
    key: [u8; KEY_LEN],
}

/// What identifies compiled code: the engine and the component.
pub struct Entry {
    name: String,
    engine: [u8; 32],
    component: [u8; 32],
}

impl Entry {
    pub fn new(engine: &Engine, component: &[u8]) -> Entry {
        let engine = engine_digest(engine);
        let component = component_digest(component);
        let name = format!("{}.cwasm", key_name(&engine, &component));
        Entry {
            name,
            engine,
            component,
        }
    }
}

/// A key for compiled code: the component's bytes and everything about the
/// engine that compiled code depends on (version, settings, target). It
/// names the entry; it is not what makes an entry trusted (its tag is).
pub fn cache_key(engine: &Engine, component: &[u8]) -> String {
    key_name(&engine_digest(engine), &component_digest(component))
}

/// The BLAKE3 hash of a component's bytes. The embedded default's was
/// taken when it was built: when `component` is that very slice (not a
/// copy), its bytes are not read at all, so a warm start of the default
/// neither hashes nor pages in its megabytes.
fn component_digest(component: &[u8]) -> [u8; 32] {
    if std::ptr::eq(component, super::DEFAULT_COMPONENT) {
        super::DEFAULT_COMPONENT_BLAKE3
    } else {
        *blake3::hash(component).as_bytes()
    }
}

fn key_name(engine: &[u8; 32], component: &[u8; 32]) -> String {
    format!(
        "{}-{}",
        hex::encode(&component[..16]),
        hex::encode(&engine[..8])
    )
}

/// A digest of the engine's precompile compatibility hash: it changes with
/// wasmtime's version, the engine's settings and the target.
fn engine_digest(engine: &Engine) -> [u8; 32] {
    struct Digest(blake3::Hasher);
    impl Hasher for Digest {
        fn write(&mut self, bytes: &[u8]) {
            self.0.update(bytes);
        }
        fn finish(&self) -> u64 {
            unreachable!("only the digest is read")
        }
    }
    let mut digest = Digest(blake3::Hasher::new());
    engine.precompile_compatibility_hash().hash(&mut digest);
    *digest.0.finalize().as_bytes()
}

/// The default cache directory: `$XDG_CACHE_HOME` or `~/.cache`, then
/// `cloudtrail-analyzer`.
pub fn default_cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("cloudtrail-analyzer"))
}

impl Cache {
    /// Opens the cache in `path`, creating it (and any missing parent) with
    /// mode `0700`, and reads or creates its key. An error says why the
    /// directory is not safe to use.
    pub fn open(path: &Path) -> Result<Cache> {
        // Without a trailing `/` or `/.`, which would make the kernel follow
        // a link at the last component despite `O_NOFOLLOW`.
        let path: PathBuf = path.components().collect();
        let path = path.as_path();
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        let dir = rustix::fs::openat(
            CWD,
            path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| match e {
            Errno::LOOP | Errno::NOTDIR => {
                anyhow::anyhow!("{} is not a directory (a symbolic link?)", path.display())
            }
            e => anyhow::Error::from(std::io::Error::from(e))
                .context(format!("cannot open {}", path.display())),
        })?;
        let dir = File::from(dir);
        let meta = dir
            .metadata()
            .with_context(|| format!("cannot stat {}", path.display()))?;
        check_owner(&meta, true, 0o022).map_err(|e| {
            anyhow::anyhow!(
                "directory {}: {e}; the cache must be a directory of this user that no one \
                 else can write to (`chmod go-w` it, or choose another with --cache-dir or \
                 CTA_CACHE_DIR)",
                path.display()
            )
        })?;
        let mut cache = Cache {
            dir: OwnedFd::from(dir),
            path: path.to_owned(),
            key: [0; KEY_LEN],
        };
        cache.key = cache.read_or_create_key()?;
        Ok(cache)
    }

    /// The cache directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Loads an entry's compiled code, or `None` when there is none or it is
    /// refused; a refused entry is reported and removed.
    pub fn load(&self, engine: &Engine, entry: &Entry) -> Option<Component> {
        let code = match self.read_entry(entry) {
            Ok(Some(code)) => code,
            Ok(None) => return None,
            Err(e) => {
                self.refuse(entry, &e);
                return None;
            }
        };
        // SAFETY: `code` is exactly the bytes whose tag was just verified
        // under this cache's secret key, which only this host holds (a file
        // of mode 0600 in a directory only its user can write); a valid tag
        // means the host itself wrote these bytes with `Component::serialize`
        // for this component and this engine configuration, which is what
        // `deserialize` requires. Wasmtime also checks the engine settings.
        match unsafe { Component::deserialize(engine, &code) } {
            Ok(component) => {
                tracing::debug!(path = %self.path.join(&entry.name).display(), "loaded the compiled component from the cache");
                Some(component)
            }
            Err(e) => {
                self.refuse(entry, &anyhow::Error::from(e));
                None
            }
        }
    }

    /// Reads an entry and checks it: `None` when there is no entry, an error
    /// when there is one that must not be loaded.
    fn read_entry(&self, entry: &Entry) -> Result<Option<Vec<u8>>> {
        let file = match self.open_read(&entry.name) {
            Ok(file) => file,
            Err(Errno::NOENT) => return Ok(None),
            Err(Errno::LOOP) => bail!("it is a symbolic link"),
            Err(e) => return Err(std::io::Error::from(e).into()),
        };
        let mut file = File::from(file);
        let meta = file.metadata()?;
        check_owner(&meta, false, 0o022)?;
        let mut bytes = Vec::with_capacity(meta.len().try_into().unwrap_or(0));
        file.read_to_end(&mut bytes)?;
        if bytes.len() < TAG_LEN {
            bail!("it is too short to hold a tag");
        }
        let tag = bytes.split_off(bytes.len() - TAG_LEN);
        let tag: [u8; TAG_LEN] = tag.try_into().expect("split at TAG_LEN");
        // `blake3::Hash` compares in constant time.
        if self.tag(entry, &bytes) != blake3::Hash::from_bytes(tag) {
            bail!("its authentication tag does not match");
        }
        Ok(Some(bytes))
    }

    fn refuse(&self, entry: &Entry, reason: &anyhow::Error) {
        let path = self.path.join(&entry.name);
        tracing::warn!(path = %path.display(), reason = %format!("{reason:#}"), "refusing a cached compiled component; compiling it again");
        // Removes a link itself, never its target.
        let _ = rustix::fs::unlinkat(&self.dir, entry.name.as_str(), AtFlags::empty());
    }

    /// Writes compiled code to the cache, atomically.
    pub fn store(&self, entry: &Entry, component: &Component) -> Result<()> {
        let mut bytes = component.serialize()?;
        let tag = self.tag(entry, &bytes);
        bytes.extend_from_slice(tag.as_bytes());
        self.write_atomically(&entry.name, &bytes)
            .with_context(|| format!("cannot write {}", self.path.join(&entry.name).display()))
    }

    /// The keyed BLAKE3 hash of the entry's identity and its code. The
    /// domain, engine and component parts have fixed lengths, so no two
    /// inputs run together.
    fn tag(&self, entry: &Entry, code: &[u8]) -> blake3::Hash {
        let mut mac = blake3::Hasher::new_keyed(&self.key);
        mac.update(TAG_DOMAIN);
        mac.update(&entry.engine);
        mac.update(&entry.component);
        mac.update(code);
        mac.finalize()
    }

    fn open_read(&self, name: &str) -> rustix::io::Result<OwnedFd> {
        // NONBLOCK: opening a FIFO planted here must not hang the host.
        rustix::fs::openat(
            &self.dir,
            name,
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC,
            Mode::empty(),
        )
    }

    /// Writes `bytes` to a new file with an unpredictable name derived from
    /// `name`, syncs it, and returns that name.
    fn write_temp(&self, name: &str, bytes: &[u8]) -> Result<String> {
        let mut random = [0u8; 16];
        getrandom::fill(&mut random).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
        let temp = format!(".{name}.{}.tmp", hex::encode(random));
        let mut file = self.create_new(&temp).map_err(std::io::Error::from)?;
        let written = file.write_all(bytes).and_then(|()| file.sync_all());
        if let Err(e) = written {
            let _ = rustix::fs::unlinkat(&self.dir, temp.as_str(), AtFlags::empty());
            return Err(e.into());
        }
        Ok(temp)
    }

    /// Creates a new file of mode 0600. `O_EXCL` fails on anything already
    /// there, a symbolic link (even a dangling one) included.
    fn create_new(&self, name: &str) -> rustix::io::Result<File> {
        let fd = rustix::fs::openat(
            &self.dir,
            name,
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::RUSR | Mode::WUSR,
        )?;
        Ok(File::from(fd))
    }

    fn write_atomically(&self, name: &str, bytes: &[u8]) -> Result<()> {
        let temp = self.write_temp(name, bytes)?;
        // rename(2) replaces whatever is at `name`, a symbolic link included,
        // without following it.
        if let Err(e) = rustix::fs::renameat(&self.dir, temp.as_str(), &self.dir, name) {
            let _ = rustix::fs::unlinkat(&self.dir, temp.as_str(), AtFlags::empty());
            return Err(std::io::Error::from(e).into());
        }
        Ok(())
    }

    /// Reads the key, creating it first when there is none. Processes that
    /// race to create it agree on one: each writes a whole key file and
    /// links it into place, and a link never replaces an existing file.
    fn read_or_create_key(&self) -> Result<[u8; KEY_LEN]> {
        let path = self.path.join(KEY_FILE);
        for _ in 0..2 {
            match self.open_read(KEY_FILE) {
                Ok(fd) => {
                    return read_key(File::from(fd))
                        .with_context(|| format!("unusable key {}", path.display()));
                }
                Err(Errno::NOENT) => {}
                Err(Errno::LOOP) => bail!("key {} is a symbolic link", path.display()),
                Err(e) => {
                    return Err(std::io::Error::from(e))
                        .with_context(|| format!("cannot open {}", path.display()));
                }
            }
            let mut key = [0u8; KEY_LEN];
            getrandom::fill(&mut key).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
            let temp = self
                .write_temp(KEY_FILE, &key)
                .with_context(|| format!("cannot create {}", path.display()))?;
            let linked = rustix::fs::linkat(
                &self.dir,
                temp.as_str(),
                &self.dir,
                KEY_FILE,
                AtFlags::empty(),
            );
            let _ = rustix::fs::unlinkat(&self.dir, temp.as_str(), AtFlags::empty());
            match linked {
                Ok(()) | Err(Errno::EXIST) => {}
                Err(e) => {
                    return Err(std::io::Error::from(e))
                        .with_context(|| format!("cannot create {}", path.display()));
                }
            }
        }
        bail!("key {} keeps disappearing", path.display())
    }
}

fn read_key(mut file: File) -> Result<[u8; KEY_LEN]> {
    let meta = file.metadata()?;
    check_owner(&meta, false, 0o077)?;
    if meta.len() != KEY_LEN as u64 {
        bail!("it is {} bytes long, not {KEY_LEN}", meta.len());
    }
    let mut key = [0u8; KEY_LEN];
    file.read_exact(&mut key)?;
    Ok(key)
}

/// A directory (`dir`) or regular file must be owned by the effective
/// user, and have none of the `forbidden` permission bits.
fn check_owner(meta: &std::fs::Metadata, dir: bool, forbidden: u32) -> Result<()> {
    if dir && !meta.is_dir() {
        bail!("it is not a directory");
    }
    if !dir && !meta.is_file() {
        bail!("it is not a regular file");
    }
    let me = rustix::process::geteuid().as_raw();
    if meta.uid() != me {
        bail!(
            "it is owned by uid {}, not by this user (uid {me})",
            meta.uid()
        );
    }
    let mode = meta.permissions().mode() & 0o7777;
    if mode & forbidden != 0 {
        bail!(
            "its mode {mode:o} lets others {}",
            if forbidden & 0o044 != 0 {
                "read or write it"
            } else {
                "write to it"
            }
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::os::unix::fs::symlink;
    use std::sync::OnceLock;

    use super::*;

    /// One engine and one compiled default component for all the tests.
    fn compiled() -> &'static (Engine, Component) {
        static COMPILED: OnceLock<(Engine, Component)> = OnceLock::new();
        COMPILED.get_or_init(|| {
            let engine = super::super::new_engine().unwrap();
            let component = Component::new(&engine, super::super::DEFAULT_COMPONENT).unwrap();
            (engine, component)
        })
    }

    fn mode(path: &Path) -> u32 {
        fs::symlink_metadata(path).unwrap().permissions().mode() & 0o7777
    }

    fn set_mode(path: &Path, mode: u32) {
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
    }

    fn is_root() -> bool {
        rustix::process::geteuid().is_root()
    }

    fn chown_to_nobody(path: &Path) {
        std::os::unix::fs::lchown(path, Some(65534), Some(65534)).unwrap();
    }

    /// A cache in a new folder with the default component stored in it.
    fn filled() -> (tempfile::TempDir, Cache, Entry) {
        let (engine, component) = compiled();
        let tmp = tempfile::tempdir().unwrap();
        let cache = Cache::open(&tmp.path().join("cache")).unwrap();
        let entry = Entry::new(engine, super::super::DEFAULT_COMPONENT);
        cache.store(&entry, component).unwrap();
        (tmp, cache, entry)
    }

    fn entry_path(cache: &Cache, entry: &Entry) -> PathBuf {
        cache.path().join(entry.name.as_str())
    }

    #[test]
    fn the_default_components_digest_taken_at_build_time_is_its_hash() {
        let copy = super::super::DEFAULT_COMPONENT.to_vec();
        assert_eq!(
            component_digest(super::super::DEFAULT_COMPONENT),
            component_digest(&copy),
        );
        assert_eq!(
            super::super::DEFAULT_COMPONENT_BLAKE3,
            *blake3::hash(&copy).as_bytes()
        );
    }

    #[test]
    fn creates_a_private_directory_key_and_entries_and_loads_them_back() {
        let (engine, component) = compiled();
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("new").join("cache");
        let cache = Cache::open(&dir).unwrap();
        assert_eq!(mode(&tmp.path().join("new")), 0o700);
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join(KEY_FILE)), 0o600);
        assert_eq!(fs::read(dir.join(KEY_FILE)).unwrap().len(), KEY_LEN);
        let entry = Entry::new(engine, super::super::DEFAULT_COMPONENT);
        assert!(cache.load(engine, &entry).is_none(), "empty at first");
        cache.store(&entry, component).unwrap();
        assert_eq!(mode(&entry_path(&cache, &entry)), 0o600);
        assert!(cache.load(engine, &entry).is_some());
        // Another process reads the same key and so accepts the entry.
        let again = Cache::open(&dir).unwrap();
        assert_eq!(again.key, cache.key);
        assert!(again.load(engine, &entry).is_some());
        let names: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(
            names.len(),
            2,
            "the key and one entry, no temporary files: {names:?}"
        );
    }

    #[test]
    fn refuses_an_entry_with_a_flipped_byte_or_a_cut_tag_and_removes_it() {
        let (engine, _) = compiled();
        let (_tmp, cache, entry) = filled();
        let path = entry_path(&cache, &entry);
        let good = fs::read(&path).unwrap();
        for poison in [
            {
                let mut bytes = good.clone();
                let middle = bytes.len() / 2;
                bytes[middle] ^= 0x01;
                bytes
            },
            {
                let mut bytes = good.clone();
                *bytes.last_mut().unwrap() ^= 0x80;
                bytes
            },
            good[..good.len() - TAG_LEN].to_vec(),
            good[..10].to_vec(),
        ] {
            fs::write(&path, &poison).unwrap();
            assert!(cache.load(engine, &entry).is_none());
            assert!(!path.exists(), "a refused entry is removed");
        }
        fs::write(&path, &good).unwrap();
        assert!(cache.load(engine, &entry).is_some());
    }

    #[test]
    fn refuses_another_components_valid_code_under_this_components_name() {
        let (engine, _) = compiled();
        let (_tmp, cache, entry) = filled();
        let other = Entry::new(engine, b"another component's bytes");
        let planted = entry_path(&cache, &other);
        fs::copy(entry_path(&cache, &entry), &planted).unwrap();
        assert!(cache.load(engine, &other).is_none());
        assert!(!planted.exists());
    }

    #[test]
    fn refuses_an_entry_under_another_key() {
        let (engine, component) = compiled();
        let (_tmp, cache, entry) = filled();
        let (_tmp2, elsewhere, _) = filled();
        // A valid entry of another cache (another user, another machine).
        fs::copy(entry_path(&elsewhere, &entry), entry_path(&cache, &entry)).unwrap();
        assert!(cache.load(engine, &entry).is_none());
        cache.store(&entry, component).unwrap();
        assert!(cache.load(engine, &entry).is_some());
    }

    #[test]
    fn refuses_entries_that_are_links_fifos_or_open_to_others() {
        let (engine, _) = compiled();
        let (tmp, cache, entry) = filled();
        let path = entry_path(&cache, &entry);
        // A link to a valid entry is refused all the same: links are never
        // followed, and removing one leaves its target alone.
        let target = tmp.path().join("outside.cwasm");
        fs::rename(&path, &target).unwrap();
        let good = fs::read(&target).unwrap();
        symlink(&target, &path).unwrap();
        assert!(cache.load(engine, &entry).is_none());
        assert!(fs::symlink_metadata(&path).is_err(), "the link is removed");
        assert_eq!(fs::read(&target).unwrap(), good, "the target is untouched");

        fs::write(&path, &good).unwrap();
        set_mode(&path, 0o620);
        assert!(cache.load(engine, &entry).is_none(), "group-writable");

        rustix::fs::mkfifoat(&cache.dir, entry.name.as_str(), Mode::RUSR | Mode::WUSR).unwrap();
        assert!(
            cache.load(engine, &entry).is_none(),
            "a FIFO, without hanging"
        );

        fs::create_dir(&path).unwrap();
        assert!(cache.load(engine, &entry).is_none(), "a directory");
        fs::remove_dir(&path).unwrap();

        if is_root() {
            fs::write(&path, &good).unwrap();
            set_mode(&path, 0o600);
            chown_to_nobody(&path);
            assert!(
                cache.load(engine, &entry).is_none(),
                "owned by another user"
            );
        }
    }

    #[test]
    fn writing_replaces_a_planted_link_and_never_writes_through_one() {
        let (engine, component) = compiled();
        let (tmp, cache, entry) = filled();
        let path = entry_path(&cache, &entry);
        let victim = tmp.path().join("victim");
        fs::write(&victim, b"precious").unwrap();
        fs::remove_file(&path).unwrap();
        symlink(&victim, &path).unwrap();
        cache.store(&entry, component).unwrap();
        assert_eq!(fs::read(&victim).unwrap(), b"precious");
        assert!(fs::symlink_metadata(&path).unwrap().is_file());
        assert!(cache.load(engine, &entry).is_some());

        // Temporary files are created exclusively: a link planted at the
        // name, dangling or not, makes the creation fail.
        symlink(&victim, cache.path().join("planted")).unwrap();
        symlink(tmp.path().join("nothing"), cache.path().join("dangling")).unwrap();
        assert_eq!(cache.create_new("planted").err(), Some(Errno::EXIST));
        assert_eq!(cache.create_new("dangling").err(), Some(Errno::EXIST));
        assert_eq!(fs::read(&victim).unwrap(), b"precious");
        assert!(!tmp.path().join("nothing").exists());
    }

    #[test]
    fn refuses_unsafe_directories() {
        let tmp = tempfile::tempdir().unwrap();
        let open = |path: &Path| format!("{:#}", Cache::open(path).map(|_| ()).unwrap_err());

        for unsafe_mode in [0o777, 0o770, 0o1777, 0o702] {
            let dir = tmp.path().join(format!("mode{unsafe_mode:o}"));
            fs::create_dir(&dir).unwrap();
            set_mode(&dir, unsafe_mode);
            assert!(open(&dir).contains("lets others write"), "{unsafe_mode:o}");
            assert!(!dir.join(KEY_FILE).exists(), "nothing is written there");
        }

        let private = tmp.path().join("private");
        fs::create_dir(&private).unwrap();
        set_mode(&private, 0o700);
        let link = tmp.path().join("link");
        symlink(&private, &link).unwrap();
        assert!(open(&link).contains("symbolic link"));
        for spelled in ["/", "/.", "//"] {
            let link = PathBuf::from(format!("{}{spelled}", link.display()));
            assert!(open(&link).contains("symbolic link"), "{}", link.display());
        }
        assert!(!private.join(KEY_FILE).exists());

        let file = tmp.path().join("file");
        fs::write(&file, b"").unwrap();
        assert!(Cache::open(&file).is_err());

        // A directory that others may read but not write is fine.
        let readable = tmp.path().join("readable");
        fs::create_dir(&readable).unwrap();
        set_mode(&readable, 0o755);
        assert!(Cache::open(&readable).is_ok());

        if is_root() {
            let theirs = tmp.path().join("theirs");
            fs::create_dir(&theirs).unwrap();
            set_mode(&theirs, 0o700);
            chown_to_nobody(&theirs);
            assert!(open(&theirs).contains("owned by uid 65534"));
        }
    }

    #[test]
    fn refuses_unsafe_keys() {
        let tmp = tempfile::tempdir().unwrap();
        let fresh = |name: &str| {
            let dir = tmp.path().join(name);
            Cache::open(&dir).unwrap();
            dir
        };
        let open = |dir: &Path| Cache::open(dir).map(|_| ()).unwrap_err();

        let dir = fresh("readable");
        set_mode(&dir.join(KEY_FILE), 0o640);
        assert!(format!("{:#}", open(&dir)).contains("lets others read"));

        let dir = fresh("short");
        fs::write(dir.join(KEY_FILE), b"short").unwrap();
        assert!(format!("{:#}", open(&dir)).contains("not 32"));

        let dir = fresh("link");
        let elsewhere = tmp.path().join("elsewhere");
        fs::write(&elsewhere, [7u8; KEY_LEN]).unwrap();
        set_mode(&elsewhere, 0o600);
        fs::remove_file(dir.join(KEY_FILE)).unwrap();
        symlink(&elsewhere, dir.join(KEY_FILE)).unwrap();
        assert!(format!("{:#}", open(&dir)).contains("symbolic link"));

        if is_root() {
            let dir = fresh("theirs");
            chown_to_nobody(&dir.join(KEY_FILE));
            assert!(format!("{:#}", open(&dir)).contains("owned by uid 65534"));
        }
    }

    #[test]
    fn names_depend_on_the_component_and_the_engine() {
        let (engine, _) = compiled();
        let a = cache_key(engine, b"a");
        assert_eq!(a, cache_key(engine, b"a"));
        assert_ne!(a, cache_key(engine, b"b"));
        let mut config = wasmtime::Config::new();
        config.epoch_interruption(false);
        let other = Engine::new(&config).unwrap();
        assert_ne!(a, cache_key(&other, b"a"));
        assert_eq!(Entry::new(engine, b"a").name, format!("{a}.cwasm"));
    }
}
