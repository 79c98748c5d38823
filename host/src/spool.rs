//! Finished parts of a consolidated log, kept on local disk until the whole
//! log is known and checked: nothing is written to its destination before
//! the host has seen every part and the counts add up (`consolidate`), and
//! the Lambda job can upload them last part first while holding one part in
//! memory at a time.
//!
//! A component cannot fill the disk through it: the spool refuses parts past
//! its byte limit, and every part must be a complete gzip stream.

use std::fs::File;
use std::os::unix::fs::FileExt;

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

use crate::bindings::ConsolidatedPart;
use crate::ledger::{RecordHash, frame_gzip};
use crate::outputs::safe_name;

pub struct Spool {
    file: File,
    end: u64,
    limit: u64,
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
    /// A spool that holds at most `limit` bytes of parts.
    pub fn new(limit: u64) -> Result<Spool> {
        Ok(Spool {
            file: tempfile::tempfile().context("cannot create a spool file for the parts")?,
            end: 0,
            limit,
            parts: Vec::new(),
        })
    }

    /// Checks one part as far as bytes go and keeps it; returns the hashes
    /// of its records, framed by the host (see `crate::ledger`).
    pub fn push(&mut self, part: ConsolidatedPart) -> Result<Vec<RecordHash>> {
        let data = part.artifact.data;
        let number = self.parts.len() + 1;
        safe_name(&part.artifact.name)?;
        if self.end + data.len() as u64 > self.limit {
            bail!(
                "the component's parts pass {} MiB at part {number}, more than a consolidation \
                 of these inputs can produce (twice their size); nothing written",
                self.limit >> 20
            );
        }
        let records = frame_gzip(&data).with_context(|| {
            format!(
                "part {number} ({}) is not a complete gzip CloudTrail log; nothing written",
                part.artifact.name
            )
        })?;
        if records.len() as u64 != part.records {
            bail!(
                "part {number} ({}) holds {} records, the component says {}; nothing written",
                part.artifact.name,
                records.len(),
                part.records
            );
        }
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
        Ok(records)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::Artifact;
    use std::io::Write;

    fn part(name: &str, data: Vec<u8>) -> ConsolidatedPart {
        ConsolidatedPart {
            artifact: Artifact {
                name: name.into(),
                media_type: "application/gzip".into(),
                data,
            },
            records: 1,
        }
    }

    fn gzip(text: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(text).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn keeps_whole_gzip_parts_within_the_limit() {
        let mut spool = Spool::new(1 << 20).unwrap();
        let body = gzip(br#"{"Records":[{"a":1}]}"#);
        spool.push(part("a.json.gz", body.clone())).unwrap();
        assert_eq!(spool.read(0).unwrap(), body);

        let junk = spool.push(part("b.json.gz", b"not gzip".to_vec()));
        assert!(format!("{:#}", junk.unwrap_err()).contains("not a complete gzip"));
        let truncated = spool.push(part("c.json.gz", body[..body.len() - 4].to_vec()));
        assert!(truncated.is_err());
        let escape = spool.push(part("../x.json.gz", body.clone()));
        assert!(escape.is_err());

        let mut small = Spool::new(body.len() as u64).unwrap();
        small.push(part("a.json.gz", body.clone())).unwrap();
        let over = small.push(part("b.json.gz", body));
        assert!(format!("{:#}", over.unwrap_err()).contains("nothing written"));
        assert_eq!(small.parts().len(), 1);
    }
}
