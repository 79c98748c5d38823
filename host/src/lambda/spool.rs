//! Finished parts of a consolidated log, kept on local disk (`/tmp`) until
//! the whole log is known, so the job can upload them last part first
//! (`consolidate_job` says why) while holding one part in memory at a time.

use std::fs::File;
use std::os::unix::fs::FileExt;

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

use crate::bindings::ConsolidatedPart;

pub struct Spool {
    file: File,
    end: u64,
    parts: Vec<Spooled>,
}

pub struct Spooled {
    offset: u64,
    len: usize,
    pub records: u64,
    pub media_type: String,
    pub sha256: Vec<u8>,
}

impl Spool {
    pub fn new() -> Result<Spool> {
        Ok(Spool {
            file: tempfile::tempfile().context("cannot create a spool file for the parts")?,
            end: 0,
            parts: Vec::new(),
        })
    }

    pub fn push(&mut self, part: ConsolidatedPart) -> Result<()> {
        let data = part.artifact.data;
        self.file
            .write_all_at(&data, self.end)
            .context("cannot write a part to the spool file")?;
        self.parts.push(Spooled {
            offset: self.end,
            len: data.len(),
            records: part.records,
            media_type: part.artifact.media_type,
            sha256: Sha256::digest(&data).to_vec(),
        });
        self.end += data.len() as u64;
        Ok(())
    }

    pub fn parts(&self) -> &[Spooled] {
        &self.parts
    }

    /// The bytes of part `index` (from 0).
    pub fn read(&self, index: usize) -> Result<Vec<u8>> {
        let part = &self.parts[index];
        let mut data = vec![0u8; part.len];
        self.file
            .read_exact_at(&mut data, part.offset)
            .context("cannot read a part back from the spool file")?;
        Ok(data)
    }
}
