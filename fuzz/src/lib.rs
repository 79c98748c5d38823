//! What the fuzz targets share: a fixed log that trips most rules, gzip,
//! a reader that hands out bytes in small pieces, and an in-memory scratch
//! stream for the consolidator. The targets themselves are in
//! `fuzz_targets/`, one per surface of the engine.

use std::cell::RefCell;
use std::io::{self, Read, Write};
use std::rc::Rc;

use analyzer_wasm::consolidate::Consolidator;
use flate2::Compression;
use flate2::write::GzEncoder;

/// A small CloudTrail log whose events trip most rules (root activity,
/// access denied bursts, console sign-in without MFA, policy and trail
/// changes, a public bucket ACL) and fill every report dimension.
pub const SAMPLE_LOG: &str = r#"{"Records":[
{"eventVersion":"1.08","eventID":"e1","eventTime":"2026-11-01T10:00:00Z","eventName":"ConsoleLogin","eventSource":"signin.amazonaws.com","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"Mozilla/5.0","eventType":"AwsConsoleSignIn","eventCategory":"Management","recipientAccountId":"111122223333","userIdentity":{"type":"Root","arn":"arn:aws:iam::111122223333:root","principalId":"111122223333","accountId":"111122223333"},"responseElements":{"ConsoleLogin":"Success"},"additionalEventData":{"MFAUsed":"No"}},
{"eventVersion":"1.08","eventID":"e2","eventTime":"2026-11-01T10:01:00Z","eventName":"ConsoleLogin","eventSource":"signin.amazonaws.com","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.1","eventType":"AwsConsoleSignIn","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice","userName":"alice"},"responseElements":{"ConsoleLogin":"Success"},"additionalEventData":{"MFAUsed":"No"}},
{"eventVersion":"1.08","eventID":"e3","eventTime":"2026-11-01T10:02:00Z","eventName":"GetObject","eventSource":"s3.amazonaws.com","awsRegion":"eu-west-1","sourceIPAddress":"10.1.2.3","errorCode":"AccessDenied","errorMessage":"Access Denied","readOnly":true,"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/app/s1","sessionContext":{"sessionIssuer":{"userName":"app","arn":"arn:aws:iam::111122223333:role/app"}}},"resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::b/k"}]},
{"eventVersion":"1.08","eventID":"e4","eventTime":"2026-11-01T10:02:30Z","eventName":"DescribeInstances","eventSource":"ec2.amazonaws.com","awsRegion":"eu-west-1","sourceIPAddress":"10.1.2.3","errorCode":"Client.UnauthorizedOperation","readOnly":true,"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/app/s1"}},
{"eventVersion":"1.08","eventID":"e5","eventTime":"2026-11-01T10:03:00Z","eventName":"ListBuckets","eventSource":"s3.amazonaws.com","awsRegion":"eu-west-1","sourceIPAddress":"10.1.2.3","errorCode":"AccessDenied","readOnly":true,"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/app/s1"}},
{"eventVersion":"1.08","eventID":"e6","eventTime":"2026-11-01T11:00:00.123Z","eventName":"PutBucketAcl","eventSource":"s3.amazonaws.com","awsRegion":"us-east-1","sourceIPAddress":"2001:db8::1","readOnly":false,"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/bob","userName":"bob"},"requestParameters":{"bucketName":"b","x-amz-acl":["public-read"],"AccessControlPolicy":{"AccessControlList":{"Grant":{"Grantee":{"URI":"http://acs.amazonaws.com/groups/global/AllUsers"}}}}}},
{"eventVersion":"1.08","eventID":"e7","eventTime":"2026-11-01T12:00:00Z","eventName":"StopLogging","eventSource":"cloudtrail.amazonaws.com","awsRegion":"us-east-1","sourceIPAddress":"cloudtrail.amazonaws.com","userIdentity":{"type":"AWSService","invokedBy":"cloudtrail.amazonaws.com"}},
{"eventVersion":"1.08","eventID":"e8","eventTime":"2026-11-01T12:30:00Z","eventName":"CreatePolicy","eventSource":"iam.amazonaws.com","awsRegion":"us-east-1","userIdentity":{"type":"IAMUser","principalId":"AIDA1","userName":"=cmd|' /C calc'!A0"},"resources":[null,{"type":null},7]},
{"eventVersion":"1.05","eventTime":"2026-11-02T00:00:00Z","eventName":"AuthorizeSecurityGroupIngress","eventSource":"ec2.amazonaws.com","awsRegion":"ap-southeast-2","sourceIPAddress":"<script>alert(1)</script>","userIdentity":{"type":"IAMUser","userName":"carol"},"requestParameters":{"ipPermissions":{"items":[{"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}}]}}},
{"eventCategory":"Insight","eventType":"AwsCloudTrailInsight","eventTime":"2026-11-02T01:00:00Z","eventName":7,"awsRegion":false,"sourceIPAddress":1.5e20}
]}"#;

/// `data` as one gzip member.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    gz.write_all(data).expect("writing to memory");
    gz.finish().expect("writing to memory")
}

/// A reader that hands out at most `sizes[i % len]` bytes on its i-th read,
/// as a slow stream may, so the code under test sees every buffer boundary.
pub struct Trickle<'a> {
    data: &'a [u8],
    sizes: &'a [u8],
    reads: usize,
}

impl<'a> Trickle<'a> {
    /// `sizes` of zero count as one; an empty `sizes` means one byte a read.
    pub fn new(data: &'a [u8], sizes: &'a [u8]) -> Trickle<'a> {
        Trickle {
            data,
            sizes,
            reads: 0,
        }
    }
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let size = match self.sizes {
            [] => 1,
            sizes => usize::from(sizes[self.reads % sizes.len()]).max(1),
        };
        self.reads += 1;
        let n = size.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// A scratch stream kept in memory, readable after the consolidator wrote it,
/// as a host's scratch file is.
#[derive(Clone, Default)]
pub struct Scratch(pub Rc<RefCell<Vec<u8>>>);

impl Write for Scratch {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Runs `c` from `runs` to `finish` as a host would, handing the runs
/// written to `scratch` back; returns the number of parts, or the first
/// error. Every part must be a gzip `{"Records":[…]}` document.
pub fn drain(mut c: Consolidator, scratch: &Scratch) -> Result<u64, String> {
    let lengths = c.runs()?;
    let bytes = scratch.0.borrow().clone();
    let mut streams: Vec<Box<dyn Read>> = Vec::new();
    let mut offset = 0usize;
    for len in lengths {
        let end = offset + len as usize;
        streams.push(Box::new(io::Cursor::new(bytes[offset..end].to_vec())));
        offset = end;
    }
    assert_eq!(offset, bytes.len(), "the runs cover the scratch exactly");
    c.merge(streams)?;
    finish_parts(c)
}

/// Takes every part of a consolidator past `merge`; returns how many
/// records they hold. Every part must be a gzip `{"Records":[…]}` document.
pub fn take_parts(c: &mut Consolidator) -> Result<u64, String> {
    let mut records = 0;
    while let Some(part) = c.next_part()? {
        records += part.records;
        assert!(part.records > 0, "an empty part");
        let mut text = Vec::new();
        flate2::read::GzDecoder::new(&part.artifact.data[..])
            .read_to_end(&mut text)
            .expect("a part is valid gzip");
        assert!(
            text.starts_with(b"{\"Records\":[") && text.ends_with(b"]}"),
            "a part is a CloudTrail log"
        );
    }
    Ok(records)
}

/// Takes every part of a consolidator past `merge`, then finishes it and
/// checks its counts; returns the number of parts.
pub fn finish_parts(mut c: Consolidator) -> Result<u64, String> {
    let records = take_parts(&mut c)?;
    let done = c.finish()?;
    assert_eq!(done.records_out, records, "records out = records in parts");
    assert_eq!(done.records_in, done.duplicates + done.records_out);
    Ok(done.parts)
}

/// The log the `run_reader` target consolidates: `n` records, each larger
/// than a 1024-byte buffer, so each spills to a run of its own. (The seeds
/// in `analyzer-wasm/tests/fuzz_seeds.rs` are the runs of this log.)
pub fn padded_log(n: usize) -> String {
    let records: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"eventID":"{i}","eventTime":"2026-11-01T00:00:0{i}Z","pad":"{}"}}"#,
                "x".repeat(1100)
            )
        })
        .collect();
    format!(r#"{{"Records":[{}]}}"#, records.join(","))
}
